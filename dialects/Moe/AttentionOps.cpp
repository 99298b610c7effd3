//===- AttentionOps.cpp - Attention, norm and rotary ops: verifiers -------===//

#include "VerifyUtils.h"
#include "moe/Dialect/Moe/MoeOps.h"

using namespace mlir;
using namespace mlir::moe;
using namespace mlir::moe::detail;

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

static int64_t addDims(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b)
             ? ShapedType::kDynamic
             : a + b;
}

LogicalResult AttentionOp::inferReturnTypes(MLIRContext *context,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  auto query = cast<RankedTensorType>(adaptor.getQuery().getType());
  auto key = cast<RankedTensorType>(adaptor.getKey().getType());
  auto value = cast<RankedTensorType>(adaptor.getValue().getType());
  types.push_back(RankedTensorType::get(
      {query.getDimSize(0), query.getDimSize(1), query.getDimSize(2),
       value.getDimSize(3)},
      query.getElementType()));
  // With one past tensor only, verify() reports the missing one.
  Value pastKey = adaptor.getPastKey();
  if (!pastKey || !adaptor.getPastValue())
    return success();
  int64_t past = cast<RankedTensorType>(pastKey.getType()).getDimSize(2);
  for (RankedTensorType fresh : {key, value}) {
    SmallVector<int64_t> shape(fresh.getShape());
    shape[2] = addDims(past, shape[2]);
    types.push_back(RankedTensorType::get(shape, fresh.getElementType()));
  }
  return success();
}

/// Each dim of `type` is 1 or compatible with the one in `full`.
static bool broadcastsTo(RankedTensorType type, ArrayRef<int64_t> full) {
  if (type.getRank() != static_cast<int64_t>(full.size()))
    return false;
  for (auto [dim, target] : llvm::zip(type.getShape(), full))
    if (dim != 1 && !compatibleDim(dim, target))
      return false;
  return true;
}

static int64_t ceilDivDim(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) ? a : (a + b - 1) / b;
}

