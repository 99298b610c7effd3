//===- DotTiles.cpp - Register tiles of packed dot products ---------------===//

#include "DotTiles.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

using IT = utils::IteratorType;

bool moe::isMatmulGeneric(linalg::GenericOp op, bool furtherInputs) {
  if (op.getNumDpsInputs() < 2 || (op.getNumDpsInputs() > 2 && !furtherInputs) ||
      op.getNumDpsInits() != 1 || op.getNumLoops() != 3 || !op.hasPureTensorSemantics() ||
      op.getIteratorTypesArray() != SmallVector<IT>{IT::parallel, IT::parallel, IT::reduction})
    return false;
  MLIRContext *ctx = op.getContext();
  AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
             k = getAffineDimExpr(2, ctx);
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  return maps[0] == AffineMap::get(3, 0, {m, k}, ctx) &&
         maps[1] == AffineMap::get(3, 0, {k, n}, ctx) &&
         maps.back() == AffineMap::get(3, 0, {m, n}, ctx);
}

bool moe::collapseRowBatch(linalg::GenericOp op) {
  if (op.getNumDpsInputs() < 2 || op.getNumDpsInits() != 1 || op.getNumLoops() != 4 ||
      !op.hasPureTensorSemantics() ||
      op.getIteratorTypesArray() !=
          SmallVector<IT>{IT::parallel, IT::parallel, IT::parallel, IT::reduction})
    return false;
  MLIRContext *ctx = op.getContext();
  AffineExpr bb = getAffineDimExpr(0, ctx), m = getAffineDimExpr(1, ctx),
             n = getAffineDimExpr(2, ctx), k = getAffineDimExpr(3, ctx);
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (maps[0] != AffineMap::get(4, 0, {bb, m, k}, ctx) ||
      maps[1] != AffineMap::get(4, 0, {k, n}, ctx) ||
      maps.back() != AffineMap::get(4, 0, {bb, m, n}, ctx))
    return false;
  // Each operand's map in the loops (b * m, n, k), and whether its two
  // leading dims (b, m) collapse into one.
  AffineExpr m2 = getAffineDimExpr(0, ctx), n2 = getAffineDimExpr(1, ctx),
             k2 = getAffineDimExpr(2, ctx);
  SmallVector<AffineMap> flatMaps;
  SmallVector<bool> collapsed;
  for (AffineMap map : maps) {
    ArrayRef<AffineExpr> results = map.getResults();
    bool perRow = results.size() >= 2 && results[0] == bb && results[1] == m;
    SmallVector<AffineExpr> flat;
    if (perRow)
      flat.push_back(m2);
    for (AffineExpr e : results.drop_front(perRow ? 2 : 0)) {
      if (e.isFunctionOfDim(0) || e.isFunctionOfDim(1))
        return false;
      flat.push_back(e.replaceDims({m2, m2, n2, k2}));
    }
    flatMaps.push_back(AffineMap::get(3, 0, flat, ctx));
    collapsed.push_back(perRow);
  }
  OpBuilder b(op);
  Location loc = op.getLoc();
  auto collapse = [&](Value v) -> Value {
    SmallVector<ReassociationIndices> groups = {{0, 1}};
    for (int64_t d = 2, r = cast<RankedTensorType>(v.getType()).getRank(); d < r; ++d)
      groups.push_back({d});
    return tensor::CollapseShapeOp::create(b, loc, v, groups);
  };
  SmallVector<Value> inputs;
  for (auto [input, perRow] : llvm::zip(op.getDpsInputs(), collapsed))
    inputs.push_back(perRow ? collapse(input) : input);
  Value init = op.getDpsInits()[0];
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, init);
  // A filled init stays a fill (the tiles read a zero fill as "from zero").
  Value flatInit;
  if (auto fill = init.getDefiningOp<linalg::FillOp>())
    flatInit =
        linalg::FillOp::create(
            b, loc, fill.getInputs()[0],
            collapse(tensor::EmptyOp::create(b, loc, sizes, getElementTypeOrSelf(init.getType()))))
            .getResult(0);
  else
    flatInit = collapse(init);
  auto flat = linalg::GenericOp::create(b, loc, flatInit.getType(), inputs, flatInit, flatMaps,
                                        ArrayRef<IT>{IT::parallel, IT::parallel, IT::reduction});
  IRMapping body;
  op.getRegion().cloneInto(&flat.getRegion(), body);
  SmallVector<ReassociationIndices> rows = {{0, 1}, {2}};
  Value result =
      tensor::ExpandShapeOp::create(b, loc, init.getType(), flat.getResult(0), rows, sizes);
  op.getResult(0).replaceAllUsesWith(result);
  op.erase();
  return true;
}

