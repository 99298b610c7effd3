//===- PrefetchPanels.cpp - The next weight panel fetched ahead -----------===//
//
// An expert's rows multiply its constant weights one 32-column panel at a
// time, read from the copy packed panel by panel (TileAndVectorize.cpp's
// [.., n/32, k, 32]); every row block of the panel reads it, but the first
// finds it in DRAM, and the hardware's prefetchers, which follow the reads,
// stay only a few lines ahead: that block runs at the memory's pace while
// the FMA units wait, and the other blocks then compute while memory idles.
// Here each read of a panel's row also prefetches the same row of the next
// panel (contiguous after it) into L2, so that panel comes in while this
// one is computed. Measured (bench/ blocks, 1 thread, Zen 5, the same
// build with and without this pass): Mixtral-style prefill of 128 tokens
// 34.9 -> 30.8 ms, DeepSeek-style 37.5 -> 32.4 ms; decode unchanged.
//
// The dot-product tiles of int8 and bf16 matmuls (DotTiles.h) read 16
// columns' words per block of packed weights [.., n/16, k*16], a few
// blocks per tile; their 6-row tiles prefetch, with each read, the same
// words of the next tile's blocks (contiguous after them). Measured (same
// blocks, A/B in the same minutes): Mixtral-style prefill with bf16
// matmuls 16.4 -> 15.2 ms, with int8 activations 9.9 -> 8.9 ms.
//
// Runs after bufferization, where a read's address is known: the linear
// index of a view's element is its offset plus the indices times the
// strides (memref.extract_strided_metadata, lowered to arithmetic by
// expand-strided-metadata).
//
//===----------------------------------------------------------------------===//

#include "RowBlocks.h"
#include "moe/Target/Cpu/Cpu.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Pass/Pass.h"

using namespace mlir;

/// The constant global of static shape whose dense resource `source`
/// views, if it is one, with the resource's name.
static memref::GlobalOp constantResourceGlobal(Value source, SymbolTableCollection &symbols,
                                               StringRef &key) {
  auto memref = dyn_cast<TypedValue<MemRefType>>(source);
  if (!memref || !memref.getType().isStrided())
    return {};
  auto getGlobal = memref::skipViewLikeOps(memref).getDefiningOp<memref::GetGlobalOp>();
  if (!getGlobal)
    return {};
  auto global =
      symbols.lookupNearestSymbolFrom<memref::GlobalOp>(getGlobal, getGlobal.getNameAttr());
  if (!global || !global.getConstant() || !global.getType().hasStaticShape())
    return {};
  auto resource = dyn_cast_or_null<DenseResourceElementsAttr>(global.getInitialValueAttr());
  if (!resource)
    return {};
  key = resource.getRawHandle().getKey();
  return global;
}

/// The constant global of packed panels that `source` views, if it is one.
static memref::GlobalOp packedPanels(Value source, SymbolTableCollection &symbols) {
  StringRef key;
  memref::GlobalOp global = constantResourceGlobal(source, symbols, key);
  if (!global || global.getType().getRank() < 2 || global.getType().getShape().back() != 32 ||
      !key.starts_with(moe::kPackedPanelsResource))
    return {};
  return global;
}

/// Whether `loop` carries a register tile of kMinRows rows or more: FMAs
/// that take longer than the next panel's fetch. Fewer rows (a decode
/// step's) read a panel at the memory's pace anyway; prefetching there only
/// adds instructions (measured: decode blocks 10-30% slower).
static constexpr int64_t kMinRows = 8;
static bool accumulatesRows(scf::ForOp loop) {
  return llvm::any_of(loop.getRegionIterArgs(), [](BlockArgument arg) {
    auto type = dyn_cast<VectorType>(arg.getType());
    return type && type.getRank() == 2 && type.getDimSize(0) >= kMinRows;
  });
}

