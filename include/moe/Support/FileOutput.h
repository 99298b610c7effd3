//===- FileOutput.h - Outputs that are whole or absent ----------*- C++ -*-===//

#ifndef MOE_SUPPORT_FILEOUTPUT_H
#define MOE_SUPPORT_FILEOUTPUT_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace mlir::moe {

/// Runs `write` on a temporary file next to `path` and renames it to `path`
/// only when `write` succeeds, so a failed compile leaves no half-written
/// output. "-" writes to standard output. On failure `error` says why (empty
/// when `write` itself failed and reported its own diagnostics).
LogicalResult writeFileAtomically(StringRef path,
                                  function_ref<LogicalResult(raw_ostream &)> write,
                                  std::string &error);

} // namespace mlir::moe

#endif // MOE_SUPPORT_FILEOUTPUT_H
