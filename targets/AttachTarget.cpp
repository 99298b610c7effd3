//===- AttachTarget.cpp - Put a known target on the module ----------------===//

#include "moe/Target/KnownTargets.h"
#include "moe/Target/Passes.h"

#include "llvm/ADT/StringExtras.h"

namespace mlir::moe {
#define GEN_PASS_DEF_MOEATTACHTARGET
#include "moe/Target/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;

namespace {
struct MoeAttachTargetPass
    : moe::impl::MoeAttachTargetBase<MoeAttachTargetPass> {
  using Base::Base;

  void runOnOperation() override {
    std::optional<NamedAttribute> attr =
        moe::lookupKnownTarget(&getContext(), target);
    if (!attr) {
      getOperation().emitError()
          << "unknown target '" << target << "'; known targets: "
          << llvm::join(moe::getKnownTargetNames(), ", ");
      return signalPassFailure();
    }
    getOperation()->setAttr(attr->getName(), attr->getValue());
  }
};
} // namespace
