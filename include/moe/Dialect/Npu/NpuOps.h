//===- NpuOps.h - Attributes and ops of the npu dialect ---------*- C++ -*-===//

#ifndef MOE_DIALECT_NPU_NPUOPS_H
#define MOE_DIALECT_NPU_NPUOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "moe/Dialect/Npu/NpuDialect.h"

#include "moe/Dialect/Npu/NpuEnums.h.inc"

namespace mlir::npu::detail {
/// Every memref operand of `op` is in the unified buffer.
LogicalResult verifyInUnifiedBuffer(Operation *op);
} // namespace mlir::npu::detail

namespace mlir::OpTrait::npu {
/// The vector unit reads and writes the unified buffer only.
template <typename ConcreteType>
class InUnifiedBuffer : public TraitBase<ConcreteType, InUnifiedBuffer> {
public:
  static LogicalResult verifyTrait(Operation *op) {
    return mlir::npu::detail::verifyInUnifiedBuffer(op);
  }
};
} // namespace mlir::OpTrait::npu

#define GET_ATTRDEF_CLASSES
#include "moe/Dialect/Npu/NpuAttrs.h.inc"

#define GET_OP_CLASSES
#include "moe/Dialect/Npu/NpuOps.h.inc"

namespace mlir::npu {

/// The `npu.target` of the module around `op`, or null.
TargetAttr lookupTarget(Operation *op);

/// The NPU memory space of a memref, if it has one.
std::optional<MemSpace> getMemSpace(MemRefType type);

} // namespace mlir::npu

#endif // MOE_DIALECT_NPU_NPUOPS_H
