//===- VectorizeGenerics.cpp - Elementwise ops and reductions as vectors --===//
//
// What the matmul tiler leaves (elementwise chains, softmax, norms, masks,
// reductions) is vectorised along its innermost loop: every outer loop is
// tiled by 1 and the innermost by up to 64 lanes, so each step is a few
// vector registers wide. A long innermost reduction is split (upstream's
// split reduction) into 16 partial results that each vector step adds a
// block of rows to, reduced once at the end of the row, instead of a
// dependent scalar chain LLVM may not reorder. An elementwise op of 1 MiB
// or more outside any loop is first spread over threads along its
// outermost loop (of run-time size: when it is that big at run time), one
// that stays scalar as well. Ops whose innermost loop
// walks some operand with a stride, whose innermost extent is not static, or that hold i1 (a byte
// in memory, a bit in a vector) stay scalar loops, except transposes of
// the last two dims, done in 16 x 16 blocks in registers. exp, tanh,
// erf and log on vectors become upstream's polynomial approximations:
// LLVM would call libm once per lane.
//
//===----------------------------------------------------------------------===//

#include "moe/Target/Cpu/Cpu.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/Dominance.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

/// Lanes of the partial results an innermost reduction keeps: one 512-bit
/// register of f32.
static constexpr int64_t kReductionLanes = 16;
/// Rows of partials reduced per vector step of a split reduction.
static constexpr int64_t kPartialRows = 16;

/// Whether `op` has only static shapes.
static bool isStatic(linalg::LinalgOp op) {
  return llvm::all_of(op->getOperandTypes(), [](Type type) {
    auto shaped = dyn_cast<ShapedType>(type);
    return !shaped || shaped.hasStaticShape();
  });
}

/// Whether `op`'s body has no gathers (tensor.extract, which would become
/// vector gathers or scalar loads per lane) and no nested regions (which
/// do not vectorise).
static bool hasPlainBody(linalg::LinalgOp op) {
  bool plain = true;
  op.getBlock()->walk([&](Operation *inner) {
    if (isa<tensor::ExtractOp>(inner) || inner->getNumRegions() != 0)
      plain = false;
  });
  return plain;
}

/// Whether `op` can be cut into vector steps along its innermost loop: no
/// gathers, a static innermost loop (outer ones may be dynamic: they are
/// tiled by 1), and every operand reading that loop contiguously (as its
/// last index) or not at all (a broadcast).
static bool isVectorizable(linalg::LinalgOp op) {
  if (isa<linalg::FillOp>(op) || !op.hasPureTensorSemantics() || op.getNumLoops() == 0)
    return false;
  unsigned inner = op.getNumLoops() - 1;
  if (ShapedType::isDynamic(op.getStaticLoopRanges()[inner]))
    return false;
  for (OpOperand &operand : op->getOpOperands()) {
    // Memory holds an i1 per byte; a vector of i1 loads and stores packed
    // bits.
    auto type = dyn_cast<RankedTensorType>(operand.get().getType());
    if (!type || !type.getElementType().isIntOrIndexOrFloat() ||
        (!type.getElementType().isIndex() &&
         type.getElementType().getIntOrFloatBitWidth() < 8))
      return false;
    AffineMap map = op.getMatchingIndexingMap(&operand);
    for (auto [dim, expr] : llvm::enumerate(map.getResults()))
      if (expr.isFunctionOfDim(inner) && type.isDynamicDim(dim))
        return false;
  }
  // The vectoriser's own check needs static shapes: for dynamic ones it
  // runs on each tile.
  if (!hasPlainBody(op) || (isStatic(op) && failed(linalg::vectorizeOpPrecondition(op))))
    return false;
  // Index 0 of a unit dim (keepdims, numpy broadcasting) reads nothing.
  return llvm::all_of(op.getIndexingMapsArray(), [&](AffineMap map) {
    if (!map.isProjectedPermutation(/*allowZeroInResults=*/true))
      return false;
    bool uses = llvm::any_of(map.getResults(),
                             [&](AffineExpr e) { return e.isFunctionOfDim(inner); });
    return !uses || map.getResults().back().isFunctionOfDim(inner);
  });
}

