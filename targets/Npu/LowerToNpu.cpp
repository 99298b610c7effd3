//===- LowerToNpu.cpp - The entry function as npu kernels -----------------===//

#include "NpuKernels.h"
#include "moe/Dialect/Moe/MoeOps.h"
#include "moe/Passes/Moe/Passes.h"
#include "moe/Target/Npu/MatmulTiling.h"
#include "moe/Target/Npu/TargetDescription.h"
#include "moe/Target/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/SymbolTable.h"

#include <cmath>
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::moe {
#define GEN_PASS_DEF_MOENPULOWER
#include "moe/Target/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;
using namespace mlir::npu;
namespace np = moe_npu;

namespace {

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
    // The moe ops without NPU kernels of their own (norms, quantization
    // ops) as linalg first; attention keeps its op for the NPU's kernel.
    RewritePatternSet patterns(&getContext());
    moe::populateLowerNormOpsPatterns(patterns);
    moe::populateLowerQuantOpsPatterns(patterns);
    FrozenRewritePatternSet frozen(std::move(patterns));
    for (func::FuncOp func : funcs)
      if (failed(applyPatternsGreedily(func, frozen)))
        return signalPassFailure();
    for (func::FuncOp func : funcs)
      if (failed(lower(func, target, desc)))
        return signalPassFailure();
  }

  LogicalResult lowerAttention(moe::AttentionOp op, OpBuilder &b, Buffers &buffers,
                               IRMapping &map,
                               function_ref<FailureOr<Value>(Value, Operation *)> resultMemref) {
    if (op.getMask() || op.getPastKey() || op.getLayout() || !op.getPresent().empty() ||
        !op.getSoftcap().isZero() || op.getNumGlobalTokens() != 0)
      return op.emitError() << nodeOf(op)
                            << "attention with an explicit mask, a KV cache, a block layout, "
                               "softcap or global tokens has no NPU lowering yet";
    auto qt = cast<RankedTensorType>(op.getQuery().getType());
    auto kt = cast<RankedTensorType>(op.getKey().getType());
    Type element = qt.getElementType();
    if (!(element.isF16() || element.isBF16()) ||
        kt.getElementType() != element ||
        cast<RankedTensorType>(op.getOutput().getType()).getElementType() != element)
      return op.emitError() << nodeOf(op) << "attention of " << element
                            << ": the NPU computes it in f16 or bf16";
    if (!qt.hasStaticShape() || !kt.hasStaticShape())
      return op.emitError() << nodeOf(op) << "the NPU needs static attention shapes";
    AttentionShape shape{qt.getDimSize(0), qt.getDimSize(1), kt.getDimSize(1), qt.getDimSize(2),
                         kt.getDimSize(2), qt.getDimSize(3), 0.0, op.getCausal(),
                         int64_t(op.getWindowLeft()), int64_t(op.getWindowRight())};
    shape.scale = op.getScale() ? op.getScale()->convertToDouble()
                                : 1.0 / std::sqrt(double(shape.dim));
    if (shape.dim % 16 || shape.heads % shape.kvHeads)
      return op.emitError() << nodeOf(op) << "attention of head dim " << shape.dim
                            << ": the NPU needs a multiple of 16";
    Value operands[3];
    for (auto [i, v] : llvm::enumerate(ValueRange{op.getQuery(), op.getKey(), op.getValue()})) {
      if (!map.contains(v))
        return op.emitError() << nodeOf(op) << "an operand has no NPU form";
      operands[i] = map.lookup(v);
    }
    FailureOr<Value> out = resultMemref(op.getOutput(), op);
    if (failed(out))
      return failure();
    return emitAttention(b, buffers, shape, op, operands[0], operands[1], operands[2], *out,
                         op->getParentOfType<ModuleOp>());
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

    // Global memory for a result: the output it is, or an intermediate.
    auto resultMemref = [&](Value result, Operation *op) -> FailureOr<Value> {
      if (map.contains(result))
        return map.lookup(result);
      FailureOr<MemRefType> type = toGm(result.getType(), op);
      if (failed(type))
        return failure();
      Value v = memref::AllocOp::create(b, op->getLoc(), *type).getResult();
      map.map(result, v);
      return v;
    };
    SymbolTable symbols(func->getParentOfType<ModuleOp>());
    for (Operation &op : func.getBody().front()) {
      if (isa<tensor::EmptyOp, linalg::FillOp, func::ReturnOp>(op))
        continue; // a fill is read as the init of the op using it
      if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
        auto value = dyn_cast<ElementsAttr>(constant.getValue());
        if (!value)
          continue; // scalars are read where they are used
        FailureOr<MemRefType> type = toGm(value.getType(), &op);
        if (failed(type))
          return failure();
        // A constant tensor is global memory the program starts with.
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(lowered);
        auto global = memref::GlobalOp::create(b, op.getLoc(), "npu_const", b.getStringAttr("private"),
                                               *type, value, /*constant=*/true, IntegerAttr());
        symbols.insert(global);
        b.setInsertionPointToEnd(entry);
        map.map(constant.getResult(),
                memref::GetGlobalOp::create(b, op.getLoc(), *type, global.getSymName()).getResult());
        continue;
      }
      if (auto attention = dyn_cast<moe::AttentionOp>(op)) {
        if (failed(lowerAttention(attention, b, buffers, map, resultMemref)))
          return failure();
        continue;
      }
      auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
      FailureOr<MatmulParts> mm =
          linalgOp ? matchMatmul(linalgOp) : FailureOr<MatmulParts>(failure());
      if (failed(mm)) {
        auto generic = dyn_cast<linalg::GenericOp>(op);
        if (!generic || generic.getNumResults() != 1)
          return op.emitError() << nodeOf(&op) << "'" << op.getName()
                                << "' has no NPU lowering yet";
        SmallVector<Value> ins;
        for (Value in : generic.getDpsInputs()) {
          if (!map.contains(in))
            return op.emitError() << nodeOf(&op) << "an operand has no NPU form";
          ins.push_back(map.lookup(in));
        }
        FailureOr<Value> out = resultMemref(generic.getResult(0), &op);
        if (failed(out) || failed(emitVectorGeneric(b, buffers, generic, ins, *out)))
          return failure();
        continue;
      }
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
      if (failed(resultMemref(result, &op)))
        return failure();
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
