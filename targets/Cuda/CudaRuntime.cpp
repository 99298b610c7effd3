//===- CudaRuntime.cpp - The runtime a CUDA model library carries ---------===//

#include "moe/Target/Cuda/Cuda.h"

#include "CudaRuntime.inc"

mlir::StringRef mlir::moe::getCudaRuntimeSource() { return kCudaRuntimeText; }
