//===- MoeOps.cpp - ONNX ops that are moe ops -----------------------------===//
//
// The opset-23 RMSNormalization, RotaryEmbedding and Attention, and ONNX
// Runtime's SimplifiedLayerNormalization, SkipSimplifiedLayerNormalization
// and RotaryEmbedding map onto one moe op each (plus layout changes), so the
// layers they describe reach the moe level whole.
//
//===----------------------------------------------------------------------===//

#include "Broadcast.h"
#include "Heads.h"
#include "Helpers.h"
#include "moe/Dialect/Moe/MoeOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::moe;

namespace {

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

/// moe.rope of `x` (3-d (B, S, heads * D) or 4-d), replacing the node;
/// `positions` builds the position ids from the 4-d input (null: none).
LogicalResult replaceWithRope(
    OnnxNode &node, Value x, Value cos, Value sin, int64_t heads,
    function_ref<Value(Value)> positions) {
  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  auto type = cast<RankedTensorType>(x.getType());
  bool threeD = type.getRank() == 3;
  if (threeD) {
    FailureOr<Value> split = splitHeads(node, x, heads, "input");
    if (failed(split))
      return failure();
    x = *split;
  } else if (type.getRank() != 4) {
    return node.emitError() << "input must be 3-d or 4-d";
  }
  auto rope = RopeOp::create(
      b, loc, x.getType(), x, cos, sin, positions(x),
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

/// RotaryEmbedding-23: X, cos_cache, sin_cache, position_ids?.
LogicalResult convertRotary(OnnxNode &node) {
  FailureOr<RankedTensorType> type = node.rankedInput(0);
  FailureOr<RankedTensorType> cosType = node.rankedInput(1);
  if (failed(type) || failed(cosType) || failed(node.rankedInput(2)))
    return failure();
  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  Value cos = node.input(1), sin = node.input(2);
  Value positions = node.input(3);
  // Caches per (batch, position) without positions: a single batch row is
  // a table.
  if (!positions && cosType->getRank() == 3) {
    if (cosType->getDimSize(0) != 1)
      return node.emitError() << "cos_cache per batch row is supported for "
                                 "batch 1 only";
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, cos);
    cos = reshapeTo(b, loc, cos, {sizes[1], sizes[2]});
    sin = reshapeTo(b, loc, sin, {sizes[1], sizes[2]});
  }
  return replaceWithRope(node, node.input(0), cos, sin,
                         node.intAttr("num_heads", 0),
                         [&](Value) { return positions; });
}

/// com.microsoft RotaryEmbedding: input, position_ids ((B, S), or one
/// offset for positions offset + 0..S-1), cos_cache, sin_cache.
LogicalResult convertContribRotary(OnnxNode &node) {
  FailureOr<RankedTensorType> type = node.rankedInput(0);
  FailureOr<RankedTensorType> posType = node.rankedInput(1);
  FailureOr<RankedTensorType> cosType = node.rankedInput(2);
  if (failed(type) || failed(posType) || failed(cosType) ||
      failed(node.rankedInput(3)))
    return failure();
  if (node.intAttr("is_packed_batching", 0) != 0)
    return node.emitError() << "is_packed_batching is not supported";
  if (node.floatAttr("scale", 1.0f) != 1.0f)
    return node.emitError() << "scale other than 1 is not supported";
  int64_t heads = node.intAttr("num_heads", 0);
  int64_t hidden = type->getRank() == 3 ? type->getDimSize(2) : 0;
  int64_t half = cosType->getRank() == 2 ? cosType->getDimSize(1) : 0;
  // Without num_heads the caches span the whole head.
  if (heads == 0 && type->getRank() == 3 && !ShapedType::isDynamic(hidden) &&
      !ShapedType::isDynamic(half) && half > 0 && hidden % (2 * half) == 0)
    heads = hidden / (2 * half);
  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  Value positions = node.input(1);
  bool offsetOnly = posType->hasStaticShape() && posType->getNumElements() == 1 &&
                    posType->getRank() <= 1;
  if (!offsetOnly && posType->getRank() != 2)
    return node.emitError() << "position_ids must be (1) or (batch, "
                               "sequence)";
  return replaceWithRope(node, node.input(0), node.input(2), node.input(3),
                         heads, [&](Value x4) {
                           return offsetOnly
                                      ? positionsFrom(b, loc,
                                                      scalarIndex(b, loc, positions), x4)
                                      : positions;
                         });
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
    if (failed(splitHeadsQkv(node, q, k, v, qHeads, kvHeads)))
      return failure();
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
  table.on("RotaryEmbedding", 1, convertContribRotary, "com.microsoft");
  table.on("SkipSimplifiedLayerNormalization", 1, convertSkipRmsNorm,
           "com.microsoft");
}