/// Vectorises `op` in place; leaves it as it is when the vectoriser
/// declines.
static void vectorizeOne(RewriterBase &rewriter, Operation *op) {
  if (failed(linalg::vectorizeOpPrecondition(op)))
    return;
  rewriter.setInsertionPoint(op);
  FailureOr<linalg::VectorizationResult> result = linalg::vectorize(rewriter, op);
  if (succeeded(result))
    rewriter.replaceOp(op, result->replacements);
}

/// Tiles `op` by `sizes` (0: that loop untiled) with scf.for loops (or
/// one scf.forall); returns the tiles' ops, none when tiling failed (`op`
/// then stays).
static SmallVector<Operation *> tileBy(RewriterBase &rewriter, linalg::LinalgOp op,
                                       ArrayRef<int64_t> sizes, bool forall = false) {
  rewriter.setInsertionPoint(op);
  scf::SCFTilingOptions options;
  options.setTileSizes(getAsIndexOpFoldResult(rewriter.getContext(), sizes));
  if (forall)
    options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  FailureOr<scf::SCFTilingResult> tiled =
      scf::tileUsingSCF(rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(tiled))
    return {};
  rewriter.replaceOp(op, tiled->replacements);
  return SmallVector<Operation *>(tiled->tiledOps.begin(), tiled->tiledOps.end());
}

/// Elements of an elementwise op from which its outermost loop is spread
/// over threads (1 MiB of f32): the attention block's rotary, transposes
/// and head merges are 2-8 MiB, each a serial pass while the second core
/// waited.
static constexpr int64_t kSpreadElements = int64_t(1) << 18;
/// At most this many pieces: more than any thread count here, few enough
/// that each is a long stretch of memory.
static constexpr int64_t kMaxPieces = 64;

/// An scf.forall over `op`'s outermost loop of more than one step, in
/// pieces that divide it (each piece then as static as `op`), when `op`
/// is all-parallel, big, and outside any loop (a loop's body would fork
/// threads on every step); the pieces, or none.
static SmallVector<Operation *> spreadOverThreads(RewriterBase &rewriter, linalg::LinalgOp op) {
  if (!isa<func::FuncOp>(op->getParentOp()) || op.getNumLoops() != op.getNumParallelLoops())
    return {};
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t elements = 1;
  for (int64_t range : ranges)
    elements *= range;
  auto outer = llvm::find_if(ranges, [](int64_t range) { return range > 1; });
  if (elements < kSpreadElements || outer == ranges.end() || outer + 1 == ranges.end())
    return {};
  int64_t extent = *outer, step = 1;
  while (extent / step > kMaxPieces || extent % step != 0)
    ++step;
  SmallVector<int64_t> sizes(ranges.size(), 0);
  sizes[outer - ranges.begin()] = step;
  return tileBy(rewriter, op, sizes, /*forall=*/true);
}

