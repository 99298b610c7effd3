//===- AttentionKernel.cpp - Flash attention on the cube and vector unit --===//
//
// Per (batch, head, query tile): S = Q K^T on the cube, the online softmax
// on the vector unit (running row max and sum, the output rescaled), P V on
// the cube. Key tiles the mask hides entirely are never loaded; tiles it
// hides in part add a constant 0/-1e30 tile (one per offset between query
// and key tile). GQA reads kv head h / (heads / kv heads): nothing repeated.
//
//===----------------------------------------------------------------------===//

#include "NpuKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/SymbolTable.h"

#include <cmath>
#include <map>

using namespace mlir;
using namespace mlir::npu;

namespace {

int64_t alignTo(int64_t x, int64_t a) { return (x + a - 1) / a * a; }

/// What the mask leaves of a tile.
enum class Seen { None, Part, All };

/// Bump allocation in one buffer.
struct Arena {
  MemSpace space;
  int64_t next = 0, align;
  Buffers &buffers;
  Value take(ArrayRef<int64_t> shape, Type type) {
    int64_t bytes = type.getIntOrFloatBitWidth() / 8;
    for (int64_t d : shape)
      bytes *= d;
    Value v = buffers.view(space, next, shape, type);
    next += alignTo(bytes, align);
    return v;
  }
};

} // namespace

