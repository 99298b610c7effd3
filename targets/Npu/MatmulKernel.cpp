//===- MatmulKernel.cpp - A matmul on the cube ----------------------------===//

#include "NpuKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::npu;

static int64_t alignTo(int64_t x, int64_t a) { return (x + a - 1) / a * a; }

/// C = A B for static row-major [M,K] x [K,N] in global memory.
void mlir::npu::emitMatmul(OpBuilder &b, Location loc, Buffers &buffers,
                           const moe_npu::MatmulTiles &t, Value A, Value B, Value C) {
  auto aType = cast<MemRefType>(A.getType());
  auto cType = cast<MemRefType>(C.getType());
  int64_t M = aType.getDimSize(0), K = aType.getDimSize(1), N = cType.getDimSize(1);
  // The cube sums floats in f32, integers in i32.
  Type in = aType.getElementType();
  Type acc = in.isInteger(8) ? Type(b.getI32Type()) : Type(b.getF32Type());
  int64_t eb = in.getIntOrFloatBitWidth() / 8;
  // Two slots of A and of B in L1, two in L0A and L0B, one or two in L0C.
  int64_t a1 = alignTo(t.m * t.kL1 * eb, 512), b1 = alignTo(t.kL1 * t.n * eb, 512);
  int64_t a0 = alignTo(t.m * t.k * eb, 512), b0 = alignTo(t.k * t.n * eb, 512);
  int64_t c0 = alignTo(t.m * t.n * 4, 512);
  auto sub = [&](Value v, ArrayRef<int64_t> offsets, ArrayRef<int64_t> sizes) {
    SmallVector<int64_t> ones(sizes.size(), 1);
    return memref::SubViewOp::create(b, loc, v, offsets, sizes, ones).getResult();
  };
  int64_t stage = 0, step = 0, tile = 0;
  for (int64_t mi = 0; mi < M; mi += t.m) {
    int64_t mt = std::min(t.m, M - mi);
    for (int64_t ni = 0; ni < N; ni += t.n) {
      int64_t nt = std::min(t.n, N - ni);
      Value c = buffers.view(MemSpace::L0C, (tile++ % t.l0cSlots) * c0, {mt, nt}, acc);
      bool first = true;
      for (int64_t ks = 0; ks < K; ks += t.kL1) {
        int64_t kl = std::min(t.kL1, K - ks);
        int64_t s = stage++ % 2;
        Value aL1 = buffers.view(MemSpace::L1, s * a1, {kl / 16, mt / 16, 16, 16}, in);
        Value bL1 = buffers.view(MemSpace::L1, 2 * a1 + s * b1, {nt / 16, kl / 16, 16, 16}, in);
        DmaOp::create(b, loc, sub(A, {mi, ks}, {mt, kl}), aL1, DmaLayout::NdToNz);
        DmaOp::create(b, loc, sub(B, {ks, ni}, {kl, nt}), bL1, DmaLayout::NdToNz);
        for (int64_t kk0 = 0; kk0 < kl; kk0 += t.k) {
          int64_t kk = std::min(t.k, kl - kk0);
          int64_t s0 = step++ % 2;
          Value aL0 = buffers.view(MemSpace::L0A, s0 * a0, {mt, kk}, in);
          Value bL0 = buffers.view(MemSpace::L0B, s0 * b0, {kk, nt}, in);
          DmaOp::create(b, loc, sub(aL1, {kk0 / 16, 0, 0, 0}, {kk / 16, mt / 16, 16, 16}), aL0,
                        DmaLayout::NzToNd);
          DmaOp::create(b, loc, sub(bL1, {0, kk0 / 16, 0, 0}, {nt / 16, kk / 16, 16, 16}), bL0,
                        DmaLayout::NzToNd);
          MmadOp::create(b, loc, aL0, bL0, c, /*accumulate=*/!first);
          first = false;
        }
      }
      DmaOp::create(b, loc, c, sub(C, {mi, ni}, {mt, nt}), DmaLayout::None);
    }
  }
}

