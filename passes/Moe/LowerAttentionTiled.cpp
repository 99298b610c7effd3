//===- LowerAttentionTiled.cpp - moe.attention as tiled online softmax ----===//
//
// The flash form: for each (batch, query head, tile of query rows), the key
// tiles the mask leaves visible are visited in order, each a static
// [rows x D] @ [D x keys] product, and the softmax is carried online (the
// running row max, the running sum of exponentials, the output rescaled
// when the max grows). Scores never exist beyond one tile, key tiles that a
// causal or windowed mask hides entirely are never computed (a window costs
// what it sees), and GQA reads each kv head where it is, without repeating
// it. When the rows of a tile fill whole register tiles, score tiles are
// keys x rows, so the reductions over keys run lane-wise down the tile.
// Chosen over the direct form by shape: keys enough to tile, static
// shapes, masks that are attributes.
//
//===----------------------------------------------------------------------===//

#include "LoweringHelpers.h"
#include "moe/Dialect/Moe/MoeOps.h"
#include "moe/Passes/Moe/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::moe;

namespace {

using IT = utils::IteratorType;

/// The largest of `options` dividing `extent`, else 0.
int64_t tileFor(int64_t extent, std::initializer_list<int64_t> options) {
  for (int64_t option : options)
    if (extent % option == 0)
      return option;
  return 0;
}

Value index(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

Value floatConstant(OpBuilder &b, Location loc, double v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}

/// A [rows x cols] slice at `offsets` of a rank-4 tensor, rank-reduced.
Value slice2d(OpBuilder &b, Location loc, Value source, ArrayRef<OpFoldResult> offsets,
              int64_t rows, int64_t cols) {
  SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1), b.getIndexAttr(1), b.getIndexAttr(rows),
                                     b.getIndexAttr(cols)};
  SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
  auto type = RankedTensorType::get({rows, cols}, b.getF32Type());
  return tensor::ExtractSliceOp::create(b, loc, type, source, offsets, sizes, strides);
}

struct LowerAttentionTiled : OpRewritePattern<AttentionOp> {
  LowerAttentionTiled(MLIRContext *ctx) : OpRewritePattern(ctx, /*benefit=*/2) {}

