//===- TileContractions.cpp - Register tiles for a thread's matmul outputs -===//
//
// As plain loops a matmul gives each thread one output and a loop over K
// that loads one element of each operand per multiply-add. Here a thread
// computes a TM x TN tile of outputs with its sums in registers: per step of
// K it loads TM elements of A and TN of B for TM * TN multiply-adds (4x
// fewer loads at 4 x 4), and its TN columns are adjacent, so a warp still
// reads B in contiguous runs. Any bufferized generic with one reduction dim
// whose first input does not depend on the last output dim (n) and whose
// second does not depend on the one before it (m) qualifies (matmul,
// batch matmul, transposed operands, any payload such as the expert
// matmuls' casts); its payload is cloned per output. Edge tiles clamp their
// loads and guard their stores. The result is an scf.parallel over the
// tiles, which moe-cuda-map-to-gpu launches like any other nest.
//
//===----------------------------------------------------------------------===//

#include "moe/Target/Cuda/Cuda.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;

/// Outputs per thread along m and n.
static constexpr int64_t kTileM = 4, kTileN = 4;

namespace {
/// Which loop dims are m, n and k of a matmul-like generic.
struct ContractionDims {
  unsigned m, n, k;
};
} // namespace

static std::optional<ContractionDims> matchContraction(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() != 1 || op.getNumParallelLoops() < 2 ||
      op.hasIndexSemantics())
    return std::nullopt;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (!llvm::all_of(maps, [](AffineMap map) { return map.isProjectedPermutation(); }))
    return std::nullopt;
  // The output is indexed by the parallel dims in order.
  AffineMap out = maps[2];
  unsigned loops = op.getNumLoops();
  if (out.getNumResults() != loops - 1)
    return std::nullopt;
  SmallVector<unsigned> parallel;
  for (AffineExpr e : out.getResults())
    parallel.push_back(cast<AffineDimExpr>(e).getPosition());
  if (!llvm::is_sorted(parallel))
    return std::nullopt;
  unsigned k = 0;
  while (llvm::is_contained(parallel, k))
    ++k;
  ContractionDims dims{parallel[parallel.size() - 2], parallel.back(), k};
  auto uses = [](AffineMap map, unsigned dim) {
    return map.isFunctionOfDim(dim);
  };
  if (!uses(maps[0], dims.k) || !uses(maps[1], dims.k) || uses(maps[0], dims.n) ||
      uses(maps[1], dims.m) || !uses(maps[0], dims.m) || !uses(maps[1], dims.n))
    return std::nullopt;
  return dims;
}

/// The indices of operand `index` at the loop position `at`.
static SmallVector<Value> indicesOf(linalg::GenericOp op, unsigned index, ArrayRef<Value> at) {
  SmallVector<Value> indices;
  for (AffineExpr e : op.getIndexingMapsArray()[index].getResults())
    indices.push_back(at[cast<AffineDimExpr>(e).getPosition()]);
  return indices;
}

/// The element of operand `index` at the loop position `at`.
static Value load(OpBuilder &b, Location loc, linalg::GenericOp op, unsigned index,
                  ArrayRef<Value> at) {
  return memref::LoadOp::create(b, loc, op->getOperand(index), indicesOf(op, index, at));
}

