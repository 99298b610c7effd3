//===- AttachTarget.cpp - Put a known target on the module ----------------===//

#include "moe/Target/KnownTargets.h"
#include "moe/Target/Npu/TargetDescription.h"
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
    if (StringRef(target).ends_with(".json")) {
      std::string error;
      npu::TargetAttr attr = npu::loadTargetFile(&getContext(), target, error);
      if (!attr) {
        getOperation().emitError() << "target description " << error;
        return signalPassFailure();
      }
      getOperation()->setAttr(npu::NpuDialect::kTargetAttrName, attr);
      return;
    }
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
