//===- ConstantBytes.cpp - Raw bytes of constant tensors ------------------===//

#include "moe/Support/ConstantBytes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

std::optional<std::vector<char>> moe::constantBytes(Value value) {
  Attribute attr;
  if (!value || !matchPattern(value, m_Constant(&attr)))
    return std::nullopt;
  auto elements = dyn_cast<ElementsAttr>(attr);
  if (!elements || !elements.getElementType().isInteger())
    return std::nullopt;
  unsigned bits = elements.getElementType().getIntOrFloatBitWidth();
  if (bits < 2 || bits > 8)
    return std::nullopt;
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    ArrayRef<char> raw = dense.getRawData();
    if (dense.isSplat())
      return std::vector<char>(dense.getNumElements(), raw.front());
    return std::vector<char>(raw.begin(), raw.end());
  }
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr))
    if (AsmResourceBlob *blob = resource.getRawHandle().getBlob())
      return std::vector<char>(blob->getData().begin(), blob->getData().end());
  return std::nullopt;
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
