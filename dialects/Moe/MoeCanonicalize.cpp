//===- MoeCanonicalize.cpp - Folds and canonical forms of moe ops ---------===//
//
// Each pattern picks one spelling among equivalent attribute combinations,
// so later passes match a single form.
//
//===----------------------------------------------------------------------===//

#include "moe/Dialect/Moe/MoeOps.h"

#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::moe;

namespace {

/// Group limiting that keeps every group, or a group score with one group,
/// selects exactly what plain top-k selects: drop the group attributes.
struct DropTrivialGroupLimit : OpRewritePattern<RouteOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RouteOp op,
                                PatternRewriter &rewriter) const override {
    bool allGroupsKept = op.getTopkGroup() == op.getNGroup();
    double excluded = -std::numeric_limits<double>::infinity();
    bool defaults = op.getGroupScore() == GroupScore::Max &&
                    op.getOutsideGroupScore().convertToDouble() == excluded;
    if (!allGroupsKept || (op.getNGroup() == 1 && defaults))
      return failure();
    rewriter.modifyOpInPlace(op, [&] {
      op.setNGroup(1);
      op.setTopkGroup(1);
      op.setGroupScore(GroupScore::Max);
      op.setOutsideGroupScore(llvm::APFloat(excluded));
    });
    return success();
  }
};

/// Softmax weights of all experts already sum to one.
struct DropTrivialRenormalize : OpRewritePattern<RouteOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RouteOp op,
                                PatternRewriter &rewriter) const override {
    int64_t experts = op.getLogits().getType().getDimSize(1);
    if (!op.getRenormalize() || op.getScoring() != Scoring::Softmax ||
        ShapedType::isDynamic(experts) ||
        static_cast<int64_t>(op.getK()) != experts)
      return failure();
    rewriter.modifyOpInPlace(op, [&] { op.setRenormalize(false); });
    return success();
  }
};

/// A right bound of zero is causality: spell it `causal`.
struct CausalFromZeroRightWindow : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    if (static_cast<int64_t>(op.getWindowRight()) != 0)
      return failure();
    rewriter.modifyOpInPlace(op, [&] {
      op.setCausal(true);
      op.setWindowRight(-1);
    });
    return success();
  }
};

/// Rotating every feature is spelled rotary_dim = 0.
struct FullRotaryDim : OpRewritePattern<RopeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RopeOp op,
                                PatternRewriter &rewriter) const override {
    int64_t headDim = op.getInput().getType().getDimSize(3);
    if (op.getRotaryDim() == 0 ||
        static_cast<int64_t>(op.getRotaryDim()) != headDim)
      return failure();
    rewriter.modifyOpInPlace(op, [&] { op.setRotaryDim(0); });
    return success();
  }
};

} // namespace

void RouteOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                          MLIRContext *context) {
  results.add<DropTrivialGroupLimit, DropTrivialRenormalize>(context);
}

void AttentionOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<CausalFromZeroRightWindow>(context);
}

void RopeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                         MLIRContext *context) {
  results.add<FullRotaryDim>(context);
}

/// Quantizing what was dequantized with the same parameters gives back the
/// integers: |round((q - z) * s / s) - (q - z)| < 0.5 for every 8-bit q
/// when the float type has at least f16's 11-bit significand (not bf16).
OpFoldResult QuantizeOp::fold(FoldAdaptor) {
  auto dequant = getInput().getDefiningOp<DequantizeOp>();
  auto floatType = cast<FloatType>(getInput().getType().getElementType());
  if (!dequant || floatType.getFPMantissaWidth() < 11 ||
      dequant.getInput().getType() != getType() ||
      dequant.getScale() != getScale() ||
      dequant.getZeroPoint() != getZeroPoint() ||
      dequant.getAxis() != getAxis() ||
      dequant.getBlockSize() != getBlockSize())
    return {};
  return dequant.getInput();
}
