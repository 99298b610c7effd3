//===- OnnxDialect.h - The onnx import dialect ------------------*- C++ -*-===//

#ifndef MOE_DIALECT_ONNX_ONNXDIALECT_H
#define MOE_DIALECT_ONNX_ONNXDIALECT_H

#include "mlir/IR/Dialect.h"

#include "moe/Dialect/Onnx/OnnxDialect.h.inc"

#endif // MOE_DIALECT_ONNX_ONNXDIALECT_H
