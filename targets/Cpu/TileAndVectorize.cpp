//===- TileAndVectorize.cpp - Register-tiled, vectorised matmuls ----------===//
//
// f32 matmuls whose dims the register tile divides (rows by 8, n by 32) are
// tiled for the caches (up to 64 x 256 x 256, dividing the dims), then into
// 8 x 32 register tiles over one k at a time and vectorised; the 8 x 32
// accumulator is hoisted out of the k loop, so it lives in vector
// registers (16 zmm on AVX-512), and each k step adds a broadcast column of
// A times a row of B to it, as FMAs. The schedule is a transform-dialect script
// applied by the upstream interpreter. A run-time row count (the tokens an
// expert got) is computed as static 8 x 32 blocks, scheduled the same way,
// and one block of the rows left, rows inside column panels; static rows
// times constant weights go the same way, a tile of rows at a time, over
// the weights packed panel by panel. An elementwise consumer of a
// run-time-row product's columns (an expert's SwiGLU) is applied to each
// block's registers (moe/Support/MatmulEpilogue.h). An elementwise
// producer of a static-row product's rows (a norm in front of a
// projection) is computed a tile of rows at a time where the tile is used,
// with the row reductions only it reads (the norm's sums of squares).
//
//===----------------------------------------------------------------------===//

#include "RowBlocks.h"
#include "moe/Target/Cpu/Cpu.h"
#include "moe/Support/ConstantBytes.h"
#include "moe/Support/MatmulEpilogue.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Transform/IR/TransformOps.h"
#include "mlir/Dialect/Transform/Transforms/TransformInterpreterUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassRegistry.h"

#include <cstring>
#include <functional>

using namespace mlir;

/// The schedule of one matmul, marked with `moe.tile_id = id`: cache tiles
/// that divide its dims, then 8 x 32 x 1 register tiles (m x 128/m for
/// m < 8 rows).
static std::string scheduleFor(int64_t id, int64_t m, int64_t n, int64_t k,
                               bool allowParallel = true, bool fuseProducer = false) {
  auto divisor = [](int64_t dim, std::initializer_list<int64_t> options) {
    for (int64_t option : options)
      if (dim % option == 0)
        return option;
    return int64_t(1);
  };
  // Fewer than 8 rows (a decode step's tokens): the register tile is all
  // of them by up to 128 columns, so a step still has 8 accumulators.
  int64_t mr = m < 8 ? m : 8;
  int64_t nr = 32;
  if (m < 8)
    for (int64_t cols : {128, 64, 32})
      if (cols * m <= 128 && n % cols == 0) {
        nr = cols;
        break;
      }
  int64_t mc = m < 8 ? m : divisor(m, {64, 32, 16, 8});
  int64_t nc = divisor(n, {256, 128, 64, 32});
  int64_t kc = divisor(k, {256, 128, 64, 32, 16, 8, 4, 2});
  // Cache tiles of big enough matmuls are spread over threads (an
  // scf.forall, OpenMP after bufferization); below ~2 MFLOP the fork costs
  // more than the second core gives.
  bool parallel = allowParallel && (m / mc) * (n / nc) >= 2 &&
                  m * n * k >= (int64_t(1) << 20);
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "    %mm" << id << " = transform.structured.match ops{[\"linalg.matmul\"]} "
     << "attributes {moe.tile_id = " << id << " : i64} in %root : (!transform.any_op) -> !transform.any_op\n";
  if (parallel)
    os << "    %t" << id << ", %fa" << id << " = transform.structured.tile_using_forall %mm" << id
       << " tile_sizes [" << mc << ", " << nc << "] : (!transform.any_op) -> "
          "(!transform.any_op, !transform.any_op)\n"
       << "    %c" << id << ", %cl" << id << " = transform.structured.tile_using_for %t" << id
       << " tile_sizes [0, 0, " << kc << "] : (!transform.any_op) -> "
          "(!transform.any_op, !transform.any_op)\n";
  else
    os << "    %c" << id << ", %cl" << id << ":3 = transform.structured.tile_using_for %mm" << id
       << " tile_sizes [" << mc << ", " << nc << ", " << kc << "] : (!transform.any_op) -> "
          "(!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)\n";
  // The weight's producer follows the weight's slices inward: into the
  // thread tile, then into the K loop, where it makes a [kc, nc] tile.
  if (fuseProducer) {
    auto fuse = [&](StringRef producer, StringRef into, StringRef fused) {
      os << "    " << fused << id << ", %pl" << fused.drop_front() << id
         << " = transform.structured.fuse_into_containing_op " << producer << id << " into "
         << into << id << (parallel || into != "%cl" ? "" : "#2")
         << " : (!transform.any_op, !transform.any_op) -> (!transform.any_op, "
            "!transform.any_op)\n";
    };
    os << "    %p" << id << " = transform.structured.match ops{[\"linalg.generic\"]} "
       << "attributes {moe.tile_producer = " << id
       << " : i64} in %root : (!transform.any_op) -> !transform.any_op\n";
    if (parallel) {
      fuse("%p", "%fa", "%pt");
      fuse("%pt", "%cl", "%pk");
    } else {
      fuse("%p", "%cl", "%pk");
    }
  }
  os
     << "    %r" << id << ", %rl" << id << ":3 = transform.structured.tile_using_for %c" << id
     << " tile_sizes [" << mr << ", " << nr << ", 1] : (!transform.any_op) -> (!transform.any_op, "
        "!transform.any_op, !transform.any_op, !transform.any_op)\n"
     << "    transform.structured.vectorize %r" << id << " : !transform.any_op\n"
     << "    %f" << id << " = transform.get_parent_op %rl" << id
     << "#2 {op_name = \"func.func\"} : (!transform.any_op) -> !transform.any_op\n"
     << "    transform.apply_patterns to %f" << id << " {\n"
     << "      transform.apply_patterns.vector.lower_contraction lowering_strategy = \"outerproduct\"\n"
     << "      transform.apply_patterns.vector.transfer_permutation_patterns\n"
     << "      transform.apply_patterns.vector.lower_outerproduct\n"
     << "      transform.apply_patterns.canonicalization\n"
     << "    } : !transform.any_op\n"
     << "    transform.loop.hoist_loop_invariant_subsets %rl" << id << "#2 : !transform.any_op\n";
  // A cache tile that is one register tile (a block of run-time rows)
  // keeps its accumulator in registers across the K tiles too: the block
  // is stored once, and an epilogue's read of it folds to the registers.
  if (!parallel && mc == mr && nc == nr)
    os << "    transform.loop.hoist_loop_invariant_subsets %cl" << id
       << "#2 : !transform.any_op\n";
  return text;
}

/// Whether `b`, a matmul's weight operand, is made by an elementwise
/// generic from integers (a dequantization: QDQ weights, int8 weights of
/// many rows) used by nothing else: computed one [kc, nc] tile at a time
/// inside the matmul's K loop instead of whole, so no float copy of the
/// weights is ever made.
static linalg::GenericOp dequantizingProducer(Value b) {
  auto producer = b.getDefiningOp<linalg::GenericOp>();
  if (!producer || !b.hasOneUse() || producer->getNumResults() != 1 ||
      producer.getNumLoops() != producer.getNumParallelLoops() ||
      !producer.hasPureTensorSemantics())
    return {};
  bool fromIntegers = llvm::any_of(producer.getDpsInputs(), [](Value in) {
    auto type = dyn_cast<RankedTensorType>(in.getType());
    return type && isa<IntegerType>(type.getElementType()) &&
           type.getElementTypeBitWidth() <= 8;
  });
  return fromIntegers ? producer : linalg::GenericOp();
}