namespace {

class DotTileEmitter {
public:
  DotTileEmitter(OpBuilder &b, Location loc, const moe::DotTiles &t)
      : b(b), constants(OpBuilder::atBlockBegin(t.anchor->getBlock())), loc(loc), t(t) {}

  Value emit() {
    Value result = t.init;
    if (t.fromZero)
      result = tensor::EmptyOp::create(b, loc, tensor::getMixedSizes(b, loc, result),
                                       getElementTypeOrSelf(result.getType()));
    Value rows = tensor::DimOp::create(b, loc, t.rows, 0);
    Value start = index(0);
    for (int64_t height : t.heights) {
      // Full tiles of this height from `start` (at most one below the first).
      Value count =
          arith::DivUIOp::create(b, loc, arith::SubIOp::create(b, loc, rows, start), index(height));
      result = tiles(result, start, count, height);
      start =
          arith::AddIOp::create(b, loc, start, arith::MulIOp::create(b, loc, count, index(height)));
    }
    return result;
  }

private:
  /// Index constants at the start of the matmul's block, where they
  /// dominate the loops built before the matmul.
  Value index(int64_t v) { return arith::ConstantIndexOp::create(constants, loc, v); }

  /// Vectors of 16 columns per tile: 4 where the columns allow (2 for 4-row
  /// tiles, whose 8 sums are enough), fewer when they do not.
  int64_t vectorsPerTile(int64_t height) const {
    int64_t blocks = t.n / 16;
    for (int64_t v : {height == 4 ? 2 : 4, 2, 1})
      if (blocks % v == 0)
        return v;
    return 1;
  }

