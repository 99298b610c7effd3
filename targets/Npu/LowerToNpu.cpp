//===- LowerToNpu.cpp - The entry function as npu kernels -----------------===//

#include "moe/Target/Npu/MatmulTiling.h"
#include "moe/Target/Npu/TargetDescription.h"
#include "moe/Target/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"

namespace mlir::moe {
#define GEN_PASS_DEF_MOENPULOWER
#include "moe/Target/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;
using namespace mlir::npu;
namespace np = moe_npu;

namespace {

int64_t alignTo(int64_t x, int64_t a) { return (x + a - 1) / a * a; }

/// "ONNX node 'name' " when the op came from one, for diagnostics.
std::string nodeOf(Operation *op) {
  Location loc = op->getLoc();
  while (auto fused = dyn_cast<FusedLoc>(loc))
    loc = fused.getLocations().front();
  if (auto name = dyn_cast<NameLoc>(loc))
    return "ONNX node '" + name.getName().str() + "': ";
  return "";
}

/// Typed views of the core's buffers, each buffer one i8 allocation.
class Buffers {
public:
  Buffers(OpBuilder &b, Location loc, Block *entry, TargetAttr target)
      : b(b), loc(loc), entry(entry), target(target) {}

  Value view(MemSpace space, int64_t offset, ArrayRef<int64_t> shape, Type element) {
    auto key = std::make_tuple(int(space), offset, SmallVector<int64_t>(shape), element);
    for (auto &[k, v] : cache)
      if (k == key)
        return v;
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointAfter(whole(space).getDefiningOp());
    auto attr = MemSpaceAttr::get(b.getContext(), space);
    auto type = MemRefType::get(shape, element, MemRefLayoutAttrInterface(), attr);
    Value shift = arith::ConstantIndexOp::create(b, loc, offset);
    Value v = memref::ViewOp::create(b, loc, type, whole(space), shift, ValueRange());
    cache.push_back({key, v});
    return v;
  }

private:
  Value whole(MemSpace space) {
    Value &buffer = buffers[int(space)];
    if (!buffer) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(entry);
      auto type = MemRefType::get({target.getBuffer(space).getSize()}, b.getI8Type(),
                                  MemRefLayoutAttrInterface(),
                                  MemSpaceAttr::get(b.getContext(), space));
      buffer = memref::AllocOp::create(b, loc, type);
    }
    return buffer;
  }
  OpBuilder &b;
  Location loc;
  Block *entry;
  TargetAttr target;
  std::array<Value, 6> buffers;
  SmallVector<std::pair<std::tuple<int, int64_t, SmallVector<int64_t>, Type>, Value>> cache;
};

/// C = A B for static row-major [M,K] x [K,N] in global memory.
void emitMatmul(OpBuilder &b, Location loc, Buffers &buffers, const np::MatmulTiles &t,
                Value A, Value B, Value C) {
  auto aType = cast<MemRefType>(A.getType());
  auto cType = cast<MemRefType>(C.getType());
  int64_t M = aType.getDimSize(0), K = aType.getDimSize(1), N = cType.getDimSize(1);
  Type in = aType.getElementType(), f32 = b.getF32Type();
  int64_t eb = in.getIntOrFloatBitWidth() / 8;
  // Two slots of A and of B in L1, two in L0A and L0B, one or two in L0C.
  int64_t a1 = alignTo(t.m * t.kL1 * eb, 512), b1 = alignTo(t.kL1 * t.n * eb, 512);
  int64_t a0 = alignTo(t.m * t.k * eb, 512), b0 = alignTo(t.k * t.n * eb, 512);
  int64_t c0 = alignTo(t.m * t.n * 4, 512);
  auto sub = [&](Value v, ArrayRef<int64_t> offsets, ArrayRef<int64_t> sizes) {
    SmallVector<int64_t> ones(sizes.size(), 1);
    return memref::SubViewOp::create(b, loc, v, offsets, sizes, ones).getResult();
  };
  int64_t stage = 0, step = 0, tile = 0;
  for (int64_t mi = 0; mi < M; mi += t.m) {
    int64_t mt = std::min(t.m, M - mi);
    for (int64_t ni = 0; ni < N; ni += t.n) {
      int64_t nt = std::min(t.n, N - ni);
      Value c = buffers.view(MemSpace::L0C, (tile++ % t.l0cSlots) * c0, {mt, nt}, f32);
      bool first = true;
      for (int64_t ks = 0; ks < K; ks += t.kL1) {
        int64_t kl = std::min(t.kL1, K - ks);
        int64_t s = stage++ % 2;
        Value aL1 = buffers.view(MemSpace::L1, s * a1, {kl / 16, mt / 16, 16, 16}, in);
        Value bL1 = buffers.view(MemSpace::L1, 2 * a1 + s * b1, {nt / 16, kl / 16, 16, 16}, in);
        DmaOp::create(b, loc, sub(A, {mi, ks}, {mt, kl}), aL1, DmaLayout::NdToNz);
        DmaOp::create(b, loc, sub(B, {ks, ni}, {kl, nt}), bL1, DmaLayout::NdToNz);
        for (int64_t kk0 = 0; kk0 < kl; kk0 += t.k) {
          int64_t kk = std::min(t.k, kl - kk0);
          int64_t s0 = step++ % 2;
          Value aL0 = buffers.view(MemSpace::L0A, s0 * a0, {mt, kk}, in);
          Value bL0 = buffers.view(MemSpace::L0B, s0 * b0, {kk, nt}, in);
          DmaOp::create(b, loc, sub(aL1, {kk0 / 16, 0, 0, 0}, {kk / 16, mt / 16, 16, 16}), aL0,
                        DmaLayout::NzToNd);
          DmaOp::create(b, loc, sub(bL1, {0, kk0 / 16, 0, 0}, {nt / 16, kk / 16, 16, 16}), bL0,
                        DmaLayout::NzToNd);
          MmadOp::create(b, loc, aL0, bL0, c, /*accumulate=*/!first);
          first = false;
        }
      }
      DmaOp::create(b, loc, c, sub(C, {mi, ni}, {mt, nt}), DmaLayout::None);
    }
  }
}

/// The A, B and C of a plain matmul into a zero fill, or failure.
struct MatmulParts {
  Value a, b, init;
};
FailureOr<MatmulParts> matchMatmul(linalg::LinalgOp op) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      !linalg::isaContractionOpInterface(op))
    return failure();
  MLIRContext *ctx = op->getContext();
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  auto maps = op.getIndexingMapsArray();
  SmallVector<AffineMap> want = {AffineMap::get(3, 0, {m, k}, ctx),
                                 AffineMap::get(3, 0, {k, n}, ctx),
                                 AffineMap::get(3, 0, {m, n}, ctx)};
  if (maps != want)
    return failure();
  return MatmulParts{op.getDpsInputs()[0], op.getDpsInputs()[1], op.getDpsInits()[0]};
}

