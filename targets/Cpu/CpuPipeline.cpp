//===- CpuPipeline.cpp - From the moe/linalg level to the LLVM dialect ----===//
//
// Matmuls are register-tiled and vectorised (TileAndVectorize.cpp),
// elementwise chains fused (moe-fuse-elementwise-chains), and what remains with
// static shapes vectorised along its innermost loop (VectorizeGenerics.cpp);
// the rest of linalg becomes plain loops for LLVM. Parallel loops
// (scf.forall from the tiling) run on OpenMP threads; copies between
// strided views become loops (StridedCopies.cpp). Each step was measured
// by bench/.
//
//===----------------------------------------------------------------------===//

#include "moe/Target/Cpu/Cpu.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;

// Results of the entry function are owned by the caller: the deallocation
// pipeline clones results that alias inputs or constants, so the C wrapper
// can hand every output's buffer to its free. Buffers are allocated through
// the generic functions, which the wrapper defines (it keeps big blocks
// for the next call; CWrapper.cpp). The canonicalize after
// convert-scf-to-openmp inlines the memref.alloca_scope it wraps each loop
// body in: scf-to-cf would give that scope several blocks, which it may
// not have.
static constexpr const char *kCpuLowering =
    "func.func(canonicalize),"
    "moe-cpu-tile-and-vectorize,func.func(canonicalize,cse),"
    "moe-fuse-elementwise-chains,func.func(canonicalize,cse),"
    "moe-cpu-vectorize-generics,func.func(canonicalize,cse),"
    "one-shot-bufferize{bufferize-function-boundaries allow-return-allocs-from-loops "
    "function-boundary-type-conversion=identity-layout-map},"
    "moe-cpu-plan-memory,buffer-deallocation-pipeline,convert-bufferization-to-memref,"
    "moe-cpu-strided-copies,"
    "func.func(scf-forall-to-parallel),convert-scf-to-openmp,canonicalize,"
    "func.func(convert-linalg-to-loops,convert-vector-to-scf{full-unroll}),"
    "expand-strided-metadata,lower-affine,convert-scf-to-cf,"
    "convert-math-to-funcs{convert-ctlz=false},convert-vector-to-llvm,"
    "finalize-memref-to-llvm{use-generic-functions},moe-cpu-fma-to-fmuladd,convert-math-to-llvm,convert-math-to-libm,"
    "convert-arith-to-llvm,convert-index-to-llvm,convert-cf-to-llvm,"
    "convert-func-to-llvm,convert-ub-to-llvm,convert-openmp-to-llvm,"
    "reconcile-unrealized-casts";

void moe::buildCpuLoweringPipeline(OpPassManager &pm) {
  // The string names only upstream passes, all registered by the tools.
  if (failed(parsePassPipeline(kCpuLowering, pm)))
    llvm::report_fatal_error("moe: the CPU lowering pipeline does not parse");
}

void moe::buildCpuMoeLoweringPipeline(OpPassManager &pm) {
  if (failed(parsePassPipeline("moe-fuse-sibling-matmuls,moe-lower-to-linalg{weight-tiles},canonicalize", pm)))
    llvm::report_fatal_error("moe: the CPU moe lowering does not parse");
}

void moe::registerCpuPipelines() {
  registerCpuTileAndVectorizePass();
  registerCpuVectorizeGenericsPass();
  registerCpuStridedCopiesPass();
  registerCpuFmaToFmulAddPass();
  registerCpuPlanMemoryPass();
  PassPipelineRegistration<>(
      "moe-cpu-lowering-pipeline",
      "The moe/linalg level to the LLVM dialect for the CPU: bufferization "
      "with caller-owned results, loops, and the conversions to LLVM",
      [](OpPassManager &pm) { buildCpuLoweringPipeline(pm); });
}
