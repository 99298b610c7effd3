//===- NpuOps.cpp - Verifiers of the npu ops ------------------------------===//

#include "moe/Dialect/Npu/NpuOps.h"
#include "moe/Target/Npu/Program.h"

using namespace mlir;
using namespace mlir::npu;

static_assert(int(MemSpace::GM) == int(moe_npu::Space::GM) &&
                  int(MemSpace::UB) == int(moe_npu::Space::UB) &&
                  int(Pipe::Scalar) == int(moe_npu::Pipe::Scalar) &&
                  int(Pipe::Fixpipe) == int(moe_npu::Pipe::Fixpipe) &&
                  int(Pipe::All) == int(moe_npu::Pipe::All),
              "the dialect's enums and the program format's agree");

/// The pipe that moves data from `src` to `dst`, if the core has that path:
/// the program format's rule (the enums agree value for value).
static std::optional<Pipe> dmaPipe(MemSpace src, MemSpace dst) {
  std::optional<moe_npu::Pipe> pipe =
      moe_npu::dmaPipe(moe_npu::Space(int(src)), moe_npu::Space(int(dst)));
  return pipe ? std::optional<Pipe>(Pipe(int(*pipe))) : std::nullopt;
}

Pipe DmaOp::getPipe() {
  return *dmaPipe(*getMemSpace(cast<MemRefType>(getSrc().getType())),
                  *getMemSpace(cast<MemRefType>(getDst().getType())));
}

LogicalResult DmaOp::verify() {
  auto srcType = cast<MemRefType>(getSrc().getType());
  auto dstType = cast<MemRefType>(getDst().getType());
  std::optional<MemSpace> src = getMemSpace(srcType);
  std::optional<MemSpace> dst = getMemSpace(dstType);
  if (!src || !dst)
    return emitOpError("source and destination need #npu.mem memory spaces");
  if (!dmaPipe(*src, *dst))
    return emitOpError() << "no DMA path from " << stringifyMemSpace(*src)
                         << " to " << stringifyMemSpace(*dst);
  if (srcType.getElementType() != dstType.getElementType() &&
      *src != MemSpace::L0C)
    return emitOpError("only the fixpipe (from l0c) converts element types");
  switch (getLayout()) {
  case DmaLayout::None:
    if (srcType.getShape() != dstType.getShape())
      return emitOpError("a copy without layout change keeps the shape");
    return success();
  case DmaLayout::NdToNz:
    if (srcType.getRank() != 2 || dstType.getRank() != 4)
      return emitOpError("nd_to_nz takes a 2-d source to a 4-d fractal");
    break;
  case DmaLayout::NzToNd:
    if (srcType.getRank() != 4 || dstType.getRank() != 2)
      return emitOpError("nz_to_nd takes a 4-d fractal to a 2-d result");
    break;
  }
  if (srcType.hasStaticShape() && dstType.hasStaticShape() &&
      srcType.getNumElements() != dstType.getNumElements())
    return emitOpError("a layout change keeps the number of elements");
  // The fractal of an [R, C] matrix is [C/16, R/16, 16, 16].
  MemRefType nd = getLayout() == DmaLayout::NdToNz ? srcType : dstType;
  MemRefType nz = getLayout() == DmaLayout::NdToNz ? dstType : srcType;
  if (nd.hasStaticShape() && nz.hasStaticShape() &&
      (nz.getDimSize(2) != 16 || nz.getDimSize(3) != 16 ||
       nz.getDimSize(0) * 16 != nd.getDimSize(1) || nz.getDimSize(1) * 16 != nd.getDimSize(0)))
    return emitOpError() << "the fractal of a " << nd.getDimSize(0) << "x" << nd.getDimSize(1)
                         << " matrix is " << nd.getDimSize(1) / 16 << "x"
                         << nd.getDimSize(0) / 16 << "x16x16";
  return success();
}