/// How far ahead of a view at `offset` in packed weights of `elements`
/// its next panel's same place is: one panel, or none for the last panel,
/// which has no next one (it prefetches its own elements instead, so every
/// prefetch stays inside the weights). The view's panel starts at or
/// before its offset; the next one exists when the weights extend two
/// panels past that start.
static Value panelAhead(OpBuilder &b, Location loc, Value offset, int64_t panel, int64_t elements) {
  auto index = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
  Value panelStart =
      arith::SubIOp::create(b, loc, offset, arith::RemUIOp::create(b, loc, offset, index(panel)));
  Value hasNext = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule,
                                        arith::AddIOp::create(b, loc, panelStart, index(2 * panel)),
                                        index(elements));
  return arith::SelectOp::create(b, loc, hasNext, index(panel), index(0));
}

/// The view of a read's panel, above `rowBlocks` (a loop over row blocks,
/// kRowBlocksAttr), that every block reads whole: the panel's rows of the
/// K chunk the loop computes (all its rows when K is not chunked). Null
/// when it is not a static view defined outside the loop.
static TypedValue<MemRefType> windowOf(Value source, scf::ForOp rowBlocks) {
  auto inside = [&](Value value) {
    Operation *def = value.getDefiningOp();
    return rowBlocks->isAncestor(def ? def : value.getParentBlock()->getParentOp());
  };
  while (inside(source)) {
    auto subview = source.getDefiningOp<memref::SubViewOp>();
    if (!subview)
      return {};
    source = subview.getSource();
  }
  auto window = dyn_cast<TypedValue<MemRefType>>(source);
  if (!window || !window.getType().hasStaticShape())
    return {};
  return window;
}

/// A row block's share of the next panel's fetch: block j of the nb that
/// `rowBlocks` runs fetches the elements [j, j + 1) x W / nb of the next
/// panel's window (W elements, at the same place in it as `window` in
/// its own), as reads at `pos` into the window prefetch `base` + pos / nb.
/// The division by nb is a multiplication by 2^32 / nb, rounded up, and a
/// shift (the shares stay inside the window while W x nb < 2^32).
struct Share {
  Value windowOffset; // the window's first element in the weights
  Value base;         // the first element of the block's share
  Value reciprocal;   // ceil(2^32 / nb)
};

static Share shareOf(scf::ForOp rowBlocks, TypedValue<MemRefType> window, int64_t panel,
                     int64_t elements) {
  OpBuilder b = OpBuilder::atBlockBegin(rowBlocks.getBody());
  Location loc = rowBlocks.getLoc();
  auto index = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
  Value offset = memref::ExtractStridedMetadataOp::create(b, loc, window).getOffset();
  Value ahead = panelAhead(b, loc, offset, panel, elements);
  Value step = rowBlocks.getStep();
  Value block = arith::DivUIOp::create(
      b, loc, arith::SubIOp::create(b, loc, rowBlocks.getInductionVar(), rowBlocks.getLowerBound()),
      step);
  Value blocks = arith::CeilDivUIOp::create(
      b, loc, arith::SubIOp::create(b, loc, rowBlocks.getUpperBound(), rowBlocks.getLowerBound()),
      step);
  int64_t width = window.getType().getNumElements();
  Value start =
      arith::DivUIOp::create(b, loc, arith::MulIOp::create(b, loc, block, index(width)), blocks);
  Value base = arith::AddIOp::create(b, loc, arith::AddIOp::create(b, loc, offset, ahead), start);
  Value reciprocal = arith::CeilDivUIOp::create(b, loc, index(int64_t(1) << 32), blocks);
  return {offset, base, reciprocal};
}

