//===- LowerRoutingOps.cpp - Routing, dispatch and expert GEMMs as linalg -===//
//
// The direct, dropless form of an MoE layer for targets that take linalg:
// - moe.route: scores (softmax or sigmoid), then each expert's rank among
//   its token's biased scores (ties to the lower index); the experts of
//   rank < k are the choice, best first; weights renormalised and scaled.
//   Group-limited routing first ranks the groups by the sum of their best
//   one or two experts (ranks within each group) and gives the experts of
//   groups ranked too low the op's outside score.
// - moe.dispatch: a counting sort of the token slots by expert (counts,
//   offsets, then each slot placed at its expert's cursor; slots naming no
//   expert go last), and the tokens gathered in that order.
// - moe.grouped_matmul: one matmul per expert over only its rows.
// - moe.combine: the inverse permutation, then each token's weighted sum of
//   its k expert rows.
//
//===----------------------------------------------------------------------===//

#include "moe/Dialect/Moe/MoeOps.h"
#include "moe/Passes/Moe/Passes.h"
#include "moe/Support/ConstantBytes.h"
#include "moe/Support/MatmulEpilogue.h"
#include "LoweringHelpers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::moe;

namespace {

using IT = utils::IteratorType;

Value cst(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

Value toIndex(OpBuilder &b, Location loc, Value v) {
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
}

/// rank[..., i] = #{j : v[..., j] > v[..., i] or (v[..., j] == v[..., i] and
/// j < i)}: each element's place among its row, ties to the lower index.
Value ranksAlongLast(OpBuilder &b, Location loc, Value values) {
  auto type = cast<RankedTensorType>(values.getType());
  unsigned rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineExpr> own, other;
  for (unsigned d = 0; d < rank; ++d)
    own.push_back(getAffineDimExpr(d, ctx));
  other = own;
  other.back() = getAffineDimExpr(rank, ctx);
  AffineMap ownMap = AffineMap::get(rank + 1, 0, own, ctx);
  SmallVector<IT> iterators(rank, IT::parallel);
  iterators.push_back(IT::reduction);
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, values);
  return generic(
      b, loc, filled(b, loc, sizes, cst(b, loc, 0)), ValueRange{values, values},
      {ownMap, AffineMap::get(rank + 1, 0, other, ctx), ownMap}, iterators,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value mine = linalg::IndexOp::create(nb, l, rank - 1),
              theirs = linalg::IndexOp::create(nb, l, rank);
        Value greater = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OGT, args[1], args[0]);
        Value tie = arith::AndIOp::create(
            nb, l, arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ, args[1], args[0]),
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ult, theirs, mine));
        Value before = arith::OrIOp::create(nb, l, greater, tie);
        Value step = arith::SelectOp::create(nb, l, before, cst(nb, l, 1), cst(nb, l, 0));
        linalg::YieldOp::create(nb, l, Value(arith::AddIOp::create(nb, l, args[2], step)));
      });
}

/// The biased scores [T, E] of `op`'s group-limited routing with the experts
/// of the groups that are not among the best `topk_group` replaced by the
/// outside score. Groups are consecutive experts: a [T, G, E/G] view (the
/// verifier made E static).
Value limitToGroups(OpBuilder &b, Location loc, RouteOp op, Value biased, Type f) {
  auto type = cast<RankedTensorType>(biased.getType());
  int64_t experts = type.getDimSize(1), groups = op.getNGroup();
  int64_t perGroup = experts / groups;
  MLIRContext *ctx = b.getContext();
  OpFoldResult tokens = tensor::getMixedSize(b, loc, biased, 0);
  SmallVector<OpFoldResult> groupedSizes = {tokens, b.getIndexAttr(groups),
                                            b.getIndexAttr(perGroup)};
  auto groupedType = RankedTensorType::get({type.getDimSize(0), groups, perGroup}, f);
  SmallVector<ReassociationIndices> split = {{0}, {1, 2}};
  Value grouped = tensor::ExpandShapeOp::create(b, loc, groupedType, biased, split, groupedSizes);

  // A group's score: the sum of its members ranked below `best` in it.
  int64_t best = op.getGroupScore() == GroupScore::SumTop2 ? 2 : 1;
  Value inGroupRanks = ranksAlongLast(b, loc, grouped);
  AffineMap id3 = AffineMap::getMultiDimIdentityMap(3, ctx);
  AffineMap perGroupMap = AffineMap::get(3, 0, {getAffineDimExpr(0, ctx), getAffineDimExpr(1, ctx)}, ctx);
  Value zero = arith::ConstantOp::create(b, loc, b.getFloatAttr(f, 0.0));
  Value groupScores = generic(
      b, loc, filled(b, loc, {tokens, b.getIndexAttr(groups)}, zero),
      ValueRange{grouped, inGroupRanks}, {id3, id3, perGroupMap},
      {IT::parallel, IT::parallel, IT::reduction}, [&](OpBuilder &nb, Location l, ValueRange args) {
        Value counts = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ult, args[1], cst(nb, l, best));
        Value term = arith::SelectOp::create(nb, l, counts, args[0],
                                             arith::ConstantOp::create(nb, l, nb.getFloatAttr(f, 0.0)));
        linalg::YieldOp::create(nb, l, Value(arith::AddFOp::create(nb, l, args[2], term)));
      });

  Value groupRanks = ranksAlongLast(b, loc, groupScores);
  int64_t keep = op.getTopkGroup();
  Value outside = arith::ConstantOp::create(
      b, loc, b.getFloatAttr(f, op.getOutsideGroupScore().convertToDouble()));
  Value limited = generic(
      b, loc, tensor::EmptyOp::create(b, loc, groupedSizes, f), ValueRange{grouped, groupRanks},
      {id3, perGroupMap, id3}, {IT::parallel, IT::parallel, IT::parallel},
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value kept = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ult, args[1], cst(nb, l, keep));
        linalg::YieldOp::create(nb, l, Value(arith::SelectOp::create(nb, l, kept, args[0], outside)));
      });
  return tensor::CollapseShapeOp::create(b, loc, type.clone(f), limited, split);
}

