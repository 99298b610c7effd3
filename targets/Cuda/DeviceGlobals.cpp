//===- DeviceGlobals.cpp - Host code reads the device copy of globals ------===//
//
// Weights are memref globals, which the host lowering makes LLVM globals of
// the library. Kernels cannot read host memory, and embedding weights in
// the PTX would print every byte as text; so each global stays in the
// library, and its address in host code becomes the address of its device
// copy, which the runtime uploads at the first use on each device
// (moe_cuda_global). All host reads of device memory go through the
// runtime's copies (MapToGpu.cpp), so no host code dereferences it.
//
//===----------------------------------------------------------------------===//

#include "moe/Target/Cuda/Cuda.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"
#include "mlir/Pass/Pass.h"

using namespace mlir;

namespace {
struct CudaDeviceGlobals
    : PassWrapper<CudaDeviceGlobals, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CudaDeviceGlobals)
  StringRef getArgument() const override { return "moe-cuda-device-globals"; }
  StringRef getDescription() const override {
    return "Host uses of globals (LLVM dialect) take the address of their "
           "device copy, which the runtime uploads once per device";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<LLVM::LLVMDialect>();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<LLVM::AddressOfOp> uses;
    // Only the host's functions: kernels sit inside gpu.module/gpu.binary.
    for (auto func : module.getOps<LLVM::LLVMFuncOp>())
      func.walk([&](LLVM::AddressOfOp op) {
        if (symbols.lookup<LLVM::GlobalOp>(op.getGlobalName()))
          uses.push_back(op);
      });
    if (uses.empty())
      return;
    MLIRContext *context = &getContext();
    auto ptr = LLVM::LLVMPointerType::get(context);
    auto i64 = IntegerType::get(context, 64);
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    auto callee = module.lookupSymbol<LLVM::LLVMFuncOp>(moe::kCudaGlobalName);
    if (!callee)
      callee = LLVM::LLVMFuncOp::create(b, module.getLoc(), moe::kCudaGlobalName,
                                        LLVM::LLVMFunctionType::get(ptr, {ptr, i64}));
    DataLayout layout(module);
    for (LLVM::AddressOfOp use : uses) {
      auto global = symbols.lookup<LLVM::GlobalOp>(use.getGlobalName());
      uint64_t bytes = layout.getTypeSize(global.getGlobalType());
      b.setInsertionPointAfter(use);
      Value size = LLVM::ConstantOp::create(b, use.getLoc(), i64,
                                            b.getI64IntegerAttr(bytes));
      auto call = LLVM::CallOp::create(b, use.getLoc(), callee,
                                       ValueRange{use.getResult(), size});
      use.getResult().replaceAllUsesExcept(call.getResult(), call);
    }
  }
};
} // namespace

std::unique_ptr<Pass> moe::createCudaDeviceGlobalsPass() {
  return std::make_unique<CudaDeviceGlobals>();
}