/// Before `read`, of a row of a panel of `global`: prefetches of the next
/// panel, one per 64-byte line read. With a `share` (the read is in a loop
/// of row blocks), of the row block's share of the next panel, so that
/// each block streams its part while it computes: the first block alone
/// asked for the whole panel at the FMAs' pace, several times the
/// memory's, and ran at the memory's while the others left it idle
/// (measured, A/B in the same minutes: Mixtral-style prefill 32.0 -> 28.0
/// ms, DeepSeek-style 32.2 -> 30.6 ms).
/// Without one, of the same row of the next panel. The last panel, which
/// has no next one, prefetches its own rows instead: the choice depends
/// only on the view the read is from, so LLVM takes it out of the K loop
/// (a clamp of each address was three more instructions per line in the
/// loop, beside its 16 FMAs).
static void prefetchNextPanel(vector::TransferReadOp read, memref::GlobalOp global,
                              const Share *share) {
  OpBuilder b(read);
  Location loc = read.getLoc();
  MemRefType type = global.getType();
  int64_t elements = type.getNumElements();
  int64_t panel = type.getShape().end()[-2] * type.getShape().back();
  auto metadata = memref::ExtractStridedMetadataOp::create(b, loc, read.getBase());
  Value linear = metadata.getOffset();
  for (auto [index, stride] : llvm::zip_equal(read.getIndices(), metadata.getStrides()))
    linear = arith::AddIOp::create(b, loc, linear, arith::MulIOp::create(b, loc, index, stride));
  auto flat = memref::ReinterpretCastOp::create(
      b, loc, MemRefType::get({elements}, type.getElementType()), metadata.getBaseBuffer(),
      /*offset=*/0, /*sizes=*/ArrayRef<int64_t>{elements}, /*strides=*/ArrayRef<int64_t>{1});
  auto index = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
  int64_t bytes = read.getVectorType().getNumElements() * 4;
  if (share) {
    Value position = arith::SubIOp::create(b, loc, linear, share->windowOffset);
    for (int64_t line = 0; line < bytes; line += 64) {
      Value at = line ? Value(arith::AddIOp::create(b, loc, position, index(line / 4))) : position;
      at = arith::ShRUIOp::create(b, loc, arith::MulIOp::create(b, loc, at, share->reciprocal),
                                  index(32));
      memref::PrefetchOp::create(b, loc, flat,
                                 ValueRange{arith::AddIOp::create(b, loc, share->base, at)},
                                 /*isWrite=*/false, /*localityHint=*/2, /*isDataCache=*/true);
    }
    return;
  }
  Value row = arith::AddIOp::create(b, loc, linear,
                                    panelAhead(b, loc, metadata.getOffset(), panel, elements));
  for (int64_t line = 0; line < bytes; line += 64) {
    Value at = line ? Value(arith::AddIOp::create(b, loc, row, index(line / 4))) : row;
    memref::PrefetchOp::create(b, loc, flat, ValueRange{at}, /*isWrite=*/false,
                               /*localityHint=*/2, /*isDataCache=*/true);
  }
}

/// The constant global of dot-tile weights that `source` views, if it is one.
static memref::GlobalOp dotWeights(Value source, SymbolTableCollection &symbols) {
  StringRef key;
  memref::GlobalOp global = constantResourceGlobal(source, symbols, key);
  if (!global || cast<MemRefType>(source.getType()).getRank() != 2 ||
      (!key.starts_with(moe::kInt8DotWeightsResource) &&
       !key.starts_with(moe::kBf16DotWeightsResource)))
    return {};
  return global;
}

/// Rows of a dot tile that prefetches: its FMAs take longer than the next
/// tile's fetch (as kMinRows for the panels).
static constexpr int64_t kMinDotRows = 6;

/// Before `read` (of block `b` of the dot weights `global`, [.., n/16, w]):
/// a prefetch of the same 64 bytes of block b + `blocks` (the next tile's)
/// when the weights hold it, else of the read's own (the condition depends
/// on the block only, which LLVM takes out of the K loop).
static void prefetchNextTile(vector::TransferReadOp read, memref::GlobalOp global, int64_t blocks) {
  OpBuilder b(read);
  Location loc = read.getLoc();
  MemRefType type = global.getType();
  int64_t elements = type.getNumElements(), block = type.getShape().back();
  auto metadata = memref::ExtractStridedMetadataOp::create(b, loc, read.getBase());
  auto strides = metadata.getStrides();
  auto indices = read.getIndices();
  Value blockStart = arith::AddIOp::create(b, loc, metadata.getOffset(),
                                           arith::MulIOp::create(b, loc, indices[0], strides[0]));
  Value linear = arith::AddIOp::create(b, loc, blockStart,
                                       arith::MulIOp::create(b, loc, indices[1], strides[1]));
  auto index = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
  Value hasNext = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::ule,
      arith::AddIOp::create(b, loc, blockStart, index((blocks + 1) * block)), index(elements));
  Value ahead = arith::SelectOp::create(b, loc, hasNext, index(blocks * block), index(0));
  auto flat = memref::ReinterpretCastOp::create(
      b, loc, MemRefType::get({elements}, type.getElementType()), metadata.getBaseBuffer(),
      /*offset=*/0, /*sizes=*/ArrayRef<int64_t>{elements}, /*strides=*/ArrayRef<int64_t>{1});
  memref::PrefetchOp::create(b, loc, flat, ValueRange{arith::AddIOp::create(b, loc, linear, ahead)},
                             /*isWrite=*/false, /*localityHint=*/2, /*isDataCache=*/true);
}

