//===- LowerToNpu.cpp - The entry function as npu kernels -----------------===//

#include "NpuKernels.h"
#include "moe/Dialect/Moe/MoeOps.h"
#include "moe/Passes/Moe/Passes.h"
#include "moe/Support/ConstantBytes.h"
#include "moe/Target/Npu/MatmulTiling.h"
#include "moe/Target/Npu/TargetDescription.h"
#include "moe/Target/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>
#include <cstring>
#include <functional>

namespace mlir::moe {
#define GEN_PASS_DEF_MOENPULOWER
#include "moe/Target/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;
using namespace mlir::npu;
namespace np = moe_npu;

namespace {

bool isZeroFill(Value init) {
  auto fill = init.getDefiningOp<linalg::FillOp>();
  return fill && (matchPattern(fill.value(), m_AnyZeroFloat()) ||
                  matchPattern(fill.value(), m_Zero()));
}

struct MoeNpuLowerPass : moe::impl::MoeNpuLowerBase<MoeNpuLowerPass> {
  using Base::Base;

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
    Type cubeType;
    if (matmulType == "f16" || matmulType == "bf16") {
      cubeType = matmulType == "f16" ? Type(Float16Type::get(&getContext()))
                                     : Type(BFloat16Type::get(&getContext()));
      if (!target.supports(cubeType) || !target.getCube(cubeType)) {
        module.emitError() << "matmul-type=" << matmulType << ": " << target.getName()
                           << "'s cube has no " << matmulType;
        return signalPassFailure();
      }
    } else if (!matmulType.empty()) {
      module.emitError() << "matmul-type=" << matmulType << ": the choices are f16 and bf16";
      return signalPassFailure();
    }
    if (int8Activations && !target.getCube(IntegerType::get(&getContext(), 8))) {
      module.emitError() << "int8-activations: " << target.getName() << "'s cube has no i8";
      return signalPassFailure();
    }
    // QDQ weights (dequantized constant integers) as moe.qmatmul, whatever
    // the row count: the cube then multiplies what the vector unit
    // dequantizes from the integers.
    RewritePatternSet qdq(&getContext());
    moe::populateDequantizedWeightAsQMatmulPatterns(qdq, /*anyRows=*/true, /*blocked=*/true);
    FrozenRewritePatternSet frozenQdq(std::move(qdq));
    for (func::FuncOp func : funcs)
      if (failed(applyPatternsGreedily(func, frozenQdq)))
        return signalPassFailure();
    for (func::FuncOp func : funcs)
      // Experts first: quantized ones become moe.qmatmul per expert.
      if (failed(decomposeExperts(func, denseExperts)) ||
          failed(rewriteQMatmulsForCube(func, cubeType, int8Activations)) ||
          failed(applyPatternsGreedily(func, frozen)) || failed(convertForCube(func, cubeType)))
        return signalPassFailure();
    // Chains of vector work as one kernel each: one pass through the
    // unified buffer instead of a round trip through global memory per op.
    RewritePatternSet fusion(&getContext());
    moe::populateFuseElementwiseChainsPatterns(fusion, /*intoReductions=*/true);
    FrozenRewritePatternSet frozenFusion(std::move(fusion));
    for (func::FuncOp func : funcs)
      if (failed(applyPatternsGreedily(func, frozenFusion)))
        return signalPassFailure();
    for (func::FuncOp func : funcs)
      if (failed(lower(func, target, desc)))
        return signalPassFailure();
  }

  /// `v` itself when packed row-major, else a packed copy of it.
  static Value contiguous(OpBuilder &b, Location loc, Buffers &buffers, Value v) {
    auto type = cast<MemRefType>(v.getType());
    if (type.getLayout().isIdentity())
      return v;
    auto packedType = MemRefType::get(type.getShape(), type.getElementType(),
                                      MemRefLayoutAttrInterface(), type.getMemorySpace());
    Value copy = memref::AllocOp::create(b, loc, packedType);
    emitCopy(b, loc, buffers, v, copy);
    return copy;
  }

  /// A packed memref seen with another shape of as many elements.
  static Value reshaped(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> shape) {
    auto type = cast<MemRefType>(v.getType());
    if (type.getShape() == shape)
      return v;
    auto result = MemRefType::get(shape, type.getElementType(),
                                  StridedLayoutAttr::get(b.getContext(), 0, packed(shape)),
                                  type.getMemorySpace());
    return memref::ReinterpretCastOp::create(b, loc, result, v, 0, shape, packed(shape));
  }

