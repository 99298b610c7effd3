//===- InitAll.cpp - Register every dialect and pass of the project -------===//
//
// Upstream's whole set is registered too: the target pipelines use many of
// its dialects and passes, and moe-opt should accept whatever they print.
//
//===----------------------------------------------------------------------===//

#include "moe/InitAll.h"

#include "moe/Conversion/OnnxToMoe/OnnxToMoe.h"
#include "moe/Dialect/Moe/MoeDialect.h"
#include "moe/Dialect/Npu/NpuDialect.h"
#include "moe/Dialect/Onnx/OnnxDialect.h"
#include "moe/Passes/Moe/Passes.h"
#include "moe/Pipelines/Pipelines.h"
#include "moe/Target/Cpu/Cpu.h"
#include "moe/Target/Cuda/Cuda.h"
#include "moe/Target/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"

void mlir::moe::registerAllDialects(DialectRegistry &registry) {
  registry.insert<moe::MoeDialect, npu::NpuDialect, onnx::OnnxDialect>();
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  // gpu-module-to-binary translates kernels to LLVM IR inside the pass,
  // and the host module with its gpu.binary is translated after it.
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  registerBuiltinDialectTranslation(registry);
  registerGPUDialectTranslation(registry);
  gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(registry);
  registerLLVMDialectTranslation(registry);
  registerNVVMDialectTranslation(registry);
}

void mlir::moe::registerAllPasses() {
  mlir::registerAllPasses();
  moe::registerMoePasses();
  moe::registerConversionPasses();
  moe::registerTargetPasses();
  moe::registerMoePipelines();
  moe::registerCpuPipelines();
  moe::registerCudaPipelines();
}
