//===- Pipelines.cpp - Named pipelines of the compiler --------------------===//

#include "moe/Pipelines/Pipelines.h"

#include "moe/Passes/Moe/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void moe::buildMoeOptimizePipeline(OpPassManager &pm) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(moe::createMoeDecomposeExperts());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void moe::registerMoePipelines() {
  PassPipelineRegistration<>(
      "moe-optimize-pipeline",
      "Target-independent moe-level optimisations (canonicalize, "
      "moe-decompose-experts, cse)",
      [](OpPassManager &pm) { buildMoeOptimizePipeline(pm); });
}