/// An elementwise generic that makes a static-row product's A and that
/// nothing else reads (a norm's x * rsqrt(mean(x^2) + eps) * g): computed a
/// tile of rows at a time where the product takes its rows
/// (tileStaticRowsOverPanels), the tile staying in L2 for the panels, so
/// A is never written whole and read back. Its reads keep A's dim order
/// (broadcasts, no transposes: a tile's transposed read would be strided).
static linalg::GenericOp rowTileProducer(Value a) {
  auto producer = a.getDefiningOp<linalg::GenericOp>();
  if (!producer || !a.hasOneUse() || producer->getNumResults() != 1 ||
      producer.getNumLoops() != producer.getNumParallelLoops() ||
      !producer.hasPureTensorSemantics() || !producer.getIndexingMapsArray().back().isIdentity())
    return {};
  for (AffineMap map : producer.getIndexingMapsArray()) {
    int64_t last = -1;
    for (AffineExpr expr : map.getResults()) {
      if (auto constant = dyn_cast<AffineConstantExpr>(expr)) {
        if (constant.getValue() != 0)
          return {};
        continue;
      }
      auto dim = dyn_cast<AffineDimExpr>(expr);
      if (!dim || int64_t(dim.getPosition()) <= last)
        return {};
      last = dim.getPosition();
    }
  }
  return producer;
}

/// The iterations of a linalg op with static loop ranges.
static int64_t staticIterations(Operation *op) {
  int64_t total = 1;
  for (int64_t range : cast<linalg::LinalgOp>(op).getStaticLoopRanges())
    total = ShapedType::isDynamic(range) ? ShapedType::kDynamic : total * range;
  return total;
}

/// Rows [row, row + rows) of `producer`'s static [lead..., k] result (rows
/// dividing the last lead dim), as [rows, k], computed by its tiled
/// implementation. What it reads from reductions that only it reads (a
/// norm's sums of squares) is computed for the tile's rows as well, when
/// their tiles partition their work (`tiles` of them make it whole): x is
/// then read from memory once. Null when the producer does not tile.
static Value producerRowTile(OpBuilder &b, Location loc, linalg::GenericOp producer, Value row,
                             int64_t rows, int64_t tiles) {
  auto type = cast<RankedTensorType>(producer->getResult(0).getType());
  int64_t rank = type.getRank();
  SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0)), sizes(rank - 2, b.getIndexAttr(1));
  sizes.append({b.getIndexAttr(rows), b.getIndexAttr(type.getShape().back())});
  // The row index split over the lead dims, the last varying fastest.
  Value rest = row;
  for (int64_t d = rank - 2; d >= 0; --d) {
    Value extent = arith::ConstantIndexOp::create(b, loc, type.getDimSize(d));
    offsets[d] = d == 0 ? rest : Value(arith::RemUIOp::create(b, loc, rest, extent));
    if (d > 0)
      rest = arith::DivUIOp::create(b, loc, rest, extent);
  }
  FailureOr<TilingResult> tiled =
      cast<TilingInterface>(producer.getOperation()).getTiledImplementation(b, offsets, sizes);
  if (failed(tiled) || tiled->tiledValues.size() != 1)
    return {};
  SmallVector<Operation *> worklist(tiled->tiledOps);
  SmallVector<Operation *> originals(tiled->tiledOps.size(), producer);
  while (!worklist.empty()) {
    Operation *op = worklist.pop_back_val();
    Operation *original = originals.pop_back_val();
    for (OpOperand &operand : op->getOpOperands()) {
      auto slice = operand.get().getDefiningOp<tensor::ExtractSliceOp>();
      auto source = slice ? dyn_cast<OpResult>(slice.getSource()) : OpResult();
      auto reduction = source ? dyn_cast<linalg::GenericOp>(source.getOwner()) : nullptr;
      if (!reduction || reduction.getNumReductionLoops() == 0 ||
          !reduction.hasPureTensorSemantics() ||
          !llvm::all_of(source.getUsers(),
                        [&](Operation *user) { return user == original || user == slice; }))
        continue;
      int64_t whole = staticIterations(reduction);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(op);
      FailureOr<TilingResult> fused =
          tensor::replaceExtractSliceWithTiledProducer(b, slice, source);
      if (failed(fused))
        continue;
      bool partitions = fused->tiledOps.size() == 1 && !ShapedType::isDynamic(whole) &&
                        staticIterations(fused->tiledOps.front()) * tiles == whole;
      if (!partitions) {
        for (Operation *made : llvm::reverse(fused->tiledOps))
          if (made->use_empty())
            made->erase();
        continue;
      }
      operand.set(fused->tiledValues[0]);
      worklist.push_back(fused->tiledOps.front());
      originals.push_back(reduction);
    }
  }
  Value tile = tiled->tiledValues[0];
  if (rank == 2)
    return tile;
  SmallVector<ReassociationIndices> groups = {llvm::to_vector(llvm::seq<int64_t>(0, rank - 1)),
                                              {rank - 1}};
  return tensor::CollapseShapeOp::create(b, loc, tile, groups);
}

/// The number of batch dims when `generic` is, in f32,
/// C[batch..., rows..., n] += A[batch..., rows..., k] * B[batch..., k, n]
/// (no batch dims: B is one weight shared by all rows), with n a multiple
/// of the register tile's 32 and B static. Rows may be dynamic when there
/// are no batch dims; static rows must be a multiple of the tile's 8, or
/// fewer than 8 without batch dims. `anyWidth`: n need not be a multiple
/// of 32.
/// nullopt for anything else.
static std::optional<unsigned> tileableMatmulBatchDims(linalg::GenericOp generic,
                                                       bool anyWidth = false) {
  if (generic.getNumDpsInputs() != 2 || generic.getNumDpsInits() != 1 ||
      generic.getNumLoops() < 3 || generic.getNumReductionLoops() != 1 ||
      !generic.hasPureTensorSemantics())
    return std::nullopt;
  auto b = dyn_cast<RankedTensorType>(generic.getDpsInputs()[1].getType());
  if (!b || b.getRank() < 2 || b.getRank() > generic.getNumLoops() - 1)
    return std::nullopt;
  unsigned batch = b.getRank() - 2;
  MLIRContext *ctx = generic.getContext();
  unsigned loops = generic.getNumLoops();
  SmallVector<AffineExpr> leading, batchExprs;
  for (unsigned i = 0; i + 2 < loops; ++i)
    leading.push_back(getAffineDimExpr(i, ctx));
  for (unsigned i = 0; i < batch; ++i)
    batchExprs.push_back(getAffineDimExpr(i, ctx));
  AffineExpr n = getAffineDimExpr(loops - 2, ctx), k = getAffineDimExpr(loops - 1, ctx);
  SmallVector<AffineExpr> aExprs(leading), bExprs(batchExprs), cExprs(leading);
  aExprs.push_back(k);
  bExprs.append({k, n});
  cExprs.push_back(n);
  SmallVector<AffineMap> expected = {AffineMap::get(loops, 0, aExprs, ctx),
                                     AffineMap::get(loops, 0, bExprs, ctx),
                                     AffineMap::get(loops, 0, cExprs, ctx)};
  if (generic.getIndexingMapsArray() != expected)
    return std::nullopt;
  Block &body = generic.getRegion().front();
  if (!linalg::detail::isContractionBody(
          body, [](Operation *first, Operation *second) {
            return (isa<arith::MulFOp>(first) && isa<arith::AddFOp>(second)) ||
                   (isa<arith::AddFOp>(first) && isa<arith::MulFOp>(second));
          }))
    return std::nullopt;
  auto a = dyn_cast<RankedTensorType>(generic.getDpsInputs()[0].getType());
  auto c = dyn_cast<RankedTensorType>(generic.getDpsInits()[0].getType());
  if (!a || !c || !b.hasStaticShape() || !a.getElementType().isF32() ||
      !b.getElementType().isF32() || !c.getElementType().isF32() ||
      (!anyWidth && b.getShape().back() % 32 != 0))
    return std::nullopt;
  // A reduction of one step (rotary angles: positions times frequencies)
  // is an outer product: nothing for the K tiling to do, and its
  // single-iteration loops fold away under the schedule.
  if (b.getShape()[b.getRank() - 2] < 2)
    return std::nullopt;
  if (!c.hasStaticShape())
    return batch == 0 ? std::optional<unsigned>(0) : std::nullopt;
  int64_t batchElems = 1;
  for (int64_t d : b.getShape().drop_back(2))
    batchElems *= d;
  int64_t rows = c.getNumElements() / c.getShape().back() / batchElems;
  // A few rows (decode) are one register tile of their own.
  return rows % 8 == 0 || (rows < 8 && batch == 0) ? std::optional<unsigned>(batch)
                                                    : std::nullopt;
}

