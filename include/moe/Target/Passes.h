//===- Passes.h - Passes about targets --------------------------*- C++ -*-===//

#ifndef MOE_TARGET_PASSES_H
#define MOE_TARGET_PASSES_H

#include "moe/Dialect/Npu/NpuDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::moe {

#define GEN_PASS_DECL
#include "moe/Target/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "moe/Target/Passes.h.inc"

} // namespace mlir::moe

#endif // MOE_TARGET_PASSES_H