  LogicalResult matchAndRewrite(AttentionOp op, PatternRewriter &rewriter) const override {
    auto qType = cast<RankedTensorType>(op.getQuery().getType());
    auto kType = cast<RankedTensorType>(op.getKey().getType());
    auto vType = cast<RankedTensorType>(op.getValue().getType());
    if (!qType.hasStaticShape() || !kType.hasStaticShape() || !vType.hasStaticShape() ||
        !qType.getElementType().isF32() || !kType.getElementType().isF32() ||
        !vType.getElementType().isF32())
      return rewriter.notifyMatchFailure(op, "static f32 operands only");
    if (op.getMask() || op.getLayout() || op.getPastKey() ||
        op.getSoftcap().convertToDouble() != 0.0 || op.getNumGlobalTokens() != 0)
      return rewriter.notifyMatchFailure(op, "only attribute masks, no cache or softcap");
    int64_t batch = qType.getDimSize(0), qHeads = qType.getDimSize(1);
    int64_t rows = qType.getDimSize(2), depth = qType.getDimSize(3);
    int64_t kvHeads = kType.getDimSize(1), keys = kType.getDimSize(2);
    int64_t valueDepth = vType.getDimSize(3);
    // Cost model: with fewer keys than a tile the direct form's one pass is
    // as good and simpler.
    int64_t keyTile = tileFor(keys, {64, 32});
    int64_t rowTile = rows < 8 ? rows : tileFor(rows, {64, 32, 16, 8});
    if (keys < 64 || !keyTile || !rowTile)
      return rewriter.notifyMatchFailure(op, "too few keys, or untileable extents");

    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    // Without a cache, query i sits at position i (the op's definition).
    int64_t groups = qHeads / kvHeads, offset = 0;
    double scale = op.getScale() ? op.getScale()->convertToDouble()
                                 : 1.0 / std::sqrt(static_cast<double>(depth));
    bool causal = op.getCausal();
    int64_t left = op.getWindowLeft(), right = op.getWindowRight();
    int64_t keyTiles = keys / keyTile;

    // Each score tile is laid out keys x rows when the rows fill whole
    // register tiles: the softmax's maxima and sums over keys are then
    // lane-wise vector ops down the tile, not a horizontal reduction per
    // row (a shuffle sequence, and a scalar one for the NaN-propagating
    // max). S^T = K Q^T reads K where it is; O^T += V^T P^T needs V^T,
    // transposed once per call. Otherwise rows x keys: S = Q K^T with K^T
    // transposed once per call.
    bool keysMajor = rowTile % 32 == 0 && valueDepth % 8 == 0;
    // Either transpose makes one [D x keys] block per key tile: a tile's
    // rows then lie keyTile floats apart, not a whole sequence, so they
    // stay in few cache lines instead of all landing in the same L1 sets
    // (8 KiB apart at 2048 keys; measured: causal attention at 2048, 70.6
    // -> 68.7 ms, before the keys-major form).
    Value kvPanels;
    {
      Value source = keysMajor ? op.getValue() : op.getKey();
      int64_t width = keysMajor ? valueDepth : depth;
      Value tiled = tensor::ExpandShapeOp::create(
          rewriter, loc,
          RankedTensorType::get({batch, kvHeads, keyTiles, keyTile, width}, rewriter.getF32Type()),
          source, SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}, {4}});
      kvPanels = linalg::TransposeOp::create(
                     rewriter, loc, tiled,
                     tensor::EmptyOp::create(
                         rewriter, loc, ArrayRef<int64_t>{batch, kvHeads, keyTiles, width, keyTile},
                         rewriter.getF32Type()),
                     ArrayRef<int64_t>{0, 1, 2, 4, 3})
                     .getResult()[0];
    }
    Value out = tensor::EmptyOp::create(
        rewriter, loc, ArrayRef<int64_t>{batch, qHeads, rows, valueDepth}, rewriter.getF32Type());

    // Tiles are 2-d: (keys, rows) or (rows, keys) for scores, (value
    // depth, rows) or (rows, value depth) for the output. `rowDim` is where
    // the rows are; per-row values (max, sum, rescale) are read through
    // `row`.
    unsigned rowDim = keysMajor ? 1 : 0;
    AffineMap id2 = AffineMap::getMultiDimIdentityMap(2, ctx);
    AffineMap row = AffineMap::get(2, 0, {getAffineDimExpr(rowDim, ctx)}, ctx);
    AffineMap id1 = AffineMap::getMultiDimIdentityMap(1, ctx);
    SmallVector<IT> overKeys = {IT::parallel, IT::parallel};
    overKeys[1 - rowDim] = IT::reduction;
    auto tile2d = [&](int64_t rowExtent, int64_t otherExtent) {
      return keysMajor ? SmallVector<int64_t>{otherExtent, rowExtent}
                       : SmallVector<int64_t>{rowExtent, otherExtent};
    };
    double negInf = -std::numeric_limits<double>::infinity();

    // Every (batch, head, row tile) is independent: one forall over them.
    SmallVector<OpFoldResult> ubs = {rewriter.getIndexAttr(batch), rewriter.getIndexAttr(qHeads),
                                     rewriter.getIndexAttr(rows / rowTile)};
    auto forall = scf::ForallOp::create(rewriter, loc, ubs, ValueRange{out}, std::nullopt);
    {
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointToStart(forall.getBody());
      OpBuilder &b = rewriter;
      Value bIdx = forall.getInductionVar(0), h = forall.getInductionVar(1),
            qt = forall.getInductionVar(2);
      Value kvh = arith::DivUIOp::create(b, loc, h, index(b, loc, groups));
      Value rowStart = arith::MulIOp::create(b, loc, qt, index(b, loc, rowTile));
      // The scale goes on the query rows once, not on every score tile
      // (and, keys-major, they are transposed here, once per row tile).
      AffineMap qOut =
          keysMajor ? AffineMap::getPermutationMap(ArrayRef<unsigned>{1, 0}, ctx) : id2;
      Value q = generic(
          b, loc, tensor::EmptyOp::create(b, loc, tile2d(rowTile, depth), b.getF32Type()),
          slice2d(b, loc, op.getQuery(), {bIdx, h, rowStart, b.getIndexAttr(0)}, rowTile, depth),
          {id2, qOut}, {IT::parallel, IT::parallel},
          [&](OpBuilder &bb, Location bl, ValueRange args) {
            linalg::YieldOp::create(
                bb, bl,
                Value(arith::MulFOp::create(bb, bl, args[0], floatConstant(bb, bl, scale))));
          });

      // The key tiles the mask leaves visible to some row of this tile.
      Value firstPos = arith::AddIOp::create(b, loc, rowStart, index(b, loc, offset));
      Value lastPos = arith::AddIOp::create(b, loc, firstPos, index(b, loc, rowTile - 1));
      Value lo = index(b, loc, 0), hi = index(b, loc, keyTiles);
      if (left >= 0) {
        Value from = arith::MaxSIOp::create(
            b, loc, arith::SubIOp::create(b, loc, firstPos, index(b, loc, left)), index(b, loc, 0));
        lo = arith::DivUIOp::create(b, loc, from, index(b, loc, keyTile));
      }
      if (causal || right >= 0) {
        Value to =
            causal ? lastPos : Value(arith::AddIOp::create(b, loc, lastPos, index(b, loc, right)));
        Value tiles = arith::AddIOp::create(
            b, loc, arith::DivUIOp::create(b, loc, to, index(b, loc, keyTile)), index(b, loc, 1));
        hi = arith::MinUIOp::create(b, loc, tiles, hi);
      }
      hi = arith::MaxUIOp::create(b, loc, hi, lo);

      Value m0 = filled(b, loc, {b.getIndexAttr(rowTile)}, floatConstant(b, loc, negInf));
      Value l0 = filled(b, loc, {b.getIndexAttr(rowTile)}, floatConstant(b, loc, 0));
      SmallVector<int64_t> accShape = tile2d(rowTile, valueDepth);
      Value acc0 = filled(b, loc, {b.getIndexAttr(accShape[0]), b.getIndexAttr(accShape[1])},
                          floatConstant(b, loc, 0));
      auto loop = scf::ForOp::create(
          b, loc, lo, hi, index(b, loc, 1), ValueRange{m0, l0, acc0},
          [&](OpBuilder &nb, Location l, Value kt, ValueRange iter) {
            Value m = iter[0], sum = iter[1], acc = iter[2];
            Value keyStart = arith::MulIOp::create(nb, l, kt, index(nb, l, keyTile));
            Value panel = tensor::ExtractSliceOp::create(
                nb, l,
                RankedTensorType::get({keysMajor ? valueDepth : depth, keyTile}, nb.getF32Type()),
                kvPanels,
                ArrayRef<OpFoldResult>{bIdx, kvh, kt, nb.getIndexAttr(0), nb.getIndexAttr(0)},
                ArrayRef<OpFoldResult>{nb.getIndexAttr(1), nb.getIndexAttr(1), nb.getIndexAttr(1),
                                       nb.getIndexAttr(keysMajor ? valueDepth : depth),
                                       nb.getIndexAttr(keyTile)},
                SmallVector<OpFoldResult>(5, nb.getIndexAttr(1)));
            // The tile starts as its mask (0, or -inf where the mask hides
            // the key) and the scores are added to it: no zero fill, no
            // pass of its own for masking.
            Value bias = generic(
                nb, l, tensor::EmptyOp::create(nb, l, tile2d(rowTile, keyTile), nb.getF32Type()),
                ValueRange{}, {id2}, {IT::parallel, IT::parallel},
                [&](OpBuilder &bb, Location bl, ValueRange) {
                  Value qPos = arith::AddIOp::create(bb, bl, firstPos,
                                                     linalg::IndexOp::create(bb, bl, rowDim));
                  Value kPos = arith::AddIOp::create(bb, bl, keyStart,
                                                     linalg::IndexOp::create(bb, bl, 1 - rowDim));
                  Value visible = arith::ConstantIntOp::create(bb, bl, 1, 1);
                  auto both = [&](arith::CmpIPredicate pred, Value a, Value c) {
                    visible = arith::AndIOp::create(bb, bl, visible,
                                                    arith::CmpIOp::create(bb, bl, pred, a, c));
                  };
                  if (causal)
                    both(arith::CmpIPredicate::ule, kPos, qPos);
                  if (right >= 0)
                    both(arith::CmpIPredicate::ule, kPos,
                         arith::AddIOp::create(bb, bl, qPos, index(bb, bl, right)));
                  if (left >= 0)
                    both(arith::CmpIPredicate::sge,
                         arith::AddIOp::create(bb, bl, kPos, index(bb, bl, left)), qPos);
                  linalg::YieldOp::create(
                      bb, bl,
                      Value(arith::SelectOp::create(bb, bl, visible, floatConstant(bb, bl, 0),
                                                    floatConstant(bb, bl, negInf))));
                });
            Value scores;
            if (keysMajor) {
              Value keysTile = slice2d(nb, l, op.getKey(),
                                       {bIdx, kvh, keyStart, nb.getIndexAttr(0)}, keyTile, depth);
              scores = matmulInto(nb, l, keysTile, q, bias);
            } else {
              scores = matmulInto(nb, l, q, panel, bias);
            }
            // The new running max and its rescaling of what came before
            // (one generic: the max is updated in place), then the
            // exponentials against it, 0 for hidden keys. Every running
            // value is updated in place, so the loop carries its buffers.
            // maxnumf: a NaN score still reaches the output through its
            // exponential, and maximumf's NaN handling costs a compare per
            // step.
            Value tileMax = generic(
                nb, l, filled(nb, l, {nb.getIndexAttr(rowTile)}, floatConstant(nb, l, negInf)),
                scores, {id2, row}, overKeys, [](OpBuilder &bb, Location bl, ValueRange args) {
                  linalg::YieldOp::create(
                      bb, bl, Value(arith::MaxNumFOp::create(bb, bl, args[1], args[0])));
                });
            auto expShifted = [&](OpBuilder &bb, Location bl, Value s, Value max) {
              Value hidden = arith::CmpFOp::create(bb, bl, arith::CmpFPredicate::OEQ, s,
                                                   floatConstant(bb, bl, negInf));
              Value e = math::ExpOp::create(bb, bl, arith::SubFOp::create(bb, bl, s, max));
              return Value(arith::SelectOp::create(bb, bl, hidden, floatConstant(bb, bl, 0), e));
            };
            Value alphaInit =
                tensor::EmptyOp::create(nb, l, ArrayRef<int64_t>{rowTile}, nb.getF32Type());
            auto update = linalg::GenericOp::create(
                nb, l, TypeRange{m.getType(), alphaInit.getType()}, ValueRange{tileMax},
                ValueRange{m, alphaInit}, ArrayRef<AffineMap>{id1, id1, id1},
                ArrayRef<IT>{IT::parallel}, [&](OpBuilder &bb, Location bl, ValueRange args) {
                  Value mNew = arith::MaximumFOp::create(bb, bl, args[1], args[0]);
                  linalg::YieldOp::create(bb, bl,
                                          ValueRange{mNew, expShifted(bb, bl, args[1], mNew)});
                });
            Value mNew = update.getResult(0), alpha = update.getResult(1);
            Value p =
                generic(nb, l, scores, mNew, {row, id2}, {IT::parallel, IT::parallel},
                        [&](OpBuilder &bb, Location bl, ValueRange args) {
                          linalg::YieldOp::create(bb, bl, expShifted(bb, bl, args[1], args[0]));
                        });
            Value rowSum =
                generic(nb, l, filled(nb, l, {nb.getIndexAttr(rowTile)}, floatConstant(nb, l, 0)),
                        p, {id2, row}, overKeys, [](OpBuilder &bb, Location bl, ValueRange args) {
                          linalg::YieldOp::create(
                              bb, bl, Value(arith::AddFOp::create(bb, bl, args[1], args[0])));
                        });
            Value sumNew =
                generic(nb, l, sum, ValueRange{alpha, rowSum}, {id1, id1, id1}, {IT::parallel},
                        [](OpBuilder &bb, Location bl, ValueRange args) {
                          Value scaled = arith::MulFOp::create(bb, bl, args[2], args[0]);
                          linalg::YieldOp::create(
                              bb, bl, Value(arith::AddFOp::create(bb, bl, scaled, args[1])));
                        });
            // The output so far, rescaled in place, takes this tile's P V.
            Value rescaled =
                generic(nb, l, acc, ValueRange{alpha}, {row, id2}, {IT::parallel, IT::parallel},
                        [](OpBuilder &bb, Location bl, ValueRange args) {
                          linalg::YieldOp::create(
                              bb, bl, Value(arith::MulFOp::create(bb, bl, args[1], args[0])));
                        });
            Value accNew;
            if (keysMajor) {
              accNew = matmulInto(nb, l, panel, p, rescaled);
            } else {
              Value vTile = slice2d(nb, l, op.getValue(), {bIdx, kvh, keyStart, nb.getIndexAttr(0)},
                                    keyTile, valueDepth);
              accNew = matmulInto(nb, l, p, vTile, rescaled);
            }
            scf::YieldOp::create(nb, l, ValueRange{mNew, sumNew, accNew});
          });
      // Rows that saw no key give zeros; keys-major, the output tile is
      // transposed back here.
      AffineMap accIn =
          keysMajor ? AffineMap::getPermutationMap(ArrayRef<unsigned>{1, 0}, ctx) : id2;
      Value tile = generic(
          b, loc,
          tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{rowTile, valueDepth}, b.getF32Type()),
          ValueRange{loop.getResult(2), loop.getResult(1)},
          {accIn, AffineMap::get(2, 0, {getAffineDimExpr(0, ctx)}, ctx), id2},
          {IT::parallel, IT::parallel}, [](OpBuilder &bb, Location bl, ValueRange args) {
            Value zero = floatConstant(bb, bl, 0);
            Value none = arith::CmpFOp::create(bb, bl, arith::CmpFPredicate::OEQ, args[1], zero);
            Value o = arith::DivFOp::create(bb, bl, args[0], args[1]);
            linalg::YieldOp::create(bb, bl, Value(arith::SelectOp::create(bb, bl, none, zero, o)));
          });
      b.setInsertionPointToStart(forall.getTerminator().getBody());
      SmallVector<OpFoldResult> offsets = {bIdx, h, rowStart, b.getIndexAttr(0)};
      SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1), b.getIndexAttr(1),
                                         b.getIndexAttr(rowTile), b.getIndexAttr(valueDepth)};
      SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
      tensor::ParallelInsertSliceOp::create(b, loc, tile, forall.getRegionIterArgs()[0], offsets,
                                            sizes, strides);
    }
    rewriter.replaceOp(op, ValueRange{forall.getResult(0)});
    return success();
  }
};

} // namespace

void moe::populateLowerAttentionTiledPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerAttentionTiled>(patterns.getContext());
}
