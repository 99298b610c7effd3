//===- NpuRegions.cpp - The bytes an npu op touches -----------------------===//

#include "moe/Target/Npu/NpuRegions.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::npu;
namespace np = moe_npu;

static std::optional<np::DType> dtypeOf(Type type) {
  if (type.isF16())
    return np::DType::F16;
  if (type.isBF16())
    return np::DType::BF16;
  if (type.isF32())
    return np::DType::F32;
  if (type.isInteger(8))
    return np::DType::I8;
  if (type.isInteger(32))
    return np::DType::I32;
  return std::nullopt;
}

static np::Space spaceOf(MemRefType type) {
  std::optional<MemSpace> space = getMemSpace(type);
  return space ? np::Space(int(*space)) : np::Space::GM;
}

FailureOr<GmLayout> mlir::npu::layoutGlobalMemory(func::FuncOp func) {
  GmLayout layout;
  auto place = [&](Value value) -> LogicalResult {
    auto type = dyn_cast<MemRefType>(value.getType());
    if (!type || spaceOf(type) != np::Space::GM)
      return success();
    if (!type.hasStaticShape())
      return func.emitError() << "the NPU needs static shapes, got " << type;
    layout.base[value] = layout.bytes;
    int64_t bytes = type.getNumElements() * type.getElementTypeBitWidth() / 8;
    layout.bytes += (bytes + kGmAlign - 1) / kGmAlign * kGmAlign;
    return success();
  };
  for (BlockArgument arg : func.getArguments())
    if (failed(place(arg)))
      return failure();
  // Constants next (one copy per global), then intermediates.
  llvm::StringMap<int64_t> globals;
  WalkResult walk = func.walk([&](memref::GetGlobalOp get) {
    auto found = globals.find(get.getName());
    if (found != globals.end()) {
      layout.base[get.getResult()] = found->second;
      return WalkResult::advance();
    }
    if (failed(place(get.getResult())))
      return WalkResult::interrupt();
    globals[get.getName()] = layout.base[get.getResult()];
    layout.constants.push_back(get);
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  walk = func.walk([&](memref::AllocOp alloc) {
    return failed(place(alloc.getResult())) ? WalkResult::interrupt() : WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  return layout;
}

/// Bytes from the start of its space where the buffer `root` begins.
static FailureOr<int64_t> baseOf(Value root, const GmLayout &layout, Operation *user) {
  auto it = layout.base.find(root);
  if (it != layout.base.end())
    return it->second;
  if (auto alloc = root.getDefiningOp<memref::AllocOp>())
    return int64_t(0); // an on-chip alloc is the whole buffer
  if (auto view = root.getDefiningOp<memref::ViewOp>()) {
    std::optional<int64_t> shift = getConstantIntValue(view.getByteShift());
    if (!shift)
      return user->emitError("a buffer view needs a constant byte shift");
    FailureOr<int64_t> base = baseOf(view.getSource(), layout, user);
    if (failed(base))
      return failure();
    return *base + *shift;
  }
  return user->emitError() << "operand is not a view of a function argument or an "
                              "npu buffer: "
                           << root;
}

namespace {
/// A view's offset in elements: a constant, plus at most one index value
/// (known when the program runs) times a stride.
struct Offset {
  int64_t constant = 0;
  Value dynamic;
  int64_t stride = 0;
};
} // namespace

static FailureOr<Offset> offsetOf(Value memref, Operation *user) {
  auto type = cast<MemRefType>(memref.getType());
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)) ||
      llvm::any_of(strides, ShapedType::isDynamic))
    return user->emitError() << "the NPU needs static strides, got " << type;
  if (!ShapedType::isDynamic(offset))
    return Offset{offset, Value(), 0};
  if (auto transpose = memref.getDefiningOp<memref::TransposeOp>())
    return offsetOf(transpose.getIn(), user);
  auto subview = memref.getDefiningOp<memref::SubViewOp>();
  if (!subview)
    return user->emitError() << "a view at a run-time offset that is not a subview: " << type;
  FailureOr<Offset> result = offsetOf(subview.getSource(), user);
  if (failed(result))
    return failure();
  SmallVector<int64_t> sourceStrides;
  int64_t sourceOffset;
  (void)subview.getSourceType().getStridesAndOffset(sourceStrides, sourceOffset);
  for (auto [i, ofr] : llvm::enumerate(subview.getMixedOffsets())) {
    if (std::optional<int64_t> c = getConstantIntValue(ofr)) {
      result->constant += *c * sourceStrides[i];
      continue;
    }
    if (result->dynamic)
      return user->emitError("a view with two run-time offsets has no NPU region");
    result->dynamic = cast<Value>(ofr);
    result->stride = sourceStrides[i];
  }
  return result;
}

FailureOr<np::Region> mlir::npu::regionOf(Value memref, const GmLayout &layout, Operation *user,
                                          RegisterOf registers) {
  auto type = dyn_cast<MemRefType>(memref.getType());
  if (!type || !type.hasStaticShape())
    return user->emitError() << "the NPU needs static memrefs, got " << memref.getType();
  std::optional<np::DType> dtype = dtypeOf(type.getElementType());
  if (!dtype)
    return user->emitError() << "no NPU element type for " << type.getElementType();
  Value root = memref;
  while (true) {
    if (auto subview = root.getDefiningOp<memref::SubViewOp>())
      root = subview.getSource();
    else if (auto cast = root.getDefiningOp<memref::ReinterpretCastOp>())
      root = cast.getSource();
    else if (auto transpose = root.getDefiningOp<memref::TransposeOp>())
      root = transpose.getIn();
    else
      break;
  }
  FailureOr<int64_t> base = baseOf(root, layout, user);
  if (failed(base))
    return failure();
  SmallVector<int64_t> strides;
  int64_t ignored;
  (void)type.getStridesAndOffset(strides, ignored);
  FailureOr<Offset> offset = offsetOf(memref, user);
  if (failed(offset))
    return failure();
  np::Region r;
  r.space = spaceOf(type);
  r.type = *dtype;
  int64_t eb = np::byteSize(*dtype);
  r.offset = *base + offset->constant * eb;
  if (offset->dynamic) {
    auto rootType = cast<MemRefType>(root.getType());
    if (r.space != np::Space::GM || !rootType.hasStaticShape())
      return user->emitError("run-time offsets address global memory only");
    if (!registers) {
      // Without registers (sync insertion), every byte it may reach.
      r.offset = *base;
      r.shape = {rootType.getNumElements() * rootType.getElementTypeBitWidth() / 8 / eb};
      r.strides = {1};
      return r;
    }
    std::optional<int> reg = registers(offset->dynamic);
    if (!reg)
      return user->emitError("a run-time offset that no scalar register holds");
    r.reg = *reg;
    r.regScale = offset->stride * eb;
  }
  r.shape.assign(type.getShape().begin(), type.getShape().end());
  r.strides.assign(strides.begin(), strides.end());
  if (r.shape.empty()) {
    r.shape.push_back(1);
    r.strides.push_back(1);
  }
  return r;
}

/// An [R, C] matrix seen as its fractal [C/16, R/16, 16, 16].
static np::Region asFractal(const np::Region &nd) {
  np::Region r = nd;
  int64_t rows = nd.shape[0], cols = nd.shape[1], s0 = nd.strides[0], s1 = nd.strides[1];
  r.shape = {cols / 16, rows / 16, 16, 16};
  r.strides = {16 * s1, 16 * s0, s0, s1};
  return r;
}

FailureOr<np::Instr> mlir::npu::instrOf(Operation *op, const GmLayout &layout,
                                        RegisterOf registers) {
  np::Instr instr;
  if (auto when = op->getParentOfType<WhenOp>()) {
    std::optional<int> reg = registers ? registers(when.getPredicate()) : std::optional<int>(0);
    if (!reg)
      return op->emitError("a predicate that no scalar register holds");
    if (!isa<SetFlagOp, WaitFlagOp, BarrierOp>(op))
      instr.pred = *reg; // flags run whatever the predicate
  }
  auto regions = [&](ValueRange values) -> LogicalResult {
    for (Value v : values) {
      FailureOr<np::Region> r = regionOf(v, layout, op, registers);
      if (failed(r))
        return failure();
      instr.regions.push_back(*r);
    }
    return success();
  };
  if (auto dma = dyn_cast<DmaOp>(op)) {
    instr.op = np::Opcode::Dma;
    if (failed(regions({dma.getSrc(), dma.getDst()})))
      return failure();
    // A region widened to its whole tensor (a run-time offset, in sync
    // insertion) already covers every byte the fractal view would.
    if (dma.getLayout() == DmaLayout::NdToNz && instr.regions[0].shape.size() == 2)
      instr.regions[0] = asFractal(instr.regions[0]);
    else if (dma.getLayout() == DmaLayout::NzToNd && instr.regions[1].shape.size() == 2)
      instr.regions[1] = asFractal(instr.regions[1]);
    return instr;
  }
  if (auto mmad = dyn_cast<MmadOp>(op)) {
    instr.op = np::Opcode::Mmad;
    instr.accumulate = mmad.getAccumulate();
    if (failed(regions({mmad.getA(), mmad.getB(), mmad.getC()})))
      return failure();
    return instr;
  }
  auto flag = [&](auto f, np::Opcode code) {
    instr.op = code;
    instr.from = np::Pipe(int(f.getFrom()));
    instr.to = np::Pipe(int(f.getTo()));
    instr.event = f.getEvent();
    return instr;
  };
  if (auto set = dyn_cast<SetFlagOp>(op))
    return flag(set, np::Opcode::SetFlag);
  if (auto wait = dyn_cast<WaitFlagOp>(op))
    return flag(wait, np::Opcode::WaitFlag);
  if (auto load = dyn_cast<ScalarLoadOp>(op)) {
    instr.op = np::Opcode::SLd;
    std::optional<int> reg = registers ? registers(load.getResult()) : std::optional<int>(0);
    if (!reg)
      return op->emitError("no scalar register for the loaded value");
    instr.rd = *reg;
    if (failed(regions({load.getSrc()})))
      return failure();
    return instr;
  }
  if (auto barrier = dyn_cast<BarrierOp>(op)) {
    instr.op = np::Opcode::Barrier;
    instr.from = np::Pipe(int(barrier.getPipe()));
    return instr;
  }
  // Vector ops: the mnemonic after "npu." is the program's.
  StringRef name = op->getName().getStringRef();
  std::optional<np::Opcode> code =
      name.consume_front("npu.") ? np::parseOpcode(name) : std::nullopt;
  if (!code)
    return op->emitError("has no NPU instruction");
  instr.op = *code;
  SmallVector<Value> memrefs;
  for (Value operand : op->getOperands()) {
    if (isa<MemRefType>(operand.getType())) {
      memrefs.push_back(operand);
      continue;
    }
    // The scalar operand of vec.adds/muls/maxs/dup.
    Attribute value;
    if (!matchPattern(operand, m_Constant(&value)))
      return op->emitError("the NPU needs a constant scalar operand");
    if (auto f = dyn_cast<FloatAttr>(value))
      instr.scalar = f.getValueAsDouble();
    else if (auto i = dyn_cast<IntegerAttr>(value))
      instr.scalar = double(i.getInt());
  }
  if (failed(regions(memrefs)))
    return failure();
  return instr;
}

void mlir::npu::forEachAccess(const np::Instr &instr,
                              llvm::function_ref<void(const np::Region &, bool)> fn) {
  switch (instr.op) {
  case np::Opcode::SetFlag:
  case np::Opcode::WaitFlag:
  case np::Opcode::Barrier:
    return;
  case np::Opcode::SLd:
    fn(instr.regions[0], false);
    return;
  case np::Opcode::SSt:
    fn(instr.regions[0], true);
    return;
  case np::Opcode::Mmad:
    fn(instr.regions[0], false);
    fn(instr.regions[1], false);
    if (instr.accumulate)
      fn(instr.regions[2], false);
    fn(instr.regions[2], true);
    return;
  default:
    for (size_t i = 0; i + 1 < instr.regions.size(); ++i)
      fn(instr.regions[i], false);
    fn(instr.regions.back(), true);
  }
}
