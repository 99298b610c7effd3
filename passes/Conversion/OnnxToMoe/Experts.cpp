//===- Experts.cpp - ONNX Runtime's MoE and QMoE --------------------------===//
//
// Both become moe.route + moe.experts so that the expert layer reaches the
// moe level whole. QMoE's packed integer weights are unpacked into
// moe.dequantize, which the quantization passes fuse into the expert
// matmuls instead of materialising float weights.
//
//===----------------------------------------------------------------------===//

#include "Helpers.h"
#include "moe/Dialect/Moe/MoeOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

using namespace mlir;
using namespace mlir::moe;

namespace {

/// Float expert weights [E, N, K] and biases [E, N] (null when absent).
struct ExpertWeights {
  Value fc1, b1, fc2, b2, fc3, b3;
};

/// Attributes of ONNX Runtime's parameterised SwiGLU that moe.experts does
/// not carry: only the plain silu gate (alpha 1, beta 0, no clamp) maps.
LogicalResult checkPlainSwiglu(OnnxNode &node) {
  if (node.floatAttr("activation_alpha", 1.0f) != 1.0f ||
      node.floatAttr("activation_beta", 0.0f) != 0.0f ||
      std::isfinite(node.floatAttr("swiglu_limit", INFINITY)))
    return node.emitError() << "activation_alpha, activation_beta and "
                               "swiglu_limit other than 1, 0 and none are "
                               "not supported";
  return success();
}

/// Rows [which * rows/2 ..) of fc1 (swiglu_fusion 2) or every other row
/// from `which` (swiglu_fusion 1), along dim 1.
Value fusedHalf(OpBuilder &b, Location loc, Value w, int64_t fusion,
                int64_t rows, int64_t which) {
  auto type = cast<RankedTensorType>(w.getType());
  SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, w);
  SmallVector<OpFoldResult> strides(type.getRank(), b.getIndexAttr(1));
  sizes[1] = b.getIndexAttr(rows / 2);
  if (fusion == 1) {
    offsets[1] = b.getIndexAttr(which);
    strides[1] = b.getIndexAttr(2);
  } else {
    offsets[1] = b.getIndexAttr(which * rows / 2);
  }
  return tensor::ExtractSliceOp::create(b, loc, w, offsets, sizes, strides);
}

