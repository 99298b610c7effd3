//===- OnnxToMoe.h - onnx.node to upstream and moe IR -----------*- C++ -*-===//
//
// Every ONNX op's semantics live in one handler, registered by op type,
// domain and the opset version from which that form applies. Handlers are
// grouped by op family (Elementwise, ...), each family a populate function,
// so that every target reuses the same table.
//
//===----------------------------------------------------------------------===//

#ifndef MOE_CONVERSION_ONNXTOMOE_ONNXTOMOE_H
#define MOE_CONVERSION_ONNXTOMOE_ONNXTOMOE_H

#include "moe/Dialect/Onnx/OnnxOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/Pass/Pass.h"
#include "llvm/ADT/StringMap.h"

#include <functional>

namespace mlir::moe {

/// One onnx.node being converted: its inputs (signless), attributes,
/// diagnostics that name the node, and the replacement of its results.
class OnnxNode {
public:
  OnnxNode(onnx::NodeOp op, OpBuilder &builder) : op(op), b(builder) {}

  onnx::NodeOp getOp() const { return op; }
  OpBuilder &builder() const { return b; }
  Location getLoc() const { return op.getLoc(); }
  int64_t getVersion() const { return op.getVersion(); }

  unsigned getNumInputs() const { return op.getInputs().size(); }
  /// Input `i`, or null when it is absent (onnx.none or past the end).
  Value input(unsigned i) const;
  /// Input `i` with unsigned integer elements reinterpreted as signless,
  /// which is what arith and linalg take; null when absent.
  Value signlessInput(unsigned i) const;
  /// Whether input `i` has unsigned integer elements.
  bool isUnsigned(unsigned i) const;
  /// Input `i` as a ranked tensor type, or an error naming the node.
  FailureOr<RankedTensorType> rankedInput(unsigned i) const;

  int64_t intAttr(StringRef name, int64_t defaultValue) const;
  float floatAttr(StringRef name, float defaultValue) const;
  StringRef stringAttr(StringRef name, StringRef defaultValue) const;
  Attribute attr(StringRef name) const;

  /// An error at the node: "node 'n' (Op): <message>".
  InFlightDiagnostic emitError() const;

  /// Replaces the node's results. New values may be more precise (ranked)
  /// and signless; consumers other than onnx.node get casts back to the
  /// result types the node declared.
  void replace(ValueRange values);

private:
  mutable onnx::NodeOp op;
  OpBuilder &b;
};

using OnnxHandler = std::function<LogicalResult(OnnxNode &)>;

/// The handlers, by domain and op type, each from an opset version on.
class OnnxOpTable {
public:
  /// Registers `handler` for `opType` in `domain` ("" is ai.onnx) for nodes
  /// at opset `sinceVersion` or later, until a later registration.
  void on(StringRef opType, int64_t sinceVersion, OnnxHandler handler,
          StringRef domain = "");
  /// The handler for a node, or null.
  const OnnxHandler *lookup(StringRef domain, StringRef opType,
                            int64_t version) const;
  /// "Op" names of `domain`, sorted, for diagnostics.
  SmallVector<std::string> opTypes(StringRef domain) const;

private:
  llvm::StringMap<std::vector<std::pair<int64_t, OnnxHandler>>> handlers;
};

/// Elementwise math, comparison, logic, Where, Cast, CastLike, Clip.
void populateOnnxElementwiseHandlers(OnnxOpTable &table);

/// Identity, Dropout, Constant, Shape, Size, ConstantOfShape, Reshape,
/// Flatten, Squeeze, Unsqueeze, Expand.
void populateOnnxShapeHandlers(OnnxOpTable &table);

/// Transpose, Concat, Slice, Gather, GatherElements, Split, Trilu, Range.
void populateOnnxDataMovementHandlers(OnnxOpTable &table);

/// Reduce*, ArgMax, ArgMin, Softmax, LogSoftmax, LayerNormalization,
/// DynamicQuantizeLinear.
void populateOnnxReductionHandlers(OnnxOpTable &table);

/// MatMul, MatMulInteger, Gemm, Einsum.
void populateOnnxMatMulHandlers(OnnxOpTable &table);

/// RMSNormalization, RotaryEmbedding and Attention (opset 23),
/// SimplifiedLayerNormalization, com.microsoft RotaryEmbedding and
/// SkipSimplifiedLayerNormalization: onto moe ops.
void populateOnnxMoeOpHandlers(OnnxOpTable &table);

/// NonZero: counted, then written, in scf.for loops.
void populateOnnxNonZeroHandlers(OnnxOpTable &table);

/// com.microsoft MoE and QMoE: onto moe.route and moe.experts.
void populateOnnxExpertHandlers(OnnxOpTable &table);

/// com.microsoft GroupQueryAttention, MultiHeadAttention, SparseAttention:
/// onto moe.attention.
void populateOnnxContribAttentionHandlers(OnnxOpTable &table);

/// QuantizeLinear, DequantizeLinear: onto moe.quantize and moe.dequantize.
void populateOnnxQuantizationHandlers(OnnxOpTable &table);

/// TopK.
void populateOnnxTopKHandlers(OnnxOpTable &table);

/// ScatterElements and ScatterND (with reductions), GatherND.
void populateOnnxScatterHandlers(OnnxOpTable &table);

/// Every family.
void populateOnnxToMoeHandlers(OnnxOpTable &table);

/// Converts every onnx.node under `root`; unsupported ops and invalid nodes
/// are reported (all of them, not only the first) and make it fail.
LogicalResult convertOnnxToMoe(Operation *root, const OnnxOpTable &table);

#define GEN_PASS_DECL
#include "moe/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "moe/Conversion/Passes.h.inc"

} // namespace mlir::moe

#endif // MOE_CONVERSION_ONNXTOMOE_ONNXTOMOE_H