LogicalResult mlir::npu::emitAttention(OpBuilder &b, Buffers &buffers, const AttentionShape &a,
                                       Operation *op, Value q, Value k, Value v, Value out,
                                       ModuleOp module) {
  Location loc = op->getLoc();
  TargetAttr target = buffers.getTarget();
  Type in = cast<MemRefType>(q.getType()).getElementType(), f32 = b.getF32Type();
  int64_t B = a.batch, H = a.heads, Hkv = a.kvHeads, S = a.queries, L = a.keys, D = a.dim;
  int64_t eb = 2;

  auto visible = [&](int64_t i, int64_t j) {
    if (a.causal && j > i)
      return false;
    if (a.windowLeft >= 0 && j < i - a.windowLeft)
      return false;
    if (!a.causal && a.windowRight >= 0 && j > i + a.windowRight)
      return false;
    return true;
  };

  // The largest tile whose buffers fit: UB holds the masks, the running
  // statistics, O, S (P in place), P in f16, P V and O in f16; L1 Q, two K
  // and two V tiles and P; L0A Q and P; L0B two K^T and two V; L0C S and P V.
  int64_t T = 0;
  int64_t repeatBytes = target.getMaxRepeats() * target.getVectorBytes();
  std::map<int64_t, int> maskOf; // key-tile minus query-tile offset -> mask index
  for (int64_t t : {64, 32, 16}) {
    if (S % t || L % t)
      continue;
    std::map<int64_t, int> masks;
    for (int64_t q0 = 0; q0 < S; q0 += t)
      for (int64_t k0 = 0; k0 < L; k0 += t) {
        int64_t seen = 0;
        for (int64_t i = 0; i < t; ++i)
          for (int64_t j = 0; j < t; ++j)
            seen += visible(q0 + i, k0 + j);
        if (seen > 0 && seen < t * t)
          masks.emplace(k0 - q0, int(masks.size()));
      }
    int64_t ub = int64_t(masks.size()) * alignTo(t * t * 4, 32) + 6 * alignTo(t * 4, 32) +
                 3 * alignTo(t * D * 4, 32) + alignTo(t * t * 4, 32) + alignTo(t * t * 2, 32) +
                 alignTo(t * D * 2, 32);
    int64_t l1 = 5 * alignTo(t * D * eb, 512) + alignTo(t * t * eb, 512);
    int64_t l0a = alignTo(t * D * eb, 512) + alignTo(t * t * eb, 512);
    int64_t l0b = 4 * alignTo(t * D * eb, 512);
    int64_t l0c = alignTo(t * t * 4, 512) + alignTo(t * D * 4, 512);
    bool fits = ub <= buffers.size(MemSpace::UB) && l1 <= buffers.size(MemSpace::L1) &&
                l0a <= buffers.size(MemSpace::L0A) && l0b <= buffers.size(MemSpace::L0B) &&
                l0c <= buffers.size(MemSpace::L0C) && t * std::max<int64_t>(t, D) * 4 <= repeatBytes;
    if (fits) {
      T = t;
      maskOf = std::move(masks);
      break;
    }
  }
  if (!T)
    return op->emitError() << nodeOf(op) << "attention of " << S << " queries and " << L
                           << " keys of dim " << D << ": no tile of 16, 32 or 64 divides "
                           << "both lengths and fits the buffers of " << target.getName();

  // The partial masks, constants in global memory loaded once.
  Arena ub{MemSpace::UB, 0, 32, buffers};
  SmallVector<Value> masks(maskOf.size());
  for (auto [delta, index] : maskOf) {
    SmallVector<float> values(T * T);
    for (int64_t i = 0; i < T; ++i)
      for (int64_t j = 0; j < T; ++j)
        values[i * T + j] = visible(i, j + delta) ? 0.0f : -1e30f;
    auto tensorType = RankedTensorType::get({T, T}, f32);
    auto memrefType = MemRefType::get({T, T}, f32, MemRefLayoutAttrInterface(),
                                      MemSpaceAttr::get(b.getContext(), MemSpace::GM));
    // Built detached: the symbol table inserts it under a unique name.
    OpBuilder mb(b.getContext());
    auto global = memref::GlobalOp::create(
        mb, loc, "npu_mask", mb.getStringAttr("private"), memrefType,
        DenseElementsAttr::get(tensorType, ArrayRef<float>(values)), /*constant=*/true,
        IntegerAttr());
    SymbolTable(module).insert(global);
    masks[index] = ub.take({T, T}, f32);
    Value g = memref::GetGlobalOp::create(b, loc, memrefType, global.getSymName());
    DmaOp::create(b, loc, g, masks[index], DmaLayout::None);
  }

  Value m[2] = {ub.take({T, 1}, f32), ub.take({T, 1}, f32)};
  Value l = ub.take({T, 1}, f32), rowMax = ub.take({T, 1}, f32);
  Value alpha = ub.take({T, 1}, f32), rowSum = ub.take({T, 1}, f32);
  Value O = ub.take({T, D}, f32), Sv = ub.take({T, T}, f32), P16 = ub.take({T, T}, in);
  Value PV = ub.take({T, D}, f32), O16 = ub.take({T, D}, in);
  Arena l1{MemSpace::L1, 0, 512, buffers};
  Value qL1 = l1.take({D / 16, T / 16, 16, 16}, in);
  Value kL1[2] = {l1.take({D / 16, T / 16, 16, 16}, in), l1.take({D / 16, T / 16, 16, 16}, in)};
  Value vL1[2] = {l1.take({D / 16, T / 16, 16, 16}, in), l1.take({D / 16, T / 16, 16, 16}, in)};
  Value pL1 = l1.take({T / 16, T / 16, 16, 16}, in);
  Arena l0a{MemSpace::L0A, 0, 512, buffers};
  Value qL0 = l0a.take({T, D}, in), pL0 = l0a.take({T, T}, in);
  Arena l0b{MemSpace::L0B, 0, 512, buffers};
  Value ktL0[2] = {l0b.take({D, T}, in), l0b.take({D, T}, in)};
  Value vL0[2] = {l0b.take({T, D}, in), l0b.take({T, D}, in)};
  Arena l0c{MemSpace::L0C, 0, 512, buffers};
  Value sL0 = l0c.take({T, T}, f32), pvL0 = l0c.take({T, D}, f32);

  auto scalar = [&](double value) {
    return arith::ConstantOp::create(b, loc, f32, b.getF32FloatAttr(float(value)));
  };
  auto rows = [&](Value column, int64_t cols) {
    return buffers.restride(column, {T, cols}, {1, 0});
  };
  // The [T, D] tile at (batch, head, row) of a [B, H, len, D] tensor.
  auto tile = [&](Value t, int64_t bi, int64_t hi, int64_t row) {
    auto type = cast<MemRefType>(t.getType());
    SmallVector<int64_t> offsets = {bi, hi, row, 0}, sizes = {1, 1, T, D}, ones(4, 1);
    auto reduced = memref::SubViewOp::inferRankReducedResultType({T, D}, type, offsets, sizes,
                                                                 ones);
    return memref::SubViewOp::create(b, loc, cast<MemRefType>(reduced), t, offsets, sizes,
                                     ones)
        .getResult();
  };
  // K [T, D] sits in L1 as the fractal [D/16, T/16, 16, 16]; L0B wants K^T
  // [D, T]: the same fractals, each transposed on the way.
  auto transposed = [&](Value ktView) {
    return buffers.restride(ktView, {D / 16, T / 16, 16, 16}, {16 * T, 16, 1, T});
  };
  double scale = a.scale;
  int64_t slot = 0;
  for (int64_t bi = 0; bi < B; ++bi)
    for (int64_t hi = 0; hi < H; ++hi) {
      int64_t kvh = hi / (H / Hkv);
      for (int64_t q0 = 0; q0 < S; q0 += T) {
        DmaOp::create(b, loc, tile(q, bi, hi, q0), qL1, DmaLayout::NdToNz);
        DmaOp::create(b, loc, qL1, qL0, DmaLayout::NzToNd);
        int cur = 0;
        VecDupOp::create(b, loc, scalar(-1e30), m[cur]);
        VecDupOp::create(b, loc, scalar(0.0), l);
        VecDupOp::create(b, loc, scalar(0.0), O);
        for (int64_t k0 = 0; k0 < L; k0 += T) {
          Seen seen = Seen::None;
          int64_t count = 0;
          for (int64_t i = 0; i < T; ++i)
            for (int64_t j = 0; j < T; ++j)
              count += visible(q0 + i, k0 + j);
          seen = count == 0 ? Seen::None : count == T * T ? Seen::All : Seen::Part;
          if (seen == Seen::None)
            continue; // a tile the mask hides costs nothing
          int s = slot++ % 2;
          DmaOp::create(b, loc, tile(k, bi, kvh, k0), kL1[s], DmaLayout::NdToNz);
          DmaOp::create(b, loc, kL1[s], transposed(ktL0[s]), DmaLayout::None);
          MmadOp::create(b, loc, qL0, ktL0[s], sL0, /*accumulate=*/false);
          DmaOp::create(b, loc, sL0, Sv, DmaLayout::None);
          VecMulsOp::create(b, loc, Sv, scalar(scale), Sv);
          if (seen == Seen::Part)
            VecAddOp::create(b, loc, Sv, masks[maskOf.at(k0 - q0)], Sv);
          int nxt = 1 - cur;
          VecReduceMaxOp::create(b, loc, Sv, rowMax);
          VecMaxOp::create(b, loc, m[cur], rowMax, m[nxt]);
          VecSubOp::create(b, loc, m[cur], m[nxt], alpha);
          VecExpOp::create(b, loc, alpha, alpha);
          VecSubOp::create(b, loc, Sv, rows(m[nxt], T), Sv);
          VecExpOp::create(b, loc, Sv, Sv);
          VecReduceSumOp::create(b, loc, Sv, rowSum);
          VecMulOp::create(b, loc, l, alpha, l);
          VecAddOp::create(b, loc, l, rowSum, l);
          VecMulOp::create(b, loc, O, rows(alpha, D), O);
          VecCastOp::create(b, loc, Sv, P16);
          DmaOp::create(b, loc, P16, pL1, DmaLayout::NdToNz);
          DmaOp::create(b, loc, pL1, pL0, DmaLayout::NzToNd);
          DmaOp::create(b, loc, tile(v, bi, kvh, k0), vL1[s], DmaLayout::NdToNz);
          DmaOp::create(b, loc, vL1[s], vL0[s], DmaLayout::NzToNd);
          MmadOp::create(b, loc, pL0, vL0[s], pvL0, /*accumulate=*/false);
          DmaOp::create(b, loc, pvL0, PV, DmaLayout::None);
          VecAddOp::create(b, loc, O, PV, O);
          cur = nxt;
        }
        VecDivOp::create(b, loc, O, rows(l, D), O);
        VecCastOp::create(b, loc, O, O16);
        DmaOp::create(b, loc, O16, tile(out, bi, hi, q0), DmaLayout::None);
      }
    }
  return success();
}