/// A zero-started matmul by constant weights of a width that is not a
/// multiple of 32 (a router's 8 experts' columns), as the same product by
/// the weights padded with zero columns to the next multiple, sliced back:
/// the padded product is register-tiled and vectorised where the narrow
/// one stayed scalar loops (Mixtral-style prefill: the router's 8 columns
/// were 1.8% of the block's time, for 0.02% of its FLOPs). False, and
/// nothing changed, for anything else.
static bool padToPanelWidth(IRRewriter &rewriter, linalg::GenericOp generic) {
  // Rows of one dim only: a slice of the padded product with several
  // dynamic row dims (after its expand_shape) has crashed upstream's
  // expand-strided-metadata.
  if (generic.getNumLoops() != 3 || tileableMatmulBatchDims(generic, /*anyWidth=*/true) != 0)
    return false;
  Value b = generic.getDpsInputs()[1];
  auto bType = cast<RankedTensorType>(b.getType());
  int64_t k = bType.getDimSize(0), n = bType.getDimSize(1);
  auto fill = generic.getDpsInits()[0].getDefiningOp<linalg::FillOp>();
  if (n % 32 == 0 || !fill ||
      !matchPattern(fill.getDpsInputs()[0], m_AnyZeroFloat()))
    return false;
  std::optional<std::vector<char>> bytes = moe::constantRawBytes(b);
  if (!bytes || bytes->size() != size_t(k * n) * 4)
    return false;
  int64_t padded = llvm::alignTo(n, 32);
  std::vector<char> wide(size_t(k * padded) * 4, 0);
  for (int64_t row = 0; row < k; ++row)
    std::memcpy(&wide[row * padded * 4], &(*bytes)[row * n * 4], n * 4);
  Location loc = generic.getLoc();
  rewriter.setInsertionPoint(generic);
  Value wideB = moe::bytesConstant(rewriter, loc, bType.clone({k, padded}), wide,
                                   "moe_padded_weights");
  Value c = fill.getDpsInits()[0];
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(rewriter, loc, c);
  sizes.back() = rewriter.getIndexAttr(padded);
  Type f32 = bType.getElementType();
  Value wideC = linalg::FillOp::create(rewriter, loc, fill.getDpsInputs()[0],
                                       ValueRange{tensor::EmptyOp::create(rewriter, loc, sizes, f32)})
                    .getResult(0);
  auto wideProduct = linalg::GenericOp::create(
      rewriter, loc, TypeRange{wideC.getType()}, ValueRange{generic.getDpsInputs()[0], wideB},
      ValueRange{wideC}, generic.getIndexingMapsArray(), generic.getIteratorTypesArray());
  IRMapping mapping;
  generic.getRegion().cloneInto(&wideProduct.getRegion(), mapping);
  sizes.back() = rewriter.getIndexAttr(n);
  SmallVector<OpFoldResult> offsets(sizes.size(), rewriter.getIndexAttr(0));
  SmallVector<OpFoldResult> strides(sizes.size(), rewriter.getIndexAttr(1));
  Value narrow = tensor::ExtractSliceOp::create(rewriter, loc, wideProduct.getResult(0), offsets,
                                                sizes, strides);
  if (narrow.getType() != generic.getResultTypes()[0])
    narrow = tensor::CastOp::create(rewriter, loc, generic.getResultTypes()[0], narrow);
  rewriter.replaceOp(generic, narrow);
  return true;
}

/// `value` with its dims [0, split) collapsed into one and [split, rank - 1)
/// into another, the last dim kept: [batch, rows, last].
static Value collapseBatchRows(OpBuilder &b, Location loc, Value value, int64_t split) {
  auto type = cast<RankedTensorType>(value.getType());
  int64_t rank = type.getRank();
  SmallVector<ReassociationIndices> groups = {
      llvm::to_vector(llvm::seq<int64_t>(0, split)),
      llvm::to_vector(llvm::seq<int64_t>(split, rank - 1)), {rank - 1}};
  if (rank == 3)
    return value;
  return tensor::CollapseShapeOp::create(b, loc, value, groups);
}

/// `value` with its leading dims collapsed into one (rank 2).
static Value collapseRows(OpBuilder &b, Location loc, Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getRank() == 2)
    return value;
  SmallVector<ReassociationIndices> groups = {
      llvm::to_vector(llvm::seq<int64_t>(0, type.getRank() - 1)),
      {type.getRank() - 1}};
  return tensor::CollapseShapeOp::create(b, loc, value, groups);
}

/// The 32-column panel of B at column `col`, as a [k, 32] tensor.
using PanelOf = std::function<Value(OpBuilder &, Location, Value col)>;