/// The same for an elementwise op of run-time size (a prompt of symbolic
/// length) outside any loop: whether it is big is known only at run time,
/// so an scf.if on its element count picks pieces over threads (along its
/// outermost static loop of more than one step: the heads) or one serial
/// pass (a decode step's row would pay a fork per op). The two copies, to
/// be vectorised as run-time sized ops; none when `op` does not qualify.
static SmallVector<linalg::LinalgOp> spreadDynamicOverThreads(RewriterBase &rewriter,
                                                              linalg::LinalgOp op) {
  if (!isa<func::FuncOp>(op->getParentOp()) || op.getNumLoops() != op.getNumParallelLoops() ||
      op->getNumResults() == 0)
    return {};
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  auto outer = llvm::find_if(ArrayRef(ranges).drop_back(), [](int64_t range) {
    return !ShapedType::isDynamic(range) && range > 1;
  });
  if (outer == ranges.end() - 1)
    return {};
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  // A piece written into its slice of a bigger result (a rotary half,
  // split over its concatenation) starts as that slice, not as an empty
  // tensor: upstream's empty-tensor elimination, which would make that
  // substitution, does not see through the scf.if, and each piece would be
  // computed apart and copied in.
  if (op->getNumResults() == 1 && op->getResult(0).hasOneUse() && op.getNumDpsInits() == 1)
    if (auto insert = dyn_cast<tensor::InsertSliceOp>(*op->getResult(0).getUsers().begin()))
      if (OpOperand *init = op.getDpsInitOperand(0);
          insert.getSource() == op->getResult(0) && init->get().getDefiningOp<tensor::EmptyOp>() &&
          insert.getSourceType() == init->get().getType() &&
          !op.payloadUsesValueFromOperand(init)) {
        DominanceInfo dominance;
        bool dominates = llvm::all_of(insert->getOperands().drop_front(),
                                      [&](Value v) { return dominance.properlyDominates(v, op); });
        if (dominates)
          init->set(tensor::ExtractSliceOp::create(
              rewriter, loc, insert.getSourceType(), insert.getDest(), insert.getMixedOffsets(),
              insert.getMixedSizes(), insert.getMixedStrides()));
      }
  Value elements = arith::ConstantIndexOp::create(rewriter, loc, 1);
  for (Range range : op.createLoopRanges(rewriter, loc))
    elements = arith::MulIOp::create(rewriter, loc, elements,
                                     getValueOrCreateConstantIndexOp(rewriter, loc, range.size));
  Value big = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::uge, elements,
                                    arith::ConstantIndexOp::create(rewriter, loc, kSpreadElements));
  auto choice = scf::IfOp::create(rewriter, loc, op->getResultTypes(), big,
                                  /*addThenBlock=*/true, /*addElseBlock=*/true);
  SmallVector<linalg::LinalgOp> copies;
  for (Block *block : {choice.thenBlock(), choice.elseBlock()}) {
    rewriter.setInsertionPointToStart(block);
    Operation *copy = rewriter.clone(*op);
    scf::YieldOp::create(rewriter, loc, copy->getResults());
    copies.push_back(cast<linalg::LinalgOp>(copy));
  }
  rewriter.replaceOp(op, choice.getResults());
  int64_t extent = *outer, step = 1;
  while (extent / step > kMaxPieces || extent % step != 0)
    ++step;
  SmallVector<int64_t> sizes(ranges.size(), 0);
  sizes[outer - ranges.begin()] = step;
  SmallVector<linalg::LinalgOp> pieces = {copies[1]};
  for (Operation *piece : tileBy(rewriter, copies[0], sizes, /*forall=*/true))
    if (auto linalgPiece = dyn_cast<linalg::LinalgOp>(piece))
      pieces.push_back(linalgPiece);
  return pieces;
}

/// Tiles `op` by `sizes` (loops of size 1 where 1) and vectorises the tile.
static void tileAndVectorize(RewriterBase &rewriter, linalg::LinalgOp op,
                             ArrayRef<int64_t> sizes) {
  for (Operation *piece : tileBy(rewriter, op, sizes))
    vectorizeOne(rewriter, piece);
}

/// Whether `op` transposes its last two loops: all-parallel, static but
/// for outer loops (done one index of them at a time), a plain body, some operand of 32-bit
/// elements indexed by every loop in order but the last two swapped, the others indexed in loop
/// order (broadcasts allowed), and the last two loops whole 16 x 16 blocks.
static bool isBlockTranspose(linalg::LinalgOp op) {
  unsigned loops = op.getNumLoops();
  if (loops < 2 || !op.hasPureTensorSemantics() || op.getNumParallelLoops() != loops ||
      op.hasIndexSemantics())
    return false;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (ShapedType::isDynamic(ranges[loops - 1]) || ShapedType::isDynamic(ranges[loops - 2]) ||
      ranges[loops - 1] % 16 != 0 || ranges[loops - 2] % 16 != 0)
    return false;
  if (!hasPlainBody(op))
    return false;
  SmallVector<unsigned> order = llvm::to_vector(llvm::seq<unsigned>(0, loops));
  std::swap(order[loops - 1], order[loops - 2]);
  AffineMap swapped = AffineMap::getPermutationMap(order, op.getContext());
  bool any = false;
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<RankedTensorType>(operand.get().getType());
    if (!type || !type.getElementType().isIntOrFloat() ||
        type.getElementType().getIntOrFloatBitWidth() < 8)
      return false;
    AffineMap map = op.getMatchingIndexingMap(&operand);
    if (map == swapped) {
      if (type.getElementType().getIntOrFloatBitWidth() != 32)
        return false;
      any = true;
      continue;
    }
    // In loop order: a broadcast's dims rise, as an identity's do.
    int64_t last = -1;
    for (AffineExpr expr : map.getResults()) {
      auto dim = dyn_cast<AffineDimExpr>(expr);
      if (!dim || static_cast<int64_t>(dim.getPosition()) <= last)
        return false;
      last = dim.getPosition();
    }
  }
  return any && (!isStatic(op) || succeeded(linalg::vectorizeOpPrecondition(op)));
}

