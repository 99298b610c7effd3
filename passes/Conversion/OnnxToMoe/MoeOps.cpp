//===- MoeOps.cpp - ONNX ops that are moe ops -----------------------------===//
//
// The opset-23 RMSNormalization, RotaryEmbedding and Attention, ONNX
// Runtime's SimplifiedLayerNormalization and com.microsoft MoE map onto one
// moe op each (plus layout changes), so the layers they describe reach the
// moe level whole.
//
//===----------------------------------------------------------------------===//

#include "Broadcast.h"
#include "Helpers.h"
#include "moe/Dialect/Moe/MoeOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::moe;

namespace {

SmallVector<OpFoldResult> sizesOf(OpBuilder &b, Location loc, Value v) {
  return tensor::getMixedSizes(b, loc, v);
}

/// (B, S, heads * D) to (B, heads, S, D).
FailureOr<Value> splitHeads(OnnxNode &node, Value v, int64_t heads,
                            StringRef what) {
  auto type = cast<RankedTensorType>(v.getType());
  int64_t hidden = type.getDimSize(2);
  if (heads <= 0)
    return node.emitError() << what << " is 3-d: the head count attribute "
                                       "must be positive";
  if (ShapedType::isDynamic(hidden) || hidden % heads != 0)
    return node.emitError() << what << " hidden size " << hidden
                            << " must be a static multiple of " << heads
                            << " heads";
  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  SmallVector<OpFoldResult> sizes = sizesOf(b, loc, v);
  SmallVector<OpFoldResult> split = {sizes[0], sizes[1], b.getIndexAttr(heads),
                                     b.getIndexAttr(hidden / heads)};
  return transpose(b, loc, reshapeTo(b, loc, v, split), {0, 2, 1, 3});
}

/// (B, heads, S, D) back to (B, S, heads * D).
Value mergeHeads(OpBuilder &b, Location loc, Value v) {
  Value t = transpose(b, loc, v, {0, 2, 1, 3});
  SmallVector<OpFoldResult> sizes = sizesOf(b, loc, t);
  auto type = cast<RankedTensorType>(t.getType());
  OpFoldResult merged =
      type.isDynamicDim(2) || type.isDynamicDim(3)
          ? OpFoldResult(Value(arith::MulIOp::create(
                b, loc, indexValue(b, loc, sizes[2]), indexValue(b, loc, sizes[3]))))
          : OpFoldResult(b.getIndexAttr(type.getDimSize(2) * type.getDimSize(3)));
  return reshapeTo(b, loc, t, {sizes[0], sizes[1], merged});
}

/// Prepends size-1 dims up to rank 4 (masks broadcast from the right).
Value toRank4(OpBuilder &b, Location loc, Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getRank() == 4)
    return v;
  SmallVector<OpFoldResult> sizes(4 - type.getRank(), b.getIndexAttr(1));
  llvm::append_range(sizes, sizesOf(b, loc, v));
  return reshapeTo(b, loc, v, sizes);
}

LogicalResult convertRmsNorm(OnnxNode &node) {
  FailureOr<RankedTensorType> type = node.rankedInput(0);
  FailureOr<RankedTensorType> scale = node.rankedInput(1);
  if (failed(type) || failed(scale))
    return failure();
  for (unsigned i = 1; i < node.getOp().getNumResults(); ++i)
    if (!node.getOp().getResult(i).use_empty())
      return node.emitError() << "the inv_std_var output is not supported";
  OpBuilder &b = node.builder();
  auto norm = RmsNormOp::create(
      b, node.getLoc(), *type, node.input(0), node.input(1),
      b.getF64FloatAttr(node.floatAttr("epsilon", 1e-5f)),
      b.getI64IntegerAttr(node.intAttr("axis", -1)));
  if (failed(verifyBuilt(node, norm, "scale does not fit the normalised dims")))
    return failure();
  SmallVector<Value> results = {norm};
  for (unsigned i = 1; i < node.getOp().getNumResults(); ++i)
    results.push_back(norm);
  node.replace(ArrayRef(results).take_front(node.getOp().getNumResults()));
  return success();
}

/// com.microsoft SkipSimplifiedLayerNormalization: RMSNorm of input + skip
/// (+ bias); output 3 is that sum.
LogicalResult convertSkipRmsNorm(OnnxNode &node) {
  FailureOr<RankedTensorType> type = node.rankedInput(0);
  if (failed(type) || failed(node.rankedInput(1)) || failed(node.rankedInput(2)))
    return failure();
  onnx::NodeOp op = node.getOp();
  for (unsigned i = 1; i < std::min(3u, op.getNumResults()); ++i)
    if (!op.getResult(i).use_empty())
      return node.emitError() << "the mean and inv_std_var outputs are not "
                                 "supported";
  SmallVector<Value> terms = {node.input(0), node.input(1)};
  if (Value bias = node.input(3))
    terms.push_back(bias);
  FailureOr<Value> sum = buildBroadcastElementwise(
      node, terms, type->getElementType(),
      [](OpBuilder &b, Location loc, ValueRange s) {
        Value acc = s[0];
        for (Value v : s.drop_front())
          acc = arith::AddFOp::create(b, loc, acc, v);
        return acc;
      });
  if (failed(sum))
    return failure();
  OpBuilder &b = node.builder();
  auto norm = RmsNormOp::create(
      b, node.getLoc(), sum->getType(), *sum, node.input(2),
      b.getF64FloatAttr(node.floatAttr("epsilon", 1e-5f)), b.getI64IntegerAttr(-1));
  if (failed(verifyBuilt(node, norm, "gamma does not fit the normalised dims")))
    return failure();
  SmallVector<Value> results = {norm};
  for (unsigned i = 1; i < op.getNumResults(); ++i)
    results.push_back(i == 3 ? *sum : Value(norm));
  node.replace(results);
  return success();
}

