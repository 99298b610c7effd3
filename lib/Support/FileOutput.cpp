//===- FileOutput.cpp - Outputs that are whole or absent ------------------===//

#include "moe/Support/FileOutput.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/FileSystem.h"

using namespace mlir;

LogicalResult
moe::writeFileAtomically(StringRef path,
                         function_ref<LogicalResult(raw_ostream &)> write,
                         std::string &error) {
  if (path == "-") {
    LogicalResult result = write(llvm::outs());
    llvm::outs().flush();
    return result;
  }
  llvm::Expected<llvm::sys::fs::TempFile> temp =
      llvm::sys::fs::TempFile::create(path + ".tmp-%%%%%%");
  if (!temp) {
    error = "cannot create a file next to '" + path.str() +
            "': " + llvm::toString(temp.takeError());
    return failure();
  }
  LogicalResult result = success();
  {
    llvm::raw_fd_ostream os(temp->FD, /*shouldClose=*/false);
    result = write(os);
    os.flush();
    if (succeeded(result) && os.has_error()) {
      error = "cannot write '" + path.str() + "': " + os.error().message();
      os.clear_error();
      result = failure();
    }
  }
  if (failed(result)) {
    llvm::consumeError(temp->discard());
    return failure();
  }
  if (llvm::Error e = temp->keep(path)) {
    error = "cannot rename the output to '" + path.str() +
            "': " + llvm::toString(std::move(e));
    return failure();
  }
  return success();
}