/// A transpose of the last two loops in 16 x 16 blocks: each block is
/// read as 16 rows of 16 lanes and transposed in registers (shuffles; see
/// the vector-to-LLVM lowering's options in CpuPipeline.cpp). As a
/// scalar loop each element read is a cache line of its own (a
/// 2048 x 2048 attention mask took 28 ms; the Q, K and V panels of the
/// flash form are transposed the same way), or a gather when LLVM
/// vectorises the loop. Big ones are spread over threads first.
static void vectorizeBlockTranspose(RewriterBase &rewriter, linalg::LinalgOp op) {
  if (!isStatic(op)) {
    // Outer loops of run-time extent (a KV cache's tiles): over threads
    // when big, then one step per index of them, each a static transpose.
    SmallVector<linalg::LinalgOp> pieces = spreadDynamicOverThreads(rewriter, op);
    if (pieces.empty())
      pieces.push_back(op);
    for (linalg::LinalgOp piece : pieces) {
      SmallVector<int64_t> sizes;
      for (int64_t range : piece.getStaticLoopRanges())
        sizes.push_back(ShapedType::isDynamic(range) ? 1 : 0);
      for (Operation *step : tileBy(rewriter, piece, sizes))
        if (auto linalgStep = dyn_cast<linalg::LinalgOp>(step))
          if (isStatic(linalgStep) && isBlockTranspose(linalgStep))
            vectorizeBlockTranspose(rewriter, linalgStep);
    }
    return;
  }
  if (SmallVector<Operation *> pieces = spreadOverThreads(rewriter, op); !pieces.empty()) {
    for (Operation *piece : pieces)
      if (auto linalgPiece = dyn_cast<linalg::LinalgOp>(piece))
        if (isBlockTranspose(linalgPiece))
          vectorizeBlockTranspose(rewriter, linalgPiece);
    return;
  }
  SmallVector<int64_t> sizes(op.getNumLoops(), 1);
  sizes[sizes.size() - 1] = sizes[sizes.size() - 2] = 16;
  tileAndVectorize(rewriter, op, sizes);
}

