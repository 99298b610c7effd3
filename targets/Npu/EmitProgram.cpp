//===- EmitProgram.cpp - An npu-level module as a program file ------------===//

#include "moe/Target/Npu/EmitProgram.h"
#include "moe/Target/Npu/Hazards.h"
#include "moe/Target/Npu/NpuRegions.h"
#include "moe/Target/Npu/TargetDescription.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
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

  // Index values (run-time rows and counts) live in scalar registers from
  // their definition to their last use: by an instruction whose view they
  // offset, a predicated instruction, or scalar arithmetic.
  DenseMap<Operation *, int64_t> position;
  entry.walk([&](Operation *op) { position[op] = int64_t(position.size()); });
  DenseMap<Value, int64_t> lastUse;
  auto use = [&](Value v, Operation *at) {
    if (v.getType().isIndex() && !getConstantIntValue(v))
      lastUse[v] = std::max(lastUse.lookup(v), position[at]);
  };
  entry.walk([&](Operation *op) {
    if (auto when = dyn_cast<WhenOp>(op))
      return use(when.getPredicate(), op);
    if (isa<arith::AddIOp, arith::SubIOp, arith::MulIOp>(op))
      for (Value v : op->getOperands())
        use(v, op);
    if (!isa<NpuDialect>(op->getDialect()))
      return;
    for (Value operand : op->getOperands()) {
      SmallVector<Value> chain = {operand};
      while (!chain.empty()) {
        Operation *def = chain.pop_back_val().getDefiningOp();
        if (!isa_and_nonnull<memref::SubViewOp, memref::TransposeOp, memref::ViewOp,
                             memref::ReinterpretCastOp>(def))
          continue;
        chain.push_back(def->getOperand(0));
        for (Value v : def->getOperands().drop_front())
          use(v, op);
      }
    }
  });
  DenseMap<Value, int> regOf;
  std::array<bool, np::kNumRegisters> busy{};
  auto registers = [&](Value v) -> std::optional<int> {
    auto it = regOf.find(v);
    return it == regOf.end() ? std::nullopt : std::optional<int>(it->second);
  };
  auto allocate = [&](Value v) -> std::optional<int> {
    for (int r = 0; r < np::kNumRegisters; ++r)
      if (!busy[r]) {
        busy[r] = true;
        regOf[v] = r;
        return r;
      }
    return std::nullopt;
  };
  auto release = [&](int64_t at) {
    SmallVector<Value> dead;
    for (auto [v, r] : regOf)
      if (lastUse.lookup(v) <= at)
        dead.push_back(v);
    for (Value v : dead) {
      busy[regOf[v]] = false;
      regOf.erase(v);
    }
  };
  // Index arithmetic as scalar instructions (immediates where an operand is
  // a constant).
  auto scalarOp = [&](Operation *op) -> LogicalResult {
    std::optional<int> rd = allocate(op->getResult(0));
    if (!rd)
      return op->emitError() << "more than " << np::kNumRegisters
                             << " run-time values live at once";
    Value lhs = op->getOperand(0), rhs = op->getOperand(1);
    std::optional<int64_t> cl = getConstantIntValue(lhs), cr = getConstantIntValue(rhs);
    std::optional<int> rl = registers(lhs), rr = registers(rhs);
    auto emit = [&](np::Opcode code, int rs1, int rs2, int64_t imm) {
      np::Instr in;
      in.op = code;
      in.rd = *rd;
      in.rs1 = rs1;
      in.rs2 = rs2;
      in.imm = imm;
      program.code.push_back(in);
    };
    bool add = isa<arith::AddIOp>(op), mul = isa<arith::MulIOp>(op);
    if ((add || mul) && cl && rr)
      std::swap(cl, cr), std::swap(rl, rr);
    if (rl && cr) {
      int64_t imm = isa<arith::SubIOp>(op) ? -*cr : *cr;
      emit(mul ? np::Opcode::SMuli : np::Opcode::SAddi, *rl, -1, imm);
      return success();
    }
    if (rl && rr && !mul) {
      if (add) {
        emit(np::Opcode::SAdd, *rl, *rr, 0);
      } else {
        emit(np::Opcode::SMuli, *rr, -1, -1);
        emit(np::Opcode::SAdd, *rl, *rd, 0);
      }
      return success();
    }
    if (cl && rr && !add && !mul) {
      emit(np::Opcode::SMuli, *rr, -1, -1);
      emit(np::Opcode::SAddi, *rd, -1, *cl);
      return success();
    }
    return op->emitError("index arithmetic the scalar unit has no instruction for");
  };

  np::TargetDesc &desc = program.target;
  WalkResult walk = entry.walk([&](Operation *op) {
    int64_t at = position[op];
    auto done = [&] {
      release(at);
      return WalkResult::advance();
    };
    if (isa<func::FuncOp, func::ReturnOp, arith::ConstantOp, memref::AllocOp, memref::ViewOp,
            memref::SubViewOp, memref::ReinterpretCastOp, memref::GetGlobalOp, memref::TransposeOp,
            WhenOp>(op))
      return done();
    if (isa<arith::AddIOp, arith::SubIOp, arith::MulIOp>(op) &&
        op->getResult(0).getType().isIndex()) {
      if (failed(scalarOp(op)))
        return WalkResult::interrupt();
      return done();
    }
    if (!isa<NpuDialect>(op->getDialect())) {
      op->emitError("has no place in an NPU program: lower it first (moe-npu-lower)");
      return WalkResult::interrupt();
    }
    if (auto load = dyn_cast<ScalarLoadOp>(op))
      if (!allocate(load.getResult())) {
        op->emitError() << "more than " << np::kNumRegisters << " run-time values live at once";
        return WalkResult::interrupt();
      }
    FailureOr<np::Instr> instr = instrOf(op, *layout, registers);
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
    return done();
  });
  if (walk.wasInterrupted())
    return failure();
  return program;
}