  /// An index as the lowered function has it: a constant, or a value the
  /// scalar unit computes (a register); null when it is neither.
  static Value scalarOf(OpBuilder &b, IRMapping &map, OpFoldResult ofr) {
    if (std::optional<int64_t> c = getConstantIntValue(ofr))
      return arith::ConstantIndexOp::create(b, b.getUnknownLoc(), *c);
    Value v = cast<Value>(ofr);
    return map.contains(v) && map.lookup(v).getType().isIndex() ? map.lookup(v) : Value();
  }

  /// Offsets of a slice as the lowered function has them: constants stay
  /// static, others are registers; failure when one is neither.
  static FailureOr<SmallVector<OpFoldResult>> offsetsOf(OpBuilder &b, IRMapping &map,
                                                        ArrayRef<OpFoldResult> mixed) {
    SmallVector<OpFoldResult> offsets;
    for (OpFoldResult o : mixed) {
      if (std::optional<int64_t> c = getConstantIntValue(o)) {
        offsets.push_back(b.getIndexAttr(*c));
        continue;
      }
      Value v = scalarOf(b, map, o);
      if (!v)
        return failure();
      offsets.push_back(v);
    }
    return offsets;
  }

  /// Reshapes and slices as views of global memory where they can be;
  /// transposes and concats as copies through the unified buffer.
  LogicalResult lowerDataMovement(Operation *op, OpBuilder &b, Buffers &buffers, IRMapping &map,
                                  function_ref<FailureOr<Value>(Value, Operation *)> resultMemref) {
    Location loc = op->getLoc();
    Value result = op->getResult(0);
    auto resultType = cast<RankedTensorType>(result.getType());
    if (!resultType.hasStaticShape())
      return op->emitError() << nodeOf(op) << "the NPU needs static shapes";
    SmallVector<Value> sources;
    SmallVector<Value> read(op->getOperands());
    if (auto transpose = dyn_cast<linalg::TransposeOp>(op))
      read = {transpose.getInput()}; // the init is not read
    for (Value operand : read) {
      if (!isa<RankedTensorType>(operand.getType()) ||
          (isa<tensor::ReshapeOp>(op) && operand == op->getOperands().back()))
        continue; // the shape operand of a reshape is read from its type
      if (!map.contains(operand))
        return op->emitError() << nodeOf(op) << "an operand has no NPU form";
      sources.push_back(map.lookup(operand));
    }
    // A view of the source, when the op is one.
    Value view;
    if (isa<tensor::ReshapeOp, tensor::ExpandShapeOp, tensor::CollapseShapeOp>(op)) {
      view = reshaped(b, loc, contiguous(b, loc, buffers, sources[0]), resultType.getShape());
    } else if (auto slice = dyn_cast<tensor::ExtractSliceOp>(op)) {
      if (!slice.hasUnitStride() || slice.getSourceType().getRank() != resultType.getRank())
        return op->emitError() << nodeOf(op) << "a strided or rank-reducing slice";
      FailureOr<SmallVector<OpFoldResult>> offsets = offsetsOf(b, map, slice.getMixedOffsets());
      if (failed(offsets))
        return op->emitError() << nodeOf(op) << "a slice at an offset the NPU cannot compute";
      view = memref::SubViewOp::create(b, loc, sources[0], *offsets, slice.getMixedSizes(),
                                       slice.getMixedStrides());
    } else if (auto transpose = dyn_cast<linalg::TransposeOp>(op)) {
      auto perm = AffineMapAttr::get(
          AffineMap::getPermutationMap(transpose.getPermutation(), b.getContext()));
      view = memref::TransposeOp::create(b, loc, sources[0], perm);
    }
    FailureOr<Value> out = view && !map.contains(result) ? FailureOr<Value>(Value())
                                                         : resultMemref(result, op);
    if (failed(out))
      return failure();
    if (!*out) {
      if (isa<linalg::TransposeOp>(op)) {
        // Later kernels want packed operands: make the transpose real.
        FailureOr<Value> dst = resultMemref(result, op);
        if (failed(dst))
          return failure();
        emitCopy(b, loc, buffers, view, *dst);
        return success();
      }
      map.map(result, view);
      return success();
    }
    if (view) {
      emitCopy(b, loc, buffers, view, *out);
      return success();
    }
    auto concat = cast<tensor::ConcatOp>(op);
    int64_t dim = concat.getDim(), at = 0;
    for (Value source : sources) {
      auto type = cast<MemRefType>(source.getType());
      SmallVector<int64_t> offsets(type.getRank(), 0), sizes(type.getShape()),
          ones(type.getRank(), 1);
      offsets[dim] = at;
      at += sizes[dim];
      emitCopy(b, loc, buffers, source,
               memref::SubViewOp::create(b, loc, *out, offsets, sizes, ones));
    }
    return success();
  }