/// Vectorises `op` along its innermost loop when isVectorizable: outer
/// loops become scalar loops of one step, the innermost a vector of up to
/// 64 lanes. A longer innermost reduction is first split into
/// kReductionLanes partial results (upstream's split reduction), each
/// vector step adding up to kPartialRows rows of the input to them, then
/// the partials are reduced once.
static void vectorizeAlongInnermost(RewriterBase &rewriter, linalg::LinalgOp op) {
  if (!isVectorizable(op)) {
    if (isBlockTranspose(op))
      vectorizeBlockTranspose(rewriter, op);
    else if (isStatic(op) && !isa<linalg::FillOp>(op))
      // Scalar loops still share the work out: a padding mask's select
      // over an i1 ([S, S] of them) was a serial pass while a core waited.
      (void)spreadOverThreads(rewriter, op);
    return;
  }
  // A constant index in a map (keepdims' 0, numpy broadcasting) is read
  // as a loop by upstream's split reduction, and makes the vector
  // patterns below cycle: a reduction's unit dims go first. Elementwise
  // ops keep theirs: dropping them reshapes the init, and a result
  // inserted into a destination (a rotary half) would be computed apart
  // and copied there.
  if (op.getNumReductionLoops() != 0 &&
      llvm::any_of(op.getIndexingMapsArray(),
                   [](AffineMap map) { return !map.isProjectedPermutation(); })) {
    auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
    if (!generic)
      return;
    rewriter.setInsertionPoint(op);
    FailureOr<linalg::DropUnitDimsResult> dropped =
        linalg::dropUnitDims(rewriter, generic, linalg::ControlDropUnitDims());
    if (failed(dropped))
      return;
    rewriter.replaceOp(generic, dropped->replacements);
    op = cast<linalg::LinalgOp>(dropped->resultOp.getOperation());
    if (op.getNumLoops() == 0 || !isVectorizable(op) ||
        llvm::any_of(op.getIndexingMapsArray(),
                     [](AffineMap map) { return !map.isProjectedPermutation(); }))
      return;
  }
  unsigned loops = op.getNumLoops();
  if (!isStatic(op)) {
    if (SmallVector<linalg::LinalgOp> pieces = spreadDynamicOverThreads(rewriter, op);
        !pieces.empty()) {
      for (linalg::LinalgOp piece : pieces)
        vectorizeAlongInnermost(rewriter, piece);
      return;
    }
    // Run-time outer dims (an expert's tokens): a loop over them first, so
    // each step is a static op along the innermost loop.
    SmallVector<int64_t> outer(loops, 1);
    outer.back() = 0;
    for (Operation *piece : tileBy(rewriter, op, outer))
      if (auto linalgPiece = dyn_cast<linalg::LinalgOp>(piece))
        if (isStatic(linalgPiece))
          vectorizeAlongInnermost(rewriter, linalgPiece);
    return;
  }
  if (SmallVector<Operation *> pieces = spreadOverThreads(rewriter, op); !pieces.empty()) {
    for (Operation *piece : pieces)
      if (auto linalgPiece = dyn_cast<linalg::LinalgOp>(piece))
        vectorizeAlongInnermost(rewriter, linalgPiece);
    return;
  }
  int64_t extent = op.getStaticLoopRanges()[loops - 1];
  SmallVector<int64_t> sizes(loops, 1);
  if (!linalg::isReductionIterator(op.getIteratorTypesArray()[loops - 1])) {
    for (int64_t lanes : {64, 32, 16, 8}) {
      if (extent % lanes == 0) {
        sizes.back() = lanes;
        return tileAndVectorize(rewriter, op, sizes);
      }
    }
    return;
  }
  if (extent % kReductionLanes != 0)
    return;
  // Splitting renumbers the reduction loop, which linalg.index in the body
  // would not follow (the router's rank count compares expert numbers):
  // such reductions are only vectorised whole.
  if (extent == kReductionLanes || op.getNumReductionLoops() != 1 ||
      op.hasIndexSemantics()) {
    // A short row (or one reduction of several) is one vector per step.
    sizes.back() = extent;
    if (extent <= 4 * kReductionLanes)
      tileAndVectorize(rewriter, op, sizes);
    return;
  }
  unsigned outputRank = op.getRank(op.getDpsInitOperand(0));
  rewriter.setInsertionPoint(op);
  FailureOr<linalg::SplitReductionResult> split = linalg::splitReduction(
      rewriter, op, [&](linalg::LinalgOp) {
        return linalg::SplitReductionOptions{kReductionLanes, outputRank,
                                             /*innerParallel=*/true};
      });
  if (failed(split))
    return;
  // The split op's loops: the outer ones, the rows of partials (a
  // reduction), the partials' lanes (innermost).
  linalg::LinalgOp partial = split->splitLinalgOp;
  SmallVector<int64_t> partialSizes(partial.getNumLoops(), 1);
  int64_t rows = extent / kReductionLanes;
  partialSizes.back() = kReductionLanes;
  // Rows of partials per step: the most, up to kPartialRows, that divide
  // them (a whole long row in one vector would not fit the registers).
  int64_t step = kPartialRows;
  while (rows % step != 0)
    step /= 2;
  partialSizes[partialSizes.size() - 2] = step;
  if (isVectorizable(partial))
    tileAndVectorize(rewriter, partial, partialSizes);
  linalg::LinalgOp combine = split->resultCombiningLinalgOp;
  SmallVector<int64_t> combineSizes(combine.getNumLoops(), 1);
  combineSizes.back() = kReductionLanes;
  if (isVectorizable(combine))
    tileAndVectorize(rewriter, combine, combineSizes);
}

