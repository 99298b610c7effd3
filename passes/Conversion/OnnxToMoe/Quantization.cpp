//===- Quantization.cpp - ONNX QuantizeLinear and DequantizeLinear --------===//
//
// Both become the moe ops of the same name, which keep the integers and
// their scale layout (per tensor, per axis or blocked) for the quantization
// passes and kernels, instead of folding weights back to float here.
//
//===----------------------------------------------------------------------===//

#include "Helpers.h"
#include "moe/Dialect/Moe/MoeOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"


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

/// com.microsoft MatMulNBits: A times the transpose of blockwise-quantized
/// B ([N, k_blocks, bytes per block], unsigned, zero point 2^(bits-1) by
/// default). The packed constant is unpacked into moe.qmatmul's [N, K].
LogicalResult convertMatMulNBits(OnnxNode &node) {
  FailureOr<RankedTensorType> aType = node.rankedInput(0);
  if (failed(aType))
    return failure();
  int64_t k = node.intAttr("K", 0), n = node.intAttr("N", 0);
  int64_t bits = node.intAttr("bits", 4), block = node.intAttr("block_size", 0);
  if (bits != 4 && bits != 8)
    return node.emitError() << "bits = " << bits
                            << " is not supported (4 or 8)";
  if (k <= 0 || n <= 0 || block < 16 || (block & (block - 1)) != 0)
    return node.emitError() << "K and N must be positive and block_size a "
                               "power of two >= 16";
  if (k % block != 0)
    return node.emitError() << "K (" << k << ") must be a multiple of "
                               "block_size (" << block << ")";
  if (node.input(4))
    return node.emitError() << "g_idx is not supported";
  int64_t blocks = k / block;
  std::optional<std::vector<char>> packed = constantBytes(node.input(1));
  auto packedType = dyn_cast_if_present<ShapedType>(node.input(1) ? node.input(1).getType() : Type());
  if (!packed || !packedType || !packedType.getElementType().isInteger(8) || static_cast<int64_t>(packed->size()) != n * blocks * block * bits / 8)
    return node.emitError() << "B must be a constant of N * k_blocks * "
                               "block_size * bits / 8 bytes";
  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  MLIRContext *ctx = b.getContext();
  Type storage = IntegerType::get(ctx, bits, IntegerType::Unsigned);
  // Packed blocks run along K in row order, so unpacking keeps [N, K].
  Value weight = bytesConstant(b, loc, RankedTensorType::get({n, k}, storage),
                               unpackBits(*packed, n * k, bits), "matmulnbits_b");

  Value scales = node.input(2);
  auto scalesType = dyn_cast_if_present<RankedTensorType>(scales ? scales.getType() : Type());
  if (!scalesType || scalesType.getNumElements() != n * blocks)
    return node.emitError() << "scales must hold N * k_blocks values";
  scales = reshapeTo(b, loc, scales, {b.getIndexAttr(n), b.getIndexAttr(blocks)});

  auto zpType = RankedTensorType::get({n, blocks}, storage);
  Value zeroPoint;
  if (Value zp = node.input(3)) {
    if (!cast<ShapedType>(zp.getType()).getElementType().isUnsignedInteger(8))
      return node.emitError() << "float zero points are not supported";
    std::optional<std::vector<char>> zpBytes = constantBytes(zp);
    int64_t rowBytes = (blocks * bits + 7) / 8;
    if (!zpBytes || static_cast<int64_t>(zpBytes->size()) != n * rowBytes)
      return node.emitError() << "zero_points must be a constant of N * "
                                 "ceil(k_blocks * bits / 8) bytes";
    std::vector<char> values;
    for (int64_t row = 0; row < n; ++row) {
      std::vector<char> rowValues = unpackBits(
          ArrayRef<char>(*zpBytes).slice(row * rowBytes, rowBytes), blocks, bits);
      values.insert(values.end(), rowValues.begin(), rowValues.end());
    }
    zeroPoint = bytesConstant(b, loc, zpType, values, "matmulnbits_zp");
  } else {
    zeroPoint = arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(zpType, b.getIntegerAttr(storage, 1 << (bits - 1))));
  }
  auto op = QMatmulOp::create(b, loc, node.input(0), weight, scales, zeroPoint,
                              node.input(5), b.getI64IntegerAttr(block));
  if (failed(verifyBuilt(node, op, "A, scales or bias do not fit B")))
    return failure();
  node.replace(op.getResult());
  return success();
}

} // namespace

void moe::populateOnnxQuantizationHandlers(OnnxOpTable &table) {
  table.on("QuantizeLinear", 10, convertQuantize);
  table.on("DequantizeLinear", 10, convertDequantize);
  table.on("MatMulNBits", 1, convertMatMulNBits, "com.microsoft");
}
