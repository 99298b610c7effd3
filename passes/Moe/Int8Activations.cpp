//===- Int8Activations.cpp - int8 weights times int8-quantized rows -------===//
//
// With int8 activations (moe-compile --int8-activations) a product by 8-bit
// weights quantizes its input rows at run time (one scale per row, the
// largest magnitude mapped to 127) and multiplies integers into i32 sums,
// which one elementwise pass scales back to floats. Integer units do that
// product at several times the float rate (VNNI on x86, the NPU's int8
// cube); the targets take the i32 matmul from here (moe-cpu-int8-dot).
//
//===----------------------------------------------------------------------===//

#include "LoweringHelpers.h"

#include "moe/Dialect/Moe/MoeOps.h"
#include "moe/Passes/Moe/Passes.h"
#include "moe/Support/ConstantBytes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

#include <limits>

using namespace mlir;
using namespace mlir::moe;

using IT = utils::IteratorType;

QuantizedRows moe::quantizeRows(OpBuilder &b, Location loc, Value x) {
  MLIRContext *ctx = b.getContext();
  auto xType = cast<RankedTensorType>(x.getType());
  unsigned rank = xType.getRank();
  Type f32 = b.getF32Type();
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, x);
  SmallVector<OpFoldResult> rowSizes(ArrayRef<OpFoldResult>(sizes).drop_back());
  AffineMap id = b.getMultiDimIdentityMap(rank);
  SmallVector<AffineExpr> lead;
  for (unsigned i = 0; i + 1 < rank; ++i)
    lead.push_back(b.getAffineDimExpr(i));
  AffineMap row = AffineMap::get(rank, 0, lead, ctx);
  SmallVector<IT> par(rank, IT::parallel), red(par);
  red.back() = IT::reduction;
  auto constant = [](OpBuilder &nb, Location nl, float v) {
    return arith::ConstantOp::create(nb, nl, nb.getF32FloatAttr(v)).getResult();
  };
  Value lowest = constant(b, loc, -std::numeric_limits<float>::infinity());
  Value absMax =
      generic(b, loc, filled(b, loc, rowSizes, lowest), x, {id, row}, red,
              [&](OpBuilder &nb, Location nl, ValueRange a) {
                Value m = math::AbsFOp::create(nb, nl, convertFloat(nb, nl, a[0], f32));
                linalg::YieldOp::create(nb, nl, Value(arith::MaximumFOp::create(nb, nl, a[1], m)));
              });
  // x * 127 / max|x|, rounded to the nearest even: |q| <= 127 by
  // construction, so no clamp; an all-zero row divides by 1e-12 into zeros.
  Value qInit = tensor::EmptyOp::create(b, loc, sizes, b.getI8Type());
  Value values = generic(
      b, loc, qInit, ValueRange{x, absMax}, {id, row, id}, par,
      [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value s = arith::MaximumFOp::create(nb, nl, a[1], constant(nb, nl, 1e-12f));
        Value v = arith::DivFOp::create(nb, nl, convertFloat(nb, nl, a[0], f32), s);
        v = arith::MulFOp::create(nb, nl, v, constant(nb, nl, 127.0f));
        v = math::RoundEvenOp::create(nb, nl, v);
        linalg::YieldOp::create(nb, nl, Value(arith::FPToSIOp::create(nb, nl, nb.getI8Type(), v)));
      });
  return {absMax, values};
}

