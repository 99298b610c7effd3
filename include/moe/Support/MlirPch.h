//===- MlirPch.h - Precompiled MLIR headers ---------------------*- C++ -*-===//
//
// The upstream headers nearly every translation unit of the project parses.
// Precompiling them once roughly halves a cold build on two cores.
//
//===----------------------------------------------------------------------===//

#ifndef MOE_SUPPORT_MLIRPCH_H
#define MOE_SUPPORT_MLIRPCH_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/TypeSwitch.h"

#endif // MOE_SUPPORT_MLIRPCH_H
