//===- ReshapesAsViews.cpp - Static reshapes that split or merge dims ----===//
//
// ONNX Reshape becomes tensor.reshape, which bufferizes to memref.reshape:
// that needs a contiguous source, so a reshape of a strided buffer (Q, K or
// V sliced out of the fused Q/K/V projection's result, each a block of
// columns) is copied whole first. A reshape that only splits or merges
// dims, static or with one run-time dim on each side (which the static
// ones then fix), is the same as tensor.expand_shape / collapse_shape, which
// bufferize to views of the strided buffer (a collapse that strides do not
// allow is still copied by bufferization). Measured: the GQA block with
// projections (seq 2048) copied 12 MB per call for its three reshapes.
//
//===----------------------------------------------------------------------===//

#include "moe/Target/Cpu/Cpu.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace {
struct StaticReshapeAsView : OpRewritePattern<tensor::ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tensor::ReshapeOp op, PatternRewriter &rewriter) const override {
    auto source = dyn_cast<RankedTensorType>(op.getSource().getType());
    auto result = dyn_cast<RankedTensorType>(op.getResult().getType());
    // Static, or one run-time dim on each side (a prompt's length): the
    // other dims' products then fix it, as expand_shape infers it.
    if (!source || !result || source.getNumDynamicDims() > 1 ||
        source.getNumDynamicDims() != result.getNumDynamicDims() ||
        source.getRank() == result.getRank())
      return failure();
    std::optional<SmallVector<ReassociationIndices>> groups =
        getReassociationIndicesForReshape(source, result);
    if (!groups)
      return failure();
    if (source.getRank() > result.getRank())
      rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(op, result, op.getSource(), *groups);
    else
      rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(op, result, op.getSource(), *groups);
    return success();
  }
};

struct CpuReshapesAsViews : PassWrapper<CpuReshapesAsViews, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CpuReshapesAsViews)
  StringRef getArgument() const override { return "moe-cpu-reshapes-as-views"; }
  StringRef getDescription() const override {
    return "tensor.reshape ops that split or merge dims (static, or one run-time dim each side) as "
           "tensor.expand_shape / collapse_shape (views after bufferization, "
           "no copy of a strided source)";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<tensor::TensorDialect>();
  }
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<StaticReshapeAsView>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

std::unique_ptr<Pass> moe::createCpuReshapesAsViewsPass() {
  return std::make_unique<CpuReshapesAsViews>();
}

void moe::registerCpuReshapesAsViewsPass() { PassRegistration<CpuReshapesAsViews>(); }
