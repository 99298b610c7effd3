//===- KnownTargets.cpp - The table behind --target -----------------------===//

#include "moe/Target/KnownTargets.h"

using namespace mlir;

SmallVector<StringRef> moe::getKnownTargetNames() {
  return npu_targets::names();
}

std::optional<NamedAttribute> moe::lookupKnownTarget(MLIRContext *context,
                                                     StringRef name) {
  return npu_targets::lookup(context, name);
}
