//===- MapToGpu.cpp - Loop nests of the bufferized entry as GPU kernels ----===//
//
// After bufferization every buffer of the entry lives in device memory (the
// runtime's allocator hands out device blocks). Each linalg op and copy
// becomes a parallel loop nest, and each nest one gpu.launch with a thread
// per iteration of its parallel dims, linearised so that the innermost dim
// runs along threadIdx.x (coalesced); reduction dims stay loops inside the
// thread. Scalar code with no parallel loop inside (the counting sort of
// expert dispatch) runs as a single-thread kernel, so its data never
// crosses to the host. Scalar code that sizes host-side loops and launches
// (an expert's row range) copies the few values it reads or writes through
// the runtime. This is the correct baseline every model gets; the kernels
// that make matmuls, attention and experts fast replace nests of it.
//
//===----------------------------------------------------------------------===//

#include "moe/Target/Cuda/Cuda.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"

using namespace mlir;

/// Threads per block of the generic kernels: a multiple of the warp that
/// keeps enough blocks in flight on small nests.
static constexpr int64_t kBlockSize = 256;

static bool containsParallel(Operation *root) {
  return root->walk([](scf::ParallelOp) { return WalkResult::interrupt(); })
      .wasInterrupted();
}

/// The bytes one element of `type` takes in memory on a 64-bit host.
static int64_t elementBytes(Type type) {
  if (type.isIndex())
    return 8;
  return (type.getIntOrFloatBitWidth() + 7) / 8;
}

/// The buffer `memref` views, through casts and views.
static Value rootOf(Value memref) {
  while (Operation *def = memref.getDefiningOp()) {
    if (auto view = dyn_cast<ViewLikeOpInterface>(def))
      memref = view.getViewSource();
    else
      break;
  }
  return memref;
}

/// Host memory: a stack slot (the runtime's copies and the deallocation's
/// bookkeeping live there).
static bool onHost(Value memref) {
  return isa_and_nonnull<memref::AllocaOp>(rootOf(memref).getDefiningOp());
}

/// Whether `root` reads or writes device memory (stack slots are the host's).
static bool touchesMemory(Operation *root) {
  WalkResult result = root->walk([](Operation *op) {
    Value memref;
    if (auto load = dyn_cast<memref::LoadOp>(op))
      memref = load.getMemRef();
    else if (auto store = dyn_cast<memref::StoreOp>(op))
      memref = store.getMemRef();
    else if (!isa<memref::AtomicRMWOp, memref::GenericAtomicRMWOp, memref::CopyOp>(op))
      return WalkResult::advance();
    return memref && onHost(memref) ? WalkResult::advance() : WalkResult::interrupt();
  });
  return result.wasInterrupted();
}

/// The deallocation pipeline's bookkeeping (pointer lists and ownership
/// flags that a private helper compares) is host data: its buffers become
/// stack slots instead of device memory, and the helper stays a host
/// function.
static void keepBookkeepingOnHost(func::FuncOp func) {
  SmallVector<memref::AllocOp> allocs;
  func.walk([&](func::CallOp call) {
    auto callee = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(call, call.getCalleeAttr());
    if (!callee || !callee.isPrivate() || callee.isExternal())
      return;
    for (Value operand : call.getOperands())
      if (auto alloc = rootOf(operand).getDefiningOp<memref::AllocOp>())
        allocs.push_back(alloc);
  });
  for (memref::AllocOp alloc : allocs) {
    if (!alloc->getParentOp())
      continue;
    for (Operation *user : llvm::make_early_inc_range(alloc->getUsers()))
      if (isa<memref::DeallocOp>(user))
        user->erase();
    OpBuilder b(alloc);
    auto slot = memref::AllocaOp::create(b, alloc.getLoc(), alloc.getType(),
                                         alloc.getDynamicSizes(), alloc.getSymbolOperands(),
                                         alloc.getAlignmentAttr());
    alloc.replaceAllUsesWith(slot.getResult());
    alloc.erase();
  }
}

/// Replaces `par` (inside a kernel) by nested sequential loops.
static void serializeParallel(RewriterBase &rewriter, scf::ParallelOp par) {
  rewriter.setInsertionPoint(par);
  SmallVector<Value> ivs;
  Location loc = par.getLoc();
  for (auto [lb, ub, step] :
       llvm::zip(par.getLowerBound(), par.getUpperBound(), par.getStep())) {
    auto loop = scf::ForOp::create(rewriter, loc, lb, ub, step);
    ivs.push_back(loop.getInductionVar());
    rewriter.setInsertionPoint(loop.getBody()->getTerminator());
  }
  IRMapping mapping;
  mapping.map(par.getInductionVars(), ivs);
  for (Operation &op : par.getBody()->without_terminator())
    rewriter.clone(op, mapping);
  rewriter.eraseOp(par);
}