struct LowerRoute : OpRewritePattern<RouteOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RouteOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    Value logits = op.getLogits();
    auto type = cast<RankedTensorType>(logits.getType());
    Type element = type.getElementType();
    Type f = computeTypeFor(rewriter, element);
    int64_t k = op.getK();
    OpFoldResult tokens = tensor::getMixedSize(rewriter, loc, logits, 0);
    OpFoldResult experts = tensor::getMixedSize(rewriter, loc, logits, 1);
    AffineExpr t = getAffineDimExpr(0, ctx), e = getAffineDimExpr(1, ctx);
    AffineMap id2 = AffineMap::getMultiDimIdentityMap(2, ctx);
    AffineMap perToken2 = AffineMap::get(2, 0, {t}, ctx);
    Value zero = arith::ConstantOp::create(rewriter, loc, rewriter.getFloatAttr(f, 0.0));

    // Scores.
    Value scores;
    Value shape = filled(rewriter, loc, {tokens, experts}, zero);
    if (op.getScoring() == Scoring::Sigmoid) {
      scores = generic(rewriter, loc, shape, logits, {id2, id2}, {IT::parallel, IT::parallel},
                       [&](OpBuilder &b, Location l, ValueRange args) {
                         Value x = convertFloat(b, l, args[0], f);
                         Value one = arith::ConstantOp::create(b, l, b.getFloatAttr(f, 1.0));
                         Value ex = math::ExpOp::create(b, l, arith::NegFOp::create(b, l, x));
                         linalg::YieldOp::create(
                             b, l, Value(arith::DivFOp::create(b, l, one,
                                                               arith::AddFOp::create(b, l, one, ex))));
                       });
    } else {
      Value negInf = arith::ConstantOp::create(
          rewriter, loc, rewriter.getFloatAttr(f, -std::numeric_limits<double>::infinity()));
      Value rowMax = generic(rewriter, loc, filled(rewriter, loc, {tokens}, negInf), logits,
                             {id2, perToken2}, {IT::parallel, IT::reduction},
                             [&](OpBuilder &b, Location l, ValueRange args) {
                               linalg::YieldOp::create(
                                   b, l, Value(arith::MaximumFOp::create(
                                             b, l, args[1], convertFloat(b, l, args[0], f))));
                             });
      Value exps = generic(rewriter, loc, shape, ValueRange{logits, rowMax},
                           {id2, perToken2, id2}, {IT::parallel, IT::parallel},
                           [&](OpBuilder &b, Location l, ValueRange args) {
                             Value x = convertFloat(b, l, args[0], f);
                             linalg::YieldOp::create(
                                 b, l, Value(math::ExpOp::create(b, l, arith::SubFOp::create(b, l, x, args[1]))));
                           });
      Value sums = generic(rewriter, loc, filled(rewriter, loc, {tokens}, zero), exps,
                           {id2, perToken2}, {IT::parallel, IT::reduction},
                           [&](OpBuilder &b, Location l, ValueRange args) {
                             linalg::YieldOp::create(b, l, Value(arith::AddFOp::create(b, l, args[1], args[0])));
                           });
      scores = generic(rewriter, loc, shape, ValueRange{exps, sums}, {id2, perToken2, id2},
                       {IT::parallel, IT::parallel},
                       [&](OpBuilder &b, Location l, ValueRange args) {
                         linalg::YieldOp::create(b, l, Value(arith::DivFOp::create(b, l, args[0], args[1])));
                       });
    }
    // The selection ranks biased scores.
    Value biased = scores;
    if (Value bias = op.getBias())
      biased = generic(rewriter, loc, shape, ValueRange{scores, bias},
                       {id2, AffineMap::get(2, 0, {e}, ctx), id2}, {IT::parallel, IT::parallel},
                       [&](OpBuilder &b, Location l, ValueRange args) {
                         linalg::YieldOp::create(
                             b, l, Value(arith::AddFOp::create(b, l, args[0],
                                                               convertFloat(b, l, args[1], f))));
                       });
    if (op.getNGroup() > 1)
      biased = limitToGroups(rewriter, loc, op, biased, f);
    Value ranks = ranksAlongLast(rewriter, loc, biased);
    // Slot j of token t takes the expert of rank j.
    AffineExpr j = getAffineDimExpr(1, ctx), ee = getAffineDimExpr(2, ctx);
    AffineMap byExpert = AffineMap::get(3, 0, {t, ee}, ctx);
    AffineMap slot = AffineMap::get(3, 0, {t, j}, ctx);
    SmallVector<OpFoldResult> slotSizes = {tokens, rewriter.getIndexAttr(k)};
    Type indexElement = cast<RankedTensorType>(op.getIndices().getType()).getElementType();
    Value chosen = generic(
        rewriter, loc,
        filled(rewriter, loc, slotSizes,
               arith::ConstantOp::create(rewriter, loc, rewriter.getIntegerAttr(indexElement, 0))),
        ranks, {byExpert, slot}, {IT::parallel, IT::parallel, IT::reduction},
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value here = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, args[0],
                                             linalg::IndexOp::create(b, l, 1));
          Value expert = arith::IndexCastOp::create(b, l, indexElement, linalg::IndexOp::create(b, l, 2));
          linalg::YieldOp::create(b, l, Value(arith::SelectOp::create(b, l, here, expert, args[1])));
        });
    Value picked = generic(
        rewriter, loc, filled(rewriter, loc, slotSizes, zero), ValueRange{ranks, scores},
        {byExpert, byExpert, slot}, {IT::parallel, IT::parallel, IT::reduction},
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value here = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, args[0],
                                             linalg::IndexOp::create(b, l, 1));
          linalg::YieldOp::create(b, l, Value(arith::SelectOp::create(b, l, here, args[1], args[2])));
        });
    // Renormalise and scale.
    AffineMap slotId = AffineMap::getMultiDimIdentityMap(2, ctx);
    Value total;
    if (op.getRenormalize())
      total = generic(rewriter, loc, filled(rewriter, loc, {tokens}, zero), picked,
                      {slotId, perToken2}, {IT::parallel, IT::reduction},
                      [&](OpBuilder &b, Location l, ValueRange args) {
                        linalg::YieldOp::create(b, l, Value(arith::AddFOp::create(b, l, args[1], args[0])));
                      });
    double factor = op.getRoutedScalingFactor().convertToDouble();
    SmallVector<Value> ins = {picked};
    SmallVector<AffineMap> maps = {slotId};
    if (total) {
      ins.push_back(total);
      maps.push_back(perToken2);
    }
    maps.push_back(slotId);
    Value weights = generic(
        rewriter, loc,
        tensor::EmptyOp::create(rewriter, loc, slotSizes, element), ins, maps,
        {IT::parallel, IT::parallel}, [&](OpBuilder &b, Location l, ValueRange args) {
          Value w = args[0];
          if (total)
            w = arith::DivFOp::create(b, l, w, args[1]);
          if (factor != 1.0)
            w = arith::MulFOp::create(b, l, w,
                                      arith::ConstantOp::create(b, l, b.getFloatAttr(f, factor)));
          linalg::YieldOp::create(b, l, convertFloat(b, l, w, element));
        });
    rewriter.replaceOp(op, {castTo(rewriter, loc, weights, op.getWeights().getType()),
                            castTo(rewriter, loc, chosen, op.getIndices().getType())});
    return success();
  }
};

