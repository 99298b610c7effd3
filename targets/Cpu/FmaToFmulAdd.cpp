//===- FmaToFmulAdd.cpp - math.fma as "fused where the CPU can" ----------===//
//
// The register tiles and the vector approximations of exp/tanh/erf/log are
// written with math.fma, which upstream lowers to llvm.intr.fma: an exact
// fused operation that a CPU without FMA units (x86-64 before Haswell,
// --cpu=generic) computes by calling libm's fmaf per lane, ~50x slower on
// the attention benchmark. llvm.intr.fmuladd lets LLVM fuse where the
// target has FMA and multiply then add where it has not. Runs just before
// convert-math-to-llvm.
//
//===----------------------------------------------------------------------===//

#include "moe/Target/Cpu/Cpu.h"

#include "mlir/Conversion/ArithCommon/AttrToLLVMConverter.h"
#include "mlir/Conversion/LLVMCommon/ConversionTarget.h"
#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Conversion/LLVMCommon/VectorPattern.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;

namespace {
using FmaToFmulAddPattern =
    VectorConvertToLLVMPattern<math::FmaOp, LLVM::FMulAddOp, arith::AttrConvertFastMathToLLVM>;

struct CpuFmaToFmulAdd : PassWrapper<CpuFmaToFmulAdd, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CpuFmaToFmulAdd)
  StringRef getArgument() const override { return "moe-cpu-fma-to-fmuladd"; }
  StringRef getDescription() const override {
    return "Lower math.fma to llvm.intr.fmuladd: fused where the target CPU "
           "has FMA, a multiply and an add where it has not";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<LLVM::LLVMDialect>();
  }
  void runOnOperation() override {
    LLVMTypeConverter converter(&getContext());
    RewritePatternSet patterns(&getContext());
    patterns.add<FmaToFmulAddPattern>(converter);
    ConversionTarget target(getContext());
    target.addIllegalOp<math::FmaOp>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    if (failed(applyPartialConversion(getOperation(), target, std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

std::unique_ptr<Pass> moe::createCpuFmaToFmulAddPass() {
  return std::make_unique<CpuFmaToFmulAdd>();
}

void moe::registerCpuFmaToFmulAddPass() { PassRegistration<CpuFmaToFmulAdd>(); }