/// Panels of a constant B [k, n] (or of one matrix, at a run-time index,
/// of a constant [e, k, n]: an expert's weights) read from a copy packed
/// panel by panel, [.., n/32, k, 32], made at compile time: each panel is
/// then contiguous, where in B its rows are a whole row of B apart and
/// the streaming of weights (the cost of few-row products) stalls.
static std::optional<PanelOf> packedConstantPanels(OpBuilder &b, Location loc, Value rhs) {
  std::optional<OpFoldResult> at;
  Value source = moe::stackSource(rhs, at);
  Value matrix = at ? getValueOrCreateConstantIndexOp(b, loc, *at) : Value();
  auto type = cast<RankedTensorType>(source.getType());
  if (!type.hasStaticShape() || !type.getElementType().isF32() ||
      type.getShape().back() % 32 != 0)
    return std::nullopt;
  std::optional<std::vector<char>> bytes = moe::constantRawBytes(source);
  if (!bytes || bytes->size() != size_t(type.getNumElements()) * 4)
    return std::nullopt;
  int64_t n = type.getShape().back(), k = type.getShape().end()[-2];
  int64_t batch = type.getNumElements() / (n * k), panels = n / 32;
  std::vector<char> packed(bytes->size());
  for (int64_t m = 0; m < batch; ++m)
    for (int64_t p = 0; p < panels; ++p)
      for (int64_t r = 0; r < k; ++r)
        std::memcpy(&packed[(((m * panels + p) * k + r) * 32) * 4],
                    &(*bytes)[((m * k + r) * n + p * 32) * 4], 32 * 4);
  SmallVector<int64_t> shape = {batch, panels, k, 32};
  Value packedValue = moe::bytesConstant(b, loc, type.clone(shape), packed,
                                           moe::kPackedPanelsResource);
  return PanelOf([=](OpBuilder &nb, Location l, Value col) -> Value {
    Value panel = arith::DivUIOp::create(nb, l, col, arith::ConstantIndexOp::create(nb, l, 32));
    SmallVector<OpFoldResult> offsets = {matrix ? OpFoldResult(matrix) : nb.getIndexAttr(0),
                                         panel, nb.getIndexAttr(0), nb.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes = {nb.getIndexAttr(1), nb.getIndexAttr(1),
                                       nb.getIndexAttr(k), nb.getIndexAttr(32)};
    SmallVector<OpFoldResult> strides(4, nb.getIndexAttr(1));
    return tensor::ExtractSliceOp::create(
        nb, l, RankedTensorType::get({k, 32}, nb.getF32Type()), packedValue, offsets, sizes,
        strides);
  });
}

/// The height of the register tiles a run-time row count is cut into;
/// the rows left, fewer, go in one block of their own (smallBlockProduct).
static constexpr int64_t kRowBlock = 8;

/// C[h, 32] += A[h, k] * B[k, 32] for a block of h < 8 rows, as FMAs in a
/// K loop of its own: the register tile's h x 2 chains of 16-lane FMAs are
/// fewer than the FMA units' latency needs in flight (8: two units, 4
/// cycles), so the sums over every S-th k go apart, S x h x 2 chains,
/// added at the end (1 row: S = 4; 2 or 3 rows: S = 2; more: 1). Tiles
/// of 4, 2 and 1 rows for such a rest (one row at a quarter of the FMA
/// peak, two at half) took a fifth of a Mixtral-style prefill's expert
/// time for a tenth of its FMAs.
static Value smallBlockProduct(OpBuilder &b, Location loc, Value lhs, Value rhs, Value into) {
  auto intoType = cast<RankedTensorType>(into.getType());
  Type f32 = intoType.getElementType();
  int64_t height = intoType.getDimSize(0), width = intoType.getDimSize(1);
  int64_t k = cast<RankedTensorType>(rhs.getType()).getDimSize(0);
  int64_t phases = height == 1 ? 4 : height < 4 ? 2 : 1;
  while (k % phases)
    phases /= 2;
  auto rowType = VectorType::get({width}, f32);
  auto index = [&](OpBuilder &nb, int64_t v) -> Value {
    return arith::ConstantIndexOp::create(nb, loc, v);
  };
  Value pad = arith::ConstantOp::create(b, loc, b.getZeroAttr(f32));
  SmallVector<bool> inBounds = {true};
  Value zeros = arith::ConstantOp::create(b, loc, b.getZeroAttr(rowType));
  // Sums [phase][row]: phase 0 starts from C.
  SmallVector<Value> sums;
  for (int64_t phase = 0; phase < phases; ++phase)
    for (int64_t r = 0; r < height; ++r)
      sums.push_back(
          phase ? zeros
                : Value(vector::TransferReadOp::create(
                      b, loc, rowType, into, ValueRange{index(b, r), index(b, 0)}, pad, inBounds)));
  auto loop = scf::ForOp::create(
      b, loc, index(b, 0), index(b, k), index(b, phases), sums,
      [&](OpBuilder &lb, Location ll, Value k0, ValueRange iter) {
        SmallVector<Value> next;
        for (int64_t phase = 0; phase < phases; ++phase) {
          Value at = phase ? Value(arith::AddIOp::create(lb, ll, k0, index(lb, phase))) : k0;
          Value weights = vector::TransferReadOp::create(
              lb, ll, rowType, rhs, ValueRange{at, index(lb, 0)}, pad, inBounds);
          for (int64_t r = 0; r < height; ++r) {
            Value a = tensor::ExtractOp::create(lb, ll, lhs, ValueRange{index(lb, r), at});
            Value splat = vector::BroadcastOp::create(lb, ll, rowType, a);
            next.push_back(math::FmaOp::create(lb, ll, splat, weights, iter[phase * height + r]));
          }
        }
        scf::YieldOp::create(lb, ll, next);
      });
  Value result = into;
  for (int64_t r = 0; r < height; ++r) {
    Value sum = loop.getResult(r);
    for (int64_t phase = 1; phase < phases; ++phase)
      sum = arith::AddFOp::create(b, loc, sum, loop.getResult(phase * height + r));
    result = vector::TransferWriteOp::create(b, loc, sum, result,
                                             ValueRange{index(b, r), index(b, 0)}, inBounds)
                 .getResult();
  }
  return result;
}

/// K above which run-time-row products go in K chunks (tileDynamicRows),
/// and the chunk.
static constexpr int64_t kChunkedK = 1536;
static constexpr int64_t kKChunk = 1024;

/// C[m, n] += A[m, k] * B[k, n] for a run-time m (a few tokens, often):
/// for each 32-column panel of B (spread over threads when the matmul is
/// big enough), every whole 8-row block is a static 8 x 32 matmul marked
/// `moe.tile_id = id`, and the rows left (fewer than 8) go in one block of
/// their height (smallBlockProduct, a case of an scf.index_switch on it).
/// Panels outside and rows inside keep the panel of B in cache while the
/// few rows pass over it.
/// `zeroInit`: C's contents are zeros (they are not read; `acc` is only
/// where the blocks go). With an `epilogue` (which needs `zeroInit` and a
/// K of one chunk), `acc` is the epilogue's [m, width] result instead of
/// C: each block of it is computed from one block of each column range of
/// the product it reads, made there from zeros and never stored whole.
static Value tileDynamicRows(OpBuilder &b, Location loc, Value lhs, Value rhs, Value acc,
                             int64_t id, const std::optional<PanelOf> &packedPanels,
                             bool zeroInit, bool allowParallel = true,
                             const moe::MatmulEpilogue *epilogue = nullptr) {
  auto accType = cast<RankedTensorType>(acc.getType());
  Type f32 = accType.getElementType();
  int64_t n = accType.getDimSize(1);
  int64_t k = cast<RankedTensorType>(rhs.getType()).getDimSize(0);
  auto index = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
  Value rows = tensor::DimOp::create(b, loc, acc, 0);
  // Whole register tiles cover rows [0, end); the rest, [end, rows), is one
  // block: a decode step's one token per expert multiplies once per
  // weight, not eight times.
  Value restRows = arith::RemUIOp::create(b, loc, rows, index(kRowBlock));
  Value end = arith::SubIOp::create(b, loc, rows, restRows);
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  SmallVector<OpFoldResult> unitStrides = {one, one};
  auto panelType = RankedTensorType::get({ShapedType::kDynamic, 32}, f32);
  PanelOf rhsPanelAt = [&](OpBuilder &nb, Location l, Value col) -> Value {
    SmallVector<OpFoldResult> rhsOffsets = {zero, col};
    SmallVector<OpFoldResult> rhsSizes = {nb.getIndexAttr(k), nb.getIndexAttr(32)};
    return tensor::ExtractSliceOp::create(nb, l, RankedTensorType::get({k, 32}, f32), rhs,
                                          rhsOffsets, rhsSizes, unitStrides);
  };
  // Integer weights (an expert's) are dequantized a [k, 32] panel at a
  // time, where the panel is used, never whole. Their generic may make
  // K as several dims (int4's [groups, bytes, 2 nibbles, N]), collapsed.
  auto collapse = rhs.getDefiningOp<tensor::CollapseShapeOp>();
  if (collapse && (collapse.getReassociationIndices().back().size() != 1 || !collapse->hasOneUse()))
    collapse = {};
  linalg::GenericOp producer = dequantizingProducer(collapse ? collapse.getSrc() : rhs);
  if (packedPanels) {
    rhsPanelAt = *packedPanels;
  } else if (producer) {
    rhsPanelAt = [tileable = cast<TilingInterface>(producer.getOperation()), k, zero, collapse,
                  f32, slice = rhsPanelAt](OpBuilder &nb, Location l, Value col) mutable -> Value {
      auto type = cast<RankedTensorType>(tileable->getResult(0).getType());
      SmallVector<OpFoldResult> offsets(type.getRank(), zero);
      offsets.back() = col;
      SmallVector<OpFoldResult> sizes;
      for (int64_t d : type.getShape().drop_back())
        sizes.push_back(nb.getIndexAttr(d));
      sizes.push_back(nb.getIndexAttr(32));
      FailureOr<TilingResult> tiled = tileable.getTiledImplementation(nb, offsets, sizes);
      if (failed(tiled) || tiled->tiledValues.size() != 1)
        return slice(nb, l, col);
      Value panel = tiled->tiledValues[0];
      if (collapse)
        panel = tensor::CollapseShapeOp::create(nb, l, RankedTensorType::get({k, 32}, f32), panel,
                                                collapse.getReassociationIndices());
      return panel;
    };
  }

  // Where the panel at column `col` sits in C.
  SmallVector<OpFoldResult> panelSizes = {rows, b.getIndexAttr(32)};
  auto panelOffsets = [&](Value col) { return SmallVector<OpFoldResult>{zero, col}; };
  // The epilogue's column ranges, each once: the product's panels a block
  // of the result needs are at these offsets from its own column.
  SmallVector<int64_t> columns;
  if (epilogue)
    for (int64_t column : epilogue->columns)
      if (!llvm::is_contained(columns, column))
        columns.push_back(column);
  // The block of `height` rows at `row` over K's [kFrom, kFrom + kSize):
  // a static matmul marked `id` for its schedule, or for fewer rows than
  // a register tile, smallBlockProduct (with an epilogue, one product per
  // column range, the epilogue over them). Returns `accPanel` updated.
  auto block = [&](OpBuilder &bb, ArrayRef<Value> rhsPanels, Value accPanel, Value row,
                   int64_t height, int64_t kFrom, int64_t kSize, bool fromZero) -> Value {
    auto blockType = RankedTensorType::get({height, 32}, f32);
    SmallVector<OpFoldResult> offsets = {row, zero};
    SmallVector<OpFoldResult> lhsOffsets = {row, bb.getIndexAttr(kFrom)};
    SmallVector<OpFoldResult> lhsSizes = {bb.getIndexAttr(height), bb.getIndexAttr(kSize)};
    SmallVector<OpFoldResult> blockSizes = {bb.getIndexAttr(height), bb.getIndexAttr(32)};
    Value lhsBlock =
        tensor::ExtractSliceOp::create(bb, loc, RankedTensorType::get({height, kSize}, f32), lhs,
                                       lhsOffsets, lhsSizes, unitStrides);
    Value accBlock = tensor::ExtractSliceOp::create(bb, loc, blockType, accPanel, offsets,
                                                    blockSizes, unitStrides);
    // Zeros written as a vector: the register tile's first read of C
    // folds to them.
    auto zeroed = [&](Value block) -> Value {
      auto vectorType = VectorType::get({height, 32}, f32);
      Value zeros = arith::ConstantOp::create(bb, loc, vectorType, bb.getZeroAttr(vectorType));
      Value zeroIndex = index(0);
      return vector::TransferWriteOp::create(bb, loc, zeros, block,
                                             ValueRange{zeroIndex, zeroIndex},
                                             ArrayRef<bool>{true, true})
          .getResult();
    };
    auto product = [&](Value rhsPanel, Value into) -> Value {
      if (height < kRowBlock)
        return smallBlockProduct(bb, loc, lhsBlock, rhsPanel, into);
      auto matmul = linalg::MatmulOp::create(bb, loc, TypeRange{blockType},
                                             ValueRange{lhsBlock, rhsPanel}, ValueRange{into});
      matmul->setAttr("moe.tile_id", bb.getI64IntegerAttr(id));
      return matmul.getResult(0);
    };
    Value result;
    if (epilogue) {
      SmallVector<Value> products, inputs;
      for (Value rhsPanel : rhsPanels)
        products.push_back(product(rhsPanel, zeroed(tensor::EmptyOp::create(
                                                 bb, loc, ArrayRef<int64_t>{height, 32}, f32))));
      for (int64_t column : epilogue->columns)
        inputs.push_back(products[llvm::find(columns, column) - columns.begin()]);
      result = moe::applyEpilogue(bb, loc, *epilogue, inputs, accBlock);
      // Vectorised whole after the products (the script's end): its reads
      // of them fold to their registers, so the products are never stored.
      result.getDefiningOp()->setAttr("moe.tile_epilogue", bb.getUnitAttr());
    } else {
      result = product(rhsPanels.front(), fromZero ? zeroed(accBlock) : accBlock);
    }
    return tensor::InsertSliceOp::create(bb, loc, result, accPanel, offsets, blockSizes,
                                         unitStrides);
  };
  // The register tiles, in a loop marked for moe-cpu-prefetch-panels, then
  // the rest as a block of its height.
  auto blocks = [&](OpBuilder &nb, ArrayRef<Value> rhsPanels, Value accPanel, int64_t kFrom,
                    int64_t kSize, bool fromZero) {
    auto loop = scf::ForOp::create(nb, loc, index(0), end, index(kRowBlock), ValueRange{accPanel},
                                   [&](OpBuilder &bb, Location, Value row, ValueRange iterArgs) {
                                     scf::YieldOp::create(bb, loc,
                                                          block(bb, rhsPanels, iterArgs[0], row,
                                                                kRowBlock, kFrom, kSize, fromZero));
                                   });
    loop->setAttr(moe::kRowBlocksAttr, nb.getUnitAttr());
    SmallVector<int64_t> heights = llvm::to_vector(llvm::seq<int64_t>(1, kRowBlock));
    auto rest = scf::IndexSwitchOp::create(nb, loc, TypeRange{accPanel.getType()}, restRows,
                                           heights, heights.size());
    OpBuilder cb = OpBuilder::atBlockBegin(&rest.getDefaultRegion().emplaceBlock());
    scf::YieldOp::create(cb, loc, loop.getResult(0));
    for (auto [region, height] : llvm::zip_equal(rest.getCaseRegions(), heights)) {
      cb.setInsertionPointToStart(&region.emplaceBlock());
      scf::YieldOp::create(
          cb, loc, block(cb, rhsPanels, loop.getResult(0), end, height, kFrom, kSize, fromZero));
    }
    return rest.getResult(0);
  };
  auto panel = [&](OpBuilder &nb, Value col, Value into, int64_t kFrom, int64_t kSize,
                   bool fromZero) {
    Value accPanel = tensor::ExtractSliceOp::create(nb, loc, panelType, into, panelOffsets(col),
                                                    panelSizes, unitStrides);
    SmallVector<Value> rhsPanels;
    if (epilogue) {
      for (int64_t column : columns)
        rhsPanels.push_back(rhsPanelAt(
            nb, loc, column ? Value(arith::AddIOp::create(nb, loc, col, index(column))) : col));
    } else {
      Value rhsPanel = rhsPanelAt(nb, loc, col);
      if (kSize != k)
        rhsPanel = tensor::ExtractSliceOp::create(
            nb, loc, RankedTensorType::get({kSize, 32}, f32), rhsPanel,
            SmallVector<OpFoldResult>{nb.getIndexAttr(kFrom), zero},
            SmallVector<OpFoldResult>{nb.getIndexAttr(kSize), nb.getIndexAttr(32)}, unitStrides);
      rhsPanels.push_back(rhsPanel);
    }
    return blocks(nb, rhsPanels, accPanel, kFrom, kSize, fromZero);
  };

  // A long K goes in chunks, all panels over one chunk before the next:
  // the rows' chunk of A then stays in L2 while the panels stream past,
  // where a whole K's worth of A, the panel in use and the next one coming
  // in overflow it (the down projection of a Mixtral-style expert: K =
  // 2816, 32 rows: 3 x 360 KiB). Not for weights dequantized panel by
  // panel, whose whole panel is made each time.
  SmallVector<std::pair<int64_t, int64_t>> chunks;
  bool dequantizing = !packedPanels && producer;
  if (k > kChunkedK && !dequantizing && !epilogue) {
    for (int64_t from = 0; from < k; from += kKChunk)
      chunks.push_back({from, std::min(kKChunk, k - from)});
  } else {
    chunks.push_back({0, k});
  }
  bool parallel = allowParallel && 8 * n * k >= (int64_t(1) << 20);
  Value result = acc;
  for (auto [i, chunk] : llvm::enumerate(chunks)) {
    auto [kFrom, kSize] = chunk;
    bool fromZero = zeroInit && i == 0;
    if (parallel) {
      auto forall = scf::ForallOp::create(b, loc, ArrayRef<OpFoldResult>{zero},
                                          ArrayRef<OpFoldResult>{b.getIndexAttr(n)},
                                          ArrayRef<OpFoldResult>{b.getIndexAttr(32)},
                                          ValueRange{result}, std::nullopt);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(forall.getBody());
      Value col = forall.getInductionVar(0);
      Value updated = panel(b, col, forall.getRegionIterArgs()[0], kFrom, kSize, fromZero);
      b.setInsertionPointToStart(forall.getTerminator().getBody());
      tensor::ParallelInsertSliceOp::create(b, loc, updated, forall.getRegionIterArgs()[0],
                                            panelOffsets(col), panelSizes, unitStrides);
      result = forall.getResult(0);
      continue;
    }
    result = scf::ForOp::create(b, loc, index(0), index(n), index(32), ValueRange{result},
                                [&](OpBuilder &nb, Location, Value col, ValueRange iterArgs) {
                                  Value updated = tensor::InsertSliceOp::create(
                                      nb, loc,
                                      panel(nb, col, iterArgs[0], kFrom, kSize, fromZero),
                                      iterArgs[0], panelOffsets(col), panelSizes, unitStrides);
                                  scf::YieldOp::create(nb, loc, updated);
                                })
                 .getResult(0);
  }
  return result;
}

/// C[m, n] += A[m, k] * B[k, n] for a static m (a multiple of 8) and a
/// constant B: tiles of `rows` rows (spread over threads), each computed
/// like a run-time row count over B packed panel by panel. In B itself the
/// rows a k loop reads are a whole row of B apart, often a multiple of
/// 4 KiB (n = 1024: an attention projection's), which puts them all in
/// the same few L1 sets (measured: GQA block with projections, seq 2048,
/// 127 -> 124 ms). The tile's rows of A stay in L2 while the panels pass
/// (rows x k x 4 bytes, at most 256 KiB).
static Value tileStaticRowsOverPanels(OpBuilder &b, Location loc, Value lhs, Value rhs, Value acc,
                                      int64_t id, const PanelOf &panels, bool zeroInit,
                                      linalg::GenericOp lhsProducer) {
  auto accType = cast<RankedTensorType>(acc.getType());
  Type f32 = accType.getElementType();
  int64_t m = accType.getDimSize(0), n = accType.getDimSize(1);
  int64_t k = cast<RankedTensorType>(lhs.getType()).getDimSize(1);
  // Threads as scheduleFor decides them (2^20 FMAs or more), over two
  // tiles at least.
  bool threaded = m * n * k >= (int64_t(1) << 20);
  // What of A stays in L2 is one K chunk of the tile's rows when
  // tileDynamicRows cuts K into chunks: sized by the whole K instead, a
  // 128 x 4096 x 4096 product took tiles of 16 rows and streamed its 64 MiB
  // of weights from memory eight times.
  int64_t depth = k > kChunkedK ? kKChunk : k;
  int64_t rows = 8;
  for (int64_t option : {256, 128, 64, 32, 16})
    if (m % option == 0 && option * depth * 4 <= (int64_t(256) << 10) &&
        (!threaded || m / option >= 2)) {
      rows = option;
      break;
    }
  if (rows == m)
    return tileDynamicRows(b, loc, lhs, rhs, acc, id, panels, zeroInit);
  // A's producer computed per tile when the tiles do not straddle its lead
  // dims.
  if (lhsProducer) {
    auto producerType = cast<RankedTensorType>(lhsProducer->getResult(0).getType());
    if (producerType.getDimSize(producerType.getRank() - 2) % rows)
      lhsProducer = {};
  }
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  SmallVector<OpFoldResult> strides = {one, one};
  auto tile = [&](OpBuilder &nb, Value row, Value into) {
    SmallVector<OpFoldResult> offsets = {row, zero};
    Value lhsTile;
    if (lhsProducer)
      lhsTile = producerRowTile(nb, loc, lhsProducer, row, rows, m / rows);
    if (!lhsTile)
      lhsTile = tensor::ExtractSliceOp::create(
          nb, loc, RankedTensorType::get({rows, k}, f32), lhs, offsets,
          SmallVector<OpFoldResult>{nb.getIndexAttr(rows), nb.getIndexAttr(k)}, strides);
    Value accTile = tensor::ExtractSliceOp::create(
        nb, loc, RankedTensorType::get({rows, n}, f32), into, offsets,
        SmallVector<OpFoldResult>{nb.getIndexAttr(rows), nb.getIndexAttr(n)}, strides);
    Value result = tileDynamicRows(nb, loc, lhsTile, rhs, accTile, id, panels, zeroInit,
                                   /*allowParallel=*/false);
    return std::make_pair(result, offsets);
  };
  SmallVector<OpFoldResult> tileSizes = {b.getIndexAttr(rows), b.getIndexAttr(n)};
  if (threaded) {
    auto forall = scf::ForallOp::create(
        b, loc, ArrayRef<OpFoldResult>{zero}, ArrayRef<OpFoldResult>{b.getIndexAttr(m)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(rows)}, ValueRange{acc}, std::nullopt);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forall.getBody());
    auto [result, offsets] = tile(b, forall.getInductionVar(0), forall.getRegionIterArgs()[0]);
    b.setInsertionPointToStart(forall.getTerminator().getBody());
    tensor::ParallelInsertSliceOp::create(b, loc, result, forall.getRegionIterArgs()[0], offsets,
                                          tileSizes, strides);
    return forall.getResult(0);
  }
  auto index = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
  return scf::ForOp::create(b, loc, index(0), index(m), index(rows), ValueRange{acc},
                            [&](OpBuilder &nb, Location, Value row, ValueRange iterArgs) {
                              auto [result, offsets] = tile(nb, row, iterArgs[0]);
                              Value updated = tensor::InsertSliceOp::create(
                                  nb, loc, result, iterArgs[0], offsets, tileSizes, strides);
                              scf::YieldOp::create(nb, loc, updated);
                            })
      .getResult(0);
}

