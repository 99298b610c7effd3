//===- Import.h - ONNX model to the onnx dialect ----------------*- C++ -*-===//

#ifndef MOE_FRONTEND_ONNX_IMPORT_H
#define MOE_FRONTEND_ONNX_IMPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringMap.h"

namespace mlir::onnx_import {

struct ImportOptions {
  /// Dims of graph inputs pinned by the user (--shape name=dims); a -1 keeps
  /// that dim as the model declares it.
  llvm::StringMap<SmallVector<int64_t>> inputShapes;
  /// Upgrade default-domain opsets below this to it with ONNX's version
  /// converter (0: never), so conversions see fewer opset forms.
  int64_t normalizeOpsetTo = 17;
};

/// Reads the ONNX model at `path` into a module holding `func.func @main`:
/// graph inputs are its arguments, initializers constants, each node an
/// `onnx.node`, graph outputs its results. Problems are reported through the
/// context's diagnostics (naming the node and what was expected) and give a
/// null module.
OwningOpRef<ModuleOp> importOnnxFile(MLIRContext *context, StringRef path,
                                     const ImportOptions &options);

} // namespace mlir::onnx_import

#endif // MOE_FRONTEND_ONNX_IMPORT_H
