//===- KnownTargets.cpp - The table behind --target -----------------------===//

#include "moe/Target/KnownTargets.h"

using namespace mlir;

SmallVector<StringRef> moe::getKnownTargetNames() {
  SmallVector<StringRef> names = cuda_targets::names();
  llvm::append_range(names, npu_targets::names());
  return names;
}

std::optional<NamedAttribute> moe::lookupKnownTarget(MLIRContext *context,
                                                     StringRef name) {
  if (auto cuda = cuda_targets::lookup(context, name))
    return cuda;
  return npu_targets::lookup(context, name);
}
