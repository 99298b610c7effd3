//===- LowerAttention.cpp - moe.attention as one online-softmax kernel -----===//
//
// The portable lowering of moe.attention materialises the scores [B, Hq,
// Sq, Skv] and runs five kernels over them (Q K^T, mask, max, sum, P V):
// at sequence 4096 and 16 heads a GiB through memory, and every masked
// score computed. Here one thread owns one query row: its query in
// registers, the keys its causal/window mask leaves (a range, computed from
// its position; masked keys are never visited) in one pass of online
// softmax, its output row in registers, one write. A GQA query head reads
// its kv head directly. No scores reach memory and the kernel has no
// barriers. Explicit masks, KV caches, block layouts, global tokens, narrow
// floats, head dims over kMaxDim and fewer than kMinRows query rows (decode)
// keep the portable form.
//
//===----------------------------------------------------------------------===//

#include "moe/Dialect/Moe/MoeOps.h"
#include "moe/Target/Cuda/Cuda.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>
#include <limits>

using namespace mlir;

/// Head dims held in registers per thread (query and output row each).
static constexpr int64_t kMaxDim = 128;
/// Query rows below which a thread per row leaves the GPU idle.
static constexpr int64_t kMinRows = 16;

namespace {
struct FlashRows : OpRewritePattern<moe::AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(moe::AttentionOp op, PatternRewriter &rewriter) const override {
    auto qType = cast<RankedTensorType>(op.getQuery().getType());
    auto kType = cast<RankedTensorType>(op.getKey().getType());
    auto vType = cast<RankedTensorType>(op.getValue().getType());
    auto oType = cast<RankedTensorType>(op.getOutput().getType());
    if (op.getMask() || op.getPastKey() || op.getLayout() || op.getNumGlobalTokens() != 0)
      return rewriter.notifyMatchFailure(op, "masks, caches and layouts keep the portable form");
    Type f32 = rewriter.getF32Type();
    if (qType.getElementType() != f32 || kType.getElementType() != f32 ||
        vType.getElementType() != f32 || oType.getElementType() != f32)
      return rewriter.notifyMatchFailure(op, "f32 only");
    int64_t depth = qType.getDimSize(3), width = vType.getDimSize(3);
    int64_t qHeads = qType.getDimSize(1), kvHeads = kType.getDimSize(1);
    if (ShapedType::isDynamic(depth) || ShapedType::isDynamic(width) || depth > kMaxDim ||
        width > kMaxDim || ShapedType::isDynamic(qHeads) || ShapedType::isDynamic(kvHeads))
      return rewriter.notifyMatchFailure(op, "head dims and counts must be static and small");
    // A few query rows (a decode step) are too few threads: the portable
    // form spreads the keys over threads instead.
    if (!qType.isDynamicDim(2) && qType.getDimSize(2) < kMinRows)
      return rewriter.notifyMatchFailure(op, "too few query rows for a thread each");

    Location loc = op.getLoc();
    auto bufferOf = [&](Value tensor) {
      auto type = cast<RankedTensorType>(tensor.getType());
      return bufferization::ToBufferOp::create(
                 rewriter, loc, MemRefType::get(type.getShape(), type.getElementType()), tensor,
                 /*read_only=*/true)
          .getResult();
    };
    Value q = bufferOf(op.getQuery()), k = bufferOf(op.getKey()), v = bufferOf(op.getValue());
    auto index = [&](OpBuilder &b, int64_t i) {
      return Value(arith::ConstantIndexOp::create(b, loc, i));
    };
    auto dim = [&](Value t, int64_t d) {
      return Value(tensor::DimOp::create(rewriter, loc, t, d));
    };
    Value batch = dim(op.getQuery(), 0), rows = dim(op.getQuery(), 2),
          keys = dim(op.getKey(), 2);
    SmallVector<Value> dynamicSizes;
    for (int64_t d = 0; d < 4; ++d)
      if (oType.isDynamicDim(d))
        dynamicSizes.push_back(dim(op.getQuery(), d));
    Value out = memref::AllocOp::create(
        rewriter, loc, MemRefType::get(oType.getShape(), f32), dynamicSizes);

