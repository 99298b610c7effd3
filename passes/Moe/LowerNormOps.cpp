//===- LowerNormOps.cpp - moe.rms_norm as linalg --------------------------===//
//
// Two linalg.generics: the sum of squares over the normalised dims, then
// x * rsqrt(sum / n + epsilon) * scale per element; f16/bf16 inputs are
// computed in f32 (ONNX's stash_type 1).
//
//===----------------------------------------------------------------------===//

#include "moe/Dialect/Moe/MoeOps.h"
#include "moe/Passes/Moe/Passes.h"
#include "LoweringHelpers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::moe;

namespace {

struct LowerRmsNorm : OpRewritePattern<RmsNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RmsNormOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value x = op.getInput();
    auto type = cast<RankedTensorType>(x.getType());
    auto scaleType = cast<RankedTensorType>(op.getScale().getType());
    int64_t rank = type.getRank();
    int64_t axis = op.getAxisAttr().getInt(); // signed: -1 is the last dim
    if (axis < 0)
      axis += rank;
    Type element = type.getElementType();
    Type compute = computeTypeFor(rewriter, element);
    auto widen = [&](OpBuilder &b, Location l, Value v) {
      return convertFloat(b, l, v, compute);
    };

    // Sum of squares over dims axis.. into [d0 .. d(axis-1)].
    SmallVector<int64_t> prefix(type.getShape().take_front(axis));
    SmallVector<Value> dynamic;
    SmallVector<AffineExpr> prefixExprs;
    for (int64_t d = 0; d < axis; ++d) {
      prefixExprs.push_back(getAffineDimExpr(d, ctx));
      if (type.isDynamicDim(d))
        dynamic.push_back(tensor::DimOp::create(rewriter, loc, x, d));
    }
    Value zero = arith::ConstantOp::create(rewriter, loc, rewriter.getFloatAttr(compute, 0.0));
    Value empty = tensor::EmptyOp::create(
        rewriter, loc, RankedTensorType::get(prefix, compute), dynamic);
    Value init = linalg::FillOp::create(rewriter, loc, zero, empty).getResult(0);
    AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, ctx);
    AffineMap prefixMap = AffineMap::get(rank, 0, prefixExprs, ctx);
    SmallVector<utils::IteratorType> iterators;
    for (int64_t d = 0; d < rank; ++d)
      iterators.push_back(d < axis ? utils::IteratorType::parallel
                                   : utils::IteratorType::reduction);
    Value sums = linalg::GenericOp::create(
                     rewriter, loc, init.getType(), x, init,
                     ArrayRef{identity, prefixMap}, iterators,
                     [&](OpBuilder &b, Location l, ValueRange args) {
                       Value v = widen(b, l, args[0]);
                       Value sq = arith::MulFOp::create(b, l, v, v);
                       linalg::YieldOp::create(b, l, Value(arith::AddFOp::create(b, l, args[1], sq)));
                     })
                     .getResult(0);

    // The element count of the normalised dims, as a float.
    Value count = arith::ConstantIndexOp::create(rewriter, loc, 1);
    for (int64_t d = axis; d < rank; ++d)
      count = arith::MulIOp::create(rewriter, loc, count,
                                    tensor::DimOp::create(rewriter, loc, x, d));
    Value countF = arith::UIToFPOp::create(
        rewriter, loc, compute,
        arith::IndexCastOp::create(rewriter, loc, rewriter.getI64Type(), count));
    Value epsilon = arith::ConstantOp::create(
        rewriter, loc, rewriter.getFloatAttr(compute, op.getEpsilon().convertToDouble()));

    // The scale aligns with the trailing dims; its size-1 dims broadcast.
    SmallVector<AffineExpr> scaleExprs;
    int64_t offset = rank - scaleType.getRank();
    for (int64_t d = 0; d < scaleType.getRank(); ++d)
      scaleExprs.push_back(scaleType.getDimSize(d) == 1 && type.getDimSize(offset + d) != 1
                               ? getAffineConstantExpr(0, ctx)
                               : getAffineDimExpr(offset + d, ctx));
    Value out = tensor::EmptyOp::create(
        rewriter, loc, tensor::getMixedSizes(rewriter, loc, x), element);
    Value result =
        linalg::GenericOp::create(
            rewriter, loc, type, ValueRange{x, sums, op.getScale()}, out,
            ArrayRef{identity, prefixMap, AffineMap::get(rank, 0, scaleExprs, ctx), identity},
            SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value mean = arith::DivFOp::create(b, l, args[1], countF);
              Value inv = math::RsqrtOp::create(b, l, arith::AddFOp::create(b, l, mean, epsilon));
              Value y = arith::MulFOp::create(
                  b, l, arith::MulFOp::create(b, l, widen(b, l, args[0]), inv),
                  widen(b, l, args[2]));
              linalg::YieldOp::create(b, l, convertFloat(b, l, y, element));
            })
            .getResult(0);
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void moe::populateLowerNormOpsPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerRmsNorm>(patterns.getContext());
}
