//===- Diagnostics.cpp - How the tools print diagnostics ------------------===//

#include "moe/Support/Diagnostics.h"

#include "mlir/IR/Location.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

/// The innermost file location under names and call sites.
static std::optional<FileLineColLoc> fileOf(Location loc) {
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    return file;
  if (auto name = dyn_cast<NameLoc>(loc))
    return fileOf(name.getChildLoc());
  if (auto call = dyn_cast<CallSiteLoc>(loc))
    return fileOf(call.getCallee());
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : fused.getLocations())
      if (auto file = fileOf(inner))
        return file;
  return std::nullopt;
}

static void print(raw_ostream &os, Diagnostic &diag) {
  if (std::optional<FileLineColLoc> file = fileOf(diag.getLocation())) {
    os << file->getFilename().getValue();
    if (file->getLine() != 0)
      os << ":" << file->getLine() << ":" << file->getColumn();
    os << ": ";
  }
  switch (diag.getSeverity()) {
  case DiagnosticSeverity::Error:
    os << "error: ";
    break;
  case DiagnosticSeverity::Warning:
    os << "warning: ";
    break;
  case DiagnosticSeverity::Note:
    os << "note: ";
    break;
  case DiagnosticSeverity::Remark:
    os << "remark: ";
    break;
  }
  os << diag << "\n";
  for (Diagnostic &note : diag.getNotes())
    print(os, note);
}

moe::ToolDiagnosticHandler::ToolDiagnosticHandler(MLIRContext *context,
                                                  raw_ostream &os)
    : context(context) {
  id = context->getDiagEngine().registerHandler([this, &os](Diagnostic &diag) {
    if (diag.getSeverity() == DiagnosticSeverity::Error)
      ++numErrors;
    print(os, diag);
    os.flush();
    return success();
  });
}

moe::ToolDiagnosticHandler::~ToolDiagnosticHandler() {
  context->getDiagEngine().eraseHandler(id);
}
