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

  MemRefType maskType = a.mask ? cast<MemRefType>(a.mask.getType()) : MemRefType();
  bool maskF16 = a.mask && !maskType.getElementType().isF32();
  int64_t realKeys = a.realKeys ? a.realKeys : L;
  auto visible = [&](int64_t i, int64_t j) {
    if (j >= realKeys)
      return false;
    i += a.past;
    if (a.causal && j > i)
      return false;
    bool inWindow = !(a.windowLeft >= 0 && j < i - a.windowLeft) &&
                    !(!a.causal && a.windowRight >= 0 && j > i + a.windowRight);
    // Global tokens widen the window: the first G keys are seen by every
    // query, the first G queries see every key.
    return inWindow || j < a.globalTokens || i < a.globalTokens;
  };

  // The largest tiles whose buffers fit, Tq query rows by Tk keys (a
  // decode step's one query pads to 16 rows; its keys still come 64 at a
  // time): UB holds the masks, the running statistics, O, S (P in place), P
  // in f16, P V and O in f16; L1 Q, K and V runs and P; L0A Q and P; L0B
  // K^T and V; L0C S and P V; S, P and P V in two slots used in turn, so
  // that the cube's next Q K^T overlaps the vector unit's softmax.
  int64_t Tq = 0, Tk = 0;
  int64_t repeatBytes = target.getMaxRepeats() * target.getVectorBytes();
  // A partly hidden tile adds its mask: one constant per distinct pattern
  // (the pattern, 1 where seen, keyed to its index; the tile to its index).
  std::map<std::vector<bool>, int> patterns;
  std::map<std::pair<int64_t, int64_t>, int> maskOf;
  for (int64_t tk : {64, 32, 16})
    for (int64_t tq : {64, 32, 16}) {
      if (Tq || S % tq || L % tk)
        continue;
      std::map<std::vector<bool>, int> found;
      std::map<std::pair<int64_t, int64_t>, int> tiles;
      for (int64_t q0 = 0; q0 < S; q0 += tq)
        for (int64_t k0 = 0; k0 < L; k0 += tk) {
          std::vector<bool> seen(tq * tk);
          int64_t count = 0;
          for (int64_t i = 0; i < tq; ++i)
            for (int64_t j = 0; j < tk; ++j)
              count += seen[i * tk + j] = visible(q0 + i, k0 + j);
          if (count > 0 && count < tq * tk)
            tiles[{q0, k0}] = found.emplace(seen, int(found.size())).first->second;
        }
      int64_t ub = int64_t(found.size()) * alignTo(tq * tk * 4, 32) + 7 * alignTo(tq * 4, 32) +
                   3 * alignTo(tq * D * 4, 32) + 2 * alignTo(tq * tk * 4, 32) +
                   2 * alignTo(tq * tk * 2, 32) + alignTo(tq * D * 2, 32);
      if (a.mask) // its tiles in two slots, f16 ones staged before widening
        ub += 2 * alignTo(tq * tk * 4, 32) + (maskF16 ? 2 * alignTo(tq * tk * 2, 32) : 0);
      int64_t l1 = alignTo(tq * D * eb, 512) + 4 * alignTo(tk * D * eb, 512) +
                   2 * alignTo(tq * tk * eb, 512); // runs of one tile
      int64_t l0a = alignTo(tq * D * eb, 512) + 2 * alignTo(tq * tk * eb, 512);
      int64_t l0b = 4 * alignTo(tk * D * eb, 512);
      int64_t l0c = 2 * alignTo(tq * tk * 4, 512) + 2 * alignTo(tq * D * 4, 512);
      bool fits = ub <= buffers.size(MemSpace::UB) && l1 <= buffers.size(MemSpace::L1) &&
                  l0a <= buffers.size(MemSpace::L0A) && l0b <= buffers.size(MemSpace::L0B) &&
                  l0c <= buffers.size(MemSpace::L0C) &&
                  tq * std::max<int64_t>(tk, D) * 4 <= repeatBytes;
      if (fits) {
        Tq = tq;
        Tk = tk;
        patterns = std::move(found);
        maskOf = std::move(tiles);
      }
    }
  if (!Tq)
    return op->emitError() << nodeOf(op) << "attention of " << S << " queries and " << L
                           << " keys of dim " << D << ": no tile of 16, 32 or 64 divides "
                           << "both lengths and fits the buffers of " << target.getName();

  // The partial masks, constants in global memory loaded once.
  Arena ub{MemSpace::UB, 0, 32, buffers};
  SmallVector<Value> masks(patterns.size());
  for (const auto &[seen, index] : patterns) {
    SmallVector<float> values(Tq * Tk);
    for (int64_t e = 0; e < Tq * Tk; ++e)
      values[e] = seen[e] ? 0.0f : -1e30f;
    auto tensorType = RankedTensorType::get({Tq, Tk}, f32);
    auto memrefType = MemRefType::get({Tq, Tk}, f32, MemRefLayoutAttrInterface(),
                                      MemSpaceAttr::get(b.getContext(), MemSpace::GM));
    // Built detached: the symbol table inserts it under a unique name.
    OpBuilder mb(b.getContext());
    auto global = memref::GlobalOp::create(
        mb, loc, "npu_mask", mb.getStringAttr("private"), memrefType,
        DenseElementsAttr::get(tensorType, ArrayRef<float>(values)), /*constant=*/true,
        IntegerAttr());
    SymbolTable(module).insert(global);
    masks[index] = ub.take({Tq, Tk}, f32);
    Value g = memref::GetGlobalOp::create(b, loc, memrefType, global.getSymName());
    DmaOp::create(b, loc, g, masks[index], DmaLayout::None);
  }

  Value m[2] = {ub.take({Tq, 1}, f32), ub.take({Tq, 1}, f32)};
  Value l = ub.take({Tq, 1}, f32), rowMax = ub.take({Tq, 1}, f32);
  Value alpha[2] = {ub.take({Tq, 1}, f32), ub.take({Tq, 1}, f32)};
  Value rowSum = ub.take({Tq, 1}, f32);
  Value O = ub.take({Tq, D}, f32), O16 = ub.take({Tq, D}, in);
  Value Sv[2] = {ub.take({Tq, Tk}, f32), ub.take({Tq, Tk}, f32)};
  Value P16[2] = {ub.take({Tq, Tk}, in), ub.take({Tq, Tk}, in)};
  Value PV[2] = {ub.take({Tq, D}, f32), ub.take({Tq, D}, f32)};
  // An explicit additive mask's tile per slot (f16 ones arrive in f16).
  Value maskTile[2], maskStage[2];
  for (int i = 0; i < 2 && a.mask; ++i) {
    maskTile[i] = ub.take({Tq, Tk}, f32);
    if (maskF16)
      maskStage[i] = ub.take({Tq, Tk}, maskType.getElementType());
  }
  // The [Tq, Tk] block of the mask at (batch, head, query row, key), its
  // size-1 dims broadcast.
  auto maskBlock = [&](int64_t bi, int64_t hi, int64_t q0, int64_t k0) -> Value {
    ArrayRef<int64_t> dims = maskType.getShape();
    int64_t rows = dims[2] == 1 ? 1 : Tq;
    SmallVector<int64_t> offsets = {dims[0] == 1 ? 0 : bi, dims[1] == 1 ? 0 : hi,
                                    dims[2] == 1 ? 0 : q0, k0},
                         sizes = {1, 1, rows, Tk}, ones(4, 1);
    auto reduced = memref::SubViewOp::inferRankReducedResultType({rows, Tk}, maskType, offsets,
                                                                 sizes, ones);
    Value block = memref::SubViewOp::create(b, loc, cast<MemRefType>(reduced), a.mask, offsets,
                                            sizes, ones);
    if (rows == 1)
      block = buffers.restride(block, {Tq, Tk}, {0, 1});
    return block;
  };
  // K and V arrive in runs of up to G consecutive key tiles per DMA (each
  // DMA pays the pipe's latency once), two runs' slots each, in L1.
  int64_t G = 1;
  for (int64_t g : {8, 4, 2})
    if (alignTo(Tq * D * eb, 512) + 4 * alignTo(g * Tk * D * eb, 512) +
            2 * alignTo(Tq * Tk * eb, 512) <=
        buffers.size(MemSpace::L1)) {
      G = g;
      break;
    }
  Arena l1{MemSpace::L1, 0, 512, buffers};
  Value qL1 = l1.take({D / 16, Tq / 16, 16, 16}, in);
  Value pL1[2] = {l1.take({Tk / 16, Tq / 16, 16, 16}, in), l1.take({Tk / 16, Tq / 16, 16, 16}, in)};
  int64_t runBytes = alignTo(G * Tk * D * eb, 512);
  int64_t kRunAt[2], vRunAt[2];
  for (int r = 0; r < 2; ++r) {
    kRunAt[r] = l1.next;
    l1.next += runBytes;
    vRunAt[r] = l1.next;
    l1.next += runBytes;
  }
  Arena l0a{MemSpace::L0A, 0, 512, buffers};
  Value qL0 = l0a.take({Tq, D}, in);
  Value pL0[2] = {l0a.take({Tq, Tk}, in), l0a.take({Tq, Tk}, in)};
  Arena l0b{MemSpace::L0B, 0, 512, buffers};
  Value ktL0[2] = {l0b.take({D, Tk}, in), l0b.take({D, Tk}, in)};
  Value vL0[2] = {l0b.take({Tk, D}, in), l0b.take({Tk, D}, in)};
  Arena l0c{MemSpace::L0C, 0, 512, buffers};
  Value sL0[2] = {l0c.take({Tq, Tk}, f32), l0c.take({Tq, Tk}, f32)};
  Value pvL0[2] = {l0c.take({Tq, D}, f32), l0c.take({Tq, D}, f32)};

  auto scalar = [&](double value) {
    return arith::ConstantOp::create(b, loc, f32, b.getF32FloatAttr(float(value)));
  };
  auto rows = [&](Value column, int64_t cols) {
    return buffers.restride(column, {Tq, cols}, {1, 0});
  };
  // The [rows, D] block at (batch, head, row) of a [B, H, len, D] tensor.
  auto tile = [&](Value t, int64_t bi, int64_t hi, int64_t row, int64_t rows = 0) {
    if (!rows)
      rows = Tq;
    auto type = cast<MemRefType>(t.getType());
    SmallVector<int64_t> offsets = {bi, hi, row, 0}, sizes = {1, 1, rows, D}, ones(4, 1);
    auto reduced = memref::SubViewOp::inferRankReducedResultType({rows, D}, type, offsets,
                                                                 sizes, ones);
    return memref::SubViewOp::create(b, loc, cast<MemRefType>(reduced), t, offsets, sizes,
                                     ones)
        .getResult();
  };
  // K [Tk, D] sits in L1 as the fractal [D/16, Tk/16, 16, 16]; L0B wants
  // K^T [D, Tk]: the same fractals, each transposed on the way.
  auto transposed = [&](Value ktView) {
    return buffers.restride(ktView, {D / 16, Tk / 16, 16, 16}, {16 * Tk, 16, 1, Tk});
  };
  double scale = a.scale;
  int64_t slot = 0, run = 0;
  for (int64_t bi = 0; bi < B; ++bi)
    for (int64_t hi = 0; hi < H; ++hi) {
      int64_t kvh = hi / (H / Hkv);
      for (int64_t q0 = 0; q0 < S; q0 += Tq) {
        DmaOp::create(b, loc, tile(q, bi, hi, q0), qL1, DmaLayout::NdToNz);
        DmaOp::create(b, loc, qL1, qL0, DmaLayout::NzToNd);
        int cur = 0;
        VecDupOp::create(b, loc, scalar(-1e30), m[cur]);
        VecDupOp::create(b, loc, scalar(0.0), l);
        VecDupOp::create(b, loc, scalar(0.0), O);
        // The key tiles this query tile sees, in runs of consecutive ones.
        SmallVector<std::pair<int64_t, Seen>> seenTiles;
        for (int64_t k0 = 0; k0 < L; k0 += Tk) {
          int64_t count = 0;
          for (int64_t i = 0; i < Tq; ++i)
            for (int64_t j = 0; j < Tk; ++j)
              count += visible(q0 + i, k0 + j);
          if (count) // a tile the mask hides costs nothing
            seenTiles.push_back({k0, count == Tq * Tk ? Seen::All : Seen::Part});
        }
        // Runs of up to G consecutive seen tiles share one K and one V DMA.
        struct Tile {
          int64_t k0;
          Seen seen;
          int64_t run, pos; // which run (its slot: run % 2) and where in it
        };
        SmallVector<Tile> tiles;
        SmallVector<std::pair<int64_t, int64_t>> runs; // first key, tiles
        for (auto [k0, seen] : seenTiles) {
          if (runs.empty() || k0 != runs.back().first + runs.back().second * Tk ||
              runs.back().second == G)
            runs.push_back({k0, 0});
          tiles.push_back({k0, seen, int64_t(runs.size()) - 1, runs.back().second++});
        }
        SmallVector<Value> kRuns(runs.size()), vRuns(runs.size());
        auto fractals = [&](Value run, int64_t pos) -> Value {
          SmallVector<int64_t> at = {0, pos * Tk / 16, 0, 0}, sizes = {D / 16, Tk / 16, 16, 16},
                               ones(4, 1);
          return memref::SubViewOp::create(b, loc, run, at, sizes, ones);
        };
        // The stages of one key tile, emitted software-pipelined below so
        // that no pipe's in-order queue holds a later tile's work behind an
        // earlier tile's: A (K^T to L0B, S = Q K^T, S to the unified
        // buffer), V (the online softmax), B (P through L1 to L0A, V to
        // L0B, P V), U (O = O * alpha + P V).
        auto stageA = [&](size_t i) {
          const Tile &t = tiles[i];
          if (!kRuns[t.run]) {
            int64_t first = runs[t.run].first, n = runs[t.run].second, r = t.run + run;
            kRuns[t.run] = buffers.view(MemSpace::L1, kRunAt[r % 2], {D / 16, n * Tk / 16, 16, 16}, in);
            vRuns[t.run] = buffers.view(MemSpace::L1, vRunAt[r % 2], {D / 16, n * Tk / 16, 16, 16}, in);
            DmaOp::create(b, loc, tile(k, bi, kvh, first, n * Tk), kRuns[t.run], DmaLayout::NdToNz);
            DmaOp::create(b, loc, tile(v, bi, kvh, first, n * Tk), vRuns[t.run], DmaLayout::NdToNz);
          }
          int s = (slot + i) % 2;
          DmaOp::create(b, loc, fractals(kRuns[t.run], t.pos), transposed(ktL0[s]), DmaLayout::None);
          MmadOp::create(b, loc, qL0, ktL0[s], sL0[s], /*accumulate=*/false);
          DmaOp::create(b, loc, sL0[s], Sv[s], DmaLayout::None);
          if (a.mask)
            DmaOp::create(b, loc, maskBlock(bi, hi, q0, t.k0), maskF16 ? maskStage[s] : maskTile[s],
                          DmaLayout::None);
        };
        auto stageV = [&](size_t i) {
          const Tile &t = tiles[i];
          int s = (slot + i) % 2;
          VecMulsOp::create(b, loc, Sv[s], scalar(scale), Sv[s]);
          if (a.softcap > 0) {
            // c tanh(s / c) = c - 2c / (exp(2 s / c) + 1): exact limits at
            // both ends (exp overflows to inf, or reaches 0).
            VecMulsOp::create(b, loc, Sv[s], scalar(2.0 / a.softcap), Sv[s]);
            VecExpOp::create(b, loc, Sv[s], Sv[s]);
            VecAddsOp::create(b, loc, Sv[s], scalar(1.0), Sv[s]);
            VecRecOp::create(b, loc, Sv[s], Sv[s]);
            VecMulsOp::create(b, loc, Sv[s], scalar(-2.0 * a.softcap), Sv[s]);
            VecAddsOp::create(b, loc, Sv[s], scalar(a.softcap), Sv[s]);
          }
          if (a.mask) {
            if (maskF16)
              VecCastOp::create(b, loc, maskStage[s], maskTile[s]);
            VecAddOp::create(b, loc, Sv[s], maskTile[s], Sv[s]);
          }
          if (t.seen == Seen::Part)
            VecAddOp::create(b, loc, Sv[s], masks[maskOf.at({q0, t.k0})], Sv[s]);
          int nxt = 1 - cur;
          VecReduceMaxOp::create(b, loc, Sv[s], rowMax);
          VecMaxOp::create(b, loc, m[cur], rowMax, m[nxt]);
          VecSubOp::create(b, loc, m[cur], m[nxt], alpha[s]);
          VecExpOp::create(b, loc, alpha[s], alpha[s]);
          VecSubOp::create(b, loc, Sv[s], rows(m[nxt], Tk), Sv[s]);
          VecExpOp::create(b, loc, Sv[s], Sv[s]);
          VecReduceSumOp::create(b, loc, Sv[s], rowSum);
          VecMulOp::create(b, loc, l, alpha[s], l);
          VecAddOp::create(b, loc, l, rowSum, l);
          VecCastOp::create(b, loc, Sv[s], P16[s]);
          cur = nxt;
        };
        auto stageB = [&](size_t i) {
          const Tile &t = tiles[i];
          int s = (slot + i) % 2;
          DmaOp::create(b, loc, P16[s], pL1[s], DmaLayout::NdToNz);
          DmaOp::create(b, loc, pL1[s], pL0[s], DmaLayout::NzToNd);
          DmaOp::create(b, loc, fractals(vRuns[t.run], t.pos), vL0[s], DmaLayout::NzToNd);
          MmadOp::create(b, loc, pL0[s], vL0[s], pvL0[s], /*accumulate=*/false);
          DmaOp::create(b, loc, pvL0[s], PV[s], DmaLayout::None);
        };
        auto stageU = [&](size_t i) {
          int s = (slot + i) % 2;
          VecMulOp::create(b, loc, O, rows(alpha[s], D), O);
          VecAddOp::create(b, loc, O, PV[s], O);
        };
        if (!tiles.empty())
          stageA(0);
        for (size_t i = 0; i < tiles.size(); ++i) {
          if (i + 1 < tiles.size())
            stageA(i + 1);
          stageV(i);
          stageB(i);
          if (i > 0)
            stageU(i - 1);
        }
        if (!tiles.empty())
          stageU(tiles.size() - 1);
        slot += tiles.size();
        run += runs.size();
        VecDivOp::create(b, loc, O, rows(l, D), O);
        VecCastOp::create(b, loc, O, O16);
        DmaOp::create(b, loc, O16, tile(out, bi, hi, q0), DmaLayout::None);
      }
    }
  return success();
}