/// Softmax top-k routing and the expert FFNs over `weights`; swiglu's gate
/// and up rows may come fused in fc1.
LogicalResult buildExperts(OnnxNode &node, ExpertWeights w) {
  FailureOr<RankedTensorType> inputType = node.rankedInput(0);
  FailureOr<RankedTensorType> routerType = node.rankedInput(1);
  if (failed(inputType) || failed(routerType))
    return failure();
  if (node.intAttr("use_sparse_mixer", 0) != 0)
    return node.emitError() << "use_sparse_mixer is not supported";
  StringRef activationName = node.stringAttr("activation_type", "relu");
  std::optional<Activation> activation = symbolizeActivation(activationName);
  if (!activation)
    return node.emitError() << "activation_type '" << activationName
                            << "' is not supported (relu, gelu, silu, swiglu)";
  int64_t k = node.intAttr("k", 1);
  if (routerType->getRank() != 2)
    return node.emitError() << "router_probs must be (tokens, experts)";
  int64_t experts = routerType->getDimSize(1);
  if (k < 1 || (!ShapedType::isDynamic(experts) && k > experts))
    return node.emitError() << "k = " << k << " must be in [1, "
                            << experts << "]";
  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  Value x = node.input(0);
  int64_t rank = inputType->getRank();
  if (rank != 2 && rank != 3)
    return node.emitError() << "input must be (tokens, hidden) or (batch, "
                               "seq, hidden)";
  SmallVector<OpFoldResult> inputSizes = tensor::getMixedSizes(b, loc, x);
  Value tokens = x;
  if (rank == 3) {
    OpFoldResult n = (inputType->isDynamicDim(0) || inputType->isDynamicDim(1))
                         ? OpFoldResult(Value(arith::MulIOp::create(
                               b, loc, indexValue(b, loc, inputSizes[0]),
                               indexValue(b, loc, inputSizes[1]))))
                         : OpFoldResult(b.getIndexAttr(inputType->getDimSize(0) *
                                                       inputType->getDimSize(1)));
    tokens = reshapeTo(b, loc, x, {n, inputSizes[2]});
  }

  if (*activation == Activation::Swiglu) {
    if (failed(checkPlainSwiglu(node)))
      return failure();
    int64_t fusion = node.intAttr("swiglu_fusion", 0);
    if (fusion == 0) {
      if (!w.fc3)
        return node.emitError() << "swiglu without fusion needs "
                                   "fc3_experts_weights";
    } else if (fusion == 1 || fusion == 2) {
      int64_t rows = cast<RankedTensorType>(w.fc1.getType()).getDimSize(1);
      if (ShapedType::isDynamic(rows) || rows % 2 != 0)
        return node.emitError() << "fused fc1 must have an even static row "
                                   "count";
      if (w.fc3)
        return node.emitError() << "fused swiglu takes no fc3_experts_weights";
      w.fc3 = fusedHalf(b, loc, w.fc1, fusion, rows, 1);
      if (w.b1)
        w.b3 = fusedHalf(b, loc, w.b1, fusion, rows, 1);
      w.fc1 = fusedHalf(b, loc, w.fc1, fusion, rows, 0);
      if (w.b1)
        w.b1 = fusedHalf(b, loc, w.b1, fusion, rows, 0);
    } else {
      return node.emitError() << "swiglu_fusion = " << fusion
                              << " is not one of 0, 1, 2";
    }
  } else if (w.fc3) {
    return node.emitError() << "fc3_experts_weights needs the swiglu "
                               "activation";
  }

  auto route = RouteOp::create(
      b, loc, node.input(1), Value(), b.getI64IntegerAttr(k),
      ScoringAttr::get(b.getContext(), Scoring::Softmax),
      node.intAttr("normalize_routing_weights", 0) ? b.getUnitAttr() : UnitAttr(),
      b.getI64IntegerAttr(1), b.getI64IntegerAttr(1),
      GroupScoreAttr::get(b.getContext(), GroupScore::Max),
      b.getF64FloatAttr(-std::numeric_limits<double>::infinity()),
      b.getF64FloatAttr(1.0));
  auto expertsOp = ExpertsOp::create(
      b, loc, tokens.getType(), tokens, route.getWeights(), route.getIndices(),
      w.fc1, w.fc2, w.fc3, w.b1, w.b2, w.b3, Value(), Value(), Value(), Value(),
      ActivationAttr::get(b.getContext(), *activation));
  if (failed(verifyBuilt(node, expertsOp,
                         "expert weights do not fit the input"))) {
    route.erase();
    return failure();
  }
  Value result = expertsOp.getResult();
  if (rank == 3)
    result = reshapeTo(b, loc, result, inputSizes);
  node.replace(result);
  return success();
}

LogicalResult convertMoE(OnnxNode &node) {
  for (unsigned i : {2u, 4u})
    if (failed(node.rankedInput(i)))
      return failure();
  return buildExperts(node, {node.input(2), node.input(3), node.input(4),
                             node.input(5), node.input(6), node.input(7)});
}

