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

#include "mlir/Pass/Pass.h"
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
// not have. eliminate-empty-tensors lets a product whose result starts
// empty (an expert's rows, inserted into the grouped result) be computed
// where it is inserted, instead of in a buffer of its own copied there.
static constexpr const char *kCpuLowering =
    "moe-cpu-reshapes-as-views,func.func(canonicalize),"
    "moe-cpu-tile-and-vectorize,func.func(canonicalize,cse),"
    "moe-fuse-elementwise-chains{through-concats},func.func(canonicalize,cse),"
    "moe-cpu-vectorize-generics,func.func(canonicalize,cse),eliminate-empty-tensors,"
    "one-shot-bufferize{bufferize-function-boundaries allow-return-allocs-from-loops "
    "function-boundary-type-conversion=identity-layout-map},"
    "moe-cpu-plan-memory,buffer-deallocation-pipeline,convert-bufferization-to-memref,"
    "moe-cpu-strided-copies,moe-cpu-prefetch-panels,"
    "func.func(scf-forall-to-parallel),convert-scf-to-openmp,canonicalize,"
    "func.func(convert-linalg-to-loops,convert-vector-to-scf{full-unroll}),"
    "expand-strided-metadata,lower-affine,convert-scf-to-cf,"
    "convert-math-to-funcs{convert-ctlz=false},"
    "convert-vector-to-llvm{vector-transpose-lowering=shuffle16x16},"
    "finalize-memref-to-llvm{use-generic-functions},moe-cpu-fma-to-fmuladd,convert-math-to-llvm,"
    "convert-math-to-libm,"
    "convert-arith-to-llvm,convert-index-to-llvm,convert-cf-to-llvm,"
    "convert-func-to-llvm,convert-ub-to-llvm,convert-openmp-to-llvm,"
    "reconcile-unrealized-casts";

void moe::buildCpuLoweringPipeline(OpPassManager &pm, const CpuLoweringOptions &options) {
  // Before the matmul tiler, which would take the i32 (and, with bf16
  // matmuls, the f32) matmuls as its own.
  pm.addPass(createCpuInt8DotPass());
  if (options.bf16Matmuls)
    pm.addPass(createCpuBf16DotPass());
  std::string pipeline = kCpuLowering;
  // Their dot products after bufferization, which refuses the intrinsic
  // calls (their memory effects are unknown to it), before the vector ops
  // are unrolled.
  std::string after = "moe-cpu-strided-copies,";
  std::string dots =
      options.vnni ? "moe-cpu-int8-dot-products{vnni}," : "moe-cpu-int8-dot-products,";
  if (options.bf16Matmuls)
    dots += options.avx512bf16 ? "moe-cpu-bf16-dot-products{avx512bf16},"
                               : "moe-cpu-bf16-dot-products,";
  pipeline.insert(pipeline.find(after) + after.size(), dots);
  if (failed(parsePassPipeline(pipeline, pm)))
    llvm::report_fatal_error("moe: the CPU lowering pipeline does not parse");
}

void moe::buildCpuMoeLoweringPipeline(OpPassManager &pm, bool int8Activations) {
  std::string pipeline = "moe-fuse-sibling-matmuls,moe-lower-to-linalg{weight-tiles";
  pipeline += int8Activations ? " int8-activations}" : "}";
  if (failed(parsePassPipeline(pipeline + ",canonicalize", pm)))
    llvm::report_fatal_error("moe: the CPU moe lowering does not parse");
}

void moe::registerCpuPipelines() {
  registerCpuTileAndVectorizePass();
  registerCpuInt8DotPass();
  registerCpuInt8DotProductsPass();
  registerCpuBf16DotPass();
  registerCpuBf16DotProductsPass();
  registerCpuVectorizeGenericsPass();
  registerCpuStridedCopiesPass();
  registerCpuFmaToFmulAddPass();
  registerCpuPrefetchPanelsPass();
  registerCpuReshapesAsViewsPass();
  registerCpuPlanMemoryPass();
  PassPipelineRegistration<>(
      "moe-cpu-lowering-pipeline",
      "The moe/linalg level to the LLVM dialect for the CPU: bufferization "
      "with caller-owned results, loops, and the conversions to LLVM (int8 "
      "matmuls in portable vector ops; moe-compile picks VNNI by the CPU)",
      [](OpPassManager &pm) { buildCpuLoweringPipeline(pm); });
}