namespace {
struct CudaMapToGpu : PassWrapper<CudaMapToGpu, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CudaMapToGpu)
  CudaMapToGpu() = default;
  CudaMapToGpu(const CudaMapToGpu &other) : PassWrapper(other) {}
  Option<bool> tileContractions{
      *this, "tile-contractions",
      llvm::cl::desc("Give each thread a register tile of a matmul's outputs "
                     "(TileContractions.cpp) instead of one output"),
      llvm::cl::init(true)};

  StringRef getArgument() const override { return "moe-cuda-map-to-gpu"; }
  StringRef getDescription() const override {
    return "Every loop nest of the bufferized entry into a gpu.launch (a thread "
           "per parallel iteration, a register tile of outputs for matmuls); "
           "scalar code as one-thread kernels, or, where it sizes host loops, "
           "reading its scalars through the runtime; the deallocation's "
           "bookkeeping on the host";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<arith::ArithDialect, func::FuncDialect, gpu::GPUDialect,
                    memref::MemRefDialect, scf::SCFDialect>();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                    UnitAttr::get(&getContext()));
    // The entry points run on the device; private functions are host
    // helpers (the deallocation's).
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isExternal() || func.isPrivate())
        continue;
      keepBookkeepingOnHost(func);
      if (failed(toLoops(func)) || failed(mapRegion(func, func.getBody()))) {
        signalPassFailure();
        return;
      }
    }
  }

  /// Copies and linalg ops into parallel loop nests.
  LogicalResult toLoops(func::FuncOp func) {
    IRRewriter rewriter(&getContext());
    SmallVector<memref::CopyOp> copies;
    func.walk([&](memref::CopyOp copy) { copies.push_back(copy); });
    for (memref::CopyOp copy : copies) {
      rewriter.setInsertionPoint(copy);
      rewriter.replaceOpWithNewOp<linalg::CopyOp>(copy, copy.getSource(),
                                                  copy.getTarget());
    }
    if (tileContractions)
      moe::tileContractionsForThreads(func);
    SmallVector<linalg::LinalgOp> ops;
    func.walk([&](linalg::LinalgOp op) { ops.push_back(op); });
    for (linalg::LinalgOp op : ops) {
      if (!op.hasPureBufferSemantics())
        return op->emitError("moe-cuda-map-to-gpu: expected a bufferized op");
      rewriter.setInsertionPoint(op);
      if (failed(linalg::linalgOpToParallelLoops(rewriter, op)))
        return op->emitError("moe-cuda-map-to-gpu: cannot lower this op to loops");
      rewriter.eraseOp(op);
    }
    return success();
  }

  LogicalResult mapRegion(func::FuncOp func, Region &region) {
    for (Block &block : region) {
      for (Operation &op : llvm::make_early_inc_range(block)) {
        if (auto par = dyn_cast<scf::ParallelOp>(op)) {
          if (failed(launchParallel(par)))
            return failure();
          continue;
        }
        if (auto load = dyn_cast<memref::LoadOp>(op)) {
          if (!onHost(load.getMemRef()))
            hostLoad(func, load);
          continue;
        }
        if (auto store = dyn_cast<memref::StoreOp>(op)) {
          if (!onHost(store.getMemRef()))
            hostStore(func, store);
          continue;
        }
        if (op.getNumRegions() == 0) {
          if (touchesMemory(&op))
            return op.emitError("moe-cuda-map-to-gpu: '")
                   << op.getName() << "' would read device memory on the host";
          continue;
        }
        if (!touchesMemory(&op))
          continue;
        if (!containsParallel(&op) && op.getNumResults() == 0) {
          launchSerial(op);
          continue;
        }
        for (Region &inner : op.getRegions())
          if (failed(mapRegion(func, inner)))
            return failure();
      }
    }
    return success();
  }

  /// A launch of `grid` blocks of `block` threads before `anchor`, its body
  /// ending in gpu.terminator; the builder is left at the body's start.
  gpu::LaunchOp createLaunch(OpBuilder &b, Location loc, Value grid, Value block) {
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    auto launch = gpu::LaunchOp::create(b, loc, grid, one, one, block, one, one);
    Block &body = launch.getBody().front();
    b.setInsertionPointToEnd(&body);
    auto terminator = gpu::TerminatorOp::create(b, loc);
    b.setInsertionPoint(terminator);
    return launch;
  }

  void launchSerial(Operation &op) {
    OpBuilder b(&op);
    Location loc = op.getLoc();
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    createLaunch(b, loc, one, one);
    op.moveBefore(b.getInsertionBlock(), b.getInsertionPoint());
  }

  LogicalResult launchParallel(scf::ParallelOp par) {
    if (par.getNumResults() != 0)
      return par.emitError("moe-cuda-map-to-gpu: a parallel loop with reductions "
                           "has no kernel form yet");
    OpBuilder b(par);
    Location loc = par.getLoc();
    // Trip counts, innermost last; their product is the number of threads.
    SmallVector<Value> counts;
    Value total = arith::ConstantIndexOp::create(b, loc, 1);
    for (auto [lb, ub, step] :
         llvm::zip(par.getLowerBound(), par.getUpperBound(), par.getStep())) {
      Value span = arith::SubIOp::create(b, loc, ub, lb);
      Value count = arith::CeilDivSIOp::create(b, loc, span, step);
      count = arith::MaxSIOp::create(b, loc, count,
                                     arith::ConstantIndexOp::create(b, loc, 0));
      counts.push_back(count);
      total = arith::MulIOp::create(b, loc, total, count);
    }
    Value blockSize = arith::ConstantIndexOp::create(b, loc, kBlockSize);
    // At least one block: a launch of none is an error; the guard below
    // idles its threads.
    Value grid = arith::MaxSIOp::create(
        b, loc, arith::CeilDivSIOp::create(b, loc, total, blockSize),
        arith::ConstantIndexOp::create(b, loc, 1));
    gpu::LaunchOp launch = createLaunch(b, loc, grid, blockSize);
    Value id = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, launch.getBlockIds().x, blockSize),
        launch.getThreadIds().x);
    Value inRange =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, id, total);
    auto guard = scf::IfOp::create(b, loc, inRange, /*withElseRegion=*/false);
    b.setInsertionPoint(guard.thenBlock()->getTerminator());
    SmallVector<Value> ivs(counts.size());
    Value rest = id;
    for (int64_t d = counts.size() - 1; d >= 0; --d) {
      Value index = d == 0 ? rest : arith::RemSIOp::create(b, loc, rest, counts[d]);
      if (d > 0)
        rest = arith::DivSIOp::create(b, loc, rest, counts[d]);
      ivs[d] = arith::AddIOp::create(
          b, loc, par.getLowerBound()[d],
          arith::MulIOp::create(b, loc, index, par.getStep()[d]));
    }
    IRMapping mapping;
    mapping.map(par.getInductionVars(), ivs);
    for (Operation &op : par.getBody()->without_terminator())
      b.clone(op, mapping);
    par.erase();
    // Nests inside one iteration run in its thread.
    IRRewriter rewriter(b.getContext());
    SmallVector<scf::ParallelOp> inner;
    launch.walk([&](scf::ParallelOp op) { inner.push_back(op); });
    for (scf::ParallelOp op : llvm::reverse(inner))
      serializeParallel(rewriter, op);
    return success();
  }

  /// The address of `memref[indices]` as an integer, and a rank-0 stack
  /// slot for one element, allocated at the function's entry.
  Value elementAddress(OpBuilder &b, Location loc, Value memref, ValueRange indices) {
    auto type = cast<MemRefType>(memref.getType());
    auto meta = memref::ExtractStridedMetadataOp::create(b, loc, memref);
    Value linear = meta.getOffset();
    for (auto [index, stride] : llvm::zip(indices, meta.getStrides()))
      linear = arith::AddIOp::create(b, loc, linear,
                                     arith::MulIOp::create(b, loc, index, stride));
    Value bytes = arith::MulIOp::create(
        b, loc, linear,
        arith::ConstantIndexOp::create(b, loc, elementBytes(type.getElementType())));
    Value base = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, memref);
    return arith::AddIOp::create(b, loc, base, bytes);
  }

  Value stackSlot(func::FuncOp func, Type elementType) {
    OpBuilder b = OpBuilder::atBlockBegin(&func.getBody().front());
    return memref::AllocaOp::create(b, func.getLoc(), MemRefType::get({}, elementType));
  }

  func::FuncOp copyFunction() {
    ModuleOp module = getOperation();
    if (auto existing = module.lookupSymbol<func::FuncOp>(moe::kCudaCopyName))
      return existing;
    OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
    Type index = b.getIndexType();
    auto func = func::FuncOp::create(b, module.getLoc(), moe::kCudaCopyName,
                                     b.getFunctionType({index, index, index}, {}));
    func.setPrivate();
    return func;
  }

  void copy(OpBuilder &b, Location loc, Value dst, Value src, Type elementType) {
    Value bytes = arith::ConstantIndexOp::create(b, loc, elementBytes(elementType));
    func::CallOp::create(b, loc, copyFunction(), ValueRange{dst, src, bytes});
  }

  void hostLoad(func::FuncOp func, memref::LoadOp load) {
    Type elementType = load.getType();
    Value slot = stackSlot(func, elementType);
    OpBuilder b(load);
    Location loc = load.getLoc();
    Value src = elementAddress(b, loc, load.getMemRef(), load.getIndices());
    Value dst = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, slot);
    copy(b, loc, dst, src, elementType);
    Value value = memref::LoadOp::create(b, loc, slot, ValueRange{});
    load.replaceAllUsesWith(value);
    load.erase();
  }

  void hostStore(func::FuncOp func, memref::StoreOp store) {
    Type elementType = store.getValueToStore().getType();
    Value slot = stackSlot(func, elementType);
    OpBuilder b(store);
    Location loc = store.getLoc();
    memref::StoreOp::create(b, loc, store.getValueToStore(), slot, ValueRange{});
    Value dst = elementAddress(b, loc, store.getMemRef(), store.getIndices());
    Value src = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, slot);
    copy(b, loc, dst, src, elementType);
    store.erase();
  }
};
} // namespace

std::unique_ptr<Pass> moe::createCudaMapToGpuPass() {
  return std::make_unique<CudaMapToGpu>();
}
