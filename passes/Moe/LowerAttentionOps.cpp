//===- LowerAttentionOps.cpp - moe.rope and moe.attention as linalg -------===//
//
// The direct form, for every target that takes linalg: rotary embedding as
// one elementwise generic that reads each feature's partner; attention as
// Q K^T, one elementwise pass for scale, softcap and every mask kind, a
// softmax whose fully masked rows give zeros, and P V. The kv heads are
// repeated for GQA and K is transposed first, so both products have the
// batched matmul form the CPU backend register-tiles. Narrow floats are
// computed in f32.
//
//===----------------------------------------------------------------------===//

#include "moe/Dialect/Moe/MoeOps.h"
#include "moe/Passes/Moe/Passes.h"
#include "LoweringHelpers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::moe;

namespace {

using IT = utils::IteratorType;

/// `t` converted elementwise to `to` (extf/truncf), or `t` itself.
Value convertFloats(OpBuilder &b, Location loc, Value t, Type to) {
  auto type = cast<RankedTensorType>(t.getType());
  if (type.getElementType() == to)
    return t;
  Value empty = tensor::EmptyOp::create(b, loc, tensor::getMixedSizes(b, loc, t), to);
  AffineMap id = AffineMap::getMultiDimIdentityMap(type.getRank(), b.getContext());
  return linalg::GenericOp::create(
             b, loc, empty.getType(), t, empty, ArrayRef{id, id},
             SmallVector<IT>(type.getRank(), IT::parallel),
             [&](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(nb, l, convertFloat(nb, l, args[0], to));
             })
      .getResult(0);
}

Value index(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

struct LowerRope : OpRewritePattern<RopeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RopeOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    auto type = cast<RankedTensorType>(x.getType());
    Type element = type.getElementType();
    Type compute = computeTypeFor(rewriter, element);
    Value positions = op.getPositionIds();
    Value maxPos = arith::SubIOp::create(
        rewriter, loc, tensor::DimOp::create(rewriter, loc, op.getCos(), 0), index(rewriter, loc, 1));
    Value depth = tensor::DimOp::create(rewriter, loc, x, 3);
    Value rotary = op.getRotaryDim() ? index(rewriter, loc, op.getRotaryDim())
                                     : Value(depth);
    Value out = tensor::EmptyOp::create(rewriter, loc, tensor::getMixedSizes(rewriter, loc, x),
                                        element);
    AffineMap id = AffineMap::getMultiDimIdentityMap(4, getContext());
    bool interleaved = op.getInterleaved();
    Value result =
        linalg::GenericOp::create(
            rewriter, loc, type, ValueRange{x}, out, ArrayRef{id, id},
            SmallVector<IT>(4, IT::parallel),
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value bi = linalg::IndexOp::create(b, l, 0), hi = linalg::IndexOp::create(b, l, 1),
                    si = linalg::IndexOp::create(b, l, 2), di = linalg::IndexOp::create(b, l, 3);
              Value one = index(b, l, 1), two = index(b, l, 2), zero = index(b, l, 0);
              Value half = arith::DivUIOp::create(b, l, rotary, two);
              Value rotated = arith::CmpIOp::create(b, l, arith::CmpIPredicate::ult, di, rotary);
              // The feature's partner, its pair index and its sign.
              Value pair, partner, first;
              if (interleaved) {
                pair = arith::DivUIOp::create(b, l, di, two);
                first = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq,
                                              arith::RemUIOp::create(b, l, di, two), zero);
                partner = arith::SelectOp::create(b, l, first, arith::AddIOp::create(b, l, di, one),
                                                  arith::SubIOp::create(b, l, di, one));
              } else {
                first = arith::CmpIOp::create(b, l, arith::CmpIPredicate::ult, di, half);
                pair = arith::SelectOp::create(b, l, first, di, arith::SubIOp::create(b, l, di, half));
                partner = arith::SelectOp::create(b, l, first, arith::AddIOp::create(b, l, di, half),
                                                  arith::SubIOp::create(b, l, di, half));
              }
              // Features past the rotary part read themselves (and are kept).
              partner = arith::SelectOp::create(b, l, rotated, partner, di);
              pair = arith::SelectOp::create(b, l, rotated, pair, zero);
              Value pos = si;
              if (positions) {
                auto posType = cast<RankedTensorType>(positions.getType());
                Value row = posType.getDimSize(0) == 1 ? zero : bi;
                Value p = tensor::ExtractOp::create(b, l, positions, ValueRange{row, si});
                pos = arith::IndexCastOp::create(b, l, b.getIndexType(), p);
              }
              // Out-of-range positions are clamped rather than read past the
              // table.
              pos = arith::MaxSIOp::create(b, l, arith::MinSIOp::create(b, l, pos, maxPos), zero);
              auto widen = [&](Value v) { return convertFloat(b, l, v, compute); };
              Value c = widen(tensor::ExtractOp::create(b, l, op.getCos(), ValueRange{pos, pair}));
              Value s = widen(tensor::ExtractOp::create(b, l, op.getSin(), ValueRange{pos, pair}));
              Value self = widen(args[0]);
              Value other = widen(tensor::ExtractOp::create(b, l, x, ValueRange{bi, hi, si, partner}));
              Value sinTerm = arith::MulFOp::create(b, l, other, s);
              Value signedSin = arith::SelectOp::create(b, l, first, arith::NegFOp::create(b, l, sinTerm),
                                                        sinTerm);
              Value y = arith::AddFOp::create(b, l, arith::MulFOp::create(b, l, self, c), signedSin);
              y = arith::SelectOp::create(b, l, rotated, y, self);
              linalg::YieldOp::create(b, l, convertFloat(b, l, y, element));
            })
            .getResult(0);
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LowerAttention : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  /// [B, Hkv, S, D] as [B, Hq, D, S] (transposed) or [B, Hq, S, D]: each kv
  /// head repeated for the query heads that read it.
  static Value repeatHeads(OpBuilder &b, Location loc, Value t, int64_t groups,
                           Value queryHeads, bool transpose) {
    MLIRContext *ctx = b.getContext();
    auto type = cast<RankedTensorType>(t.getType());
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, t);
    sizes[1] = queryHeads;
    if (transpose)
      std::swap(sizes[2], sizes[3]);
    Value empty = tensor::EmptyOp::create(b, loc, sizes, type.getElementType());
    AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx),
               d2 = getAffineDimExpr(2, ctx), d3 = getAffineDimExpr(3, ctx);
    AffineMap in = transpose ? AffineMap::get(4, 0, {d0, d1.floorDiv(groups), d3, d2}, ctx)
                             : AffineMap::get(4, 0, {d0, d1.floorDiv(groups), d2, d3}, ctx);
    return linalg::GenericOp::create(
               b, loc, empty.getType(), t, empty,
               ArrayRef{in, AffineMap::getMultiDimIdentityMap(4, ctx)},
               SmallVector<IT>(4, IT::parallel),
               [](OpBuilder &nb, Location l, ValueRange args) {
                 linalg::YieldOp::create(nb, l, args[0]);
               })
        .getResult(0);
  }

  /// C[b, h, m, n] = sum_k A[b, h, m, k] * B[b, h, k, n].
  static Value batchedMatmul(OpBuilder &b, Location loc, Value lhs, Value rhs) {
    MLIRContext *ctx = b.getContext();
    auto lhsType = cast<RankedTensorType>(lhs.getType());
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, lhs);
    sizes[3] = tensor::getMixedSize(b, loc, rhs, 3);
    Type element = lhsType.getElementType();
    Value zero = arith::ConstantOp::create(b, loc, b.getFloatAttr(element, 0.0));
    Value init = linalg::FillOp::create(
                     b, loc, zero, tensor::EmptyOp::create(b, loc, sizes, element).getResult())
                     .getResult(0);
    AffineExpr d[5];
    for (int i = 0; i < 5; ++i)
      d[i] = getAffineDimExpr(i, ctx);
    return linalg::GenericOp::create(
               b, loc, init.getType(), ValueRange{lhs, rhs}, init,
               ArrayRef{AffineMap::get(5, 0, {d[0], d[1], d[2], d[4]}, ctx),
                        AffineMap::get(5, 0, {d[0], d[1], d[4], d[3]}, ctx),
                        AffineMap::get(5, 0, {d[0], d[1], d[2], d[3]}, ctx)},
               SmallVector<IT>{IT::parallel, IT::parallel, IT::parallel, IT::parallel,
                               IT::reduction},
               [](OpBuilder &nb, Location l, ValueRange args) {
                 Value p = arith::MulFOp::create(nb, l, args[0], args[1]);
                 linalg::YieldOp::create(nb, l, Value(arith::AddFOp::create(nb, l, args[2], p)));
               })
        .getResult(0);
  }

  /// One value per row of `scores` [B, H, S, T]: max or sum (of exp(s - max)).
  static Value rowReduce(OpBuilder &b, Location loc, Value scores, Value init,
                         function_ref<Value(OpBuilder &, Location, Value, Value)> combine,
                         Value rowMax = nullptr) {
    MLIRContext *ctx = b.getContext();
    AffineMap id = AffineMap::getMultiDimIdentityMap(4, ctx);
    AffineMap row = AffineMap::get(4, 0,
                                   {getAffineDimExpr(0, ctx), getAffineDimExpr(1, ctx),
                                    getAffineDimExpr(2, ctx)},
                                   ctx);
    SmallVector<Value> ins = {scores};
    SmallVector<AffineMap> maps = {id};
    if (rowMax) {
      ins.push_back(rowMax);
      maps.push_back(row);
    }
    maps.push_back(row);
    return linalg::GenericOp::create(
               b, loc, init.getType(), ins, init, maps,
               SmallVector<IT>{IT::parallel, IT::parallel, IT::parallel, IT::reduction},
               [&](OpBuilder &nb, Location l, ValueRange args) {
                 Value v = args[0];
                 if (rowMax)
                   v = expShifted(nb, l, v, args[1]);
                 linalg::YieldOp::create(nb, l, combine(nb, l, args.back(), v));
               })
        .getResult(0);
  }

  /// exp(s - max), 0 when s is masked (-inf): a fully masked row has
  /// max = -inf, and -inf - -inf would be NaN.
  static Value expShifted(OpBuilder &b, Location loc, Value s, Value max) {
    Value negInf = arith::ConstantOp::create(
        b, loc, b.getFloatAttr(s.getType(), -std::numeric_limits<double>::infinity()));
    Value masked = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, s, negInf);
    Value e = math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, s, max));
    Value zero = arith::ConstantOp::create(b, loc, b.getFloatAttr(s.getType(), 0.0));
    return arith::SelectOp::create(b, loc, masked, zero, e);
  }

  LogicalResult matchAndRewrite(AttentionOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = getContext();
    auto queryType = cast<RankedTensorType>(op.getQuery().getType());
    Type element = queryType.getElementType();
    Type f = computeTypeFor(rewriter, element);
    auto keyType = cast<RankedTensorType>(op.getKey().getType());
    int64_t qHeads = queryType.getDimSize(1), kvHeads = keyType.getDimSize(1);
    if (ShapedType::isDynamic(qHeads) || ShapedType::isDynamic(kvHeads))
      return rewriter.notifyMatchFailure(op, "head counts must be static");
    // Checked before any IR is built: a failing pattern must leave none.
    if (!op.getScale() && ShapedType::isDynamic(queryType.getDimSize(3)))
      return rewriter.notifyMatchFailure(op, "the default scale needs a static head dim");
    int64_t groups = qHeads / kvHeads;

    Value key = op.getKey(), value = op.getValue();
    Value past = index(rewriter, loc, 0);
    SmallVector<Value> presents;
    if (op.getPastKey()) {
      past = tensor::DimOp::create(rewriter, loc, op.getPastKey(), 2);
      key = concatSeq(rewriter, loc, op.getPastKey(), key);
      value = concatSeq(rewriter, loc, op.getPastValue(), value);
      presents = {key, value};
    }
    Value q = convertFloats(rewriter, loc, op.getQuery(), f);
    Value headsQ = index(rewriter, loc, qHeads);
    Value kT = repeatHeads(rewriter, loc, convertFloats(rewriter, loc, key, f), groups, headsQ,
                           /*transpose=*/true);
    Value v = repeatHeads(rewriter, loc, convertFloats(rewriter, loc, value, f), groups, headsQ,
                          /*transpose=*/false);
    Value scores = batchedMatmul(rewriter, loc, q, kT);

    // Scale, softcap and masks, elementwise over [B, Hq, Sq, Skv].
    double depth = static_cast<double>(queryType.getDimSize(3));
    double scale = op.getScale() ? op.getScale()->convertToDouble() : 1.0 / std::sqrt(depth);
    double softcap = op.getSoftcap().convertToDouble();
    int64_t left = op.getWindowLeft(), right = op.getWindowRight();
    int64_t global = op.getNumGlobalTokens();
    bool causal = op.getCausal();
    Value layout = op.getLayout(), mask = op.getMask();
    int64_t blockSize = op.getBlockSize().value_or(1);
    AffineMap id = AffineMap::getMultiDimIdentityMap(4, ctx);
    SmallVector<Value> ins = {scores};
    SmallVector<AffineMap> maps = {id};
    if (mask) {
      // Broadcast along the mask's size-1 dims.
      auto maskType = cast<RankedTensorType>(mask.getType());
      auto scoresType = cast<RankedTensorType>(scores.getType());
      SmallVector<AffineExpr> exprs;
      for (int64_t d = 0; d < 4; ++d)
        exprs.push_back(maskType.getDimSize(d) == 1 && scoresType.getDimSize(d) != 1
                            ? getAffineConstantExpr(0, ctx)
                            : getAffineDimExpr(d, ctx));
      ins.push_back(mask);
      maps.push_back(AffineMap::get(4, 0, exprs, ctx));
    }
    maps.push_back(id);
    Value maskedInit = tensor::EmptyOp::create(
        rewriter, loc, tensor::getMixedSizes(rewriter, loc, scores), f);
    Value masked =
        linalg::GenericOp::create(
            rewriter, loc, maskedInit.getType(), ins, maskedInit, maps,
            SmallVector<IT>(4, IT::parallel),
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value s = arith::MulFOp::create(b, l, args[0],
                                              arith::ConstantOp::create(b, l, b.getFloatAttr(f, scale)));
              if (softcap > 0) {
                Value c = arith::ConstantOp::create(b, l, b.getFloatAttr(f, softcap));
                s = arith::MulFOp::create(b, l, c,
                                          math::TanhOp::create(b, l, arith::DivFOp::create(b, l, s, c)));
              }
              Value hi = linalg::IndexOp::create(b, l, 1);
              Value qi = linalg::IndexOp::create(b, l, 2), kj = linalg::IndexOp::create(b, l, 3);
              Value p = arith::AddIOp::create(b, l, qi, past);
              Value visible = arith::ConstantIntOp::create(b, l, 1, 1);
              auto both = [&](Value cond) { visible = arith::AndIOp::create(b, l, visible, cond); };
              if (causal)
                both(arith::CmpIOp::create(b, l, arith::CmpIPredicate::sle, kj, p));
              if (left >= 0 || right >= 0) {
                Value inWindow = arith::ConstantIntOp::create(b, l, 1, 1);
                if (left >= 0)
                  inWindow = arith::AndIOp::create(
                      b, l, inWindow,
                      arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, kj,
                                            arith::SubIOp::create(b, l, p, index(b, l, left))));
                if (right >= 0)
                  inWindow = arith::AndIOp::create(
                      b, l, inWindow,
                      arith::CmpIOp::create(b, l, arith::CmpIPredicate::sle, kj,
                                            arith::AddIOp::create(b, l, p, index(b, l, right))));
                if (global > 0) {
                  Value g = index(b, l, global);
                  inWindow = arith::OrIOp::create(
                      b, l, inWindow,
                      arith::OrIOp::create(
                          b, l, arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, kj, g),
                          arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, p, g)));
                }
                both(inWindow);
              }
              if (layout) {
                auto layoutType = cast<RankedTensorType>(layout.getType());
                Value head = layoutType.getDimSize(0) == 1 ? index(b, l, 0) : hi;
                Value bs = index(b, l, blockSize);
                both(tensor::ExtractOp::create(
                    b, l, layout,
                    ValueRange{head, arith::DivUIOp::create(b, l, p, bs),
                               arith::DivUIOp::create(b, l, kj, bs)}));
              }
              if (mask) {
                Value m = args[1];
                if (m.getType().isInteger(1)) {
                  both(m);
                } else {
                  s = arith::AddFOp::create(b, l, s, convertFloat(b, l, m, f));
                }
              }
              Value negInf = arith::ConstantOp::create(
                  b, l, b.getFloatAttr(f, -std::numeric_limits<double>::infinity()));
              linalg::YieldOp::create(b, l, Value(arith::SelectOp::create(b, l, visible, s, negInf)));
            })
            .getResult(0);

    // Softmax over keys; a row with every key masked gives zeros.
    SmallVector<OpFoldResult> rowSizes = tensor::getMixedSizes(rewriter, loc, scores);
    rowSizes.pop_back();
    Value rowEmpty = tensor::EmptyOp::create(rewriter, loc, rowSizes, f);
    Value negInf = arith::ConstantOp::create(
        rewriter, loc, rewriter.getFloatAttr(f, -std::numeric_limits<double>::infinity()));
    Value zeroF = arith::ConstantOp::create(rewriter, loc, rewriter.getFloatAttr(f, 0.0));
    Value maxInit = linalg::FillOp::create(rewriter, loc, negInf, rowEmpty).getResult(0);
    Value rowMax = rowReduce(rewriter, loc, masked, maxInit,
                             [](OpBuilder &b, Location l, Value acc, Value x) {
                               return Value(arith::MaximumFOp::create(b, l, acc, x));
                             });
    Value sumInit = linalg::FillOp::create(rewriter, loc, zeroF, rowEmpty).getResult(0);
    Value rowSum = rowReduce(
        rewriter, loc, masked, sumInit,
        [](OpBuilder &b, Location l, Value acc, Value x) {
          return Value(arith::AddFOp::create(b, l, acc, x));
        },
        rowMax);
    AffineMap row = AffineMap::get(4, 0,
                                   {getAffineDimExpr(0, ctx), getAffineDimExpr(1, ctx),
                                    getAffineDimExpr(2, ctx)},
                                   ctx);
    Value probs =
        linalg::GenericOp::create(
            rewriter, loc, maskedInit.getType(), ValueRange{masked, rowMax, rowSum}, maskedInit,
            ArrayRef{id, row, row, id}, SmallVector<IT>(4, IT::parallel),
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value e = expShifted(b, l, args[0], args[1]);
              Value zero = arith::ConstantOp::create(b, l, b.getFloatAttr(f, 0.0));
              Value empty = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, args[2], zero);
              Value p = arith::DivFOp::create(b, l, e, args[2]);
              linalg::YieldOp::create(b, l, Value(arith::SelectOp::create(b, l, empty, zero, p)));
            })
            .getResult(0);
    Value output = convertFloats(rewriter, loc, batchedMatmul(rewriter, loc, probs, v), element);
    SmallVector<Value> results = {castTo(rewriter, loc, output, op.getOutput().getType())};
    for (auto [present, type] : llvm::zip(presents, op.getPresent().getTypes()))
      results.push_back(castTo(rewriter, loc, present, type));
    rewriter.replaceOp(op, results);
    return success();
  }
};

} // namespace

