//===- EmulateOnCpu.cpp - The CUDA lowering's kernels run as CPU loops ----===//
//
// A machine without a GPU can still check the numerics of what
// moe-cuda-map-to-gpu builds: each gpu.launch becomes loops over its blocks
// and threads, in order, and the runtime's host<->device copy a memcpy (all
// memory is host memory then). The kernels have no barriers or shared
// memory, so running their threads one after another computes what the GPU
// computes. moe-compile --emulate-gpu-on-cpu builds a CPU library that way;
// tools/cuda/e2e.py --emulate compares it with the reference outputs.
//
//===----------------------------------------------------------------------===//

#include "moe/Target/Cuda/Cuda.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Pass/Pass.h"

using namespace mlir;

/// Loops over `launch`'s blocks and threads around a copy of its body.
static LogicalResult launchToLoops(gpu::LaunchOp launch) {
  Region &body = launch.getBody();
  if (!body.hasOneBlock() || launch.getAsyncToken() ||
      !launch.getWorkgroupAttributions().empty() ||
      !launch.getPrivateAttributions().empty())
    return launch.emitError("moe-cuda-emulate-on-cpu: only single-block launches "
                            "without attributions run as loops");
  OpBuilder b(launch);
  Location loc = launch.getLoc();
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
  gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
  IRMapping mapping;
  auto loop = [&](Value bound, Value id) {
    auto op = scf::ForOp::create(b, loc, zero, bound, one);
    mapping.map(id, op.getInductionVar());
    b.setInsertionPoint(op.getBody()->getTerminator());
  };
  gpu::KernelDim3 blockIds = launch.getBlockIds(), threadIds = launch.getThreadIds();
  loop(grid.z, blockIds.z);
  loop(grid.y, blockIds.y);
  loop(grid.x, blockIds.x);
  loop(block.z, threadIds.z);
  loop(block.y, threadIds.y);
  loop(block.x, threadIds.x);
  gpu::KernelDim3 gridArgs = launch.getGridSize(), blockArgs = launch.getBlockSize();
  mapping.map(gridArgs.x, grid.x);
  mapping.map(gridArgs.y, grid.y);
  mapping.map(gridArgs.z, grid.z);
  mapping.map(blockArgs.x, block.x);
  mapping.map(blockArgs.y, block.y);
  mapping.map(blockArgs.z, block.z);
  for (Operation &op : body.front()) {
    if (isa<gpu::TerminatorOp>(op))
      continue;
    if (isa<gpu::BarrierOp>(op))
      return op.emitError("moe-cuda-emulate-on-cpu: a barrier has no loop form");
    b.clone(op, mapping);
  }
  launch.erase();
  return success();
}

/// The runtime's copy, as a memcpy between the two addresses.
static void defineCopy(func::FuncOp copy) {
  OpBuilder b(copy.getContext());
  Block *entry = copy.addEntryBlock();
  b.setInsertionPointToStart(entry);
  Location loc = copy.getLoc();
  auto i64 = b.getI64Type();
  auto ptr = LLVM::LLVMPointerType::get(copy.getContext());
  auto toPtr = [&](Value index) {
    Value word = arith::IndexCastOp::create(b, loc, i64, index);
    return LLVM::IntToPtrOp::create(b, loc, ptr, word).getResult();
  };
  Value dst = toPtr(entry->getArgument(0)), src = toPtr(entry->getArgument(1));
  Value bytes = arith::IndexCastOp::create(b, loc, i64, entry->getArgument(2));
  LLVM::MemcpyOp::create(b, loc, dst, src, bytes, /*isVolatile=*/false);
  func::ReturnOp::create(b, loc);
}

namespace {
struct CudaEmulateOnCpu : PassWrapper<CudaEmulateOnCpu, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CudaEmulateOnCpu)
  StringRef getArgument() const override { return "moe-cuda-emulate-on-cpu"; }
  StringRef getDescription() const override {
    return "Run moe-cuda-map-to-gpu's launches as loops over their blocks and "
           "threads, and its host<->device copies as memcpy: a CPU check of the "
           "CUDA lowering";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<arith::ArithDialect, LLVM::LLVMDialect, scf::SCFDialect>();
  }
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::LaunchOp> launches;
    module.walk([&](gpu::LaunchOp launch) { launches.push_back(launch); });
    for (gpu::LaunchOp launch : launches)
      if (failed(launchToLoops(launch)))
        return signalPassFailure();
    if (auto copy = module.lookupSymbol<func::FuncOp>(moe::kCudaCopyName);
        copy && copy.isExternal()) {
      defineCopy(copy);
      copy.setPrivate();
    }
    module->removeAttr(gpu::GPUDialect::getContainerModuleAttrName());
  }
};
} // namespace

std::unique_ptr<Pass> moe::createCudaEmulateOnCpuPass() {
  return std::make_unique<CudaEmulateOnCpu>();
}
