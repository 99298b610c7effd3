//===- FuseElementwiseChains.cpp - Which elementwise producers to fuse ----===//
//
// A target fuses an elementwise producer into its consumer when the
// consumer reads the producer's result element for element (through a
// broadcast the producer would run once per copy; but for a comparison,
// whose i1 result in memory costs more than running it again) and nothing
// else reads it. Whether reductions take producers is the target's call: on a CPU a
// producer fused into a reduction turns a contiguous read into a strided
// one (measured slower); on the NPU's vector unit the fused body runs on
// the same row chunk and saves a round trip through global memory.
//
// An elementwise op reading a concatenation is, on request, split into an
// op per concatenated piece, each writing its slice of the result: what
// exporters write for rotate_half then costs no buffer of its own.
//
//===----------------------------------------------------------------------===//

#include "moe/Passes/Moe/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::moe {
#define GEN_PASS_DEF_MOEFUSEELEMENTWISECHAINS
#include "moe/Passes/Moe/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;

/// All loops parallel (or, with `reductions`, any), maps projected
/// permutations, constant indices allowed (a unit dim broadcast: the rotary
/// tables' [1, 1, S, D] read along [B, H, S, D]).
static bool isElementwise(Operation *op, bool reductions) {
  auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
  return generic && (reductions || generic.getNumLoops() == generic.getNumParallelLoops()) &&
         llvm::all_of(generic.getIndexingMapsArray(), [](AffineMap map) {
           return map.isProjectedPermutation(/*allowZeroInResults=*/true);
         });
}

/// A comparison (a generic of one op making i1): recomputed per element of
/// a broadcast it costs less than its bits in memory (a byte each, which
/// keeps every op reading them from vectorising: HuggingFace's padding
/// mask selects over [S, S] by keys compared once).
static bool isComparison(Operation *op) {
  auto generic = cast<linalg::GenericOp>(op);
  Block &body = generic.getRegion().front();
  return generic->getNumResults() == 1 &&
         cast<ShapedType>(generic->getResult(0).getType()).getElementType().isInteger(1) &&
         body.getOperations().size() == 2 && isa<arith::CmpIOp, arith::CmpFOp>(body.front());
}

void moe::populateFuseElementwiseChainsPatterns(RewritePatternSet &patterns, bool intoReductions) {
  linalg::populateElementwiseOpsFusionPatterns(patterns, [=](OpOperand *operand) {
    Operation *producer = operand->get().getDefiningOp();
    auto consumer = dyn_cast<linalg::GenericOp>(operand->getOwner());
    return isElementwise(producer, /*reductions=*/false) && producer->hasOneUse() &&
           isElementwise(consumer, intoReductions) &&
           (consumer.getMatchingIndexingMap(operand).isIdentity() || isComparison(producer));
  });
}

namespace {
/// out = f(..., concat(p_0, ..., p_n), ...) over an all-parallel space that
/// reads the concatenation and writes `out` element for element: the op
/// per piece reads p_i and the other operands' slices along the
/// concatenated dim, and writes its slice of `out` in place.
struct SplitOverConcat : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp op, PatternRewriter &rewriter) const override {
    // A linalg.index in the body would count from the piece's start.
    if (!isElementwise(op, /*reductions=*/false) || op.getNumDpsInits() != 1 ||
        !op.hasPureTensorSemantics() || op.hasIndexSemantics() ||
        !op.getMatchingIndexingMap(op.getDpsInitOperand(0)).isIdentity())
      return failure();
    OpOperand *read = nullptr;
    tensor::ConcatOp concat;
    for (OpOperand *input : op.getDpsInputOperands()) {
      concat = input->get().getDefiningOp<tensor::ConcatOp>();
      if (concat && op.getMatchingIndexingMap(input).isIdentity()) {
        read = input;
        break;
      }
    }
    if (!read)
      return rewriter.notifyMatchFailure(op, "reads no concatenation element for element");
    // The loop along the concatenated dim is that dim (identity maps).
    int64_t dim = concat.getDim();
    SmallVector<int64_t> extents;
    for (Value piece : concat.getInputs()) {
      int64_t extent = cast<RankedTensorType>(piece.getType()).getDimSize(dim);
      if (ShapedType::isDynamic(extent))
        return rewriter.notifyMatchFailure(op, "a piece of run-time size");
      extents.push_back(extent);
    }

    Location loc = op.getLoc();
    Value init = op.getDpsInitOperand(0)->get();
    // The pieces are inserted into the result: an empty one would be
    // shared by CSE with every other empty of its shape (the transposed
    // input the rotary reads, say), and bufferization, seeing the pieces
    // overwrite what is still read, would give them buffers of their own
    // and copy them in. One allocation of its own instead.
    if (auto empty = init.getDefiningOp<tensor::EmptyOp>())
      init = bufferization::AllocTensorOp::create(rewriter, loc, empty.getType(),
                                                  empty.getDynamicSizes());
    int64_t offset = 0, extent = 0;
    // `value`'s slice that `map` reads over [offset, offset + extent) of
    // the loop `dim`; `value` itself when the map does not read that loop.
    auto slice = [&](Value value, AffineMap map) -> Value {
      auto type = cast<RankedTensorType>(value.getType());
      SmallVector<OpFoldResult> offsets(type.getRank(), rewriter.getIndexAttr(0));
      SmallVector<OpFoldResult> strides(type.getRank(), rewriter.getIndexAttr(1));
      SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(rewriter, loc, value);
      bool reads = false;
      for (auto [i, expr] : llvm::enumerate(map.getResults()))
        if (expr.isFunctionOfDim(dim)) {
          offsets[i] = rewriter.getIndexAttr(offset);
          sizes[i] = rewriter.getIndexAttr(extent);
          reads = true;
        }
      if (!reads)
        return value;
      return tensor::ExtractSliceOp::create(rewriter, loc, value, offsets, sizes, strides);
    };
    AffineMap identity = rewriter.getMultiDimIdentityMap(op.getNumLoops());
    Value result = init;
    for (auto [piece, pieceExtent] : llvm::zip(concat.getInputs(), extents)) {
      extent = pieceExtent;
      SmallVector<Value> inputs;
      for (OpOperand *input : op.getDpsInputOperands())
        inputs.push_back(input == read ? piece
                                       : slice(input->get(), op.getMatchingIndexingMap(input)));
      auto out = cast<tensor::ExtractSliceOp>(slice(init, identity).getDefiningOp());
      auto part = linalg::GenericOp::create(rewriter, loc, out.getType(), inputs, ValueRange{out},
                                            op.getIndexingMapsArray(), op.getIteratorTypesArray());
      rewriter.cloneRegionBefore(op.getRegion(), part.getRegion(), part.getRegion().begin());
      result = tensor::InsertSliceOp::create(rewriter, loc, part.getResult(0), result,
                                             out.getMixedOffsets(), out.getMixedSizes(),
                                             out.getMixedStrides());
      offset += extent;
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct MoeFuseElementwiseChains
    : moe::impl::MoeFuseElementwiseChainsBase<MoeFuseElementwiseChains> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    moe::populateFuseElementwiseChainsPatterns(patterns, intoReductions);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    if (!throughConcats)
      return;
    // Only once the chains are whole: the consumer of a split op reads it
    // through insert_slices, and would no longer fuse it.
    RewritePatternSet split(&getContext());
    moe::populateFuseElementwiseChainsPatterns(split, intoReductions);
    split.add<SplitOverConcat>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(split))))
      signalPassFailure();
  }
};
} // namespace