/// C[b] += A[b] * B[b] for static [batch, m, k] x [batch, k, n]: one
/// m x n matmul marked `moe.tile_id = id` per batch (an attention head),
/// the batches spread over threads when there are several and the whole is
/// 2^20 multiply-adds or more. Returns the new C and whether it is threaded.
static std::pair<Value, bool> tileBatches(OpBuilder &b, Location loc, Value lhs,
                                          Value rhs, Value acc, int64_t id) {
  auto accType = cast<RankedTensorType>(acc.getType());
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  int64_t batches = accType.getDimSize(0), m = accType.getDimSize(1),
          n = accType.getDimSize(2), k = lhsType.getDimSize(2);
  Type f32 = accType.getElementType();
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  SmallVector<OpFoldResult> strides(3, one);
  auto slice = [&](OpBuilder &nb, Value source, Value batch, int64_t rows, int64_t cols) {
    SmallVector<OpFoldResult> offsets = {batch, zero, zero};
    SmallVector<OpFoldResult> sizes = {one, nb.getIndexAttr(rows), nb.getIndexAttr(cols)};
    return tensor::ExtractSliceOp::create(nb, loc, RankedTensorType::get({rows, cols}, f32),
                                          source, offsets, sizes, strides)
        .getResult();
  };
  // One batch's product, and where it goes.
  auto product = [&](OpBuilder &nb, Value batch, Value into) {
    auto matmul = linalg::MatmulOp::create(
        nb, loc, TypeRange{RankedTensorType::get({m, n}, f32)},
        ValueRange{slice(nb, lhs, batch, m, k), slice(nb, rhs, batch, k, n)},
        ValueRange{slice(nb, into, batch, m, n)});
    matmul->setAttr("moe.tile_id", nb.getI64IntegerAttr(id));
    return matmul.getResult(0);
  };
  auto place = [&](OpBuilder &nb, Value batch) {
    return std::make_pair(SmallVector<OpFoldResult>{batch, zero, zero},
                          SmallVector<OpFoldResult>{one, nb.getIndexAttr(m), nb.getIndexAttr(n)});
  };
  if (batches >= 2 && batches * m * n * k >= (int64_t(1) << 20)) {
    auto forall = scf::ForallOp::create(b, loc, ArrayRef<OpFoldResult>{zero},
                                        ArrayRef<OpFoldResult>{b.getIndexAttr(batches)},
                                        ArrayRef<OpFoldResult>{one}, ValueRange{acc},
                                        std::nullopt);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forall.getBody());
    Value batch = forall.getInductionVar(0);
    Value result = product(b, batch, forall.getRegionIterArgs()[0]);
    b.setInsertionPointToStart(forall.getTerminator().getBody());
    auto [offsets, sizes] = place(b, batch);
    tensor::ParallelInsertSliceOp::create(b, loc, result, forall.getRegionIterArgs()[0],
                                          offsets, sizes, strides);
    return {forall.getResult(0), true};
  }
  auto loop = scf::ForOp::create(
      b, loc, arith::ConstantIndexOp::create(b, loc, 0),
      arith::ConstantIndexOp::create(b, loc, batches),
      arith::ConstantIndexOp::create(b, loc, 1), ValueRange{acc},
      [&](OpBuilder &nb, Location, Value batch, ValueRange iterArgs) {
        auto [offsets, sizes] = place(nb, batch);
        Value updated = tensor::InsertSliceOp::create(
            nb, loc, product(nb, batch, iterArgs[0]), iterArgs[0], offsets, sizes, strides);
        scf::YieldOp::create(nb, loc, updated);
      });
  return {loop.getResult(0), false};
}