struct LowerDispatch : OpRewritePattern<DispatchOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DispatchOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    Value indices = op.getIndices(), tokens = op.getTokens();
    auto indexType = cast<RankedTensorType>(indices.getType());
    int64_t k = indexType.getDimSize(1);
    int64_t numExperts = op.getNumExperts();
    Type i32 = rewriter.getI32Type();
    Value c0 = cst(rewriter, loc, 0), c1 = cst(rewriter, loc, 1), ck = cst(rewriter, loc, k),
          cE = cst(rewriter, loc, numExperts);
    Value numTokens = tensor::DimOp::create(rewriter, loc, indices, 0);
    Value slots = arith::MulIOp::create(rewriter, loc, numTokens, ck);
    // The expert of slot s, or E when it names none.
    auto expertOf = [&](OpBuilder &b, Location l, Value s) {
      Value raw = tensor::ExtractOp::create(
          b, l, indices,
          ValueRange{arith::DivUIOp::create(b, l, s, ck), arith::RemUIOp::create(b, l, s, ck)});
      Value e = arith::IndexCastOp::create(b, l, b.getIndexType(), raw);
      Value valid = arith::AndIOp::create(
          b, l, arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, e, cst(b, l, 0)),
          arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, e, cE));
      return Value(arith::SelectOp::create(b, l, valid, e, cE));
    };
    // Counts per expert (E + 1 buckets; the last one for no expert).
    Value zeroI32 = arith::ConstantOp::create(rewriter, loc, rewriter.getI32IntegerAttr(0));
    Value oneI32 = arith::ConstantOp::create(rewriter, loc, rewriter.getI32IntegerAttr(1));
    SmallVector<OpFoldResult> buckets = {rewriter.getIndexAttr(numExperts + 1)};
    Value counts =
        scf::ForOp::create(rewriter, loc, c0, slots, c1,
                           ValueRange{filled(rewriter, loc, buckets, zeroI32)},
                           [&](OpBuilder &b, Location l, Value s, ValueRange iter) {
                             Value e = expertOf(b, l, s);
                             Value n = tensor::ExtractOp::create(b, l, iter[0], e);
                             Value up = tensor::InsertOp::create(
                                 b, l, arith::AddIOp::create(b, l, n, oneI32), iter[0], e);
                             scf::YieldOp::create(b, l, up);
                           })
            .getResult(0);
    // Exclusive prefix sums: offsets[e] (E + 1 of them, the result) and
    // each bucket's start (the cursors).
    Value offsets =
        scf::ForOp::create(rewriter, loc, c0, cE, c1,
                           ValueRange{filled(rewriter, loc, buckets, zeroI32)},
                           [&](OpBuilder &b, Location l, Value e, ValueRange iter) {
                             Value next = arith::AddIOp::create(b, l, e, cst(b, l, 1));
                             Value sum = arith::AddIOp::create(
                                 b, l, tensor::ExtractOp::create(b, l, iter[0], e),
                                 tensor::ExtractOp::create(b, l, counts, e));
                             scf::YieldOp::create(
                                 b, l, Value(tensor::InsertOp::create(b, l, sum, iter[0], next)));
                           })
            .getResult(0);
    // Each slot at its bucket's cursor.
    SmallVector<OpFoldResult> slotSizes = {slots};
    Value permInit = filled(rewriter, loc, slotSizes, zeroI32);
    auto placement = scf::ForOp::create(
        rewriter, loc, c0, slots, c1, ValueRange{offsets, permInit},
        [&](OpBuilder &b, Location l, Value s, ValueRange iter) {
          Value e = expertOf(b, l, s);
          Value at = tensor::ExtractOp::create(b, l, iter[0], e);
          Value cursors = tensor::InsertOp::create(b, l, arith::AddIOp::create(b, l, at, oneI32),
                                                   iter[0], e);
          Value perm = tensor::InsertOp::create(b, l, arith::IndexCastOp::create(b, l, i32, s),
                                                iter[1], toIndex(b, l, at));
          scf::YieldOp::create(b, l, ValueRange{cursors, perm});
        });
    Value permutation = placement.getResult(1);
    // The tokens in sorted order.
    AffineMap id = AffineMap::getMultiDimIdentityMap(2, ctx);
    auto tokensType = cast<RankedTensorType>(tokens.getType());
    SmallVector<OpFoldResult> sortedSizes = {slots, tensor::getMixedSize(rewriter, loc, tokens, 1)};
    Value sorted = generic(
        rewriter, loc, tensor::EmptyOp::create(rewriter, loc, sortedSizes, tokensType.getElementType()),
        permutation, {AffineMap::get(2, 0, {getAffineDimExpr(0, ctx)}, ctx), id},
        {IT::parallel, IT::parallel}, [&](OpBuilder &b, Location l, ValueRange args) {
          Value token = arith::DivUIOp::create(b, l, toIndex(b, l, args[0]), ck);
          linalg::YieldOp::create(
              b, l, Value(tensor::ExtractOp::create(b, l, tokens,
                                                    ValueRange{token, linalg::IndexOp::create(b, l, 1)})));
        });
    rewriter.replaceOp(op, {castTo(rewriter, loc, sorted, op.getSortedTokens().getType()),
                            castTo(rewriter, loc, permutation, op.getPermutation().getType()),
                            castTo(rewriter, loc, offsets, op.getOffsets().getType())});
    return success();
  }
};

struct LowerGroupedMatmul : OpRewritePattern<GroupedMatmulOp> {
  LowerGroupedMatmul(MLIRContext *ctx, bool weightTiles)
      : OpRewritePattern(ctx), weightTiles(weightTiles) {}
  /// Per-channel 8-bit experts as float products over weights dequantized
  /// from a k-major copy (the CPU tiles the dequantization into them).
  bool weightTiles;

  /// Integer expert weights, dequantized per (expert, row, group of K):
  /// moe.dequantize along the last axis in blocks (QMoE's form and
  /// moe-quantize-weights'). Null for other weights.
  static DequantizeOp quantizedExperts(Value rhs) {
    auto dequantize = rhs.getDefiningOp<DequantizeOp>();
    if (!dequantize || dequantize.getAxis() != std::optional<uint64_t>(2) ||
        dequantize.getBlockSize() == 0 ||
        cast<RankedTensorType>(dequantize.getScale().getType()).getRank() != 3 ||
        !cast<RankedTensorType>(rhs.getType()).hasStaticShape())
      return {};
    return dequantize;
  }

  /// Per-channel 8-bit experts kept once, k-major: expert e's weight
  /// dequantized as a [K, N] float operand (`weight`: an elementwise
  /// producer the CPU computes one panel at a time beside the rows that
  /// use it, TileAndVectorize; the float register tile does the work), and
  /// a few rows' product read straight from the integers (`fewRows`).
  struct KMajorExperts {
    std::function<Value(OpBuilder &, Location, Value e)> weight;
    std::function<Value(OpBuilder &, Location, Value rows, Value e)> fewRows;
  };

