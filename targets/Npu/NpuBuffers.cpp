//===- NpuBuffers.cpp - Typed views of the core's buffers -----------------===//

#include "NpuKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using namespace mlir::npu;

std::string mlir::npu::nodeOf(Operation *op) {
  Location loc = op->getLoc();
  while (auto fused = dyn_cast<FusedLoc>(loc))
    loc = fused.getLocations().front();
  if (auto name = dyn_cast<NameLoc>(loc))
    return "ONNX node '" + name.getName().str() + "': ";
  return "";
}

bool mlir::npu::nextIndex(MutableArrayRef<int64_t> index, ArrayRef<int64_t> bounds) {
  for (int d = int(index.size()) - 1; d >= 0; --d) {
    if (++index[d] < bounds[d])
      return true;
    index[d] = 0;
  }
  return false;
}

Value Buffers::whole(MemSpace space) {
  Value &buffer = buffers[int(space)];
  if (!buffer) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(entry);
    auto type = MemRefType::get({target.getBuffer(space).getSize()}, b.getI8Type(),
                                MemRefLayoutAttrInterface(),
                                MemSpaceAttr::get(b.getContext(), space));
    buffer = memref::AllocOp::create(b, loc, type);
  }
  return buffer;
}

Value Buffers::view(MemSpace space, int64_t offset, ArrayRef<int64_t> shape, Type element) {
  auto key = std::make_tuple(int(space), offset, SmallVector<int64_t>(shape), element);
  for (auto &[k, v] : cache)
    if (k == key)
      return v;
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointAfter(whole(space).getDefiningOp());
  auto attr = MemSpaceAttr::get(b.getContext(), space);
  auto type = MemRefType::get(shape, element, MemRefLayoutAttrInterface(), attr);
  Value shift = arith::ConstantIndexOp::create(b, loc, offset);
  Value v = memref::ViewOp::create(b, loc, type, whole(space), shift, ValueRange());
  cache.push_back({key, v});
  return v;
}

Value Buffers::restride(Value base, ArrayRef<int64_t> shape, ArrayRef<int64_t> strides) {
  auto type = cast<MemRefType>(base.getType());
  SmallVector<int64_t> baseStrides;
  int64_t offset;
  (void)type.getStridesAndOffset(baseStrides, offset);
  auto layout = StridedLayoutAttr::get(b.getContext(), offset, strides);
  auto result = MemRefType::get(shape, type.getElementType(), layout, type.getMemorySpace());
  return memref::ReinterpretCastOp::create(b, loc, result, base, offset, shape, strides);
}