/// The vectoriser writes each k step of a register tile as a vector mulf
/// then addf; LLVM may not contract them without fast-math flags, and two
/// instructions instead of one FMA halve the throughput. The only vector
/// arithmetic at this point is the tiles', so every vector addf of a mulf
/// used only there becomes a math.fma.
static void fuseMultiplyAdds(ModuleOp module) {
  SmallVector<arith::AddFOp> adds;
  module.walk([&](arith::AddFOp add) {
    if (isa<VectorType>(add.getType()))
      adds.push_back(add);
  });
  for (arith::AddFOp add : adds) {
    for (unsigned i = 0; i < 2; ++i) {
      // The product may reach the add through a shape_cast dropping the
      // unit k dim.
      Value product = add->getOperand(i);
      auto cast = product.getDefiningOp<vector::ShapeCastOp>();
      if (cast && cast->hasOneUse())
        product = cast.getSource();
      auto mul = product.getDefiningOp<arith::MulFOp>();
      if (!mul || !mul->hasOneUse() || (!cast && !add->getOperand(i).hasOneUse()))
        continue;
      OpBuilder b(add);
      auto type = llvm::cast<VectorType>(add.getType());
      auto reshape = [&](Value v) {
        return v.getType() == type ? v
                                   : vector::ShapeCastOp::create(b, add.getLoc(), type, v)
                                         .getResult();
      };
      Value fma = math::FmaOp::create(b, add.getLoc(), reshape(mul.getLhs()),
                                      reshape(mul.getRhs()), add->getOperand(1 - i));
      add.replaceAllUsesWith(fma);
      add.erase();
      if (cast)
        cast.erase();
      mul.erase();
      break;
    }
  }
}

