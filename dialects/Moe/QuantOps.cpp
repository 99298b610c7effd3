//===- QuantOps.cpp - Quantization ops: verifiers and inference -----------===//

#include "VerifyUtils.h"
#include "moe/Dialect/Moe/MoeOps.h"

using namespace mlir;
using namespace mlir::moe;
using namespace mlir::moe::detail;

/// One scale for the whole tensor: rank 0 or a single-element vector.
static bool isPerTensor(RankedTensorType scale) {
  return scale.getRank() == 0 ||
         (scale.getRank() == 1 && scale.getDimSize(0) == 1);
}

static LogicalResult verifyZeroPoint(Operation *op, Value zeroPoint,
                                     RankedTensorType scale, Type quantType) {
  if (!zeroPoint)
    return success();
  auto type = cast<RankedTensorType>(zeroPoint.getType());
  if (type.getShape() != scale.getShape() ||
      type.getElementType() != quantType)
    return op->emitOpError() << "zero_point " << type
                             << " must have the scale's shape and element type "
                             << quantType;
  return success();
}

/// The scale layouts of quantize/dequantize, as described in QuantOps.td.
static LogicalResult verifyQuantParams(Operation *op, RankedTensorType data,
                                       RankedTensorType scale, Value zeroPoint,
                                       Type quantType,
                                       std::optional<uint64_t> axisAttr,
                                       uint64_t blockSize) {
  if (failed(verifyZeroPoint(op, zeroPoint, scale, quantType)))
    return failure();
  if (!axisAttr) {
    if (blockSize != 0)
      return op->emitOpError("block_size needs an axis");
    if (!isPerTensor(scale))
      return op->emitOpError() << "scale " << scale
                               << " without an axis must have one element";
    return success();
  }
  int64_t rank = data.getRank();
  int64_t axis = static_cast<int64_t>(*axisAttr);
  if (axis < -rank || axis >= rank)
    return op->emitOpError() << "axis " << axis << " is out of range for rank "
                             << rank;
  if (axis < 0)
    axis += rank;
  int64_t dim = data.getDimSize(axis);
  if (blockSize == 0) {
    if (failed(verifyRank(op, "per-axis scale", scale, 1)))
      return failure();
    return verifyDim(op, "scale", scale, 0, dim, "the quantized axis");
  }
  if (failed(verifyRank(op, "blocked scale", scale, rank)))
    return failure();
  for (int64_t i = 0; i < rank; ++i) {
    int64_t expected = i != axis ? data.getDimSize(i)
                       : ShapedType::isDynamic(dim)
                           ? dim
                           : (dim + static_cast<int64_t>(blockSize) - 1) /
                                 static_cast<int64_t>(blockSize);
    if (failed(verifyDim(op, "scale", scale, i, expected,
                         i == axis ? "the number of blocks" : "the input's")))
      return failure();
  }
  return success();
}

LogicalResult QuantizeOp::verify() {
  if (getScale().getType().getElementType() !=
      getInput().getType().getElementType())
    return emitOpError("scale must have the input's element type");
  return verifyQuantParams(*this, getInput().getType(), getScale().getType(),
                           getZeroPoint(), getResult().getType().getElementType(),
                           getAxis(), getBlockSize());
}

LogicalResult DequantizeOp::inferReturnTypes(MLIRContext *context,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  auto scale = cast<RankedTensorType>(adaptor.getScale().getType());
  types.push_back(input.clone(scale.getElementType()));
  return success();
}

LogicalResult DequantizeOp::verify() {
  return verifyQuantParams(*this, getInput().getType(), getScale().getType(),
                           getZeroPoint(), getInput().getType().getElementType(),
                           getAxis(), getBlockSize());
}

//===----------------------------------------------------------------------===//
// QMatmulOp
//===----------------------------------------------------------------------===//

LogicalResult QMatmulOp::inferReturnTypes(MLIRContext *context,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  auto input = cast<RankedTensorType>(adaptor.getInput().getType());
  auto weight = cast<RankedTensorType>(adaptor.getWeight().getType());
  // A scalar input keeps its (wrong) shape; verify() rejects it.
  SmallVector<int64_t> shape(input.getShape());
  if (!shape.empty())
    shape.back() = weight.getDimSize(0);
  types.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

LogicalResult QMatmulOp::verify() {
  Operation *op = *this;
  RankedTensorType input = getInput().getType();
  RankedTensorType weight = getWeight().getType();
  RankedTensorType scale = getScale().getType();
  int64_t n = weight.getDimSize(0), k = weight.getDimSize(1);
  if (input.getRank() == 0)
    return emitOpError("input must not be a scalar");
  if (failed(verifyDim(op, "input", input, input.getRank() - 1, k,
                       "the weight's reduction dim")))
    return failure();
  if (scale.getElementType() != input.getElementType())
    return emitOpError("scale must have the input's element type");
  if (failed(verifyZeroPoint(op, getZeroPoint(), scale,
                             weight.getElementType())))
    return failure();
  if (Value bias = getBias()) {
    auto type = cast<RankedTensorType>(bias.getType());
    if (failed(verifyRank(op, "bias", type, 1)) ||
        failed(verifyDim(op, "bias", type, 0, n, "the output channels")))
      return failure();
    if (type.getElementType() != input.getElementType())
      return emitOpError("bias must have the input's element type");
  }
  int64_t group = static_cast<int64_t>(getGroupSize());
  if (group == 0) {
    if (isPerTensor(scale))
      return success();
    if (failed(verifyRank(op, "per-channel scale", scale, 1)))
      return failure();
    return verifyDim(op, "scale", scale, 0, n, "the output channels");
  }
  if (!ShapedType::isDynamic(k) && k % group != 0)
    return emitOpError() << "group_size (" << group
                         << ") does not divide the reduction dim (" << k << ")";
  if (failed(verifyRank(op, "per-group scale", scale, 2)) ||
      failed(verifyDim(op, "scale", scale, 0, n, "the output channels")))
    return failure();
  return verifyDim(op, "scale", scale, 1,
                   ShapedType::isDynamic(k) ? k : k / group,
                   "the groups per row");
}