/// The A, B and C of a matmul into a zero fill: A [batch..., M, K] times a
/// shared B [K, N] into C [batch..., M, N] (batch dims fold into M).
FailureOr<MatmulParts> mlir::npu::matchMatmul(linalg::LinalgOp op) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      !linalg::isaContractionOpInterface(op) || op.getNumLoops() < 3)
    return failure();
  MLIRContext *ctx = op->getContext();
  unsigned loops = op.getNumLoops(), batch = loops - 3;
  SmallVector<AffineExpr> lead;
  for (unsigned i = 0; i < batch; ++i)
    lead.push_back(getAffineDimExpr(i, ctx));
  AffineExpr m = getAffineDimExpr(batch, ctx), n = getAffineDimExpr(batch + 1, ctx),
             k = getAffineDimExpr(batch + 2, ctx);
  auto with = [&](std::initializer_list<AffineExpr> tail) {
    SmallVector<AffineExpr> r(lead);
    r.append(tail);
    return AffineMap::get(loops, 0, r, ctx);
  };
  SmallVector<AffineMap> want = {with({m, k}), AffineMap::get(loops, 0, {k, n}, ctx),
                                 with({m, n})};
  if (op.getIndexingMapsArray() != want)
    return failure();
  return MatmulParts{op.getDpsInputs()[0], op.getDpsInputs()[1], op.getDpsInits()[0]};
}

/// Packed strides of a static shape.
SmallVector<int64_t> mlir::npu::packed(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int i = int(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

Value mlir::npu::buildMatmul(OpBuilder &b, Location loc, Value x, Value w) {
  MLIRContext *ctx = b.getContext();
  auto xType = cast<RankedTensorType>(x.getType());
  bool integer = isa<IntegerType>(xType.getElementType());
  Type acc = integer ? Type(b.getI32Type()) : Type(b.getF32Type());
  unsigned rank = xType.getRank(), loops = rank + 1;
  SmallVector<int64_t> outShape(xType.getShape());
  outShape.back() = cast<RankedTensorType>(w.getType()).getDimSize(1);
  Value zero = arith::ConstantOp::create(b, loc, acc, b.getZeroAttr(acc));
  Value empty = tensor::EmptyOp::create(b, loc, outShape, acc);
  Value init = linalg::FillOp::create(b, loc, zero, empty).getResult(0);
  SmallVector<AffineExpr> xe, oe;
  for (unsigned i = 0; i + 1 < rank; ++i)
    xe.push_back(b.getAffineDimExpr(i));
  oe = xe;
  AffineExpr n = b.getAffineDimExpr(rank - 1), k = b.getAffineDimExpr(rank);
  xe.push_back(k);
  oe.push_back(n);
  SmallVector<AffineMap> maps = {AffineMap::get(loops, 0, xe, ctx),
                                 AffineMap::get(loops, 0, {k, n}, ctx),
                                 AffineMap::get(loops, 0, oe, ctx)};
  SmallVector<utils::IteratorType> iterators(loops, utils::IteratorType::parallel);
  iterators.back() = utils::IteratorType::reduction;
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{x, w}, init, maps, iterators,
             [&](OpBuilder &nb, Location nl, ValueRange a) {
               auto wide = [&](Value v) -> Value {
                 if (v.getType() == acc)
                   return v;
                 if (integer)
                   return arith::ExtSIOp::create(nb, nl, acc, v);
                 return arith::ExtFOp::create(nb, nl, acc, v);
               };
               Value sum;
               if (integer)
                 sum = arith::AddIOp::create(
                     nb, nl, a[2], arith::MulIOp::create(nb, nl, wide(a[0]), wide(a[1])));
               else
                 sum = arith::AddFOp::create(
                     nb, nl, a[2], arith::MulFOp::create(nb, nl, wide(a[0]), wide(a[1])));
               linalg::YieldOp::create(nb, nl, sum);
             })
      .getResult(0);
}