  /// Scalar work: an element of an integer tensor read into a register
  /// (tensor.extract at constant indices), index casts and arithmetic on
  /// such values. Fails (silently) for other ops.
  static LogicalResult lowerScalar(Operation &op, OpBuilder &b, IRMapping &map) {
    if (auto extract = dyn_cast<tensor::ExtractOp>(op)) {
      SmallVector<int64_t> at;
      for (Value i : extract.getIndices()) {
        std::optional<int64_t> c = getConstantIntValue(i);
        if (!c)
          return failure();
        at.push_back(*c);
      }
      if (!map.contains(extract.getTensor()))
        return failure();
      SmallVector<int64_t> ones(at.size(), 1);
      Value one = memref::SubViewOp::create(b, op.getLoc(), map.lookup(extract.getTensor()), at,
                                            ones, ones);
      map.map(extract.getResult(),
              ScalarLoadOp::create(b, op.getLoc(), b.getIndexType(), one).getResult());
      return success();
    }
    if (auto cast = dyn_cast<arith::IndexCastOp>(op)) {
      if (!map.contains(cast.getIn()) || !map.lookup(cast.getIn()).getType().isIndex())
        return failure();
      map.map(cast.getResult(), map.lookup(cast.getIn()));
      return success();
    }
    if (!isa<arith::AddIOp, arith::SubIOp, arith::MulIOp>(op) ||
        !op.getResult(0).getType().isIndex())
      return failure();
    Value lhs = scalarOf(b, map, op.getOperand(0)), rhs = scalarOf(b, map, op.getOperand(1));
    if (!lhs || !rhs)
      return failure();
    Operation *clone = b.clone(op);
    clone->setOperands({lhs, rhs});
    map.map(op.getResult(0), clone->getResult(0));
    return success();
  }