LogicalResult MmadOp::verify() {
  auto a = cast<MemRefType>(getA().getType());
  auto b = cast<MemRefType>(getB().getType());
  auto c = cast<MemRefType>(getC().getType());
  if (getMemSpace(a) != MemSpace::L0A || getMemSpace(b) != MemSpace::L0B ||
      getMemSpace(c) != MemSpace::L0C)
    return emitOpError("operands must be in l0a, l0b and l0c");
  if (a.getRank() != 2 || b.getRank() != 2 || c.getRank() != 2)
    return emitOpError("operands must be 2-d");
  auto compatible = [](int64_t x, int64_t y) {
    return ShapedType::isDynamic(x) || ShapedType::isDynamic(y) || x == y;
  };
  if (!compatible(a.getDimSize(1), b.getDimSize(0)) ||
      !compatible(a.getDimSize(0), c.getDimSize(0)) ||
      !compatible(b.getDimSize(1), c.getDimSize(1)))
    return emitOpError() << "shapes " << a.getShape() << " x " << b.getShape()
                         << " -> " << c.getShape() << " do not chain";
  Type in = a.getElementType(), acc = c.getElementType();
  if (b.getElementType() != in)
    return emitOpError("a and b must have one element type");
  bool floatPair = (in.isF16() || in.isBF16()) && acc.isF32();
  bool intPair = (in.isInteger(8) || in.isInteger(4)) && acc.isInteger(32);
  if (!floatPair && !intPair)
    return emitOpError() << "the cube takes f16/bf16 into f32 or i8/i4 into "
                            "i32, not "
                         << in << " into " << acc;
  if (TargetAttr target = lookupTarget(*this)) {
    CubeAttr cube = target.getCube(in);
    if (!cube || cube.getAcc() != acc)
      return emitOpError() << "target '" << target.getName()
                           << "' has no cube for " << in << " into " << acc;
  }
  return success();
}

LogicalResult mlir::npu::detail::verifyInUnifiedBuffer(Operation *op) {
  for (Value operand : op->getOperands())
    if (auto type = dyn_cast<MemRefType>(operand.getType());
        type && getMemSpace(type) != MemSpace::UB)
      return op->emitOpError() << "vector operands must be in ub, got "
                               << type;
  return success();
}

static LogicalResult verifyScalar(Operation *op, Type scalar, Value buffer) {
  Type element = cast<MemRefType>(buffer.getType()).getElementType();
  if (scalar != element)
    return op->emitOpError() << "scalar " << scalar
                             << " must have the buffer's element type "
                             << element;
  return success();
}

LogicalResult VecAddsOp::verify() {
  return verifyScalar(*this, getScalar().getType(), getDst());
}
LogicalResult VecMulsOp::verify() {
  return verifyScalar(*this, getScalar().getType(), getDst());
}
LogicalResult VecMaxsOp::verify() {
  return verifyScalar(*this, getScalar().getType(), getDst());
}
LogicalResult VecDupOp::verify() {
  return verifyScalar(*this, getScalar().getType(), getDst());
}

static LogicalResult verifyReduce(Operation *op, Value srcValue,
                                  Value dstValue) {
  auto src = cast<MemRefType>(srcValue.getType());
  auto dst = cast<MemRefType>(dstValue.getType());
  SmallVector<int64_t> expected(src.getShape());
  if (!expected.empty())
    expected.back() = 1;
  if (src.getRank() == 0 || dst.getShape() != ArrayRef<int64_t>(expected) ||
      src.getElementType() != dst.getElementType())
    return op->emitOpError() << "reduces the last dim: " << dst
                             << " must be " << src
                             << " with the last dim 1";
  return success();
}

LogicalResult VecReduceSumOp::verify() {
  return verifyReduce(*this, getSrc(), getDst());
}
LogicalResult VecReduceMaxOp::verify() {
  return verifyReduce(*this, getSrc(), getDst());
}

LogicalResult VecCastOp::verify() {
  auto src = cast<MemRefType>(getSrc().getType());
  auto dst = cast<MemRefType>(getDst().getType());
  if (src.getShape() != dst.getShape())
    return emitOpError("a cast keeps the shape");
  return success();
}

static LogicalResult verifyFlag(Operation *op, Pipe from, Pipe to,
                                uint64_t event) {
  if (from == Pipe::All || to == Pipe::All)
    return op->emitOpError("flags connect two pipes, not 'all'");
  if (from == to)
    return op->emitOpError("a flag within one pipe is a barrier");
  TargetAttr target = lookupTarget(op);
  int64_t events = target ? target.getEventIds() : 8;
  if (static_cast<int64_t>(event) >= events)
    return op->emitOpError() << "event " << event << " is beyond the "
                             << events << " event ids of the target";
  return success();
}

LogicalResult ScalarLoadOp::verify() {
  auto type = cast<MemRefType>(getSrc().getType());
  std::optional<MemSpace> space = getMemSpace(type);
  if (!type.hasStaticShape() || type.getNumElements() != 1)
    return emitOpError("reads one element");
  if (space && *space != MemSpace::GM && *space != MemSpace::UB)
    return emitOpError("reads global memory or the unified buffer");
  return success();
}

LogicalResult SetFlagOp::verify() {
  return verifyFlag(*this, getFrom(), getTo(), getEvent());
}
LogicalResult WaitFlagOp::verify() {
  return verifyFlag(*this, getFrom(), getTo(), getEvent());
}
