//===- EmitProgram.h - An npu-level module as a program file ----*- C++ -*-===//

#ifndef MOE_TARGET_NPU_EMITPROGRAM_H
#define MOE_TARGET_NPU_EMITPROGRAM_H

#include "moe/Target/Npu/Program.h"

#include "mlir/IR/BuiltinOps.h"

namespace mlir::npu {

/// The program of the module's entry function after moe-npu-lower and
/// moe-npu-insert-sync: its arguments become the tensors (those marked
/// npu.output the outputs), its npu ops the instructions. Fails with a
/// diagnostic on anything else, or on a view outside its buffer.
FailureOr<moe_npu::Program> buildNpuProgram(ModuleOp module);

} // namespace mlir::npu

#endif // MOE_TARGET_NPU_EMITPROGRAM_H