/// ONNX Runtime's MoE: softmax routing to the top k experts, then the
/// expert FFNs; swiglu's gate and up rows come fused in fc1.
LogicalResult convertMoE(OnnxNode &node) {
  FailureOr<RankedTensorType> inputType = node.rankedInput(0);
  FailureOr<RankedTensorType> routerType = node.rankedInput(1);
  FailureOr<RankedTensorType> fc1Type = node.rankedInput(2);
  FailureOr<RankedTensorType> fc2Type = node.rankedInput(4);
  if (failed(inputType) || failed(routerType) || failed(fc1Type) ||
      failed(fc2Type))
    return failure();
  if (node.intAttr("use_sparse_mixer", 0) != 0)
    return node.emitError() << "use_sparse_mixer is not supported";
  StringRef activationName = node.stringAttr("activation_type", "relu");
  std::optional<Activation> activation = symbolizeActivation(activationName);
  if (!activation)
    return node.emitError() << "activation_type '" << activationName
                            << "' is not supported (relu, gelu, silu, swiglu)";
  int64_t k = node.intAttr("k", 1);
  int64_t experts = routerType->getDimSize(routerType->getRank() - 1);
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
  SmallVector<OpFoldResult> inputSizes = sizesOf(b, loc, x);
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
  Value logits = node.input(1);
  if (routerType->getRank() != 2)
    return node.emitError() << "router_probs must be (tokens, experts)";

  auto route = RouteOp::create(
      b, loc, logits, Value(), b.getI64IntegerAttr(k),
      ScoringAttr::get(b.getContext(), Scoring::Softmax),
      node.intAttr("normalize_routing_weights", 0) ? b.getUnitAttr() : UnitAttr(),
      b.getI64IntegerAttr(1), b.getI64IntegerAttr(1),
      GroupScoreAttr::get(b.getContext(), GroupScore::Max),
      b.getF64FloatAttr(1.0));

  Value fc1 = node.input(2), fc2 = node.input(4), fc3, b1 = node.input(3),
        b2 = node.input(5), b3;
  if (*activation == Activation::Swiglu) {
    int64_t fusion = node.intAttr("swiglu_fusion", 0);
    if (fusion == 0) {
      fc3 = node.input(6);
      b3 = node.input(7);
      if (!fc3)
        return node.emitError() << "swiglu without fusion needs "
                                   "fc3_experts_weights";
    } else {
      // Fused rows: interleaved (gate 2i, up 2i+1) or concatenated halves.
      int64_t rows = fc1Type->getDimSize(1);
      if (ShapedType::isDynamic(rows) || rows % 2 != 0)
        return node.emitError() << "fused fc1 must have an even static row "
                                   "count";
      auto half = [&](Value w, int64_t which) -> Value {
        auto type = cast<RankedTensorType>(w.getType());
        SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
        SmallVector<OpFoldResult> sizes = sizesOf(b, loc, w);
        SmallVector<OpFoldResult> strides(type.getRank(), b.getIndexAttr(1));
        sizes[1] = b.getIndexAttr(rows / 2);
        if (fusion == 1) {
          offsets[1] = b.getIndexAttr(which);
          strides[1] = b.getIndexAttr(2);
        } else {
          offsets[1] = b.getIndexAttr(which * rows / 2);
        }
        return tensor::ExtractSliceOp::create(b, loc, w, offsets, sizes, strides);
      };
      fc3 = half(fc1, 1);
      if (b1)
        b3 = half(b1, 1);
      fc1 = half(fc1, 0);
      if (b1)
        b1 = half(b1, 0);
    }
  } else if (node.input(6)) {
    return node.emitError() << "fc3_experts_weights needs the swiglu "
                               "activation";
  }
  auto expertsOp = ExpertsOp::create(
      b, loc, tokens.getType(), tokens, route.getWeights(), route.getIndices(),
      fc1, fc2, fc3, b1, b2, b3, Value(), Value(), Value(), Value(),
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

LogicalResult convertRotary(OnnxNode &node) {
  FailureOr<RankedTensorType> type = node.rankedInput(0);
  FailureOr<RankedTensorType> cosType = node.rankedInput(1);
  if (failed(type) || failed(cosType) || failed(node.rankedInput(2)))
    return failure();
  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  Value x = node.input(0), cos = node.input(1), sin = node.input(2);
  bool threeD = type->getRank() == 3;
  if (threeD) {
    FailureOr<Value> split =
        splitHeads(node, x, node.intAttr("num_heads", 0), "input");
    if (failed(split))
      return failure();
    x = *split;
  } else if (type->getRank() != 4) {
    return node.emitError() << "input must be 3-d or 4-d";
  }
  Value positions = node.input(3);
  if (!positions) {
    // Caches per (batch, position): a single batch row is a table.
    if (cosType->getRank() == 3) {
      if (cosType->getDimSize(0) != 1)
        return node.emitError() << "cos_cache per batch row is supported for "
                                   "batch 1 only";
      SmallVector<OpFoldResult> sizes = sizesOf(b, loc, cos);
      cos = reshapeTo(b, loc, cos, {sizes[1], sizes[2]});
      sin = reshapeTo(b, loc, sin, {sizes[1], sizes[2]});
    }
  }
  auto rope = RopeOp::create(
      b, loc, x.getType(), x, cos, sin, positions,
      node.intAttr("interleaved", 0) ? b.getUnitAttr() : UnitAttr(),
      b.getI64IntegerAttr(node.intAttr("rotary_embedding_dim", 0)));
  if (failed(verifyBuilt(node, rope, "caches do not fit the input")))
    return failure();
  Value result = rope.getResult();
  if (threeD)
    result = mergeHeads(b, loc, result);
  node.replace(result);
  return success();
}

/// Attention-23: 3-d (B, S, heads * D) or 4-d (B, heads, S, D) tensors.
LogicalResult convertAttention(OnnxNode &node) {
  FailureOr<RankedTensorType> qType = node.rankedInput(0);
  if (failed(qType) || failed(node.rankedInput(1)) || failed(node.rankedInput(2)))
    return failure();
  onnx::NodeOp op = node.getOp();
  if (op.getNumResults() > 3 && !op.getResult(3).use_empty())
    return node.emitError() << "the qk_matmul_output output is not supported";
  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  bool threeD = qType->getRank() == 3;
  Value q = node.input(0), k = node.input(1), v = node.input(2);
  if (threeD) {
    int64_t qHeads = node.intAttr("q_num_heads", 0);
    int64_t kvHeads = node.intAttr("kv_num_heads", 0);
    FailureOr<Value> q4 = splitHeads(node, q, qHeads, "query");
    if (failed(q4))
      return failure();
    FailureOr<Value> k4 = splitHeads(node, k, kvHeads, "key");
    if (failed(k4))
      return failure();
    FailureOr<Value> v4 = splitHeads(node, v, kvHeads, "value");
    if (failed(v4))
      return failure();
    q = *q4, k = *k4, v = *v4;
  } else if (qType->getRank() != 4) {
    return node.emitError() << "query must be 3-d or 4-d";
  }
  Value mask = node.input(3);
  if (mask)
    mask = toRank4(b, loc, mask);
  Value pastKey = node.input(4), pastValue = node.input(5);
  if (static_cast<bool>(pastKey) != static_cast<bool>(pastValue))
    return node.emitError() << "past_key and past_value come together";
  bool wantsPresent = op.getNumResults() > 1 &&
                      (!op.getResult(1).use_empty() ||
                       (op.getNumResults() > 2 && !op.getResult(2).use_empty()));
  if (wantsPresent && !pastKey)
    return node.emitError() << "present_key/present_value without a past "
                               "cache are not supported";
  float softcap = node.floatAttr("softcap", 0.0f);
  FloatAttr scale;
  if (auto s = dyn_cast_or_null<FloatAttr>(node.attr("scale")))
    scale = b.getF64FloatAttr(s.getValueAsDouble());
  auto attention = AttentionOp::create(
      b, loc, q, k, v, mask, pastKey, pastValue, Value(), scale,
      b.getF64FloatAttr(softcap),
      node.intAttr("is_causal", 0) ? b.getUnitAttr() : UnitAttr(),
      b.getI64IntegerAttr(-1), b.getI64IntegerAttr(-1), b.getI64IntegerAttr(0),
      IntegerAttr());
  if (failed(verifyBuilt(node, attention,
                         "query, key, value and mask do not fit")))
    return failure();
  Value output = attention.getOutput();
  if (threeD)
    output = mergeHeads(b, loc, output);
  SmallVector<Value> results = {output};
  for (unsigned i = 1; i < op.getNumResults(); ++i)
    results.push_back(i <= attention.getPresent().size()
                          ? attention.getPresent()[i - 1]
                          : output);
  node.replace(results);
  return success();
}

} // namespace

void moe::populateOnnxMoeOpHandlers(OnnxOpTable &table) {
  table.on("RMSNormalization", 23, convertRmsNorm);
  table.on("SimplifiedLayerNormalization", 1, convertRmsNorm);
  table.on("RotaryEmbedding", 23, convertRotary);
  table.on("Attention", 23, convertAttention);
  table.on("MoE", 1, convertMoE, "com.microsoft");
  table.on("SkipSimplifiedLayerNormalization", 1, convertSkipRmsNorm,
           "com.microsoft");
}
