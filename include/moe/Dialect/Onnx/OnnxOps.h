//===- OnnxOps.h - Ops of the onnx import dialect ---------------*- C++ -*-===//

#ifndef MOE_DIALECT_ONNX_ONNXOPS_H
#define MOE_DIALECT_ONNX_ONNXOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "moe/Dialect/Onnx/OnnxDialect.h"

#define GET_OP_CLASSES
#include "moe/Dialect/Onnx/OnnxOps.h.inc"

#endif // MOE_DIALECT_ONNX_ONNXOPS_H