LogicalResult AttentionOp::verify() {
  Operation *op = *this;
  RankedTensorType query = getQuery().getType();
  RankedTensorType key = getKey().getType();
  RankedTensorType value = getValue().getType();
  int64_t batch = dynamicOr(query.getDimSize(0), key.getDimSize(0));
  int64_t kvHeads = dynamicOr(key.getDimSize(1), value.getDimSize(1));
  int64_t kvLen = dynamicOr(key.getDimSize(2), value.getDimSize(2));
  if (failed(verifyDim(op, "key", key, 0, batch, "the batch size")) ||
      failed(verifyDim(op, "value", value, 0, batch, "the batch size")) ||
      failed(verifyDim(op, "value", value, 1, kvHeads, "key's heads")) ||
      failed(verifyDim(op, "value", value, 2, kvLen, "key's length")) ||
      failed(verifyDim(op, "key", key, 3, query.getDimSize(3),
                       "query's head dim")))
    return failure();
  int64_t qHeads = query.getDimSize(1);
  if (kvHeads == 0)
    return emitOpError("needs at least one kv head");
  if (!ShapedType::isDynamic(qHeads) && !ShapedType::isDynamic(kvHeads) &&
      qHeads % kvHeads != 0)
    return emitOpError() << "query heads (" << qHeads
                         << ") must be a multiple of kv heads (" << kvHeads
                         << ")";
  if (key.getElementType() != query.getElementType() ||
      value.getElementType() != query.getElementType())
    return emitOpError("query, key and value must have one element type");

  int64_t totalLen = kvLen, past = 0;
  if (static_cast<bool>(getPastKey()) != static_cast<bool>(getPastValue()))
    return emitOpError("past_key and past_value come together");
  if (Value pastKey = getPastKey()) {
    auto pk = cast<RankedTensorType>(pastKey.getType());
    auto pv = cast<RankedTensorType>(getPastValue().getType());
    past = dynamicOr(pk.getDimSize(2), pv.getDimSize(2));
    for (auto [name, type, fresh] :
         {std::tuple{"past_key", pk, key}, {"past_value", pv, value}}) {
      if (failed(verifyDim(op, name, type, 0, batch, "the batch size")) ||
          failed(verifyDim(op, name, type, 1, kvHeads, "key's heads")) ||
          failed(verifyDim(op, name, type, 2, past, "the past length")) ||
          failed(verifyDim(op, name, type, 3, fresh.getDimSize(3),
                           "the new entries' head dim")))
        return failure();
      if (type.getElementType() != query.getElementType())
        return emitOpError() << name << " must have query's element type";
    }
    totalLen = addDims(past, kvLen);
  }

  SmallVector<int64_t> scoreShape = {batch, qHeads, query.getDimSize(2),
                                     totalLen};
  if (Value mask = getMask()) {
    auto type = cast<RankedTensorType>(mask.getType());
    if (!broadcastsTo(type, scoreShape))
      return emitOpError() << "mask " << type
                           << " must broadcast to the scores [batch, "
                              "query heads, query length, key length]";
    if (!type.getElementType().isInteger(1) &&
        type.getElementType() != query.getElementType())
      return emitOpError("a float mask must have query's element type");
  }

  int64_t left = getWindowLeft(), right = getWindowRight();
  if (getCausal() && right > 0)
    return emitOpError() << "causal attention cannot see window_right ("
                         << right << ") keys ahead";
  if (left >= 0 && !getCausal() && right < 0)
    return emitOpError("window_left without causal needs a window_right bound");
  if (getNumGlobalTokens() > 0 && left < 0 && right < 0)
    return emitOpError("num_global_tokens needs a sliding window to widen");
  if (getSoftcap().convertToDouble() < 0.0)
    return emitOpError("softcap must be non-negative");
  if (std::optional<APFloat> scale = getScale();
      scale && !(scale->convertToDouble() > 0.0))
    return emitOpError("scale must be positive");

  std::optional<uint64_t> blockSize = getBlockSize();
  if (static_cast<bool>(getLayout()) != blockSize.has_value())
    return emitOpError("layout and block_size come together");
  if (Value layout = getLayout()) {
    auto type = cast<RankedTensorType>(layout.getType());
    int64_t block = *blockSize;
    if (type.getDimSize(0) != 1 &&
        failed(verifyDim(op, "layout", type, 0, qHeads, "the query heads")))
      return failure();
    if (failed(verifyDim(op, "layout", type, 1,
                         ceilDivDim(addDims(past, query.getDimSize(2)), block),
                         "the query position blocks")) ||
        failed(verifyDim(op, "layout", type, 2, ceilDivDim(totalLen, block),
                         "the key blocks")))
      return failure();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// RmsNormOp
//===----------------------------------------------------------------------===//

LogicalResult RmsNormOp::verify() {
  RankedTensorType input = getInput().getType();
  RankedTensorType scale = getScale().getType();
  int64_t rank = input.getRank();
  int64_t axis = static_cast<int64_t>(getAxis());
  if (axis < -rank || axis >= rank)
    return emitOpError() << "axis " << axis << " is out of range for rank "
                         << rank;
  if (axis < 0)
    axis += rank;
  ArrayRef<int64_t> normalized = input.getShape().drop_front(axis);
  if (scale.getRank() > static_cast<int64_t>(normalized.size()) ||
      !broadcastsTo(scale, normalized.take_back(scale.getRank())))
    return emitOpError() << "scale " << scale
                         << " must broadcast to the normalised dims of "
                         << input;
  if (scale.getElementType() != input.getElementType())
    return emitOpError("scale must have the input's element type");
  if (getEpsilon().convertToDouble() < 0.0)
    return emitOpError("epsilon must be non-negative");
  return success();
}

//===----------------------------------------------------------------------===//
// RopeOp
//===----------------------------------------------------------------------===//

LogicalResult RopeOp::verify() {
  Operation *op = *this;
  RankedTensorType input = getInput().getType();
  RankedTensorType cos = getCos().getType();
  if (getSin().getType() != cos)
    return emitOpError() << "sin " << getSin().getType()
                         << " must have the type of cos " << cos;
  if (cos.getElementType() != input.getElementType())
    return emitOpError("cos and sin must have the input's element type");
  int64_t headDim = input.getDimSize(3);
  int64_t rotary = getRotaryDim() ? static_cast<int64_t>(getRotaryDim())
                                  : headDim;
  if (!ShapedType::isDynamic(rotary)) {
    if (rotary % 2 != 0)
      return emitOpError() << "the rotary dim (" << rotary << ") must be even";
    if (!ShapedType::isDynamic(headDim) && rotary > headDim)
      return emitOpError() << "rotary_dim (" << rotary
                           << ") exceeds the head dim (" << headDim << ")";
    if (failed(verifyDim(op, "cos", cos, 1, rotary / 2,
                         "half the rotary dim")))
      return failure();
  }
  if (Value positions = getPositionIds()) {
    auto type = cast<RankedTensorType>(positions.getType());
    if (failed(verifyDim(op, "position_ids", type, 1, input.getDimSize(2),
                         "the sequence length")))
      return failure();
    if (type.getDimSize(0) != 1 &&
        failed(verifyDim(op, "position_ids", type, 0, input.getDimSize(0),
                         "the batch size")))
      return failure();
    return success();
  }
  int64_t positionsHeld = cos.getDimSize(0), seq = input.getDimSize(2);
  if (!ShapedType::isDynamic(positionsHeld) && !ShapedType::isDynamic(seq) &&
      positionsHeld < seq)
    return emitOpError() << "cos holds " << positionsHeld
                         << " positions but the sequence has " << seq;
  return success();
}