namespace {

/// The integers of a weight [N, K] k-major ([K, N]), signless: transposed
/// at compile time when it is a constant or one matrix of a constant stack
/// (an expert's slice, which then slices the transposed stack).
Value kMajorIntegers(OpBuilder &b, Location loc, Value weight) {
  std::optional<OpFoldResult> expert;
  Value stack = stackSource(weight, expert);
  if (expert && matchPattern(stack, m_Constant()))
    return asSignless(b, loc, matrixOf(b, loc, kMajorWeights(b, loc, stack), *expert));
  return asSignless(b, loc, kMajorWeights(b, loc, weight));
}

/// moe.qmatmul of 8-bit weights, one scale (and zero point) per output
/// channel or per tensor, with its input rows quantized to int8:
///   y[m, n] = (sum_k q_x[m, k] * (w[n, k] - zp[n])) * max|x[m]| / 127
///             * scale[n] + bias[n],
/// the sum in i32 as a matmul generic (sign- or zero-extended operands)
/// minus zp[n] times the row's sum of q_x.
struct LowerQMatmulInt8Activations : OpRewritePattern<QMatmulOp> {
  LowerQMatmulInt8Activations(MLIRContext *ctx) : OpRewritePattern(ctx, /*benefit=*/3) {}

  LogicalResult matchAndRewrite(QMatmulOp op, PatternRewriter &rewriter) const override {
    auto xType = cast<RankedTensorType>(op.getInput().getType());
    auto wType = cast<RankedTensorType>(op.getWeight().getType());
    auto scaleType = cast<RankedTensorType>(op.getScale().getType());
    auto resultType = cast<RankedTensorType>(op.getType());
    Type storage = wType.getElementType();
    int64_t n = wType.getDimSize(0), k = wType.getDimSize(1);
    uint64_t group = op.getGroupSize();
    bool perTensor = scaleType.getNumElements() == 1 && scaleType.getRank() <= 1 && group == 0;
    // [N] (no group) or [N, 1] (one group: all of K).
    bool perChannel = scaleType.getRank() >= 1 && scaleType.getDimSize(0) == n &&
                      ((group == 0 && scaleType.getRank() == 1) ||
                       (static_cast<int64_t>(group) == k && scaleType.getRank() == 2 &&
                        scaleType.getDimSize(1) == 1));
    if (storage.getIntOrFloatBitWidth() != 8 || xType.getRank() < 2 || ShapedType::isDynamic(n) ||
        ShapedType::isDynamic(k) || !xType.getElementType().isF32() ||
        !scaleType.getElementType().isF32() || !resultType.getElementType().isF32() ||
        (!perTensor && !perChannel))
      return rewriter.notifyMatchFailure(op, "not an 8-bit per-channel/per-tensor f32 product");
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Type i32 = rewriter.getI32Type(), f32 = rewriter.getF32Type();
    bool isUnsigned = storage.isUnsignedInteger();

    // Rows [M, K], whatever the input's leading dims.
    Value x = op.getInput();
    int64_t rank = xType.getRank();
    SmallVector<ReassociationIndices> toRows;
    if (rank > 2) {
      ReassociationIndices lead;
      for (int64_t i = 0; i + 1 < rank; ++i)
        lead.push_back(i);
      toRows = {lead, {rank - 1}};
      x = tensor::CollapseShapeOp::create(rewriter, loc, x, toRows);
    }
    QuantizedRows rows = quantizeRows(rewriter, loc, x);
    Value wk = kMajorIntegers(rewriter, loc, op.getWeight());

    AffineExpr m = getAffineDimExpr(0, ctx), nn = getAffineDimExpr(1, ctx),
               kk = getAffineDimExpr(2, ctx);
    OpFoldResult rowCount = tensor::getMixedSize(rewriter, loc, x, 0);
    Value zeroI32 = arith::ConstantOp::create(rewriter, loc, rewriter.getI32IntegerAttr(0));
    auto widen = [&](OpBuilder &b, Location l, Value v, bool zext) -> Value {
      if (zext)
        return arith::ExtUIOp::create(b, l, i32, v);
      return arith::ExtSIOp::create(b, l, i32, v);
    };
    Value sums = generic(
        rewriter, loc, filled(rewriter, loc, {rowCount, rewriter.getIndexAttr(n)}, zeroI32),
        ValueRange{rows.values, wk},
        {AffineMap::get(3, 0, {m, kk}, ctx), AffineMap::get(3, 0, {kk, nn}, ctx),
         AffineMap::get(3, 0, {m, nn}, ctx)},
        {IT::parallel, IT::parallel, IT::reduction}, [&](OpBuilder &b, Location l, ValueRange a) {
          Value p =
              arith::MulIOp::create(b, l, widen(b, l, a[0], false), widen(b, l, a[1], isUnsigned));
          linalg::YieldOp::create(b, l, Value(arith::AddIOp::create(b, l, a[2], p)));
        });

    AffineMap id2 = AffineMap::getMultiDimIdentityMap(2, ctx);
    AffineMap rowMap = AffineMap::get(2, 0, {m}, ctx);
    SmallVector<AffineExpr> paramExprs;
    if (perTensor)
      paramExprs.assign(scaleType.getRank(), getAffineConstantExpr(0, ctx));
    else if (scaleType.getRank() == 1)
      paramExprs = {nn};
    else
      paramExprs = {nn, getAffineConstantExpr(0, ctx)};
    AffineMap paramMap = AffineMap::get(2, 0, paramExprs, ctx);
    SmallVector<Value> ins = {sums, rows.absMax, op.getScale()};
    SmallVector<AffineMap> maps = {id2, rowMap, paramMap};
    Value zp = op.getZeroPoint();
    if (zp) {
      // sum_k q_x * zp = zp * (the row's sum of q_x).
      SmallVector<OpFoldResult> rowSizes = {rowCount};
      Value rowSums =
          generic(rewriter, loc, filled(rewriter, loc, rowSizes, zeroI32), rows.values,
                  {AffineMap::get(2, 0, {m, nn}, ctx), rowMap}, {IT::parallel, IT::reduction},
                  [&](OpBuilder &b, Location l, ValueRange a) {
                    linalg::YieldOp::create(
                        b, l, Value(arith::AddIOp::create(b, l, a[1], widen(b, l, a[0], false))));
                  });
      ins.append({asSignless(rewriter, loc, zp), rowSums});
      maps.append({paramMap, rowMap});
    }
    Value bias = op.getBias();
    if (bias) {
      ins.push_back(bias);
      maps.push_back(AffineMap::get(2, 0, {nn}, ctx));
    }
    maps.push_back(id2);
    Value init = tensor::EmptyOp::create(
        rewriter, loc, SmallVector<OpFoldResult>{rowCount, rewriter.getIndexAttr(n)}, f32);
    Value y = generic(rewriter, loc, init, ins, maps, {IT::parallel, IT::parallel},
                      [&](OpBuilder &b, Location l, ValueRange a) {
                        Value sum = a[0];
                        if (zp)
                          sum = arith::SubIOp::create(
                              b, l, sum,
                              arith::MulIOp::create(b, l, widen(b, l, a[3], isUnsigned), a[4]));
                        Value v = arith::SIToFPOp::create(b, l, f32, sum);
                        Value rowScale = arith::DivFOp::create(
                            b, l, a[1], arith::ConstantOp::create(b, l, b.getF32FloatAttr(127.0f)));
                        v = arith::MulFOp::create(b, l, v, rowScale);
                        v = arith::MulFOp::create(b, l, v, a[2]);
                        if (bias)
                          v = arith::AddFOp::create(b, l, v, a[zp ? 5 : 3]);
                        linalg::YieldOp::create(b, l, v);
                      });
    if (rank > 2) {
      SmallVector<OpFoldResult> outSizes = tensor::getMixedSizes(rewriter, loc, op.getInput());
      outSizes.back() = rewriter.getIndexAttr(n);
      y = tensor::ExpandShapeOp::create(rewriter, loc, resultType, y, toRows, outSizes);
    }
    rewriter.replaceOp(op, castTo(rewriter, loc, y, resultType));
    return success();
  }
};

} // namespace

void moe::populateLowerQMatmulInt8ActivationsPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerQMatmulInt8Activations>(patterns.getContext());
}
