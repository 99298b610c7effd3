//===- NpuDialect.cpp - The npu dialect and its generated definitions -----===//

#include "moe/Dialect/Npu/NpuDialect.h"
#include "moe/Dialect/Npu/NpuOps.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/TypeUtilities.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::npu;

#include "moe/Dialect/Npu/NpuDialect.cpp.inc"
#include "moe/Dialect/Npu/NpuEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "moe/Dialect/Npu/NpuAttrs.cpp.inc"

#define GET_OP_CLASSES
#include "moe/Dialect/Npu/NpuOps.cpp.inc"

void NpuDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "moe/Dialect/Npu/NpuAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "moe/Dialect/Npu/NpuOps.cpp.inc"
      >();
}

LogicalResult NpuDialect::verifyOperationAttribute(Operation *op,
                                                   NamedAttribute attr) {
  if (attr.getName() != kTargetAttrName)
    return op->emitError() << "unknown npu attribute '" << attr.getName().getValue()
                           << "'";
  if (!isa<ModuleOp>(op))
    return op->emitError() << "'" << kTargetAttrName
                           << "' belongs on a module";
  if (!isa<TargetAttr>(attr.getValue()))
    return op->emitError() << "'" << kTargetAttrName
                           << "' must be an #npu.target";
  return success();
}

TargetAttr mlir::npu::lookupTarget(Operation *op) {
  for (; op; op = op->getParentOp())
    if (auto target = op->getAttrOfType<TargetAttr>(NpuDialect::kTargetAttrName))
      return target;
  return {};
}

std::optional<MemSpace> mlir::npu::getMemSpace(MemRefType type) {
  if (auto space = dyn_cast_or_null<MemSpaceAttr>(type.getMemorySpace()))
    return space.getValue();
  return std::nullopt;
}