    double scale = op.getScale() ? op.getScale()->convertToDouble()
                                 : 1.0 / std::sqrt(static_cast<double>(depth));
    double softcap = op.getSoftcap().convertToDouble();
    int64_t left = op.getWindowLeft(), right = op.getWindowRight();
    bool causal = op.getCausal();
    auto constant = [&](OpBuilder &b, double value) {
      return Value(arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value)));
    };
    Value c0 = index(rewriter, 0), c1 = index(rewriter, 1);
    scf::ParallelOp::create(
        rewriter, loc, ValueRange{c0, c0, c0}, ValueRange{batch, index(rewriter, qHeads), rows},
        ValueRange{c1, c1, c1}, [&](OpBuilder &b, Location l, ValueRange ivs) {
          Value bi = ivs[0], h = ivs[1], i = ivs[2];
          Value kvh = arith::DivUIOp::create(b, l, h, index(b, qHeads / kvHeads));
          SmallVector<Value> query;
          for (int64_t d = 0; d < depth; ++d)
            query.push_back(memref::LoadOp::create(b, l, q, ValueRange{bi, h, i, index(b, d)}));
          // The keys the mask leaves to query position i: [lo, hi).
          Value lo = c0, hi = keys;
          if (causal)
            hi = arith::MinSIOp::create(b, l, hi, arith::AddIOp::create(b, l, i, c1));
          if (left >= 0)
            lo = arith::MaxSIOp::create(b, l, lo,
                                        arith::SubIOp::create(b, l, i, index(b, left)));
          if (right >= 0)
            hi = arith::MinSIOp::create(b, l, hi,
                                        arith::AddIOp::create(b, l, i, index(b, right + 1)));
          hi = arith::MaxSIOp::create(b, l, hi, lo);
          SmallVector<Value> init = {constant(b, -std::numeric_limits<double>::infinity()),
                                     constant(b, 0.0)};
          for (int64_t e = 0; e < width; ++e)
            init.push_back(constant(b, 0.0));
          auto loop = scf::ForOp::create(
              b, l, lo, hi, c1, init, [&](OpBuilder &fb, Location fl, Value j, ValueRange state) {
                Value s = constant(fb, 0.0);
                for (int64_t d = 0; d < depth; ++d) {
                  Value kd = memref::LoadOp::create(fb, fl, k, ValueRange{bi, kvh, j, index(fb, d)});
                  s = math::FmaOp::create(fb, fl, query[d], kd, s);
                }
                s = arith::MulFOp::create(fb, fl, s, constant(fb, scale));
                if (softcap > 0) {
                  Value c = constant(fb, softcap);
                  s = arith::MulFOp::create(
                      fb, fl, c, math::TanhOp::create(fb, fl, arith::DivFOp::create(fb, fl, s, c)));
                }
                Value m = arith::MaximumFOp::create(fb, fl, state[0], s);
                Value correction =
                    math::ExpOp::create(fb, fl, arith::SubFOp::create(fb, fl, state[0], m));
                Value p = math::ExpOp::create(fb, fl, arith::SubFOp::create(fb, fl, s, m));
                SmallVector<Value> next = {
                    m, math::FmaOp::create(fb, fl, state[1], correction, p)};
                for (int64_t e = 0; e < width; ++e) {
                  Value ve = memref::LoadOp::create(fb, fl, v, ValueRange{bi, kvh, j, index(fb, e)});
                  next.push_back(math::FmaOp::create(
                      fb, fl, p, ve, arith::MulFOp::create(fb, fl, state[2 + e], correction)));
                }
                scf::YieldOp::create(fb, fl, next);
              });
          // A row whose mask leaves no key is zeros.
          Value sum = loop.getResult(1);
          Value any = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, sum, constant(b, 0.0));
          Value inverse = arith::SelectOp::create(
              b, l, any, arith::DivFOp::create(b, l, constant(b, 1.0), sum), constant(b, 0.0));
          for (int64_t e = 0; e < width; ++e)
            memref::StoreOp::create(
                b, l, arith::MulFOp::create(b, l, loop.getResult(2 + e), inverse), out,
                ValueRange{bi, h, i, index(b, e)});
        });
    Value result = bufferization::ToTensorOp::create(rewriter, loc, oType, out,
                                                     rewriter.getUnitAttr(), rewriter.getUnitAttr());
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct CudaLowerAttention : PassWrapper<CudaLowerAttention, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CudaLowerAttention)
  StringRef getArgument() const override { return "moe-cuda-lower-attention"; }
  StringRef getDescription() const override {
    return "moe.attention as one kernel with a thread per query row: online softmax "
           "over the keys its causal/window mask leaves, no scores in memory";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<arith::ArithDialect, bufferization::BufferizationDialect,
                    math::MathDialect, memref::MemRefDialect, scf::SCFDialect,
                    tensor::TensorDialect>();
  }
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FlashRows>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

std::unique_ptr<Pass> moe::createCudaLowerAttentionPass() {
  return std::make_unique<CudaLowerAttention>();
}
