//===- NpuRegions.h - The bytes an npu op touches ---------------*- C++ -*-===//
//
// Sync insertion and program emission both need each npu op as the
// instruction it becomes: its pipe and the strided regions of the buffers
// it reads and writes. Global memory holds the entry function's arguments
// in order, then its global-memory allocations.
//
//===----------------------------------------------------------------------===//

#ifndef MOE_TARGET_NPU_NPUREGIONS_H
#define MOE_TARGET_NPU_NPUREGIONS_H

#include "moe/Dialect/Npu/NpuOps.h"
#include "moe/Target/Npu/Program.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::npu {

/// Alignment of each tensor in global memory.
constexpr int64_t kGmAlign = 512;

struct GmLayout {
  /// Arguments, constants (memref.get_global) and gm allocations.
  llvm::DenseMap<Value, int64_t> base;
  /// One get_global per constant placed, in address order.
  SmallVector<Operation *> constants;
  int64_t bytes = 0;
};

/// Places the function's global-memory arguments and allocations.
FailureOr<GmLayout> layoutGlobalMemory(func::FuncOp func);

/// The scalar register an index value is in, when the program is emitted.
/// Without one (sync insertion), a region at a run-time offset stands for
/// every byte of the global-memory tensor it may reach.
using RegisterOf = llvm::function_ref<std::optional<int>(Value)>;

/// The region `memref` denotes; fails (with a diagnostic on `user`) when it
/// is not a view of an argument or buffer with static strides (and at most
/// one run-time offset, into global memory).
FailureOr<moe_npu::Region> regionOf(Value memref, const GmLayout &layout, Operation *user,
                                    RegisterOf registers = nullptr);

/// The instruction an npu op is (ops in an npu.when predicated by its
/// register); fails with a diagnostic.
FailureOr<moe_npu::Instr> instrOf(Operation *op, const GmLayout &layout,
                                  RegisterOf registers = nullptr);

/// Each region the instruction reads (write = false) or writes.
void forEachAccess(const moe_npu::Instr &instr,
                   llvm::function_ref<void(const moe_npu::Region &, bool)> fn);

} // namespace mlir::npu

#endif // MOE_TARGET_NPU_NPUREGIONS_H
