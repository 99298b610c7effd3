//===- CudaPipeline.cpp - From the moe/linalg level to kernels and host ---===//
//
// Bufferization as on the CPU (results owned by the caller), every loop
// nest a kernel (MapToGpu.cpp), outlining, NVVM for the kernels and the
// model's runtime calls for the host, then gpu-module-to-binary: PTX (the
// driver compiles it for the GPU it finds) or a cubin from ptxas.
//
//===----------------------------------------------------------------------===//

#include "moe/Target/Cuda/Cuda.h"
#include "moe/Target/KnownTargets.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <cstdlib>

using namespace mlir;

namespace {
/// One row of --target's table. The PTX ISA feature is always given: the
/// NVVM default (+ptx60) predates sm_80 and the NVPTX backend aborts.
struct CudaRow {
  const char *name;
  const char *chip;
  const char *features;
  const char *what;
};
constexpr CudaRow kRows[] = {
    {"cuda-sm80", "sm_80", "+ptx80", "A100 class (Ampere)"},
    {"cuda-sm86", "sm_86", "+ptx80", "RTX 30 / A40 class"},
    {"cuda-sm89", "sm_89", "+ptx80", "L4 / RTX 40 class (Ada)"},
    {"cuda-sm90", "sm_90", "+ptx80", "H100 / H200 class (Hopper)"},
};
} // namespace

SmallVector<StringRef> moe::cuda_targets::names() {
  SmallVector<StringRef> result;
  for (const CudaRow &row : kRows)
    result.push_back(row.name);
  return result;
}

std::optional<NamedAttribute> moe::cuda_targets::lookup(MLIRContext *context,
                                                        StringRef name) {
  for (const CudaRow &row : kRows) {
    if (row.name != name)
      continue;
    context->getOrLoadDialect<NVVM::NVVMDialect>();
    auto target = NVVM::NVVMTargetAttr::get(context, /*optLevel=*/3,
                                            "nvptx64-nvidia-cuda", row.chip,
                                            row.features);
    return NamedAttribute(StringAttr::get(context, kCudaTargetAttrName), target);
  }
  return std::nullopt;
}

NVVM::NVVMTargetAttr moe::getCudaTarget(ModuleOp module) {
  return module->getAttrOfType<NVVM::NVVMTargetAttr>(kCudaTargetAttrName);
}

namespace {
/// Outlining makes a gpu.module per kernel; one module makes one PTX file
/// (and one module load at run time).
struct CudaKernelModule : PassWrapper<CudaKernelModule, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CudaKernelModule)
  StringRef getArgument() const override { return "moe-cuda-kernel-module"; }
  StringRef getDescription() const override {
    return "Gather the outlined kernels into one gpu.module with the module's "
           "CUDA target (moe.cuda_target)";
  }
  void runOnOperation() override {
    ModuleOp module = getOperation();
    NVVM::NVVMTargetAttr target = moe::getCudaTarget(module);
    if (!target) {
      module.emitError() << "no CUDA target on the module (" << moe::kCudaTargetAttrName
                         << " = #nvvm.target<...>; moe-attach-target=target=cuda-sm90)";
      return signalPassFailure();
    }
    SmallVector<gpu::GPUModuleOp> modules(module.getOps<gpu::GPUModuleOp>());
    if (modules.empty())
      return;
    gpu::GPUModuleOp kept = modules.front();
    kept.setTargetsAttr(ArrayAttr::get(&getContext(), {target}));
    // Each kernel takes its module's name, which outlining made unique
    // (the kernels themselves may share one).
    llvm::SmallDenseSet<StringAttr> merged;
    for (gpu::GPUModuleOp other : llvm::drop_begin(modules)) {
      for (auto kernel : other.getOps<gpu::GPUFuncOp>())
        SymbolTable::setSymbolName(kernel, other.getSymNameAttr());
      kept.getBody()->getOperations().splice(kept.getBody()->end(),
                                             other.getBody()->getOperations());
      merged.insert(other.getSymNameAttr());
      other.erase();
    }
    module.walk([&](gpu::LaunchFuncOp launch) {
      StringAttr from = launch.getKernelModuleName();
      if (merged.contains(from))
        launch.setKernelAttr(SymbolRefAttr::get(kept.getSymNameAttr(),
                                                {FlatSymbolRefAttr::get(from)}));
    });
  }
};
} // namespace

std::unique_ptr<Pass> moe::createCudaKernelModulePass() {
  return std::make_unique<CudaKernelModule>();
}

// The host allocates through the generic functions, which the CUDA wrapper
// defines as device allocations: every buffer the entry touches is device
// memory, and the only host reads of it are MapToGpu's runtime copies.
#define MOE_CUDA_KERNELS                                                       \
  "func.func(canonicalize,linalg-generalize-named-ops),"                       \
  "moe-fuse-elementwise-chains{into-reductions},func.func(canonicalize,cse),"                     \
  "one-shot-bufferize{bufferize-function-boundaries allow-return-allocs-from-loops " \
  "function-boundary-type-conversion=identity-layout-map},"                    \
  "buffer-deallocation-pipeline,convert-bufferization-to-memref,canonicalize," \
  "moe-cuda-map-to-gpu,"