  LogicalResult lowerAttention(moe::AttentionOp op, OpBuilder &b, Buffers &buffers,
                               IRMapping &map,
                               function_ref<FailureOr<Value>(Value, Operation *)> resultMemref) {
    if (op.getLayout())
      return op.emitError() << nodeOf(op)
                            << "attention with a block layout has no NPU lowering yet";
    auto qt = cast<RankedTensorType>(op.getQuery().getType());
    auto kt = cast<RankedTensorType>(op.getKey().getType());
    Type element = qt.getElementType();
    if (!(element.isF16() || element.isBF16()) ||
        kt.getElementType() != element ||
        cast<RankedTensorType>(op.getOutput().getType()).getElementType() != element)
      return op.emitError() << nodeOf(op) << "attention of " << element
                            << ": the NPU computes it in f16 or bf16";
    if (!qt.hasStaticShape() || !kt.hasStaticShape() ||
        (op.getPastKey() &&
         !cast<RankedTensorType>(op.getPastKey().getType()).hasStaticShape()))
      return op.emitError() << nodeOf(op) << "the NPU needs static attention shapes";
    int64_t past = op.getPastKey()
                       ? cast<RankedTensorType>(op.getPastKey().getType()).getDimSize(2)
                       : 0;
    AttentionShape shape{qt.getDimSize(0),
                         qt.getDimSize(1),
                         kt.getDimSize(1),
                         qt.getDimSize(2),
                         past + kt.getDimSize(2),
                         qt.getDimSize(3),
                         0.0,
                         op.getCausal(),
                         int64_t(op.getWindowLeft()),
                         int64_t(op.getWindowRight()),
                         past,
                         past + kt.getDimSize(2)};
    shape.scale = op.getScale() ? op.getScale()->convertToDouble()
                                : 1.0 / std::sqrt(double(shape.dim));
    if (Value mask = op.getMask()) {
      // An additive float mask [B or 1, H or 1, S or 1, keys]: each seen
      // tile's block is loaded and added to the scores.
      auto maskType = cast<RankedTensorType>(mask.getType());
      ArrayRef<int64_t> m = maskType.getShape();
      if (!(maskType.getElementType().isF32() || maskType.getElementType().isF16()) ||
          !maskType.hasStaticShape() || (m[0] != 1 && m[0] != shape.batch) ||
          (m[1] != 1 && m[1] != shape.heads) || (m[2] != 1 && m[2] != shape.queries) ||
          m[3] != shape.keys)
        return op.emitError() << nodeOf(op) << "attention mask of type " << maskType
                              << ": the NPU adds an f32 or f16 mask of shape [1 or "
                              << shape.batch << ", 1 or " << shape.heads << ", 1 or "
                              << shape.queries << ", " << shape.keys << "]";
      if (shape.queries % 16 || shape.keys % 16)
        return op.emitError() << nodeOf(op)
                              << "an attention mask with lengths that are not multiples of "
                                 "16 (padded on the NPU) has no NPU lowering yet";
      if (!map.contains(mask))
        return op.emitError() << nodeOf(op) << "an operand has no NPU form";
      shape.mask = map.lookup(mask);
    }
    shape.globalTokens = op.getNumGlobalTokens();
    shape.softcap = op.getSoftcap().convertToDouble();
    if (shape.dim % 16 || shape.heads % shape.kvHeads)
      return op.emitError() << nodeOf(op) << "attention of head dim " << shape.dim
                            << ": the NPU needs a multiple of 16";
    for (Value v : op->getOperands())
      if (!map.contains(v))
        return op.emitError() << nodeOf(op) << "an operand has no NPU form";
    Location loc = op.getLoc();
    Value q = map.lookup(op.getQuery()), k = map.lookup(op.getKey()),
          v = map.lookup(op.getValue());
    auto gmType = [&](ArrayRef<int64_t> dims) {
      return MemRefType::get(dims, element, MemRefLayoutAttrInterface(),
                             MemSpaceAttr::get(b.getContext(), MemSpace::GM));
    };
    // Rows [from, from + count) of dim 2 of a [B, H, len, D] memref.
    auto rowsOf = [&](Value t, int64_t from, int64_t count) -> Value {
      auto type = cast<MemRefType>(t.getType());
      SmallVector<int64_t> offsets = {0, 0, from, 0}, sizes(type.getShape()), ones(4, 1);
      sizes[2] = count;
      return memref::SubViewOp::create(b, loc, t, offsets, sizes, ones);
    };
    // With a cache, the present keys are the past ones followed by the new
    // ones (results of the op), and query i sits at position past + i.
    if (op.getPastKey()) {
      if (op.getPresent().size() != 2)
        return op.emitError() << nodeOf(op) << "a KV cache needs both present outputs";
      Value present[2];
      for (int i = 0; i < 2; ++i) {
        FailureOr<Value> p = resultMemref(op.getPresent()[i], op);
        if (failed(p))
          return failure();
        present[i] = *p;
      }
      Value pastKV[2] = {map.lookup(op.getPastKey()), map.lookup(op.getPastValue())};
      Value newKV[2] = {k, v};
      for (int i = 0; i < 2; ++i) {
        emitCopy(b, loc, buffers, pastKV[i], rowsOf(present[i], 0, past));
        emitCopy(b, loc, buffers, newKV[i], rowsOf(present[i], past, kt.getDimSize(2)));
      }
      k = present[0];
      v = present[1];
    }
    // Lengths that are not whole fractals are padded with zero rows: padded
    // keys are masked out, padded queries' rows are dropped.
    auto padded = [&](Value t, int64_t len) -> Value {
      int64_t full = (len + 15) / 16 * 16;
      if (full == len)
        return t;
      auto type = cast<MemRefType>(t.getType());
      SmallVector<int64_t> dims(type.getShape());
      dims[2] = full;
      Value wide = memref::AllocOp::create(b, loc, gmType(dims));
      emitCopy(b, loc, buffers, t, rowsOf(wide, 0, len));
      for (int64_t bi = 0; bi < dims[0]; ++bi)
        for (int64_t hi = 0; hi < dims[1]; ++hi) {
          SmallVector<int64_t> offsets = {bi, hi, len, 0}, sizes = {1, 1, full - len, dims[3]},
                               ones(4, 1);
          auto reduced = memref::SubViewOp::inferRankReducedResultType(
              {full - len, dims[3]}, cast<MemRefType>(wide.getType()), offsets, sizes, ones);
          emitFill(b, loc, buffers,
                   memref::SubViewOp::create(b, loc, cast<MemRefType>(reduced), wide, offsets,
                                             sizes, ones),
                   0.0);
        }
      return wide;
    };
    int64_t S = shape.queries, L = shape.keys;
    q = padded(q, S);
    k = padded(k, L);
    v = padded(v, L);
    shape.queries = (S + 15) / 16 * 16;
    shape.keys = (L + 15) / 16 * 16;
    FailureOr<Value> out = resultMemref(op.getOutput(), op);
    if (failed(out))
      return failure();
    Value result = *out;
    if (shape.queries != S)
      result = memref::AllocOp::create(
          b, loc, gmType({shape.batch, shape.heads, shape.queries, shape.dim}));
    if (failed(emitAttention(b, buffers, shape, op, q, k, v, result,
                             op->getParentOfType<ModuleOp>())))
      return failure();
    if (result != *out)
      emitCopy(b, loc, buffers, rowsOf(result, 0, S), *out);
    return success();
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
      // At the top: a buffer that predicated work fills is read after it.
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(entry);
      Value v = memref::AllocOp::create(b, op->getLoc(), *type).getResult();
      map.map(result, v);
      return v;
    };
    SymbolTable symbols(func->getParentOfType<ModuleOp>());
    // A constant tensor is global memory the program starts with.
    auto gmConstant = [&](Location loc, MemRefType type, Attribute value) -> Value {
      memref::GlobalOp global;
      {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(lowered);
        global = memref::GlobalOp::create(b, loc, "npu_const", b.getStringAttr("private"), type,
                                          value, /*constant=*/true, IntegerAttr());
        symbols.insert(global);
      }
      return memref::GetGlobalOp::create(b, loc, type, global.getSymName()).getResult();
    };
    std::function<LogicalResult(Block &)> lowerBlock = [&](Block &block) -> LogicalResult {
      for (Operation &op : block) {
        if (isa<tensor::EmptyOp, linalg::FillOp, func::ReturnOp, scf::YieldOp, arith::CmpIOp>(op))
          continue; // a fill is read as the init of the op using it, a compare by its scf.if
        if (succeeded(lowerScalar(op, b, map)))
          continue;
        if (auto ifOp = dyn_cast<scf::IfOp>(op)) {
          // Work that runs only when a run-time count is positive (an
          // expert's rows): its instructions predicated on the register.
          auto cmp = ifOp.getCondition().getDefiningOp<arith::CmpIOp>();
          Value pred = cmp && cmp.getPredicate() == arith::CmpIPredicate::sgt &&
                               matchPattern(cmp.getRhs(), m_Zero())
                           ? scalarOf(b, map, cmp.getLhs())
                           : Value();
          if (!pred || ifOp.getElseRegion().empty())
            return op.emitError() << nodeOf(&op)
                                  << "the NPU runs conditional work only on 'count > 0' of a "
                                     "run-time count, with an else yielding what it updates";
          auto when = WhenOp::create(b, op.getLoc(), pred);
          when.getBody().emplaceBlock();
          {
            OpBuilder::InsertionGuard guard(b);
            b.setInsertionPointToStart(&when.getBody().front());
            if (failed(lowerBlock(ifOp.getThenRegion().front())))
              return failure();
          }
          for (auto [result, then, otherwise] :
               llvm::zip(ifOp.getResults(), ifOp.thenYield().getOperands(),
                         ifOp.elseYield().getOperands())) {
            if (!map.contains(then) || map.lookup(then) != map.lookup(otherwise))
              return op.emitError()
                     << nodeOf(&op) << "both branches must yield the buffer the work updates";
            map.map(result, map.lookup(then));
          }
          continue;
        }
        if (auto insert = dyn_cast<tensor::InsertSliceOp>(op)) {
          // In place: the destination is a buffer this function fills.
          if (!insert.getDest().getDefiningOp<tensor::EmptyOp>() && !map.contains(insert.getDest()))
            return op.emitError() << nodeOf(&op) << "an insert into a tensor with no NPU form";
          if (!map.contains(insert.getSource()) || !insert.hasUnitStride() ||
              insert.getSourceType().getRank() != insert.getDestType().getRank())
            return op.emitError() << nodeOf(&op)
                                  << "the NPU inserts computed slices of the destination's rank";
          FailureOr<Value> dest = resultMemref(insert.getDest(), &op);
          if (failed(dest))
            return failure();
          FailureOr<SmallVector<OpFoldResult>> offsets =
              offsetsOf(b, map, insert.getMixedOffsets());
          if (failed(offsets))
            return op.emitError() << nodeOf(&op) << "an insert at an offset the NPU cannot compute";
          SmallVector<OpFoldResult> ones(offsets->size(), b.getIndexAttr(1));
          emitCopy(b, op.getLoc(), buffers, map.lookup(insert.getSource()),
                   memref::SubViewOp::create(b, op.getLoc(), *dest, *offsets,
                                             insert.getMixedSizes(), ones));
          map.map(insert.getResult(), *dest);
          continue;
        }
        if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
          if (constant->use_empty())
            continue; // e.g. an f32 weight whose f16 copy replaced it
          auto value = dyn_cast<ElementsAttr>(constant.getValue());
          Type element = value ? value.getElementType() : Type();
          if (!value || !(element.isF16() || element.isBF16() || element.isF32() ||
                          element.isInteger(8) || element.isInteger(32)))
            continue; // scalars, and shapes (of reshapes), are read where they are used
          FailureOr<MemRefType> type = toGm(value.getType(), &op);
          if (failed(type))
            return failure();
          map.map(constant.getResult(), gmConstant(op.getLoc(), *type, value));
          continue;
        }
        if (auto attention = dyn_cast<moe::AttentionOp>(op)) {
          if (failed(lowerAttention(attention, b, buffers, map, resultMemref)))
            return failure();
          continue;
        }
        if (isa<tensor::ReshapeOp, tensor::ExpandShapeOp, tensor::CollapseShapeOp,
                tensor::ExtractSliceOp, linalg::TransposeOp, tensor::ConcatOp>(op)) {
          if (failed(lowerDataMovement(&op, b, buffers, map, resultMemref)))
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
        // Floats accumulate in f32 (written out in any float type); integers
        // in i32, written out as i32.
        bool intCube = cube && in.isInteger(8) && cube.getAcc().isInteger(32) && out.isInteger(32);
        if (!cube || cast<ShapedType>(mm->b.getType()).getElementType() != in ||
            (!cube.getAcc().isF32() && !intCube)) {
          // The float inputs this chip's cube takes, from its description.
          std::string takes;
          llvm::raw_string_ostream os(takes);
          llvm::interleaveComma(
              llvm::make_filter_range(target.getCubes().getAsRange<CubeAttr>(),
                                      [](CubeAttr c) { return c.getAcc().isF32(); }),
              os, [&](CubeAttr c) { os << c.getInput(); });
          return op.emitError() << nodeOf(&op) << "matmul of " << in << ": the cube of "
                                << target.getName() << " takes " << takes
                                << " (--npu-matmul-type computes f32 matmuls in f16 or bf16)";
        }
        if (!(out.isF16() || out.isBF16() || out.isF32() || intCube))
          return op.emitError() << nodeOf(&op) << "matmul into " << out << " has no NPU lowering";
        auto aType = cast<ShapedType>(mm->a.getType());
        auto cType = cast<ShapedType>(op.getResult(0).getType());
        int64_t K = aType.getShape().back(), N = cType.getShape().back();
        int64_t M = aType.getNumElements() / K;
        // A constant B whose columns are not whole fractals (a router's few
        // experts) is padded with zero columns; C's extra columns are dropped.
        // A depth K that is not whole fractals pads A's columns and B's rows
        // with zeros (B's at compile time when it is a constant).
        int64_t paddedN = (N + 15) / 16 * 16, paddedK = (K + 15) / 16 * 16;
        std::optional<std::vector<char>> padBytes;
        if ((N != paddedN || K != paddedK) && matchPattern(mm->b, m_Constant()))
          padBytes = moe::constantRawBytes(mm->b);
        // Rows (tokens: one in decode) are padded with zero rows likewise.
        int64_t paddedM = (M + 15) / 16 * 16;
        if (N % 16 && !padBytes)
          return op.emitError() << nodeOf(&op) << "matmul " << M << "x" << K << " * " << K << "x"
                                << N
                                << ": the NPU lowering needs N of a weight that is not constant "
                                   "a multiple of 16 (the cube's fractal) so far";
        np::TargetDesc::Cube shape = *desc.cube(in.isF16() ? "f16" : in.isBF16() ? "bf16" : "i8");
        std::optional<np::MatmulTiles> tiles =
            np::chooseMatmulTiles(desc, shape, paddedM, paddedN, paddedK,
                                  in.getIntOrFloatBitWidth() / 8, out.getIntOrFloatBitWidth() / 8);
        if (!tiles)
          return op.emitError() << nodeOf(&op) << "no matmul tile fits the buffers of "
                                << target.getName();
        Value result = op.getResult(0);
        if (failed(resultMemref(result, &op)))
          return failure();
        for (Value operand : {mm->a, mm->b})
          if (!map.contains(operand) && !(operand == mm->b && padBytes))
            return op.emitError() << nodeOf(&op)
                                  << "an operand of this matmul has no NPU form (only inputs "
                                     "and earlier matmuls so far)";
        // Batch dims fold into M: A and C as [M, K] and [M, N].
        Value a = contiguous(b, op.getLoc(), buffers, map.lookup(mm->a));
        Value c = map.lookup(result);
        if (!cast<MemRefType>(c.getType()).getLayout().isIdentity())
          return op.emitError() << nodeOf(&op) << "a matmul writing a strided view";
        Location loc = op.getLoc();
        Value a2 = reshaped(b, loc, a, {M, K});
        Value c2 = reshaped(b, loc, c, {M, N});
        auto gmType = [&](ArrayRef<int64_t> shape, Type element) {
          return MemRefType::get(shape, element, MemRefLayoutAttrInterface(),
                                 MemSpaceAttr::get(b.getContext(), MemSpace::GM));
        };
        SmallVector<int64_t> origin = {0, 0}, ones = {1, 1};
        // `m` [rows, cols] in the top-left corner of a zero-filled [padRows,
        // padCols] buffer.
        auto zeroPadded = [&](Value m, int64_t rows, int64_t cols, int64_t padRows,
                              int64_t padCols) -> Value {
          Value padded = memref::AllocOp::create(b, loc, gmType({padRows, padCols}, in));
          emitFill(b, loc, buffers, padded, 0.0);
          emitCopy(b, loc, buffers, m,
                   memref::SubViewOp::create(b, loc, padded, origin, ArrayRef<int64_t>{rows, cols},
                                             ones));
          return padded;
        };
        if (paddedK != K) {
          a2 = zeroPadded(a2, M, K, paddedM, paddedK);
        } else if (paddedM != M) {
          Value padded = memref::AllocOp::create(b, loc, gmType({paddedM, K}, in));
          emitCopy(
              b, loc, buffers, a2,
              memref::SubViewOp::create(b, loc, padded, origin, ArrayRef<int64_t>{M, K}, ones));
          emitFill(b, loc, buffers,
                   memref::SubViewOp::create(b, loc, padded, ArrayRef<int64_t>{M, 0},
                                             ArrayRef<int64_t>{paddedM - M, K}, ones),
                   0.0);
          a2 = padded;
        }
        Value bMat;
        if (padBytes) {
          int64_t width = in.getIntOrFloatBitWidth() / 8;
          std::vector<char> padded(paddedK * paddedN * width, 0);
          for (int64_t k = 0; k < K; ++k)
            std::memcpy(&padded[k * paddedN * width], &(*padBytes)[k * N * width], N * width);
          auto tensorType = RankedTensorType::get({paddedK, paddedN}, in);
          bMat = gmConstant(loc, gmType({paddedK, paddedN}, in),
                            DenseElementsAttr::getFromRawBuffer(tensorType, padded));
        } else {
          bMat = contiguous(b, loc, buffers, map.lookup(mm->b));
          if (paddedK != K)
            bMat = zeroPadded(reshaped(b, loc, bMat, {K, N}), K, N, paddedK, N);
        }
        if (paddedM == M && paddedN == N) {
          emitMatmul(b, loc, buffers, *tiles, a2, bMat, c2);
          continue;
        }
        // The padded product, of which C is the top-left corner.
        Value cPadded = memref::AllocOp::create(b, loc, gmType({paddedM, paddedN}, out));
        emitMatmul(b, loc, buffers, *tiles, a2, bMat, cPadded);
        emitCopy(b, loc, buffers,
                 memref::SubViewOp::create(b, loc, cPadded, origin, ArrayRef<int64_t>{M, N}, ones),
                 c2);
      }
      return success();
    };
    if (failed(lowerBlock(func.getBody().front())))
      return failure();
    func::ReturnOp::create(b, func.getLoc());
    lowered.setVisibility(func.getVisibility());
    func.erase();
    return success();
  }
};
} // namespace
