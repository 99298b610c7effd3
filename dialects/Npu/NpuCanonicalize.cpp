//===- NpuCanonicalize.cpp - Canonical forms of npu ops -------------------===//

#include "moe/Dialect/Npu/NpuOps.h"

#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::npu;

namespace {

/// Of two adjacent barriers the one that waits for more suffices: nothing
/// runs between them, so the weaker one only stalls the core again.
struct MergeAdjacentBarriers : OpRewritePattern<BarrierOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BarrierOp op,
                                PatternRewriter &rewriter) const override {
    auto next = dyn_cast_or_null<BarrierOp>(op->getNextNode());
    if (!next)
      return failure();
    if (next.getPipe() == op.getPipe() || next.getPipe() == Pipe::All) {
      rewriter.eraseOp(op);
      return success();
    }
    if (op.getPipe() == Pipe::All) {
      rewriter.eraseOp(next);
      return success();
    }
    return failure();
  }
};

} // namespace

void BarrierOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                            MLIRContext *context) {
  results.add<MergeAdjacentBarriers>(context);
}