namespace {
struct CpuPrefetchPanels : PassWrapper<CpuPrefetchPanels, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CpuPrefetchPanels)
  StringRef getArgument() const override { return "moe-cpu-prefetch-panels"; }
  StringRef getDescription() const override {
    return "Prefetch the next panel of packed constant weights into L2 with "
           "each read of a panel's row in a loop (after bufferization)";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<arith::ArithDialect, memref::MemRefDialect>();
  }
  void runOnOperation() override {
    SymbolTableCollection symbols;
    SmallVector<std::pair<vector::TransferReadOp, memref::GlobalOp>> reads;
    getOperation().walk([&](vector::TransferReadOp read) {
      // A row along the panel's contiguous last dim, in a K loop of a
      // register tile of 8 rows or more.
      VectorType vector = read.getVectorType();
      auto loop = read->getParentOfType<scf::ForOp>();
      if (vector.getRank() != 1 || !vector.getElementType().isF32() ||
          !read.getPermutationMap().isMinorIdentity() || !loop || !accumulatesRows(loop))
        return;
      if (memref::GlobalOp global = packedPanels(read.getBase(), symbols))
        reads.push_back({read, global});
    });
    // Each loop of row blocks computes a share once per window read in it.
    DenseMap<std::pair<Operation *, Value>, Share> shares;
    for (auto [read, global] : reads) {
      auto rowBlocks = read->getParentOfType<scf::ForOp>();
      while (rowBlocks && !rowBlocks->hasAttr(moe::kRowBlocksAttr))
        rowBlocks = rowBlocks->getParentOfType<scf::ForOp>();
      TypedValue<MemRefType> window = rowBlocks ? windowOf(read.getBase(), rowBlocks) : nullptr;
      if (!window) {
        prefetchNextPanel(read, global, nullptr);
        continue;
      }
      ArrayRef<int64_t> shape = global.getType().getShape();
      auto [it, inserted] = shares.try_emplace({rowBlocks.getOperation(), window});
      if (inserted)
        it->second = shareOf(rowBlocks, window, shape.end()[-2] * shape.back(),
                             global.getType().getNumElements());
      prefetchNextPanel(read, global, &it->second);
    }

    // Dot tiles: each K loop reads one 64-byte word group per block of
    // its tile and carries rows x blocks sums.
    SmallVector<std::tuple<vector::TransferReadOp, memref::GlobalOp, int64_t>> dotReads;
    getOperation().walk([&](scf::ForOp loop) {
      SmallVector<std::pair<vector::TransferReadOp, memref::GlobalOp>> inLoop;
      for (auto read : loop.getBody()->getOps<vector::TransferReadOp>())
        if (memref::GlobalOp global = dotWeights(read.getBase(), symbols))
          if (read.getVectorType().getRank() == 1 &&
              read.getVectorType().getNumElements() *
                      read.getVectorType().getElementTypeBitWidth() ==
                  512)
            inLoop.push_back({read, global});
      int64_t blocks = inLoop.size();
      if (!blocks || static_cast<int64_t>(loop.getNumRegionIterArgs()) < kMinDotRows * blocks)
        return;
      for (auto [read, global] : inLoop)
        dotReads.push_back({read, global, blocks});
    });
    for (auto [read, global, blocks] : dotReads)
      prefetchNextTile(read, global, blocks);
  }
};
} // namespace

std::unique_ptr<Pass> moe::createCpuPrefetchPanelsPass() {
  return std::make_unique<CpuPrefetchPanels>();
}

void moe::registerCpuPrefetchPanelsPass() { PassRegistration<CpuPrefetchPanels>(); }
