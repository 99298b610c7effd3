//===- CopyKernel.cpp - Moving data between global-memory views -----------===//
//
// Global memory has no path to itself: a copy (a transpose, a concat, a
// slice that cannot stay a view) goes through the unified buffer in chunks
// of rows, MTE2 in and MTE3 out, two slots used in turn.
//
//===----------------------------------------------------------------------===//

#include "NpuKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using namespace mlir::npu;

void mlir::npu::emitCopy(OpBuilder &b, Location loc, Buffers &buffers, Value src, Value dst) {
  auto type = cast<MemRefType>(src.getType());
  SmallVector<int64_t> shape(type.getShape());
  if (shape.empty())
    shape.push_back(1);
  int64_t rank = shape.size();
  int64_t cols = shape.back(), rows = rank >= 2 ? shape[rank - 2] : 1;
  int64_t eb = type.getElementTypeBitWidth() / 8;
  int64_t rowBytes = (cols * eb + 31) / 32 * 32;
  int64_t rc = std::max<int64_t>(1, std::min(rows, buffers.size(MemSpace::UB) / 2 / rowBytes));
  int64_t slotBytes = (rc * cols * eb + 31) / 32 * 32;
  auto sub = [&](Value v, ArrayRef<int64_t> offsets, ArrayRef<int64_t> sizes) {
    SmallVector<int64_t> ones(sizes.size(), 1);
    return memref::SubViewOp::create(b, loc, v, offsets, sizes, ones).getResult();
  };
  SmallVector<int64_t> outer(std::max<int64_t>(rank - 2, 0), 0);
  int64_t chunk = 0;
  while (true) {
    for (int64_t r0 = 0; r0 < rows; r0 += rc) {
      int64_t rcc = std::min(rc, rows - r0);
      SmallVector<int64_t> offsets(outer), sizes(outer.size(), 1);
      if (rank >= 2) {
        offsets.push_back(r0);
        sizes.push_back(rcc);
      }
      offsets.push_back(0);
      sizes.push_back(cols);
      if (type.getRank() == 0) {
        offsets.clear();
        sizes.clear();
      }
      Value staged = buffers.view(MemSpace::UB, (chunk++ % 2) * slotBytes, sizes,
                                  type.getElementType());
      DmaOp::create(b, loc, sub(src, offsets, sizes), staged, DmaLayout::None);
      DmaOp::create(b, loc, staged, sub(dst, offsets, sizes), DmaLayout::None);
    }
    if (!nextIndex(outer, shape))
      break;
  }
}

void mlir::npu::emitFill(OpBuilder &b, Location loc, Buffers &buffers, Value dst, double value) {
  auto type = cast<MemRefType>(dst.getType());
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  int64_t eb = type.getElementTypeBitWidth() / 8;
  TargetAttr target = buffers.getTarget();
  // One vector instruction's worth of rows, filled once and stored as often
  // as needed.
  int64_t limit = target.getMaxRepeats() * target.getVectorBytes();
  int64_t rc = std::max<int64_t>(1, std::min(rows, limit / (cols * eb)));
  Value staged = buffers.view(MemSpace::UB, 0, {rc, cols}, type.getElementType());
  Value scalar = arith::ConstantOp::create(
      b, loc, type.getElementType(), b.getFloatAttr(type.getElementType(), value));
  VecDupOp::create(b, loc, scalar, staged);
  for (int64_t r0 = 0; r0 < rows; r0 += rc) {
    int64_t rcc = std::min(rc, rows - r0);
    SmallVector<int64_t> offsets = {r0, 0}, sizes = {rcc, cols}, ones = {1, 1};
    Value src = rcc == rc ? staged
                          : memref::SubViewOp::create(b, loc, staged, ArrayRef<int64_t>{0, 0},
                                                      sizes, ones)
                                .getResult();
    DmaOp::create(b, loc, src, memref::SubViewOp::create(b, loc, dst, offsets, sizes, ones),
                  DmaLayout::None);
  }
}