Value moe::concatSeq(OpBuilder &b, Location loc, Value past, Value next) {
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, next);
  OpFoldResult pastLen = tensor::getMixedSize(b, loc, past, 2);
  SmallVector<OpFoldResult> outSizes(sizes);
  std::optional<int64_t> staticPast = getConstantIntValue(pastLen),
                         staticNext = getConstantIntValue(sizes[2]);
  if (staticPast && staticNext)
    outSizes[2] = b.getIndexAttr(*staticPast + *staticNext);
  else
    outSizes[2] =
        Value(arith::AddIOp::create(b, loc, getValueOrCreateConstantIndexOp(b, loc, pastLen),
                                    getValueOrCreateConstantIndexOp(b, loc, sizes[2])));
  auto type = cast<RankedTensorType>(next.getType());
  Value empty = tensor::EmptyOp::create(b, loc, outSizes, type.getElementType());
  SmallVector<OpFoldResult> zeros(4, b.getIndexAttr(0)), ones(4, b.getIndexAttr(1));
  Value withPast = tensor::InsertSliceOp::create(b, loc, past, empty, zeros,
                                                 tensor::getMixedSizes(b, loc, past), ones);
  SmallVector<OpFoldResult> at(zeros);
  at[2] = pastLen;
  return tensor::InsertSliceOp::create(b, loc, next, withPast, at, sizes, ones);
}

void moe::populateLowerAttentionOpsPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerRope, LowerAttention>(patterns.getContext());
  populateLowerAttentionTiledPatterns(patterns);
}
