//===- EmitProgram.cpp - An npu-level module as a program file ------------===//

#include "moe/Target/Npu/EmitProgram.h"
#include "moe/Target/Npu/Hazards.h"
#include "moe/Target/Npu/NpuRegions.h"
#include "moe/Target/Npu/TargetDescription.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "moe/Support/ConstantBytes.h"

using namespace mlir;
using namespace mlir::npu;
namespace np = moe_npu;

FailureOr<np::Program> mlir::npu::buildNpuProgram(ModuleOp module) {
  auto target = module->getAttrOfType<TargetAttr>(NpuDialect::kTargetAttrName);
  if (!target)
    return module.emitError("an NPU program needs npu.target on the module");
  func::FuncOp entry;
  for (auto func : module.getOps<func::FuncOp>())
    if (!func.isExternal()) {
      if (entry)
        return func.emitError("an NPU program has one function so far");
      entry = func;
    }
  if (!entry)
    return module.emitError("no function to emit");
  FailureOr<GmLayout> layout = layoutGlobalMemory(entry);
  if (failed(layout))
    return failure();

  np::Program program;
  program.target = toDescription(target);
  program.gmBytes = layout->bytes;
  for (BlockArgument arg : entry.getArguments()) {
    auto type = dyn_cast<MemRefType>(arg.getType());
    FailureOr<np::Region> region = regionOf(arg, *layout, entry);
    if (!type || failed(region))
      return entry.emitError() << "argument " << arg.getArgNumber()
                               << " is not a global-memory tensor";
    np::Tensor t;
    t.kind = entry.getArgAttr(arg.getArgNumber(), "npu.output") ? np::Tensor::Output
                                                                : np::Tensor::Input;
    auto name = entry.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "onnx.name");
    t.name = name ? name.str() : "arg" + std::to_string(arg.getArgNumber());
    t.type = region->type;
    t.shape.assign(type.getShape().begin(), type.getShape().end());
    t.offset = region->offset;
    program.tensors.push_back(t);
  }

  // Constants: their bytes are global memory's initial contents.
  for (Operation *op : layout->constants) {
    auto get = cast<memref::GetGlobalOp>(op);
    auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(get, get.getNameAttr());
    std::optional<std::vector<char>> bytes =
        global && global.getInitialValue() ? moe::attributeRawBytes(*global.getInitialValue())
                                           : std::nullopt;
    if (!bytes)
      return get.emitError("a constant without readable contents");
    int64_t offset = layout->base.lookup(get.getResult());
    if (program.data.empty())
      program.dataOffset = offset;
    program.data.resize(offset - program.dataOffset, 0);
    program.data.insert(program.data.end(), bytes->begin(), bytes->end());
    np::Tensor t;
    t.kind = np::Tensor::Constant;
    t.name = get.getName().str();
    FailureOr<np::Region> region = regionOf(get.getResult(), *layout, get);
    if (failed(region))
      return failure();
    t.type = region->type;
    t.shape.assign(get.getType().getShape().begin(), get.getType().getShape().end());
    t.offset = offset;
    program.tensors.push_back(t);
  }

  np::TargetDesc &desc = program.target;
  WalkResult walk = entry.walk([&](Operation *op) {
    if (isa<func::FuncOp, func::ReturnOp, arith::ConstantOp, memref::AllocOp, memref::ViewOp,
            memref::SubViewOp, memref::ReinterpretCastOp, memref::GetGlobalOp,
            memref::TransposeOp>(op))
      return WalkResult::advance();
    if (!isa<NpuDialect>(op->getDialect())) {
      op->emitError("has no place in an NPU program: lower it first (moe-npu-lower)");
      return WalkResult::interrupt();
    }
    FailureOr<np::Instr> instr = instrOf(op, *layout);
    if (failed(instr))
      return WalkResult::interrupt();
    for (const np::Region &r : instr->regions) {
      int64_t size = r.space == np::Space::GM ? program.gmBytes
                                              : desc.buffers[int(r.space)].size;
      if (r.offset + np::extentOf(r) > size) {
        op->emitError() << "touches " << np::name(r.space) << " bytes " << r.offset << " to "
                        << r.offset + np::extentOf(r) << ", past the " << size
                        << " bytes of " << desc.name;
        return WalkResult::interrupt();
      }
    }
    program.code.push_back(std::move(*instr));
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  return program;
}
