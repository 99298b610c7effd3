//===- InitAll.h - Register every dialect and pass of the project -*- C++ -*-===//

#ifndef MOE_INITALL_H
#define MOE_INITALL_H

namespace mlir {
class DialectRegistry;
namespace moe {

/// The project's dialects and the upstream ones its pipelines use.
void registerAllDialects(DialectRegistry &registry);

/// The project's passes and pipelines and the upstream passes they use.
void registerAllPasses();

} // namespace moe
} // namespace mlir

#endif // MOE_INITALL_H
