//===- OnnxGraph.h - Reading onnx.node graphs for what they compute -*- C++ -*-===//
//
// The raising passes read exported subgraphs at the onnx level by meaning:
// through nodes that do not change the data (same-type casts, identities,
// no-op expands) and reshapes that keep rows or element order, with the
// small integer tensors exporters compute shapes with folded.
//
//===----------------------------------------------------------------------===//

#ifndef MOE_PASSES_MOE_ONNXGRAPH_H
#define MOE_PASSES_MOE_ONNXGRAPH_H

#include "moe/Dialect/Onnx/OnnxOps.h"

#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/IR/PatternMatch.h"

#include <optional>

namespace mlir::moe::graph {

/// The default-domain onnx.node of `type` defining `v`, else null.
onnx::NodeOp nodeOf(Value v, StringRef type);

/// The integer attribute `name` of `node`, else `otherwise`.
int64_t intAttrOr(onnx::NodeOp node, StringRef name, int64_t otherwise);

/// The integer list attribute `name` of `node`, else nothing.
std::optional<SmallVector<int64_t>> intsAttrOf(onnx::NodeOp node,
                                               StringRef name);

/// Input `i` of `node` when present (not onnx.none), else null.
Value input(onnx::NodeOp node, unsigned i);

/// The rank of a ranked tensor `v`, else -1.
int64_t rankOf(Value v);

/// The shape of a ranked tensor `v`.
ArrayRef<int64_t> shapeOf(Value v);

/// The elements attribute of a constant: an initializer (arith.constant) or
/// a Constant node's `value`.
ElementsAttr constantAttr(Value v);

/// Integers of a small shape-like tensor; entries not known at compile time
/// (dims of Shape that are dynamic) are ShapedType::kDynamic. Unless
/// `exact`, the dynamic dim of a one-row slice counts as 1 (index_add_'s
/// expand idiom: it is 0 only for an empty output, which reading the graph
/// for its meaning may ignore but code generation may not).
std::optional<SmallVector<int64_t>> foldInts(Value v, unsigned depth = 0,
                                             bool exact = false);

/// The single known integer of `v`, else nothing.
std::optional<int64_t> foldInt(Value v);

/// `value` as a double, whatever its float format.
double toDouble(APFloat value);

/// The single float of a constant `v` (a scalar or a one-element tensor).
std::optional<double> foldScalar(Value v);

/// The axes of a Squeeze, Unsqueeze or Reduce* node: its `axes` input from
/// the opset where it became one (13 for ReduceSum and (Un)Squeeze, 18 for
/// the other reductions), else its attribute; nothing when absent or not
/// known at compile time.
std::optional<SmallVector<int64_t>> axesOf(onnx::NodeOp node);

/// Whether the Reduce* `reduce` reduces exactly the last axis of its input,
/// keeping it as a unit dim or dropping it as `keepdims` says.
bool reducesLastAxis(onnx::NodeOp reduce, bool keepdims);

/// Whether `v` is all zeros: a zero constant or ConstantOfShape of zero.
bool isZeroConstant(Value v);

/// Sees through nodes that leave the data as it is: Identity, a Cast to the
/// element type it already has, an Expand that broadcasts nothing.
Value skipNoOps(Value v);

/// Strips casts of any type too: for values that only matter as zero or
/// not (masks), or as integers (indices).
Value skipCasts(Value v);

/// Reshape, Flatten, Squeeze or Unsqueeze: nodes that keep element order.
bool isReshapeLike(onnx::NodeOp node);

/// The value whose rows `v` holds in the same order: reshapes that keep the
/// (static) last dim only regroup rows, so they are seen through.
Value rowSource(Value v);

/// The first rank-2 value among `v` and the row views it comes from: the
/// rows as a [rows, columns] matrix; null when there is none.
Value rowMatrix(Value v);

/// The value whose elements `v` holds in the same row-major order: every
/// reshape keeps it.
Value linearSource(Value v);

/// Whether dim `da` of `a` and dim `db` of `b` have the same length at run
/// time by construction (OnnxDims.cpp says how it is followed back).
bool sameDim(Value a, int64_t da, Value b, int64_t db);

/// Whether entry `i` of the shape vector `shape` (a Reshape's target, say)
/// is dim `d` of `v` at run time by construction.
bool entryIsDim(Value shape, int64_t i, Value v, int64_t d);

/// Whether `op` (a raised op just built) verifies; its diagnostics are
/// dropped: a raising that does not fit leaves the graph as it is, silently.
bool verifiesQuietly(Operation *op);

/// Erases what only fed `roots` and is unused now: onnx nodes and
/// constants, which have no effects.
void eraseDeadOnnx(RewriterBase &rewriter, ArrayRef<Operation *> roots);

/// Tries `raise` at every onnx.node of one of `opTypes` under `root` (the
/// latest first with `latestFirst`: a sum is raised whole before its
/// partial sums are tried), skipping nodes an earlier raising erased.
void raiseEach(Operation *root, ArrayRef<StringRef> opTypes, bool latestFirst,
               function_ref<FailureOr<Value>(RewriterBase &, Operation *)> raise);

} // namespace mlir::moe::graph

#endif // MOE_PASSES_MOE_ONNXGRAPH_H