bool isZeroFill(Value init) {
  auto fill = init.getDefiningOp<linalg::FillOp>();
  return fill && (matchPattern(fill.value(), m_AnyZeroFloat()) ||
                  matchPattern(fill.value(), m_Zero()));
}

struct MoeNpuLowerPass : moe::impl::MoeNpuLowerBase<MoeNpuLowerPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto target = module->getAttrOfType<TargetAttr>(NpuDialect::kTargetAttrName);
    if (!target) {
      module.emitError("moe-npu-lower needs an npu.target on the module "
                       "(moe-compile --target=npu-..., or moe-attach-target)");
      return signalPassFailure();
    }
    np::TargetDesc desc = toDescription(target);
    SmallVector<func::FuncOp> funcs;
    for (auto func : module.getOps<func::FuncOp>())
      if (!func.isExternal())
        funcs.push_back(func);
    for (func::FuncOp func : funcs)
      if (failed(lower(func, target, desc)))
        return signalPassFailure();
  }

  LogicalResult lower(func::FuncOp func, TargetAttr target, const np::TargetDesc &desc) {
    MLIRContext *ctx = func.getContext();
    auto gm = MemSpaceAttr::get(ctx, MemSpace::GM);
    auto toGm = [&](Type type, Operation *where) -> FailureOr<MemRefType> {
      auto tensor = dyn_cast<RankedTensorType>(type);
      if (!tensor || !tensor.hasStaticShape())
        return where->emitError() << "the NPU needs static tensor shapes, got " << type;
      return MemRefType::get(tensor.getShape(), tensor.getElementType(),
                             MemRefLayoutAttrInterface(), gm);
    };
    // The new signature: inputs, then one argument per result.
    SmallVector<Type> argTypes;
    for (Type t : func.getArgumentTypes()) {
      FailureOr<MemRefType> m = toGm(t, func);
      if (failed(m))
        return failure();
      argTypes.push_back(*m);
    }
    for (Type t : func.getResultTypes()) {
      FailureOr<MemRefType> m = toGm(t, func);
      if (failed(m))
        return failure();
      argTypes.push_back(*m);
    }
    OpBuilder b(func);
    auto lowered = func::FuncOp::create(b, func.getLoc(), func.getName(),
                                        b.getFunctionType(argTypes, {}));
    unsigned numInputs = func.getNumArguments();
    for (unsigned i = 0; i < numInputs; ++i)
      lowered.setArgAttrs(i, func.getArgAttrDict(i) ? func.getArgAttrDict(i).getValue()
                                                    : ArrayRef<NamedAttribute>());
    for (unsigned i = 0; i < func.getNumResults(); ++i) {
      lowered.setArgAttrs(numInputs + i, func.getResultAttrDict(i)
                                             ? func.getResultAttrDict(i).getValue()
                                             : ArrayRef<NamedAttribute>());
      lowered.setArgAttr(numInputs + i, "npu.output", b.getUnitAttr());
    }
    Block *entry = lowered.addEntryBlock();
    b.setInsertionPointToEnd(entry);
    Buffers buffers(b, func.getLoc(), entry, target);

    IRMapping map;
    for (unsigned i = 0; i < numInputs; ++i)
      map.map(func.getArgument(i), entry->getArgument(i));
    // Values the function returns are written straight into their outputs.
    auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
    for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
      if (map.contains(v) || isa<BlockArgument>(v))
        return ret.emitError("returning an input unchanged has no NPU lowering yet");
      map.map(v, entry->getArgument(numInputs + i));
    }

    for (Operation &op : func.getBody().front()) {
      if (isa<arith::ConstantOp, tensor::EmptyOp, linalg::FillOp, func::ReturnOp>(op))
        continue; // a fill is read as the zero init of the matmul using it
      auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
      FailureOr<MatmulParts> mm =
          linalgOp ? matchMatmul(linalgOp) : FailureOr<MatmulParts>(failure());
      if (failed(mm))
        return op.emitError() << nodeOf(&op) << "'" << op.getName()
                              << "' has no NPU lowering yet (the NPU target lowers "
                                 "matmuls so far)";
      if (!isZeroFill(mm->init))
        return op.emitError() << nodeOf(&op) << "the NPU lowers matmuls into a zero fill only";
      Type in = cast<ShapedType>(mm->a.getType()).getElementType();
      Type out = cast<ShapedType>(op.getResult(0).getType()).getElementType();
      CubeAttr cube = target.getCube(in);
      if (!cube || cast<ShapedType>(mm->b.getType()).getElementType() != in ||
          !cube.getAcc().isF32())
        return op.emitError() << nodeOf(&op) << "matmul of " << in << ": the cube of " << target.getName()
                              << " takes f16 or bf16 (a float model must be exported or "
                                 "converted to f16 for the NPU)";
      if (!(out.isF16() || out.isBF16() || out.isF32()))
        return op.emitError() << nodeOf(&op) << "matmul into " << out << " has no NPU lowering";
      auto aType = cast<ShapedType>(mm->a.getType());
      auto cType = cast<ShapedType>(op.getResult(0).getType());
      int64_t M = aType.getDimSize(0), K = aType.getDimSize(1), N = cType.getDimSize(1);
      if (M % 16 || N % 16 || K % 16)
        return op.emitError() << nodeOf(&op) << "matmul " << M << "x" << K << " * " << K << "x" << N
                              << ": the NPU lowering needs every dim a multiple of 16 "
                                 "(the cube's fractal) so far";
      np::TargetDesc::Cube shape = *desc.cube(in.isF16() ? "f16" : "bf16");
      std::optional<np::MatmulTiles> tiles = np::chooseMatmulTiles(
          desc, shape, M, N, K, in.getIntOrFloatBitWidth() / 8, out.getIntOrFloatBitWidth() / 8);
      if (!tiles)
        return op.emitError() << nodeOf(&op) << "no matmul tile fits the buffers of " << target.getName();
      Value result = op.getResult(0);
      if (!map.contains(result)) {
        FailureOr<MemRefType> type = toGm(result.getType(), &op);
        if (failed(type))
          return failure();
        map.map(result, memref::AllocOp::create(b, op.getLoc(), *type).getResult());
      }
      for (Value operand : {mm->a, mm->b})
        if (!map.contains(operand))
          return op.emitError() << nodeOf(&op)
                                << "an operand of this matmul has no NPU form (only inputs "
                                   "and earlier matmuls so far)";
      emitMatmul(b, op.getLoc(), buffers, *tiles, map.lookup(mm->a), map.lookup(mm->b),
                 map.lookup(result));
    }
    func::ReturnOp::create(b, func.getLoc());
    lowered.setVisibility(func.getVisibility());
    func.erase();
    return success();
  }
};
} // namespace
