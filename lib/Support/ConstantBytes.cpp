//===- ConstantBytes.cpp - Raw bytes of constant tensors ------------------===//

#include "moe/Support/ConstantBytes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

#include <cstring>

using namespace mlir;

std::optional<std::vector<char>> moe::constantRawBytes(Value value) {
  Attribute attr;
  if (!value || !matchPattern(value, m_Constant(&attr)))
    return std::nullopt;
  return attributeRawBytes(attr);
}

std::optional<std::vector<char>> moe::attributeRawBytes(Attribute attr) {
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    ArrayRef<char> raw = dense.getRawData();
    if (!dense.isSplat())
      return std::vector<char>(raw.begin(), raw.end());
    std::vector<char> bytes;
    bytes.reserve(raw.size() * dense.getNumElements());
    for (int64_t i = 0; i < dense.getNumElements(); ++i)
      bytes.insert(bytes.end(), raw.begin(), raw.end());
    return bytes;
  }
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr))
    if (AsmResourceBlob *blob = resource.getRawHandle().getBlob())
      return std::vector<char>(blob->getData().begin(), blob->getData().end());
  return std::nullopt;
}

std::optional<std::vector<char>> moe::constantBytes(Value value) {
  auto type = value ? dyn_cast<ShapedType>(value.getType()) : ShapedType();
  if (!type || !type.getElementType().isInteger())
    return std::nullopt;
  unsigned bits = type.getElementTypeBitWidth();
  if (bits < 2 || bits > 8)
    return std::nullopt;
  return constantRawBytes(value);
}

std::vector<char> moe::transposeMatrixBytes(ArrayRef<char> bytes,
                                            int64_t batch, int64_t rows,
                                            int64_t cols, unsigned width) {
  std::vector<char> transposed(bytes.size());
  int64_t matrix = rows * cols * width;
  for (int64_t m = 0; m < batch; ++m)
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c)
        std::memcpy(&transposed[m * matrix + (c * rows + r) * width],
                    &bytes[m * matrix + (r * cols + c) * width], width);
  return transposed;
}

Value moe::stackSource(Value v, std::optional<OpFoldResult> &index) {
  auto slice = v.getDefiningOp<tensor::ExtractSliceOp>();
  if (!slice || !slice.hasUnitStride())
    return v;
  auto sourceType = cast<RankedTensorType>(slice.getSource().getType());
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<OpFoldResult> offsets = slice.getMixedOffsets();
  if (sourceType.getRank() != type.getRank() + 1 ||
      sourceType.getShape().drop_front() != type.getShape() ||
      !llvm::all_of(ArrayRef<OpFoldResult>(offsets).drop_front(),
                    [](OpFoldResult o) { return isConstantIntValue(o, 0); }))
    return v;
  index = offsets[0];
  return slice.getSource();
}

/// Constants up to this many elements stay inline, like the importer's.
static constexpr int64_t kInlineElements = 64;

Value moe::bytesConstant(OpBuilder &b, Location loc, RankedTensorType type,
                         ArrayRef<char> bytes, StringRef name) {
  if (type.getNumElements() <= kInlineElements)
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::getFromRawBuffer(type, bytes));
  AsmResourceBlob blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
      bytes, /*align=*/64, /*dataIsMutable=*/false);
  return arith::ConstantOp::create(
      b, loc, DenseResourceElementsAttr::get(type, name, std::move(blob)));
}