namespace {
struct CpuTileAndVectorize
    : PassWrapper<CpuTileAndVectorize, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CpuTileAndVectorize)
  StringRef getArgument() const override { return "moe-cpu-tile-and-vectorize"; }
  StringRef getDescription() const override {
    return "Cache- and register-tile f32 matmuls and vectorise them, with the "
           "accumulator in registers";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<arith::ArithDialect, linalg::LinalgDialect, math::MathDialect,
                    scf::SCFDialect, tensor::TensorDialect, vector::VectorDialect>();
  }
  /// Replaces a batched matmul generic by per-batch matmuls; returns their
  /// schedule.
  static std::string tileBatched(IRRewriter &rewriter, linalg::GenericOp generic,
                                 unsigned batch, int64_t id) {
    Location loc = generic.getLoc();
    Value a = collapseBatchRows(rewriter, loc, generic.getDpsInputs()[0], batch);
    Value c = collapseBatchRows(rewriter, loc, generic.getDpsInits()[0], batch);
    Value b = generic.getDpsInputs()[1];
    if (batch > 1)
      b = tensor::CollapseShapeOp::create(
          rewriter, loc, b,
          SmallVector<ReassociationIndices>{llvm::to_vector(llvm::seq<int64_t>(0, batch)),
                                            {batch}, {batch + 1}});
    auto [result, threaded] = tileBatches(rewriter, loc, a, b, c, id);
    auto original = cast<RankedTensorType>(generic.getResultTypes()[0]);
    int64_t rank = original.getRank();
    if (rank != 3)
      result = tensor::ExpandShapeOp::create(
          rewriter, loc, original, result,
          SmallVector<ReassociationIndices>{
              llvm::to_vector(llvm::seq<int64_t>(0, batch)),
              llvm::to_vector(llvm::seq<int64_t>(batch, rank - 1)), {rank - 1}});
    rewriter.replaceOp(generic, result);
    auto cType = cast<RankedTensorType>(c.getType());
    return scheduleFor(id, cType.getDimSize(1), cType.getDimSize(2),
                       cast<RankedTensorType>(a.getType()).getDimSize(2),
                       /*allowParallel=*/!threaded);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    IRRewriter rewriter(&getContext());
    // Narrow products first, so the walk below takes their padded form.
    SmallVector<linalg::GenericOp> generics;
    module.walk([&](linalg::GenericOp generic) { generics.push_back(generic); });
    for (linalg::GenericOp generic : generics)
      padToPanelWidth(rewriter, generic);
    // Our matmul generics become linalg.matmul, per batch when batched (the
    // ones upstream's specialisation would misread, transposed, stay loops).
    SmallVector<std::pair<linalg::GenericOp, unsigned>> matmuls;
    module.walk([&](linalg::GenericOp generic) {
      if (std::optional<unsigned> batch = tileableMatmulBatchDims(generic))
        matmuls.push_back({generic, *batch});
    });
    if (matmuls.empty())
      return;
    std::string body;
    for (auto [id, entry] : llvm::enumerate(matmuls)) {
      auto [generic, batch] = entry;
      rewriter.setInsertionPoint(generic);
      Location loc = generic.getLoc();
      if (batch > 0) {
        body += tileBatched(rewriter, generic, batch, id);
        continue;
      }
      // Before collapseRows adds a user.
      linalg::GenericOp lhsProducer = rowTileProducer(generic.getDpsInputs()[0]);
      Value a = collapseRows(rewriter, loc, generic.getDpsInputs()[0]);
      Value b = generic.getDpsInputs()[1];
      Value c = collapseRows(rewriter, loc, generic.getDpsInits()[0]);
      auto cType = cast<RankedTensorType>(c.getType());
      // Paths that cut C into register blocks covering all of it start
      // each block from zeros when C is a zero fill: the fill's pass over
      // memory (a memset as big as C) goes.
      auto zeroFill = generic.getDpsInits()[0].getDefiningOp<linalg::FillOp>();
      bool zeroInit = zeroFill && matchPattern(zeroFill.getDpsInputs()[0], m_AnyZeroFloat());
      auto blocksInit = [&]() {
        return zeroInit ? collapseRows(rewriter, loc, zeroFill.getDpsInits()[0]) : c;
      };
      int64_t n = cType.getDimSize(1);
      int64_t k = cast<RankedTensorType>(b.getType()).getDimSize(0);
      Value result;
      // Constant weights are read from a copy packed panel by panel (one
      // made here, where any of the paths below takes it): by run-time rows
      // (an expert's), by a few static rows (decode: the weights streamed,
      // contiguous panels beat the register tile over B's strided rows),
      // and by static rows in 8-row tiles, a tile of rows at a time.
      bool staticRows = cType.hasStaticShape();
      int64_t rows = staticRows ? cType.getDimSize(0) : ShapedType::kDynamic;
      std::optional<PanelOf> panels;
      if (!staticRows || rows % 8 == 0 || matchPattern(b, m_Constant()))
        panels = packedConstantPanels(rewriter, loc, b);
      bool streamWeights = staticRows && rows < 8 && panels;
      // Float weights unpacked from int4 bytes (LowerPackedQMatmul: an
      // elementwise generic collapsed to [K, N]) are made a [K, 32] panel
      // at a time beside the rows by the run-time-row path, whatever the
      // rows; the static-row matmul would unpack them whole first.
      Operation *bDef = b.getDefiningOp();
      bool unpackedWeights = !panels && isa_and_nonnull<tensor::CollapseShapeOp>(bDef) &&
                             bDef->getOperand(0).getDefiningOp<linalg::GenericOp>();
      if (staticRows && rows >= 8 && rows % 8 == 0 && panels) {
        result = tileStaticRowsOverPanels(rewriter, loc, a, b, blocksInit(), id, *panels, zeroInit,
                                          lhsProducer);
        body += scheduleFor(id, kRowBlock, 32, k);
      } else if (staticRows && !streamWeights && !unpackedWeights) {
        linalg::GenericOp producer = dequantizingProducer(b);
        auto matmul = linalg::MatmulOp::create(rewriter, loc, TypeRange{cType},
                                               ValueRange{a, b}, ValueRange{c});
        matmul->setAttr("moe.tile_id", rewriter.getI64IntegerAttr(id));
        result = matmul.getResult(0);
        if (producer)
          producer->setAttr("moe.tile_producer", rewriter.getI64IntegerAttr(id));
        body += scheduleFor(id, cType.getDimSize(0), n, k, /*allowParallel=*/true,
                            /*fuseProducer=*/static_cast<bool>(producer));
      } else {
        // An elementwise consumer of the product's columns (an expert's
        // SwiGLU over its fused gate/up product) is applied block by
        // block; the product is never stored.
        std::optional<moe::MatmulEpilogue> epilogue;
        if (!staticRows && zeroInit && panels && k <= kChunkedK)
          epilogue = moe::matchMatmulEpilogue(generic.getResult(0));
        if (epilogue && (epilogue->width % 32 ||
                         llvm::any_of(epilogue->columns, [](int64_t c) { return c % 32; })))
          epilogue.reset();
        body += scheduleFor(id, kRowBlock, 32, k);
        if (epilogue) {
          Value rows = tensor::DimOp::create(rewriter, loc, c, 0);
          SmallVector<OpFoldResult> outSizes = {rows, rewriter.getIndexAttr(epilogue->width)};
          Value out = tensor::EmptyOp::create(rewriter, loc, outSizes, cType.getElementType());
          result = tileDynamicRows(rewriter, loc, a, b, out, id, panels, zeroInit,
                                   /*allowParallel=*/true, &*epilogue);
          Type resultType = epilogue->consumer->getResult(0).getType();
          if (result.getType() != resultType)
            result = tensor::CastOp::create(rewriter, loc, resultType, result);
          moe::replaceEpilogue(rewriter, *epilogue, generic.getResult(0), result, rows);
          rewriter.eraseOp(generic);
          continue;
        }
        result = tileDynamicRows(rewriter, loc, a, b, blocksInit(), id, panels, zeroInit);
      }
      auto original = cast<RankedTensorType>(generic.getResultTypes()[0]);
      if (original.getRank() != 2)
        result = tensor::ExpandShapeOp::create(
            rewriter, loc, original, result,
            SmallVector<ReassociationIndices>{
                llvm::to_vector(llvm::seq<int64_t>(0, original.getRank() - 1)),
                {original.getRank() - 1}},
            tensor::getMixedSizes(rewriter, loc, generic.getDpsInits()[0]));
      else if (result.getType() != original)
        result = tensor::CastOp::create(rewriter, loc, original, result);
      rewriter.replaceOp(generic, result);
    }
    // The register tiles' K loops cleaned (the tensors the hoisting leaves
    // in their iter_args, their first reads of zeros folded) before the
    // epilogues, whose reads of the tiles must still see the tiles' writes.
    if (!body.empty())
      body += "    %funcs = transform.structured.match ops{[\"func.func\"]} in %root : "
              "(!transform.any_op) -> !transform.any_op\n"
              "    transform.apply_patterns to %funcs {\n"
              "      transform.apply_patterns.canonicalization\n"
              "    } : !transform.any_op\n";
    bool epilogues = false;
    module.walk([&](linalg::GenericOp op) { epilogues |= op->hasAttr("moe.tile_epilogue"); });
    if (epilogues)
      body += "    %epilogues = transform.structured.match ops{[\"linalg.generic\"]} attributes "
              "{moe.tile_epilogue} in %root : (!transform.any_op) -> !transform.any_op\n"
              "    transform.structured.vectorize %epilogues : !transform.any_op\n";
    std::string text =
        "module attributes {transform.with_named_sequence} {\n"
        "  transform.named_sequence @__transform_main(%root: !transform.any_op "
        "{transform.readonly}) {\n" +
        body + "    transform.yield\n  }\n}\n";
    OwningOpRef<ModuleOp> script = parseSourceString<ModuleOp>(text, &getContext());
    if (!script) {
      module.emitError("moe: the CPU matmul schedule does not parse");
      return signalPassFailure();
    }
    Operation *entry = script->lookupSymbol("__transform_main");
    if (failed(transform::applyTransformNamedSequence(
            module, entry, *script, transform::TransformOptions())))
      return signalPassFailure();
    module.walk([](linalg::LinalgOp op) {
      op->removeAttr("moe.tile_id");
      op->removeAttr("moe.tile_producer");
    });
    fuseMultiplyAdds(module);
  }
};
} // namespace

std::unique_ptr<Pass> moe::createCpuTileAndVectorizePass() {
  return std::make_unique<CpuTileAndVectorize>();
}

void moe::registerCpuTileAndVectorizePass() {
  PassRegistration<CpuTileAndVectorize>();
}
