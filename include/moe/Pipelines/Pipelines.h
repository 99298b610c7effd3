//===- Pipelines.h - Named pipelines of the compiler ------------*- C++ -*-===//
//
// The pipelines the driver runs, registered under the same names so that
// `moe-opt --<name>` runs exactly what the compiler runs.
//
//===----------------------------------------------------------------------===//

#ifndef MOE_PIPELINES_PIPELINES_H
#define MOE_PIPELINES_PIPELINES_H

namespace mlir {
class OpPassManager;
namespace moe {

/// Target-independent work at the moe level: canonical forms, routed experts
/// decomposed into their dropless form, and common subexpressions merged.
void buildMoeOptimizePipeline(OpPassManager &pm, bool decomposeExperts = true);

/// From the imported onnx dialect to the moe level: exported expert loops
/// raised (unless `raise` is false), every onnx.node converted, then the
/// moe-level optimisations.
void buildOnnxToMoePipeline(OpPassManager &pm, bool raise = true,
                            bool decomposeExperts = true);

/// Registers every pipeline above with the pass registry.
void registerMoePipelines();

} // namespace moe
} // namespace mlir

#endif // MOE_PIPELINES_PIPELINES_H