namespace {
struct CpuVectorizeGenerics
    : PassWrapper<CpuVectorizeGenerics, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CpuVectorizeGenerics)
  StringRef getArgument() const override { return "moe-cpu-vectorize-generics"; }
  StringRef getDescription() const override {
    return "Vectorise elementwise ops and reductions along their static "
           "innermost loop (run-time outer dims become loops), with partial "
           "vectors for long innermost reductions";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<arith::ArithDialect, linalg::LinalgDialect, math::MathDialect,
                    scf::SCFDialect, tensor::TensorDialect, vector::VectorDialect>();
  }
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<linalg::LinalgOp> work;
    module.walk([&](linalg::LinalgOp op) { work.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : work)
      vectorizeAlongInnermost(rewriter, op);

    // The vectoriser's n-d vectors have unit outer dims; dropping them
    // leaves 1-d vectors, or the rows of a split reduction's partials.
    // A driver that cycles stops after a bounded number of rewrites, with
    // valid IR.
    int64_t opCount = 0;
    module.walk([&](Operation *) { ++opCount; });
    GreedyRewriteConfig bounded;
    bounded.setMaxNumRewrites(64 * opCount + 10000);
    RewritePatternSet unitDims(&getContext());
    vector::populateCastAwayVectorLeadingOneDimPatterns(unitDims);
    vector::populateVectorTransferDropUnitDimsPatterns(unitDims);
    vector::populateVectorTransferPermutationMapLoweringPatterns(unitDims);
    (void)applyPatternsGreedily(module, std::move(unitDims), bounded);
    // A one-element read left 0-d (a per-row scalar, broadcast) is a
    // plain load: from a strided view (a column sliced out of a wider
    // product) the 0-d transfer has no lowering to LLVM.
    SmallVector<vector::TransferReadOp> scalarReads;
    module.walk([&](vector::TransferReadOp read) {
      if (read.getVectorType().getRank() == 0 && !read.getMask() &&
          isa<RankedTensorType>(read.getBase().getType()))
        scalarReads.push_back(read);
    });
    for (vector::TransferReadOp read : scalarReads) {
      rewriter.setInsertionPoint(read);
      Value element =
          tensor::ExtractOp::create(rewriter, read.getLoc(), read.getBase(), read.getIndices());
      rewriter.replaceOpWithNewOp<vector::BroadcastOp>(read, read.getVectorType(), element);
    }

    // A reduction over the innermost dim becomes a horizontal
    // vector.reduction; over rows of partials, vector adds (or maxima)
    // lane by lane.
    SmallVector<Operation *> acrossLanes, acrossRows;
    module.walk([&](vector::MultiDimReductionOp reduction) {
      if (moe::matchInt8DotProduct(reduction) || moe::matchBf16DotProduct(reduction))
        return;
      if (reduction.isReducedDim(reduction.getSourceVectorType().getRank() - 1))
        acrossLanes.push_back(reduction);
      else
        acrossRows.push_back(reduction);
    });
    auto lower = [&](SmallVector<Operation *> &ops, vector::VectorMultiReductionLowering how) {
      RewritePatternSet patterns(&getContext());
      vector::populateVectorMultiReductionLoweringPatterns(patterns, how);
      GreedyRewriteConfig config = bounded;
      config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
      (void)applyOpPatternsGreedily(ops, std::move(patterns), config);
    };
    lower(acrossLanes, vector::VectorMultiReductionLowering::InnerReduction);
    lower(acrossRows, vector::VectorMultiReductionLowering::InnerParallel);
    // The lanes of a horizontal sum are partials already (a split
    // reduction's, or a row's in vector order): summing them as a tree is
    // as good as in lane order, and a lane-order chain of scalar adds was
    // most of an int4 GEMV's time.
    module.walk([&](vector::ReductionOp reduction) {
      if (isa<FloatType>(reduction.getType()) &&
          (reduction.getKind() == vector::CombiningKind::ADD ||
           reduction.getKind() == vector::CombiningKind::MUL))
        reduction.setFastmathAttr(
            arith::FastMathFlagsAttr::get(&getContext(), arith::FastMathFlags::reassoc));
    });

    // Math on vectors only: scalar calls keep libm's accuracy.
    SmallVector<Operation *> vectorMath;
    module.walk([&](Operation *op) {
      if (isa<math::ExpOp, math::TanhOp, math::ErfOp, math::LogOp>(op) &&
          isa<VectorType>(op->getResult(0).getType()))
        vectorMath.push_back(op);
    });
    if (vectorMath.empty())
      return;
    RewritePatternSet approximations(&getContext());
    populateMathPolynomialApproximationPatterns(
        approximations,
        [](StringRef name) {
          name.consume_front("math.");
          return name == "exp" || name == "tanh" || name == "erf" || name == "log";
        });
    GreedyRewriteConfig config;
    config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
    (void)applyOpPatternsGreedily(vectorMath, std::move(approximations), config);
  }
};
} // namespace

std::unique_ptr<Pass> moe::createCpuVectorizeGenericsPass() {
  return std::make_unique<CpuVectorizeGenerics>();
}

void moe::registerCpuVectorizeGenericsPass() { PassRegistration<CpuVectorizeGenerics>(); }
