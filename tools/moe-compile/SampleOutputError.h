//===- SampleOutputError.h - A quantized model's error on sample inputs ---===//

#ifndef MOE_TOOLS_MOE_COMPILE_SAMPLEOUTPUTERROR_H
#define MOE_TOOLS_MOE_COMPILE_SAMPLEOUTPUTERROR_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <string>

namespace mlir::moe {

/// Appends to the quantization report `reportPath` ("-": stderr) each
/// output's error of the library `quantizedLibrary` against the float build
/// of the same model on the inputs in `sampleDir` (input_N.npy or .pb). The
/// float build is this compiler rerun with `commandLine` less its
/// quantization options and output; moe-run (next to this compiler) runs
/// both. On failure returns false with `error` set.
bool reportSampleOutputError(llvm::ArrayRef<std::string> commandLine,
                             llvm::StringRef quantizedLibrary, llvm::StringRef sampleDir,
                             llvm::StringRef reportPath, std::string &error);

} // namespace mlir::moe

#endif // MOE_TOOLS_MOE_COMPILE_SAMPLEOUTPUTERROR_H
