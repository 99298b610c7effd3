//===- MoeOps.h - Ops of the moe dialect ------------------------*- C++ -*-===//

#ifndef MOE_DIALECT_MOE_MOEOPS_H
#define MOE_DIALECT_MOE_MOEOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "moe/Dialect/Moe/MoeDialect.h"

#include "moe/Dialect/Moe/MoeEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "moe/Dialect/Moe/MoeAttrs.h.inc"

#define GET_OP_CLASSES
#include "moe/Dialect/Moe/MoeOps.h.inc"

#endif // MOE_DIALECT_MOE_MOEOPS_H
