//===- Quantization.cpp - ONNX QuantizeLinear and DequantizeLinear --------===//
//
// Both become the moe ops of the same name, which keep the integers and
// their scale layout (per tensor, per axis or blocked) for the quantization
// passes and kernels, instead of folding weights back to float here.
//
//===----------------------------------------------------------------------===//

#include "Helpers.h"
#include "moe/Dialect/Moe/MoeOps.h"


using namespace mlir;
using namespace mlir::moe;

namespace {

bool isQuantStorage(Type type) {
  auto integer = dyn_cast<IntegerType>(type);
  return integer && (integer.getWidth() == 8 || integer.getWidth() == 4) &&
         !integer.isSigned();
}

/// The axis and block size attributes for a scale: none per tensor.
std::pair<IntegerAttr, IntegerAttr> layoutAttrs(OnnxNode &node, Value scale) {
  OpBuilder &b = node.builder();
  auto type = cast<ShapedType>(scale.getType());
  int64_t blockSize = node.intAttr("block_size", 0);
  bool perTensor = type.hasRank() && type.getNumElements() == 1 &&
                   type.getRank() <= 1 && blockSize == 0;
  if (perTensor)
    return {IntegerAttr(), b.getI64IntegerAttr(0)};
  return {b.getI64IntegerAttr(node.intAttr("axis", 1)),
          b.getI64IntegerAttr(blockSize)};
}

LogicalResult convertQuantize(OnnxNode &node) {
  FailureOr<RankedTensorType> type = node.rankedInput(0);
  if (failed(type) || failed(node.rankedInput(1)))
    return failure();
  Type storage;
  if (Value zp = node.input(2))
    storage = cast<ShapedType>(zp.getType()).getElementType();
  else if (auto result = dyn_cast<ShapedType>(node.getOp().getResult(0).getType()))
    storage = result.getElementType();
  if (!storage || !isQuantStorage(storage))
    return node.emitError() << "quantizes to " << storage
                            << "; only 8- and 4-bit integers are supported";
  auto [axis, blockSize] = layoutAttrs(node, node.input(1));
  OpBuilder &b = node.builder();
  auto op = QuantizeOp::create(b, node.getLoc(), type->clone(storage),
                               node.input(0), node.input(1), node.input(2),
                               axis, blockSize);
  if (failed(verifyBuilt(node, op,
                         "scale and zero point do not fit the input")))
    return failure();
  node.replace(op.getResult());
  return success();
}

LogicalResult convertDequantize(OnnxNode &node) {
  FailureOr<RankedTensorType> type = node.rankedInput(0);
  if (failed(type) || failed(node.rankedInput(1)))
    return failure();
  if (!isQuantStorage(type->getElementType()))
    return node.emitError() << "dequantizes " << type->getElementType()
                            << "; only 8- and 4-bit integers are supported";
  auto [axis, blockSize] = layoutAttrs(node, node.input(1));
  OpBuilder &b = node.builder();
  auto op = DequantizeOp::create(b, node.getLoc(), node.input(0), node.input(1),
                                 node.input(2), axis, blockSize);
  if (failed(verifyBuilt(node, op,
                         "scale and zero point do not fit the input")))
    return failure();
  node.replace(op.getResult());
  return success();
}

} // namespace

void moe::populateOnnxQuantizationHandlers(OnnxOpTable &table) {
  table.on("QuantizeLinear", 10, convertQuantize);
  table.on("DequantizeLinear", 10, convertDequantize);
}
