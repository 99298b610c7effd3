//===- Diagnostics.h - How the tools print diagnostics ----------*- C++ -*-===//

#ifndef MOE_SUPPORT_DIAGNOSTICS_H
#define MOE_SUPPORT_DIAGNOSTICS_H

#include "mlir/IR/Diagnostics.h"

namespace mlir::moe {

/// Prints diagnostics as `file: error: message` (with `:line:col` only when
/// the location has a line), for inputs such as ONNX files that have no
/// lines; notes follow their error. Counts errors for the caller.
class ToolDiagnosticHandler {
public:
  ToolDiagnosticHandler(MLIRContext *context, raw_ostream &os);
  ~ToolDiagnosticHandler();
  unsigned getNumErrors() const { return numErrors; }

private:
  MLIRContext *context;
  DiagnosticEngine::HandlerID id;
  unsigned numErrors = 0;
};

} // namespace mlir::moe

#endif // MOE_SUPPORT_DIAGNOSTICS_H