  /// scf.forall over (column tiles, `count` row tiles of `height` from
  /// `start`) updating `result`.
  Value tiles(Value result, Value start, Value count, int64_t height) {
    int64_t vectors = vectorsPerTile(height), width = vectors * 16;
    int64_t colTiles = t.n / width, steps = t.k / t.group;
    Type element = getElementTypeOrSelf(t.rows.getType());
    Type accElement = getElementTypeOrSelf(result.getType());
    Type i32 = b.getI32Type();
    auto acc16 = VectorType::get({16}, accElement);
    auto i32x16 = VectorType::get({16}, i32);
    auto wordsOf16 = VectorType::get({16 * t.group}, element);
    auto word = VectorType::get({t.group}, element);
    auto i32x1 = VectorType::get({1}, i32);
    SmallVector<OpFoldResult> bounds = {b.getIndexAttr(colTiles), count};
    auto forall = scf::ForallOp::create(b, loc, bounds, ValueRange{result}, std::nullopt, nullptr);
    OpBuilder fb = OpBuilder::atBlockBegin(forall.getBody());
    SmallVector<Value> ivs = forall.getInductionVars();
    Value out = forall.getRegionIterArgs()[0];
    Value row0 = arith::AddIOp::create(fb, loc, start,
                                       arith::MulIOp::create(fb, loc, ivs[1], index(height)));
    Value col0 = arith::MulIOp::create(fb, loc, ivs[0], index(width));
    SmallVector<OpFoldResult> tileAt = {row0, col0};
    SmallVector<OpFoldResult> tileSizes = {fb.getIndexAttr(height), fb.getIndexAttr(width)};
    SmallVector<OpFoldResult> ones = {fb.getIndexAttr(1), fb.getIndexAttr(1)};
    Value tile = tensor::ExtractSliceOp::create(fb, loc, out, tileAt, tileSizes, ones);
    Value accPad = arith::ConstantOp::create(fb, loc, fb.getZeroAttr(accElement));
    Value pad = arith::ConstantOp::create(fb, loc, fb.getZeroAttr(element));
    SmallVector<bool> inBounds = {true};
    SmallVector<Value> accs;
    Value zeros = arith::ConstantOp::create(fb, loc, fb.getZeroAttr(acc16));
    for (int64_t r = 0; r < height; ++r)
      for (int64_t v = 0; v < vectors; ++v)
        accs.push_back(t.fromZero ? zeros
                                  : Value(vector::TransferReadOp::create(
                                        fb, loc, acc16, tile, ValueRange{index(r), index(v * 16)},
                                        accPad, inBounds)));
    Value block0 = arith::MulIOp::create(fb, loc, ivs[0], index(vectors));
    auto kLoop = scf::ForOp::create(
        fb, loc, index(0), index(steps), index(1), accs,
        [&](OpBuilder &lb, Location ll, Value step, ValueRange iter) {
          SmallVector<Value> w;
          Value at = arith::MulIOp::create(lb, ll, step, index(16 * t.group));
          for (int64_t v = 0; v < vectors; ++v) {
            Value block = arith::AddIOp::create(lb, ll, block0, index(v));
            Value words = vector::TransferReadOp::create(lb, ll, wordsOf16, t.weights,
                                                         ValueRange{block, at}, pad, inBounds);
            w.push_back(vector::BitCastOp::create(lb, ll, i32x16, words));
          }
          Value k0 = arith::MulIOp::create(lb, ll, step, index(t.group));
          SmallVector<Value> next;
          for (int64_t r = 0; r < height; ++r) {
            Value rowIndex = arith::AddIOp::create(lb, ll, row0, index(r));
            Value group = vector::TransferReadOp::create(lb, ll, word, t.rows,
                                                         ValueRange{rowIndex, k0}, pad, inBounds);
            Value bits = vector::BitCastOp::create(lb, ll, i32x1, group);
            Value splat = vector::BroadcastOp::create(
                lb, ll, i32x16, vector::ExtractOp::create(lb, ll, bits, ArrayRef<int64_t>{0}));
            for (int64_t v = 0; v < vectors; ++v)
              next.push_back(t.dot(lb, ll, iter[r * vectors + v], w[v], splat));
          }
          scf::YieldOp::create(lb, ll, next);
        });
    SmallVector<Value> sums(kLoop.getResults());
    if (t.finish)
      for (int64_t r = 0; r < height; ++r) {
        Value rowIndex = arith::AddIOp::create(fb, loc, row0, index(r));
        for (int64_t v = 0; v < vectors; ++v)
          sums[r * vectors + v] = t.finish(fb, loc, sums[r * vectors + v], rowIndex);
      }
    for (int64_t r = 0; r < height; ++r)
      for (int64_t v = 0; v < vectors; ++v)
        tile = vector::TransferWriteOp::create(fb, loc, sums[r * vectors + v], tile,
                                               ValueRange{index(r), index(v * 16)}, inBounds)
                   .getResult();
    OpBuilder tb = OpBuilder::atBlockBegin(&forall.getTerminator().getRegion().front());
    tensor::ParallelInsertSliceOp::create(tb, loc, tile, out, tileAt, tileSizes, ones);
    return forall.getResult(0);
  }

  OpBuilder &b;
  OpBuilder constants;
  Location loc;
  const moe::DotTiles &t;
};

} // namespace

Value moe::emitDotTiles(OpBuilder &b, Location loc, const DotTiles &tiles) {
  return DotTileEmitter(b, loc, tiles).emit();
}

Value moe::packedMatrix(OpBuilder &b, Location loc, Value packed,
                        std::optional<OpFoldResult> expert) {
  if (!expert)
    return packed;
  auto type = cast<RankedTensorType>(packed.getType());
  SmallVector<OpFoldResult> offsets = {*expert, b.getIndexAttr(0), b.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1), b.getIndexAttr(type.getDimSize(1)),
                                     b.getIndexAttr(type.getDimSize(2))};
  return tensor::ExtractSliceOp::create(
      b, loc, RankedTensorType::get(type.getShape().drop_front(), type.getElementType()), packed,
      offsets, sizes, SmallVector<OpFoldResult>(3, b.getIndexAttr(1)));
}

LogicalResult moe::rewriteDotProducts(ModuleOp module,
                                      function_ref<bool(vector::MultiDimReductionOp)> isDot,
                                      RewritePatternSet &&patterns) {
  SmallVector<Operation *> dots;
  module.walk([&](vector::MultiDimReductionOp op) {
    if (isDot(op))
      dots.push_back(op);
  });
  GreedyRewriteConfig config;
  config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
  return applyOpPatternsGreedily(dots, std::move(patterns), config);
}