  /// Those of constant 8-bit integers with one scale (and zero point) per
  /// output channel; nothing for other experts (and nothing built).
  static std::optional<KMajorExperts> dequantizedWeightTiles(OpBuilder &b, Location loc,
                                                             DequantizeOp dequantize) {
    auto qType = cast<RankedTensorType>(dequantize.getInput().getType());
    auto scaleType = cast<RankedTensorType>(dequantize.getScale().getType());
    Value zeroPoint = dequantize.getZeroPoint();
    int64_t n = qType.getDimSize(1), k = qType.getDimSize(2);
    if (qType.getElementTypeBitWidth() != 8 || scaleType.getDimSize(2) != 1 ||
        !scaleType.getElementType().isF32() || !constantRawBytes(dequantize.getInput()) ||
        (zeroPoint && !matchPattern(zeroPoint, m_Constant())))
      return std::nullopt;
    Type storage = qType.getElementType();
    Value kMajor = kMajorWeights(b, loc, dequantize.getInput());
    MLIRContext *ctx = b.getContext();
    AffineMap id2 = AffineMap::getMultiDimIdentityMap(2, ctx);
    AffineMap perColumn = AffineMap::get(2, 0, {getAffineDimExpr(1, ctx)}, ctx);
    // Row e of a per-channel [E, N, 1] parameter, as [N].
    auto channelsOf = [=](OpBuilder &nb, Location l, Value stacked, Value e) -> Value {
      auto type = cast<RankedTensorType>(stacked.getType());
      SmallVector<OpFoldResult> offsets = {e, nb.getIndexAttr(0), nb.getIndexAttr(0)};
      SmallVector<OpFoldResult> sizes = {nb.getIndexAttr(1), nb.getIndexAttr(n),
                                         nb.getIndexAttr(1)};
      return tensor::ExtractSliceOp::create(
          nb, l, RankedTensorType::get({n}, type.getElementType()), stacked, offsets, sizes,
          SmallVector<OpFoldResult>(3, nb.getIndexAttr(1)));
    };
    Value scale = dequantize.getScale();
    // Expert e's integers [K, N], its scales [N] and zero points [N] (none
    // without), signless for arith.
    auto paramsOf = [=](OpBuilder &nb, Location l, Value e) {
      Value q = matrixOf(nb, l, kMajor, e);
      SmallVector<Value> params = {asSignless(nb, l, q), channelsOf(nb, l, scale, e)};
      if (zeroPoint)
        params.push_back(asSignless(nb, l, channelsOf(nb, l, zeroPoint, e)));
      return params;
    };
    // The weight at (k, n) from the integer, scale and zero point there.
    auto dequantized = [=](OpBuilder &bb, Location bl, ValueRange args) -> Value {
      Value w = intToFloat(bb, bl, args[0], storage, bb.getF32Type());
      if (zeroPoint)
        w = arith::SubFOp::create(bb, bl, w, intToFloat(bb, bl, args[2], storage, bb.getF32Type()));
      return arith::MulFOp::create(bb, bl, w, args[1]);
    };
    KMajorExperts experts;
    experts.weight = [=](OpBuilder &nb, Location l, Value e) -> Value {
      SmallVector<AffineMap> maps = {id2, perColumn};
      if (zeroPoint)
        maps.push_back(perColumn);
      maps.push_back(id2);
      Value init = tensor::EmptyOp::create(nb, l, ArrayRef<int64_t>{k, n}, nb.getF32Type());
      return generic(nb, l, init, paramsOf(nb, l, e), maps, {IT::parallel, IT::parallel},
                     [&](OpBuilder &bb, Location bl, ValueRange args) {
                       linalg::YieldOp::create(bb, bl, dequantized(bb, bl, args));
                     });
    };
    // Rows [r, K] times the integers in their k-major order, n innermost:
    // each integer read once, contiguously, per row (a decode step's
    // stream of weights), the sums of a row updated along n by fused
    // multiply-adds; the channels' scales multiply the sums once.
    experts.fewRows = [=](OpBuilder &nb, Location l, Value rows, Value e) -> Value {
      SmallVector<Value> params = paramsOf(nb, l, e);
      OpFoldResult m = tensor::getMixedSize(nb, l, rows, 0);
      Value zero = arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(0));
      AffineExpr r = getAffineDimExpr(0, ctx), kk = getAffineDimExpr(1, ctx),
                 nn = getAffineDimExpr(2, ctx);
      AffineMap perN = AffineMap::get(3, 0, {nn}, ctx);
      // sum over its k of x[r, k] * (q[k, n] - zp[n]): [r, n].
      auto sums = [&](OpBuilder &bb, Location bl, Value x, Value q) -> Value {
        SmallVector<AffineMap> maps = {AffineMap::get(3, 0, {r, kk}, ctx),
                                       AffineMap::get(3, 0, {kk, nn}, ctx)};
        SmallVector<Value> ins = {x, q};
        if (zeroPoint) {
          maps.push_back(perN);
          ins.push_back(params[2]);
        }
        maps.push_back(AffineMap::get(3, 0, {r, nn}, ctx));
        return generic(bb, bl, filled(bb, bl, {m, bb.getIndexAttr(n)}, zero), ins, maps,
                       {IT::parallel, IT::reduction, IT::parallel},
                       [&](OpBuilder &b2, Location l2, ValueRange args) {
                         Value w = intToFloat(b2, l2, args[1], storage, b2.getF32Type());
                         if (zeroPoint)
                           w = arith::SubFOp::create(
                               b2, l2, w, intToFloat(b2, l2, args[2], storage, b2.getF32Type()));
                         linalg::YieldOp::create(
                             b2, l2, Value(math::FmaOp::create(b2, l2, args[0], w, args.back())));
                       });
      };
      // A GEMV streams the weights once, at what one core's loads reach
      // (about half the memory's bandwidth here): a big one sums chunks of
      // K in parallel (an scf.forall, OpenMP later), each chunk's integers
      // one contiguous stretch, and adds the partial sums after.
      int64_t chunk = 0;
      if (n * k >= (int64_t(1) << 20))
        for (int64_t rowsOfK : {256, 128, 64})
          if (k % rowsOfK == 0 && k / rowsOfK >= 4) {
            chunk = rowsOfK;
            break;
          }
      // total[r, piece, n]: the partial sums, or [r, 1, n] the sums.
      Value total;
      if (!chunk) {
        total = tensor::ExpandShapeOp::create(
            nb, l, RankedTensorType::get({ShapedType::kDynamic, 1, n}, nb.getF32Type()),
            sums(nb, l, rows, params[0]), SmallVector<ReassociationIndices>{{0, 1}, {2}},
            SmallVector<OpFoldResult>{m, nb.getIndexAttr(1), nb.getIndexAttr(n)});
      } else {
        int64_t pieces = k / chunk;
        auto forall = scf::ForallOp::create(
            nb, l, ArrayRef<OpFoldResult>{nb.getIndexAttr(pieces)},
            ValueRange{filled(nb, l, {m, nb.getIndexAttr(pieces), nb.getIndexAttr(n)}, zero)},
            std::nullopt);
        // Built through `nb` (a pattern's rewriter hears of every op).
        OpBuilder::InsertionGuard guard(nb);
        OpBuilder &fb = nb;
        fb.setInsertionPointToStart(forall.getBody());
        Value first = arith::MulIOp::create(fb, l, forall.getInductionVar(0),
                                            arith::ConstantIndexOp::create(fb, l, chunk));
        OpFoldResult one = fb.getIndexAttr(1), none = fb.getIndexAttr(0);
        Value x = tensor::ExtractSliceOp::create(fb, l, rows, ArrayRef<OpFoldResult>{none, first},
                                                 ArrayRef<OpFoldResult>{m, fb.getIndexAttr(chunk)},
                                                 ArrayRef<OpFoldResult>{one, one});
        Value q = tensor::ExtractSliceOp::create(
            fb, l, params[0], ArrayRef<OpFoldResult>{first, none},
            ArrayRef<OpFoldResult>{fb.getIndexAttr(chunk), fb.getIndexAttr(n)},
            ArrayRef<OpFoldResult>{one, one});
        Value part = sums(fb, l, x, q);
        fb.setInsertionPointToStart(forall.getTerminator().getBody());
        tensor::ParallelInsertSliceOp::create(
            fb, l, part, forall.getRegionIterArgs()[0],
            ArrayRef<OpFoldResult>{none, forall.getInductionVar(0), none},
            ArrayRef<OpFoldResult>{m, one, fb.getIndexAttr(n)},
            ArrayRef<OpFoldResult>{one, one, one});
        total = forall.getResult(0);
      }
      // out[r, n] = sum over pieces of total[r, piece, n] * scale[n].
      return generic(
          nb, l, filled(nb, l, {m, nb.getIndexAttr(n)}, zero), ValueRange{total, params[1]},
          {AffineMap::get(3, 0, {r, kk, nn}, ctx), perN, AffineMap::get(3, 0, {r, nn}, ctx)},
          {IT::parallel, IT::reduction, IT::parallel},
          [&](OpBuilder &bb, Location bl, ValueRange args) {
            linalg::YieldOp::create(
                bb, bl, Value(math::FmaOp::create(bb, bl, args[0], args[1], args.back())));
          });
    };
    return experts;
  }

  /// Expert e's rows times its integer weights (and bias) as a moe.qmatmul
  /// on the expert's slices.
  static Value quantizedProduct(OpBuilder &b, Location l, GroupedMatmulOp op,
                                DequantizeOp dequantize, Value rowsIn, Value e) {
    int64_t k = cast<RankedTensorType>(dequantize.getInput().getType()).getDimSize(2);
    int64_t groups = cast<RankedTensorType>(dequantize.getScale().getType()).getDimSize(2);
    Value zeroPoint =
        dequantize.getZeroPoint() ? matrixOf(b, l, dequantize.getZeroPoint(), e) : Value();
    Value biasRow = op.getBias() ? matrixOf(b, l, op.getBias(), e) : Value();
    return QMatmulOp::create(b, l, rowsIn, matrixOf(b, l, dequantize.getInput(), e),
                             matrixOf(b, l, dequantize.getScale(), e), zeroPoint, biasRow,
                             b.getI64IntegerAttr(groups == 1 ? k : k / groups))
        .getResult();
  }

  /// Each expert's rows times its integer weights as a moe.qmatmul on the
  /// expert's slices, so the weights stay integers (packed for int4) and
  /// no float copy of them is made.
  static Value lowerQuantized(OpBuilder &rewriter, Location loc, GroupedMatmulOp op,
                              DequantizeOp dequantize, Value init) {
    Value lhs = op.getLhs(), offsets = op.getOffsets();
    auto qType = cast<RankedTensorType>(dequantize.getInput().getType());
    int64_t experts = qType.getDimSize(0), n = qType.getDimSize(1), k = qType.getDimSize(2);
    Value c0 = cst(rewriter, loc, 0), c1 = cst(rewriter, loc, 1);
    Value rowCount = tensor::DimOp::create(rewriter, loc, lhs, 0);
    return scf::ForOp::create(
               rewriter, loc, c0, cst(rewriter, loc, experts), c1, ValueRange{init},
               [&](OpBuilder &b, Location l, Value e, ValueRange iter) {
                 auto bound = [&](Value i) {
                   Value v = toIndex(b, l, tensor::ExtractOp::create(b, l, offsets, i));
                   return Value(arith::MinSIOp::create(
                       b, l, arith::MaxSIOp::create(b, l, v, c0), rowCount));
                 };
                 Value start = bound(e);
                 Value end = arith::MaxSIOp::create(
                     b, l, bound(arith::AddIOp::create(b, l, e, c1)), start);
                 Value count = arith::SubIOp::create(b, l, end, start);
                 SmallVector<OpFoldResult> ones = {b.getIndexAttr(1), b.getIndexAttr(1)};
                 SmallVector<OpFoldResult> at = {start, b.getIndexAttr(0)};
                 SmallVector<OpFoldResult> lhsSizes = {count, b.getIndexAttr(k)};
                 Value rowsIn = tensor::ExtractSliceOp::create(b, l, lhs, at, lhsSizes, ones);
                 Value product = quantizedProduct(b, l, op, dequantize, rowsIn, e);
                 SmallVector<OpFoldResult> outSizes = {count, b.getIndexAttr(n)};
                 Value updated =
                     tensor::InsertSliceOp::create(b, l, product, iter[0], at, outSizes, ones);
                 scf::YieldOp::create(b, l, updated);
               })
        .getResult(0);
  }

  LogicalResult matchAndRewrite(GroupedMatmulOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    Value lhs = op.getLhs(), rhs = op.getRhs(), offsets = op.getOffsets(), bias = op.getBias();
    auto rhsType = cast<RankedTensorType>(rhs.getType());
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    Type element = resultType.getElementType();
    int64_t numExperts = rhsType.getDimSize(0);
    if (ShapedType::isDynamic(numExperts))
      return rewriter.notifyMatchFailure(op, "the expert count must be static");
    OpFoldResult rows = tensor::getMixedSize(rewriter, loc, lhs, 0);
    OpFoldResult depth = tensor::getMixedSize(rewriter, loc, lhs, 1);
    OpFoldResult width = tensor::getMixedSize(rewriter, loc, rhs, 1);
    Value zero = arith::ConstantOp::create(rewriter, loc, rewriter.getFloatAttr(element, 0.0));
    Value c0 = cst(rewriter, loc, 0), c1 = cst(rewriter, loc, 1);
    // Expert e's weight [K, N] as the product's float operand.
    std::function<Value(OpBuilder &, Location, Value)> weightOf;
    // With dequantized weight tiles, an expert with fewer rows than the
    // CPU's register tile (a decode step) reads the integers instead:
    // dequantizing panels costs more than a row uses.
    std::function<Value(OpBuilder &, Location, Value, Value)> fewRows;
    if (auto dequantize = quantizedExperts(rhs)) {
      std::optional<KMajorExperts> kMajor;
      if (weightTiles && element.isF32() &&
          cast<RankedTensorType>(lhs.getType()).getElementType().isF32())
        kMajor = dequantizedWeightTiles(rewriter, loc, dequantize);
      if (kMajor) {
        weightOf = kMajor->weight;
        fewRows = kMajor->fewRows;
      } else {
        rewriter.replaceOp(op, castTo(rewriter, loc,
                                      lowerQuantized(rewriter, loc, op, dequantize,
                                                     filled(rewriter, loc, {rows, width}, zero)),
                                      resultType));
        return success();
      }
    } else {
      Value kMajor = kMajorWeights(rewriter, loc, rhs);
      weightOf = [=](OpBuilder &b, Location l, Value e) -> Value {
        SmallVector<OpFoldResult> wOffsets = {e, b.getIndexAttr(0), b.getIndexAttr(0)};
        SmallVector<OpFoldResult> wSizes = {b.getIndexAttr(1),
                                            tensor::getMixedSize(b, l, kMajor, 1),
                                            tensor::getMixedSize(b, l, kMajor, 2)};
        SmallVector<OpFoldResult> wStrides(3, b.getIndexAttr(1));
        auto wType = RankedTensorType::get({rhsType.getDimSize(2), rhsType.getDimSize(1)},
                                           rhsType.getElementType());
        return tensor::ExtractSliceOp::create(b, l, wType, kMajor, wOffsets, wSizes, wStrides);
      };
    }
    // On the CPU a gated activation reading the two halves of the product
    // (SwiGLU of a fused gate/up) goes beside each expert's product, where
    // the tiler applies it a register tile at a time: the [rows, 2I]
    // product is never written whole.
    std::optional<MatmulEpilogue> epilogue;
    if (weightTiles && !fewRows && element.isF32())
      epilogue = matchMatmulEpilogue(op.getResult());
    OpFoldResult outWidth = epilogue ? rewriter.getIndexAttr(epilogue->width) : width;
    // The rows' product as the op's result: through the epilogue when
    // there is one.
    auto finish = [&](OpBuilder &b, Location l, Value product, OpFoldResult count) -> Value {
      if (!epilogue)
        return product;
      SmallVector<OpFoldResult> sizes = {count, outWidth};
      SmallVector<OpFoldResult> ones = {b.getIndexAttr(1), b.getIndexAttr(1)};
      SmallVector<Value> inputs;
      for (int64_t column : epilogue->columns)
        inputs.push_back(tensor::ExtractSliceOp::create(
            b, l, product, SmallVector<OpFoldResult>{b.getIndexAttr(0), b.getIndexAttr(column)},
            sizes, ones));
      return applyEpilogue(b, l, *epilogue, inputs,
                           tensor::EmptyOp::create(b, l, sizes, element));
    };
    Value rowCount = getValueOrCreateConstantIndexOp(rewriter, loc, rows);
    AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
               kk = getAffineDimExpr(2, ctx);
    // offsets[i] clamped to the lhs (offsets are data).
    auto bound = [&](OpBuilder &b, Location l, Value i) {
      Value v = toIndex(b, l, tensor::ExtractOp::create(b, l, offsets, i));
      return Value(
          arith::MinSIOp::create(b, l, arith::MaxSIOp::create(b, l, v, c0), rowCount));
    };
    // Zeros where no expert writes: rows [0, offsets[0]) here, rows from
    // the last expert's end after the loop; the experts' own rows are
    // written once, by their products, with no fill of the whole first.
    // Each expert starts where the one before ended (what the offsets
    // say when they are ascending), so no row between is left unwritten.
    auto zeroRows = [&](Value into, Value from, Value count) {
      SmallVector<OpFoldResult> at = {from, rewriter.getIndexAttr(0)};
      SmallVector<OpFoldResult> ones = {rewriter.getIndexAttr(1), rewriter.getIndexAttr(1)};
      Value zeros = finish(rewriter, loc, filled(rewriter, loc, {count, width}, zero), count);
      return tensor::InsertSliceOp::create(rewriter, loc, zeros, into, at,
                                           SmallVector<OpFoldResult>{count, outWidth}, ones)
          .getResult();
    };
    Value firstRow = bound(rewriter, loc, c0);
    Value init = zeroRows(tensor::EmptyOp::create(rewriter, loc, {rows, outWidth}, element), c0,
                          firstRow);
    auto loop =
        scf::ForOp::create(
            rewriter, loc, c0, cst(rewriter, loc, numExperts), c1, ValueRange{init, firstRow},
            [&](OpBuilder &b, Location l, Value e, ValueRange iter) {
              Value start = iter[1];
              Value end = arith::MaxSIOp::create(
                  b, l, bound(b, l, arith::AddIOp::create(b, l, e, cst(b, l, 1))), start);
              Value count = arith::SubIOp::create(b, l, end, start);
              SmallVector<OpFoldResult> ones = {b.getIndexAttr(1), b.getIndexAttr(1)};
              SmallVector<OpFoldResult> at = {start, b.getIndexAttr(0)};
              SmallVector<OpFoldResult> lhsSizes = {count, depth};
              Value rowsIn = tensor::ExtractSliceOp::create(b, l, lhs, at, lhsSizes, ones);
              SmallVector<OpFoldResult> outSizes = {count, width};
              // The rows times expert e's weights (through the integers when `few`), plus its bias.
              auto expertProduct = [&](OpBuilder &b, Location l, bool few) {
                Value product;
                if (few) {
                  product = fewRows(b, l, rowsIn, e);
                } else {
                  Value weight = weightOf(b, l, e);
                  Value acc = filled(b, l, outSizes, zero);
                  product = generic(
                      b, l, acc, ValueRange{rowsIn, weight},
                      {AffineMap::get(3, 0, {m, kk}, ctx), AffineMap::get(3, 0, {kk, n}, ctx),
                       AffineMap::get(3, 0, {m, n}, ctx)},
                      {IT::parallel, IT::parallel, IT::reduction},
                      [&](OpBuilder &nb, Location nl, ValueRange args) {
                        Value p =
                            arith::MulFOp::create(nb, nl, convertFloat(nb, nl, args[0], element),
                                                  convertFloat(nb, nl, args[1], element));
                        linalg::YieldOp::create(nb, nl,
                                                Value(arith::AddFOp::create(nb, nl, args[2], p)));
                      });
                }
                if (bias) {
                  auto biasType = cast<RankedTensorType>(bias.getType());
                  SmallVector<OpFoldResult> bOffsets = {e, b.getIndexAttr(0)};
                  SmallVector<OpFoldResult> bSizes = {b.getIndexAttr(1), width};
                  Value row = tensor::ExtractSliceOp::create(
                      b, l,
                      RankedTensorType::get({biasType.getDimSize(1)}, biasType.getElementType()),
                      bias, bOffsets, bSizes, ones);
                  AffineExpr bm = getAffineDimExpr(0, ctx), bn = getAffineDimExpr(1, ctx);
                  AffineMap id2 = AffineMap::get(2, 0, {bm, bn}, ctx);
                  product =
                      generic(b, l, product, ValueRange{row},
                              {AffineMap::get(2, 0, {bn}, ctx), id2}, {IT::parallel, IT::parallel},
                              [&](OpBuilder &nb, Location nl, ValueRange args) {
                                linalg::YieldOp::create(
                                    nb, nl,
                                    Value(arith::AddFOp::create(
                                        nb, nl, args[1], convertFloat(nb, nl, args[0], element))));
                              });
                }
                return product;
              };
              Value product;
              if (fewRows) {
                Value many =
                    arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, count, cst(b, l, 8));
                product = scf::IfOp::create(
                              b, l, many,
                              [&](OpBuilder &tb, Location tl) {
                                scf::YieldOp::create(tb, tl, expertProduct(tb, tl, false));
                              },
                              [&](OpBuilder &eb, Location el) {
                                scf::YieldOp::create(eb, el, expertProduct(eb, el, true));
                              })
                              .getResult(0);
              } else {
                product = expertProduct(b, l, false);
              }
              Value updated = tensor::InsertSliceOp::create(
                  b, l, finish(b, l, product, count), iter[0], at,
                  SmallVector<OpFoldResult>{count, outWidth}, ones);
              scf::YieldOp::create(b, l, ValueRange{updated, end});
            });
    Value lastEnd = loop.getResult(1);
    Value result = zeroRows(loop.getResult(0), lastEnd,
                            arith::SubIOp::create(rewriter, loc, rowCount, lastEnd));
    if (epilogue) {
      replaceEpilogue(
          rewriter, *epilogue, op.getResult(),
          castTo(rewriter, loc, result, epilogue->consumer->getResult(0).getType()), rowCount);
      rewriter.eraseOp(op);
      return success();
    }
    rewriter.replaceOp(op, castTo(rewriter, loc, result, resultType));
    return success();
  }
};

