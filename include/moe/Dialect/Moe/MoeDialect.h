//===- MoeDialect.h - The moe dialect ---------------------------*- C++ -*-===//

#ifndef MOE_DIALECT_MOE_MOEDIALECT_H
#define MOE_DIALECT_MOE_MOEDIALECT_H

#include "mlir/IR/Dialect.h"

#include "moe/Dialect/Moe/MoeDialect.h.inc"

#endif // MOE_DIALECT_MOE_MOEDIALECT_H