static constexpr const char *kCudaLowering =
    MOE_CUDA_KERNELS
    "convert-math-to-funcs{convert-ctlz=false},cse,gpu-kernel-outlining,moe-cuda-kernel-module,"
    "expand-strided-metadata,lower-affine,convert-scf-to-cf,"
    "gpu.module(convert-gpu-to-nvvm,canonicalize,cse,reconcile-unrealized-casts),"
    "finalize-memref-to-llvm{use-generic-functions},"
    "convert-arith-to-llvm,convert-index-to-llvm,convert-cf-to-llvm,"
    "convert-func-to-llvm,convert-ub-to-llvm,gpu-to-llvm,"
    "moe-cuda-device-globals,reconcile-unrealized-casts";

// The same kernels with their threads as CPU loops, then the CPU's
// conversions to LLVM.
static constexpr const char *kEmulation =
    MOE_CUDA_KERNELS
    "convert-math-to-funcs{convert-ctlz=false},moe-cuda-emulate-on-cpu,canonicalize,"
    "expand-strided-metadata,lower-affine,convert-scf-to-cf,"
    "finalize-memref-to-llvm{use-generic-functions},convert-math-to-llvm,convert-math-to-libm,"
    "convert-arith-to-llvm,convert-index-to-llvm,convert-cf-to-llvm,"
    "convert-func-to-llvm,convert-ub-to-llvm,reconcile-unrealized-casts";

void moe::buildCudaEmulationPipeline(OpPassManager &pm) {
  if (failed(parsePassPipeline(kEmulation, pm)))
    llvm::report_fatal_error("moe: the CUDA emulation pipeline does not parse");
}

std::string moe::findCudaToolkit() {
  auto hasLibdevice = [](StringRef root) {
    SmallString<128> path(root);
    llvm::sys::path::append(path, "nvvm", "libdevice", "libdevice.10.bc");
    return !root.empty() && llvm::sys::fs::exists(path);
  };
  for (const char *name : {"CUDA_HOME", "CUDA_PATH", "CUDA_ROOT"})
    if (const char *value = std::getenv(name); value && hasLibdevice(value))
      return value;
  if (llvm::ErrorOr<std::string> ptxas = llvm::sys::findProgramByName("ptxas")) {
    StringRef root = llvm::sys::path::parent_path(llvm::sys::path::parent_path(*ptxas));
    if (hasLibdevice(root))
      return root.str();
  }
  return hasLibdevice("/usr/local/cuda") ? "/usr/local/cuda" : "";
}

void moe::buildCudaMoeLoweringPipeline(OpPassManager &pm) {
  if (failed(parsePassPipeline(
          "moe-cuda-lower-attention,moe-lower-to-linalg{grouped-by-row},canonicalize", pm)))
    llvm::report_fatal_error("moe: the CUDA moe lowering does not parse");
}

void moe::buildCudaLoweringPipeline(OpPassManager &pm, CudaBinary binary) {
  if (failed(parsePassPipeline(kCudaLowering, pm)))
    llvm::report_fatal_error("moe: the CUDA lowering pipeline does not parse");
  GpuModuleToBinaryPassOptions options;
  options.compilationTarget = binary == CudaBinary::Ptx ? "isa" : "bin";
  options.toolkitPath = findCudaToolkit();
  pm.addPass(createGpuModuleToBinaryPass(options));
}

FailureOr<std::string> moe::getCudaBinary(ModuleOp module, std::string &error) {
  std::string bytes;
  for (auto binary : module.getOps<gpu::BinaryOp>())
    for (Attribute attr : binary.getObjects())
      if (auto object = dyn_cast<gpu::ObjectAttr>(attr))
        bytes += object.getObject().getValue();
  // Math functions come from libdevice, linked only when a toolkit was
  // found; without it they stay external and no driver could load them.
  size_t missing = StringRef(bytes).find(".extern .func");
  if (missing != StringRef::npos) {
    StringRef line = StringRef(bytes).substr(missing).split('\n').first;
    error = "the kernels call functions that are not linked in (" + line.str() +
            "): math functions need libdevice from a CUDA toolkit "
            "(nvvm/libdevice/libdevice.10.bc under $CUDA_HOME or next to ptxas)";
    return failure();
  }
  return bytes;
}

void moe::registerCudaPipelines() {
  registerPass(createCudaMapToGpuPass);
  registerPass(createCudaKernelModulePass);
  registerPass(createCudaDeviceGlobalsPass);
  registerPass(createCudaEmulateOnCpuPass);
  registerPass(createCudaLowerAttentionPass);
  PassPipelineRegistration<>(
      "moe-cuda-lowering-pipeline",
      "The moe/linalg level to the LLVM dialect for a CUDA target (the module's "
      "moe.cuda_target): kernels for every loop nest, host code over the model's "
      "runtime, the GPU code as PTX in a gpu.binary",
      [](OpPassManager &pm) { buildCudaLoweringPipeline(pm, CudaBinary::Ptx); });
}
