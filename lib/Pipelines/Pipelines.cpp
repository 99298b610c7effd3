//===- Pipelines.cpp - Named pipelines of the compiler --------------------===//

#include "moe/Pipelines/Pipelines.h"

#include "moe/Conversion/OnnxToMoe/OnnxToMoe.h"
#include "moe/Passes/Moe/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void moe::buildMoeOptimizePipeline(OpPassManager &pm, bool decomposeExperts) {
  pm.addPass(createCanonicalizerPass());
  if (decomposeExperts) {
    pm.addPass(moe::createMoeDecomposeExperts());
    pm.addPass(createCanonicalizerPass());
  }
  pm.addPass(createCSEPass());
}

void moe::buildOnnxToMoePipeline(OpPassManager &pm, bool raise, bool decomposeExperts) {
  pm.addPass(moe::createMoeRefineOnnxShapes());
  if (raise) {
    pm.addPass(moe::createMoeRaiseMoe());
    pm.addPass(moe::createMoeRaiseRope());
    pm.addPass(moe::createMoeRaiseAttention());
    pm.addPass(moe::createMoeRaiseNorms());
  }
  pm.addPass(moe::createConvertOnnxToMoe());
  buildMoeOptimizePipeline(pm, decomposeExperts);
}

void moe::registerMoePipelines() {
  PassPipelineRegistration<>(
      "moe-optimize-pipeline",
      "Target-independent moe-level optimisations (canonicalize, "
      "moe-decompose-experts, cse)",
      [](OpPassManager &pm) { buildMoeOptimizePipeline(pm); });
  PassPipelineRegistration<>(
      "moe-onnx-to-moe-pipeline",
      "The onnx dialect to the moe level (moe-refine-onnx-shapes, "
      "moe-raise-moe, moe-raise-rope, "
      "moe-raise-attention, moe-raise-norms, "
      "moe-convert-onnx-to-moe, then "
      "moe-optimize-pipeline): what moe-compile --compile-to=moe runs",
      [](OpPassManager &pm) { buildOnnxToMoePipeline(pm); });
}