/// One QMoE weight: packed [E, N, K / pack] bytes with scales [E, N] (one
/// per row) or [E, N, K / block] and optional packed zero points, as
/// moe.dequantize of the unpacked [E, N, K] integers.
FailureOr<Value> dequantizeExpertWeight(OnnxNode &node, unsigned weightIndex,
                                        unsigned scaleIndex, unsigned zpIndex,
                                        int64_t bits, int64_t block,
                                        StringRef name) {
  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  Value packed = node.input(weightIndex);
  Value scales = node.input(scaleIndex);
  auto packedType = dyn_cast_or_null<RankedTensorType>(packed ? packed.getType() : Type());
  auto scaleType = dyn_cast_or_null<RankedTensorType>(scales ? scales.getType() : Type());
  if (!packedType || !packedType.hasStaticShape() || packedType.getRank() != 3 ||
      !packedType.getElementType().isInteger(8))
    return node.emitError() << name << " weights must be a static 3-d tensor of bytes";
  if (!scaleType || !scaleType.hasStaticShape())
    return node.emitError() << name << " needs static scales";
  int64_t pack = 8 / bits;
  int64_t e = packedType.getDimSize(0), n = packedType.getDimSize(1),
          k = packedType.getDimSize(2) * pack;
  int64_t groups = block > 0 ? k / block : 1;
  if (block > 0 && k % block != 0)
    return node.emitError() << name << ": K = " << k
                            << " is not a multiple of block_size " << block;
  if (scaleType.getNumElements() != e * n * groups)
    return node.emitError() << name << " scales must hold " << e << " x " << n
                            << " x " << groups << " values";
  std::optional<std::vector<char>> bytes = constantBytes(packed);
  if (!bytes)
    return node.emitError() << name << " weights must be a constant";
  MLIRContext *ctx = b.getContext();
  Type storage = IntegerType::get(ctx, bits == 8 ? 8 : 4, IntegerType::Unsigned);
  Value weight = bytesConstant(b, loc, RankedTensorType::get({e, n, k}, storage),
                               unpackBits(*bytes, e * n * k, bits),
                               (name + "_q").str());
  auto groupType = RankedTensorType::get({e, n, groups}, storage);
  scales = reshapeTo(b, loc, scales, {b.getIndexAttr(e), b.getIndexAttr(n),
                                      b.getIndexAttr(groups)});
  Value zeroPoint;
  if (Value zp = node.input(zpIndex)) {
    std::optional<std::vector<char>> zpBytes = constantBytes(zp);
    if (!zpBytes || static_cast<int64_t>(zpBytes->size()) * pack != e * n * groups)
      return node.emitError() << name << " zero points must be a constant of "
                              << e * n * groups / pack << " bytes";
    // Packed along the last dim of the scale layout in both forms.
    zeroPoint = bytesConstant(b, loc, groupType,
                              unpackBits(*zpBytes, e * n * groups, bits),
                              (name + "_zp").str());
  } else {
    zeroPoint = arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(groupType, b.getIntegerAttr(storage, 1 << (bits - 1))));
  }
  auto op = DequantizeOp::create(b, loc, weight, scales, zeroPoint,
                                 b.getI64IntegerAttr(2),
                                 b.getI64IntegerAttr(block > 0 ? block : k));
  if (failed(verifyBuilt(node, op, "scales do not fit the weights")))
    return failure();
  return op.getResult();
}

/// com.microsoft QMoE with integer weights ('int' quant_type).
LogicalResult convertQMoE(OnnxNode &node) {
  StringRef quantType = node.stringAttr("quant_type", "int");
  if (quantType != "int")
    return node.emitError() << "quant_type '" << quantType
                            << "' is not supported (int)";
  if (node.intAttr("weights_prepacked", -1) == 1)
    return node.emitError() << "execution-provider prepacked weights are "
                               "not supported";
  if (node.input(14))
    return node.emitError() << "router_weights is not supported";
  int64_t bits = node.intAttr("expert_weight_bits", 4);
  if (bits != 4 && bits != 8)
    return node.emitError() << "expert_weight_bits = " << bits
                            << " is not supported (4 or 8)";
  int64_t block = node.intAttr("block_size", 0);
  if (block != 0 && (block < 16 || (block & (block - 1)) != 0))
    return node.emitError() << "block_size = " << block
                            << " must be a power of two >= 16";
  ExpertWeights w;
  FailureOr<Value> fc1 = dequantizeExpertWeight(node, 2, 3, 11, bits, block, "fc1");
  if (failed(fc1))
    return failure();
  FailureOr<Value> fc2 = dequantizeExpertWeight(node, 5, 6, 12, bits, block, "fc2");
  if (failed(fc2))
    return failure();
  w.fc1 = *fc1, w.fc2 = *fc2, w.b1 = node.input(4), w.b2 = node.input(7);
  if (node.input(8)) {
    FailureOr<Value> fc3 = dequantizeExpertWeight(node, 8, 9, 13, bits, block, "fc3");
    if (failed(fc3))
      return failure();
    w.fc3 = *fc3, w.b3 = node.input(10);
  }
  return buildExperts(node, w);
}

} // namespace

void moe::populateOnnxExpertHandlers(OnnxOpTable &table) {
  table.on("MoE", 1, convertMoE, "com.microsoft");
  table.on("QMoE", 1, convertQMoE, "com.microsoft");
}