/// moe.grouped_matmul as one op over all rows, each reading its expert
/// from the offsets: no loop over experts whose bounds are data, so a GPU
/// runs it as one kernel without reading anything back. First each row's
/// expert (-1 outside [offsets[0], offsets[E])), then the product reading
/// the row's expert's weights: float ones, or integer ones (moe.dequantize
/// per block of K) dequantized as they are read, int4 kept packed.
struct LowerGroupedMatmulByRow : OpRewritePattern<GroupedMatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GroupedMatmulOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    Value lhs = op.getLhs(), rhs = op.getRhs(), offsets = op.getOffsets(), bias = op.getBias();
    auto rhsType = cast<RankedTensorType>(rhs.getType());
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    Type element = resultType.getElementType();
    int64_t numExperts = rhsType.getDimSize(0);
    if (ShapedType::isDynamic(numExperts))
      return rewriter.notifyMatchFailure(op, "the expert count must be static");
    DequantizeOp dequantize = LowerGroupedMatmul::quantizedExperts(rhs);
    Type storage = dequantize ? cast<RankedTensorType>(dequantize.getInput().getType())
                                    .getElementType()
                              : Type();
    bool int4 = storage && storage.getIntOrFloatBitWidth() == 4;
    // Checked before anything is built: a failing pattern leaves no IR.
    if (int4 && (!constantBytes(dequantize.getInput()) ||
                 (dequantize.getZeroPoint() && !constantBytes(dequantize.getZeroPoint()))))
      return rewriter.notifyMatchFailure(op, "int4 experts must be constants (kept packed)");
    OpFoldResult rows = tensor::getMixedSize(rewriter, loc, lhs, 0);
    OpFoldResult width = tensor::getMixedSize(rewriter, loc, rhs, 1);
    Value c0 = cst(rewriter, loc, 0), c1 = cst(rewriter, loc, 1);
    Value none = cst(rewriter, loc, -1), lastExpert = cst(rewriter, loc, numExperts);
    AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
               kk = getAffineDimExpr(2, ctx);
    // expert[r] = the e with offsets[e] <= r < offsets[e + 1], else -1.
    SmallVector<OpFoldResult> rowSizes = {rows};
    Value expertOfRow = generic(
        rewriter, loc, filled(rewriter, loc, rowSizes, none), ValueRange{},
        {AffineMap::get(1, 0, {m}, ctx)}, {IT::parallel},
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value r = linalg::IndexOp::create(b, l, 0);
          auto startOf = [&](Value e) {
            return toIndex(b, l, tensor::ExtractOp::create(b, l, offsets, e));
          };
          Value below = scf::ForOp::create(
                            b, l, c1, cst(b, l, numExperts + 1), c1, ValueRange{c0},
                            [&](OpBuilder &fb, Location fl, Value j, ValueRange count) {
                              Value passed = arith::CmpIOp::create(
                                  fb, fl, arith::CmpIPredicate::sle, startOf(j), r);
                              Value step = arith::SelectOp::create(fb, fl, passed, c1, c0);
                              scf::YieldOp::create(
                                  fb, fl, Value(arith::AddIOp::create(fb, fl, count[0], step)));
                            })
                            .getResult(0);
          Value inside = arith::AndIOp::create(
              b, l, arith::CmpIOp::create(b, l, arith::CmpIPredicate::sle, startOf(c0), r),
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, below, lastExpert));
          linalg::YieldOp::create(b, l, Value(arith::SelectOp::create(b, l, inside, below, none)));
        });
    // The weight of expert e at (k, n): float weights k-major; integer ones
    // as stored ([E, N, K], int4 packed two to a byte) with their scale and
    // zero point per block of K.
    std::function<Value(OpBuilder &, Location, Value, Value, Value)> weightAt;
    if (!dequantize) {
      Value kMajor = kMajorWeights(rewriter, loc, rhs);
      weightAt = [=](OpBuilder &b, Location l, Value e, Value k, Value n) {
        return convertFloat(b, l, tensor::ExtractOp::create(b, l, kMajor, ValueRange{e, k, n}),
                            element);
      };
    } else {
      bool isUnsigned = cast<IntegerType>(storage).isUnsigned();
      auto signless = [&](Value v) { return asSignless(rewriter, loc, v); };
      Value data = int4 ? packInt4Constant(rewriter, loc, dequantize.getInput())->bytes
                        : signless(dequantize.getInput());
      Value zeroPoint = dequantize.getZeroPoint();
      if (zeroPoint)
        zeroPoint = signless(int4 ? widenInt4Constant(rewriter, loc, zeroPoint) : zeroPoint);
      Value scale = dequantize.getScale();
      Value block = cst(rewriter, loc, dequantize.getBlockSize());
      Value two = cst(rewriter, loc, 2);
      weightAt = [=](OpBuilder &b, Location l, Value e, Value k, Value n) {
        auto toFloat = [&](Value v) {
          return isUnsigned ? Value(arith::UIToFPOp::create(b, l, element, v))
                            : Value(arith::SIToFPOp::create(b, l, element, v));
        };
        Value q;
        if (int4) {
          Value byte = tensor::ExtractOp::create(
              b, l, data, ValueRange{e, n, arith::DivUIOp::create(b, l, k, two)});
          q = unpackNibble(b, l, byte, k, isUnsigned);
        } else {
          q = tensor::ExtractOp::create(b, l, data, ValueRange{e, n, k});
        }
        SmallVector<Value> at = {e, n, arith::DivUIOp::create(b, l, k, block)};
        Value x = toFloat(q);
        if (zeroPoint)
          x = arith::SubFOp::create(b, l, x,
                                    toFloat(tensor::ExtractOp::create(b, l, zeroPoint, at)));
        return Value(arith::MulFOp::create(
            b, l, x, convertFloat(b, l, tensor::ExtractOp::create(b, l, scale, at), element)));
      };
    }
    Value zero = arith::ConstantOp::create(rewriter, loc, rewriter.getFloatAttr(element, 0.0));
    SmallVector<OpFoldResult> outSizes = {rows, width};
    Value product = generic(
        rewriter, loc, filled(rewriter, loc, outSizes, zero), ValueRange{lhs, expertOfRow},
        {AffineMap::get(3, 0, {m, kk}, ctx), AffineMap::get(3, 0, {m}, ctx),
         AffineMap::get(3, 0, {m, n}, ctx)},
        {IT::parallel, IT::parallel, IT::reduction},
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value e = args[1];
          Value valid = arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, e, c0);
          Value safe = arith::SelectOp::create(b, l, valid, e, c0);
          Value w = weightAt(b, l, safe, linalg::IndexOp::create(b, l, 2),
                             linalg::IndexOp::create(b, l, 1));
          Value p = arith::MulFOp::create(b, l, convertFloat(b, l, args[0], element), w);
          p = arith::SelectOp::create(b, l, valid, p, zero);
          linalg::YieldOp::create(b, l, Value(arith::AddFOp::create(b, l, args[2], p)));
        });
    if (bias)
      product = generic(
          rewriter, loc, product, ValueRange{expertOfRow},
          {AffineMap::get(2, 0, {m}, ctx), AffineMap::get(2, 0, {m, n}, ctx)},
          {IT::parallel, IT::parallel}, [&](OpBuilder &b, Location l, ValueRange args) {
            Value e = args[0];
            Value valid = arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, e, c0);
            Value safe = arith::SelectOp::create(b, l, valid, e, c0);
            Value add = convertFloat(
                b, l, tensor::ExtractOp::create(b, l, bias,
                                                ValueRange{safe, linalg::IndexOp::create(b, l, 1)}),
                element);
            add = arith::SelectOp::create(b, l, valid, add, zero);
            linalg::YieldOp::create(b, l, Value(arith::AddFOp::create(b, l, args[1], add)));
          });
    rewriter.replaceOp(op, castTo(rewriter, loc, product, resultType));
    return success();
  }
};