static void tile(linalg::GenericOp op, ContractionDims dims) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  SmallVector<Range> ranges =
      cast<linalg::LinalgOp>(op.getOperation()).createLoopRanges(b, loc);
  SmallVector<Value> sizes;
  for (Range r : ranges)
    sizes.push_back(getValueOrCreateConstantIndexOp(b, loc, r.size));
  // A decode step (one row) gets one row per thread.
  std::optional<int64_t> rows = getConstantIntValue(ranges[dims.m].size);
  int64_t tileM = rows && *rows < kTileM ? std::max<int64_t>(*rows, 1) : kTileM;
  int64_t tileN = kTileN;
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  // The parallel loop: every parallel dim, m and n counted in tiles.
  SmallVector<Value> lbs, ubs, steps;
  SmallVector<unsigned> order;
  for (unsigned d = 0; d < op.getNumLoops(); ++d) {
    if (d == dims.k)
      continue;
    Value ub = sizes[d];
    if (d == dims.m)
      ub = arith::CeilDivSIOp::create(b, loc, ub, arith::ConstantIndexOp::create(b, loc, tileM));
    if (d == dims.n)
      ub = arith::CeilDivSIOp::create(b, loc, ub, arith::ConstantIndexOp::create(b, loc, tileN));
    lbs.push_back(zero);
    ubs.push_back(ub);
    steps.push_back(one);
    order.push_back(d);
  }
  auto par = scf::ParallelOp::create(b, loc, lbs, ubs, steps);
  b.setInsertionPointToStart(par.getBody());
  SmallVector<Value> at(op.getNumLoops());
  for (auto [d, iv] : llvm::zip(order, par.getInductionVars()))
    at[d] = iv;
  Value m0 = arith::MulIOp::create(b, loc, at[dims.m], arith::ConstantIndexOp::create(b, loc, tileM));
  Value n0 = arith::MulIOp::create(b, loc, at[dims.n], arith::ConstantIndexOp::create(b, loc, tileN));
  Value lastM = arith::SubIOp::create(b, loc, sizes[dims.m], one);
  Value lastN = arith::SubIOp::create(b, loc, sizes[dims.n], one);
  // Row i and column j of the tile, clamped into the output for loads.
  SmallVector<Value> rowsAt, colsAt, rowIn, colIn;
  for (int64_t i = 0; i < tileM; ++i) {
    Value r = arith::AddIOp::create(b, loc, m0, arith::ConstantIndexOp::create(b, loc, i));
    rowIn.push_back(arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, r, sizes[dims.m]));
    rowsAt.push_back(arith::MinSIOp::create(b, loc, r, lastM));
  }
  for (int64_t j = 0; j < tileN; ++j) {
    Value c = arith::AddIOp::create(b, loc, n0, arith::ConstantIndexOp::create(b, loc, j));
    colIn.push_back(arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, c, sizes[dims.n]));
    colsAt.push_back(arith::MinSIOp::create(b, loc, c, lastN));
  }
  auto position = [&](int64_t i, int64_t j, Value k) {
    SmallVector<Value> p = at;
    p[dims.m] = rowsAt[i];
    p[dims.n] = colsAt[j];
    p[dims.k] = k;
    return p;
  };
  SmallVector<Value> sums;
  for (int64_t i = 0; i < tileM; ++i)
    for (int64_t j = 0; j < tileN; ++j)
      sums.push_back(load(b, loc, op, 2, position(i, j, zero)));
  Block &payload = op.getRegion().front();
  auto loop = scf::ForOp::create(
      b, loc, zero, sizes[dims.k], one, sums,
      [&](OpBuilder &lb, Location l, Value k, ValueRange acc) {
        SmallVector<Value> a, bs, next;
        for (int64_t i = 0; i < tileM; ++i)
          a.push_back(load(lb, l, op, 0, position(i, 0, k)));
        for (int64_t j = 0; j < tileN; ++j)
          bs.push_back(load(lb, l, op, 1, position(0, j, k)));
        for (int64_t i = 0; i < tileM; ++i)
          for (int64_t j = 0; j < tileN; ++j) {
            IRMapping mapping;
            mapping.map(payload.getArgument(0), a[i]);
            mapping.map(payload.getArgument(1), bs[j]);
            mapping.map(payload.getArgument(2), acc[i * tileN + j]);
            for (Operation &inner : payload.without_terminator())
              lb.clone(inner, mapping);
            next.push_back(mapping.lookupOrDefault(payload.getTerminator()->getOperand(0)));
          }
        scf::YieldOp::create(lb, l, next);
      });
  for (int64_t i = 0; i < tileM; ++i)
    for (int64_t j = 0; j < tileN; ++j) {
      Value inside = arith::AndIOp::create(b, loc, rowIn[i], colIn[j]);
      auto guard = scf::IfOp::create(b, loc, inside, /*withElseRegion=*/false);
      OpBuilder gb = OpBuilder::atBlockBegin(guard.thenBlock());
      memref::StoreOp::create(gb, loc, loop.getResult(i * tileN + j), op.getDpsInits()[0],
                              indicesOf(op, 2, position(i, j, zero)));
    }
  op.erase();
}

void moe::tileContractionsForThreads(Operation *root) {
  SmallVector<std::pair<linalg::GenericOp, ContractionDims>> found;
  root->walk([&](linalg::GenericOp op) {
    if (std::optional<ContractionDims> dims = matchContraction(op))
      found.push_back({op, *dims});
  });
  for (auto [op, dims] : found)
    tile(op, dims);
}
