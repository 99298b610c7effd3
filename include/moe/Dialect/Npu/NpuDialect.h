//===- NpuDialect.h - The npu dialect ---------------------------*- C++ -*-===//

#ifndef MOE_DIALECT_NPU_NPUDIALECT_H
#define MOE_DIALECT_NPU_NPUDIALECT_H

#include "mlir/IR/Dialect.h"

#include "moe/Dialect/Npu/NpuDialect.h.inc"

#endif // MOE_DIALECT_NPU_NPUDIALECT_H