struct LowerCombine : OpRewritePattern<CombineOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CombineOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    Value rows = op.getExpertOutputs(), permutation = op.getPermutation(),
          weights = op.getWeights();
    auto weightsType = cast<RankedTensorType>(weights.getType());
    int64_t k = weightsType.getDimSize(1);
    Type element = cast<RankedTensorType>(op.getResult().getType()).getElementType();
    Value c0 = cst(rewriter, loc, 0), c1 = cst(rewriter, loc, 1), ck = cst(rewriter, loc, k);
    Value slots = tensor::DimOp::create(rewriter, loc, permutation, 0);
    Value rowCount = tensor::DimOp::create(rewriter, loc, rows, 0);
    // inverse[slot] = its sorted row (-1: none).
    SmallVector<OpFoldResult> slotSizes = {slots};
    Value none = cst(rewriter, loc, -1);
    Value inverse =
        scf::ForOp::create(
            rewriter, loc, c0, slots, c1, ValueRange{filled(rewriter, loc, slotSizes, none)},
            [&](OpBuilder &b, Location l, Value r, ValueRange iter) {
              Value s = toIndex(b, l, tensor::ExtractOp::create(b, l, permutation, r));
              Value valid = arith::AndIOp::create(
                  b, l, arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, s, c0),
                  arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, s, slots));
              auto update = scf::IfOp::create(
                  b, l, valid,
                  [&](OpBuilder &tb, Location tl) {
                    scf::YieldOp::create(
                        tb, tl, Value(tensor::InsertOp::create(tb, tl, r, iter[0], s)));
                  },
                  [&](OpBuilder &eb, Location el) { scf::YieldOp::create(eb, el, iter[0]); });
              scf::YieldOp::create(b, l, update.getResult(0));
            })
            .getResult(0);
    // result[t, h] = sum_j weights[t, j] * rows[inverse[t * k + j], h].
    SmallVector<OpFoldResult> outSizes = {tensor::getMixedSize(rewriter, loc, weights, 0),
                                          tensor::getMixedSize(rewriter, loc, rows, 1)};
    Value zero = arith::ConstantOp::create(rewriter, loc, rewriter.getFloatAttr(element, 0.0));
    AffineExpr t = getAffineDimExpr(0, ctx), h = getAffineDimExpr(1, ctx),
               j = getAffineDimExpr(2, ctx);
    Value result = generic(
        rewriter, loc, filled(rewriter, loc, outSizes, zero), weights,
        {AffineMap::get(3, 0, {t, j}, ctx), AffineMap::get(3, 0, {t, h}, ctx)},
        {IT::parallel, IT::parallel, IT::reduction},
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value ti = linalg::IndexOp::create(b, l, 0), hi = linalg::IndexOp::create(b, l, 1),
                ji = linalg::IndexOp::create(b, l, 2);
          Value slot = arith::AddIOp::create(b, l, arith::MulIOp::create(b, l, ti, ck), ji);
          Value r = tensor::ExtractOp::create(b, l, inverse, slot);
          Value valid = arith::AndIOp::create(
              b, l, arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, r, c0),
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, r, rowCount));
          // A slot with no row reads row 0 and adds nothing.
          Value safe = arith::SelectOp::create(b, l, valid, r, c0);
          Value x = convertFloat(b, l, tensor::ExtractOp::create(b, l, rows, ValueRange{safe, hi}),
                                 element);
          Value w = convertFloat(b, l, args[0], element);
          Value term = arith::SelectOp::create(b, l, valid, arith::MulFOp::create(b, l, w, x),
                                               zero);
          linalg::YieldOp::create(b, l, Value(arith::AddFOp::create(b, l, args[1], term)));
        });
    rewriter.replaceOp(op, castTo(rewriter, loc, result, op.getResult().getType()));
    return success();
  }
};

} // namespace

void moe::populateLowerRoutingOpsPatterns(RewritePatternSet &patterns,
                                           bool groupedByRow, bool weightTiles) {
  patterns.add<LowerRoute, LowerDispatch, LowerCombine>(patterns.getContext());
  patterns.add<LowerGroupedMatmul>(patterns.getContext(), weightTiles);
  // Tried first; integer experts fall through to the per-expert form.
  if (groupedByRow)
    patterns.add<LowerGroupedMatmulByRow>(patterns.getContext(), /*benefit=*/2);
}
