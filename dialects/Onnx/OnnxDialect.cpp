//===- OnnxDialect.cpp - The onnx import dialect --------------------------===//

#include "moe/Dialect/Onnx/OnnxDialect.h"
#include "moe/Dialect/Onnx/OnnxOps.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace mlir::onnx;

#include "moe/Dialect/Onnx/OnnxDialect.cpp.inc"

#define GET_OP_CLASSES
#include "moe/Dialect/Onnx/OnnxOps.cpp.inc"

void OnnxDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "moe/Dialect/Onnx/OnnxOps.cpp.inc"
      >();
}

/// ONNX op types and domains are identifiers (domains dotted ones).
static bool isIdentifier(StringRef name, bool allowDots) {
  if (name.empty() || llvm::isDigit(name.front()))
    return false;
  return llvm::all_of(name, [&](char c) {
    return llvm::isAlnum(c) || c == '_' || (allowDots && c == '.');
  });
}

LogicalResult NodeOp::verify() {
  if (!isIdentifier(getOpType(), /*allowDots=*/false))
    return emitOpError() << "op_type '" << getOpType()
                         << "' is not an identifier";
  if (!getDomain().empty() && !isIdentifier(getDomain(), /*allowDots=*/true))
    return emitOpError() << "domain '" << getDomain()
                         << "' is not a dotted identifier";
  if (getDomain() == "ai.onnx")
    return emitOpError("the default domain is spelled \"\", not \"ai.onnx\"");
  return success();
}
