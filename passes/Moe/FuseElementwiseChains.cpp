//===- FuseElementwiseChains.cpp - Which elementwise producers to fuse ----===//
//
// A target fuses an elementwise producer into its consumer when the
// consumer reads the producer's result element for element (through a
// broadcast the producer would run once per copy) and nothing else reads
// it. Whether reductions take producers is the target's call: on a CPU a
// producer fused into a reduction turns a contiguous read into a strided
// one (measured slower); on the NPU's vector unit the fused body runs on
// the same row chunk and saves a round trip through global memory.
//
//===----------------------------------------------------------------------===//

#include "moe/Passes/Moe/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::moe {
#define GEN_PASS_DEF_MOEFUSEELEMENTWISECHAINS
#include "moe/Passes/Moe/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;

/// All loops parallel (or, with `reductions`, any), maps projected
/// permutations.
static bool isElementwise(Operation *op, bool reductions) {
  auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
  return generic &&
         (reductions || generic.getNumLoops() == generic.getNumParallelLoops()) &&
         llvm::all_of(generic.getIndexingMapsArray(),
                      [](AffineMap map) { return map.isProjectedPermutation(); });
}

void moe::populateFuseElementwiseChainsPatterns(RewritePatternSet &patterns,
                                                bool intoReductions) {
  linalg::populateElementwiseOpsFusionPatterns(patterns, [=](OpOperand *operand) {
    Operation *producer = operand->get().getDefiningOp();
    auto consumer = dyn_cast<linalg::GenericOp>(operand->getOwner());
    return isElementwise(producer, /*reductions=*/false) && producer->hasOneUse() &&
           isElementwise(consumer, intoReductions) &&
           consumer.getMatchingIndexingMap(operand).isIdentity();
  });
}

namespace {
struct MoeFuseElementwiseChains
    : moe::impl::MoeFuseElementwiseChainsBase<MoeFuseElementwiseChains> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    moe::populateFuseElementwiseChainsPatterns(patterns, intoReductions);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
