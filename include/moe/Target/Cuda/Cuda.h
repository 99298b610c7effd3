//===- Cuda.h - The CUDA backend: kernels, PTX/cubin and host code -*- C++ -*-===//
//
// The target is an upstream #nvvm.target attribute on the module
// (kCudaTargetAttrName); the lowering maps the bufferized moe/linalg
// level onto gpu.launch kernels, NVVM and a gpu.binary, and the host side
// onto LLVM calls of the model's own CUDA runtime (lib/Runtime).
//
//===----------------------------------------------------------------------===//

#ifndef MOE_TARGET_CUDA_CUDA_H
#define MOE_TARGET_CUDA_CUDA_H

#include "moe/Target/Cpu/Cpu.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

namespace mlir {
namespace moe {

/// The module attribute that holds the #nvvm.target of a CUDA target.
constexpr const char *kCudaTargetAttrName = "moe.cuda_target";

/// The runtime function the host calls for every copy between host and
/// device memory it makes itself: (dst, src, bytes), addresses as integers.
constexpr const char *kCudaCopyName = "moe_cuda_copy";
/// The runtime function that gives the device copy of a constant global:
/// (host address, bytes) -> device address, uploaded once per device.
constexpr const char *kCudaGlobalName = "moe_cuda_global";

/// The module's CUDA target, or null when it has none.
NVVM::NVVMTargetAttr getCudaTarget(ModuleOp module);

/// What the GPU code becomes inside the library, or on its own.
enum class CudaBinary { Ptx, Cubin };

/// The CUDA toolkit whose libdevice (nvvm/libdevice/libdevice.10.bc) the
/// kernels' math functions link: $CUDA_HOME, $CUDA_PATH, $CUDA_ROOT, the
/// one of ptxas on PATH, or /usr/local/cuda; empty when none has it.
std::string findCudaToolkit();

/// The moe ops a GPU takes as linalg: attention as one kernel with a thread
/// per query row where it can (moe-cuda-lower-attention), the rest as the
/// CPU's, with the experts' matmuls over all rows at once (no loop over
/// experts whose bounds live in device memory).
void buildCudaMoeLoweringPipeline(OpPassManager &pm);

/// From the moe/linalg level (entry prepared by prepareCpuEntry) to the
/// LLVM dialect with a gpu.binary holding `binary`: kernels for every loop
/// nest, host code calling the model's runtime.
void buildCudaLoweringPipeline(OpPassManager &pm, CudaBinary binary);

/// The PTX or cubin bytes of the module's gpu.binary (empty for a model
/// with no kernels: all of it folded to constants and views); fails when
/// the kernels call functions nothing links in.
FailureOr<std::string> getCudaBinary(ModuleOp module, std::string &error);

/// The C source of the runtime a CUDA model library carries
/// (lib/Runtime/cuda_runtime.c): its WrapperTarget::deviceRuntime.
StringRef getCudaRuntimeSource();

void registerCudaPipelines();

/// moe-cuda-lower-attention: moe.attention as a thread per query row with
/// online softmax over the keys its mask leaves (LowerAttention.cpp).
std::unique_ptr<Pass> createCudaLowerAttentionPass();
/// moe-cuda-map-to-gpu: every loop nest of the bufferized entry into a
/// gpu.launch (one thread per parallel iteration); host code that reads or
/// writes device memory copies through the runtime.
std::unique_ptr<Pass> createCudaMapToGpuPass();
/// Each matmul-like bufferized generic under `root` as an scf.parallel over
/// register tiles of its outputs (TileContractions.cpp).
void tileContractionsForThreads(Operation *root);
/// moe-cuda-kernel-module: the outlined kernels in one gpu.module with the
/// module's #nvvm.target.
std::unique_ptr<Pass> createCudaKernelModulePass();
/// moe-cuda-emulate-on-cpu: launches as loops over blocks and threads,
/// the runtime's copies as memcpy (a CPU check of the lowering).
std::unique_ptr<Pass> createCudaEmulateOnCpuPass();
/// The CUDA lowering up to its kernels, then the CPU's: a CPU library whose
/// loops are the kernels' threads (moe-compile --emulate-gpu-on-cpu).
void buildCudaEmulationPipeline(OpPassManager &pm);
/// moe-cuda-device-globals: host uses of constant globals (LLVM dialect)
/// read their device copy instead.
std::unique_ptr<Pass> createCudaDeviceGlobalsPass();

} // namespace moe
} // namespace mlir

#endif // MOE_TARGET_CUDA_CUDA_H
