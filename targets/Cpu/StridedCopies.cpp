//===- StridedCopies.cpp - Copies between strided views as loops ----------===//
//
// A memref.copy between contiguous buffers becomes a memcpy; one that
// reads or writes a strided view (a concat's slice of its result, a
// slice of an input) becomes a call to the runtime's generic memrefCopy,
// which walks element by element through the descriptor (19% of the
// attention benchmark). As a linalg.copy it is lowered to loops that LLVM
// vectorises along the contiguous innermost dim.
//
//===----------------------------------------------------------------------===//

#include "moe/Target/Cpu/Cpu.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"

using namespace mlir;

/// Whether finalize-memref-to-llvm copies `type` with a memcpy.
static bool isMemcpyable(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  return memref && (memref.getLayout().isIdentity() ||
                    memref::isStaticShapeAndContiguousRowMajor(memref));
}

namespace {
struct CpuStridedCopies : PassWrapper<CpuStridedCopies, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CpuStridedCopies)
  StringRef getArgument() const override { return "moe-cpu-strided-copies"; }
  StringRef getDescription() const override {
    return "Rewrite memref.copy between strided views as linalg.copy, so it "
           "becomes vectorisable loops instead of a generic runtime call";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<linalg::LinalgDialect>();
  }
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp copy) {
      if (!isMemcpyable(copy.getSource().getType()) ||
          !isMemcpyable(copy.getTarget().getType()))
        copies.push_back(copy);
    });
    IRRewriter rewriter(&getContext());
    for (memref::CopyOp copy : copies) {
      rewriter.setInsertionPoint(copy);
      rewriter.replaceOpWithNewOp<linalg::CopyOp>(copy, copy.getSource(), copy.getTarget());
    }
  }
};
} // namespace

std::unique_ptr<Pass> moe::createCpuStridedCopiesPass() {
  return std::make_unique<CpuStridedCopies>();
}

void moe::registerCpuStridedCopiesPass() { PassRegistration<CpuStridedCopies>(); }
