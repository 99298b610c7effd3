//===- DecomposeExperts.cpp - moe.experts into its dropless form ----------===//
//
// Every routed expert computes only over the token slots that chose it:
// dispatch sorts the slots by expert, the grouped matmuls run one ragged GEMM
// per projection, and combine scatters the weighted rows back. Nothing here
// depends on a target; the lowering of the three ops does.
//
//===----------------------------------------------------------------------===//

#include "LoweringHelpers.h"
#include "moe/Dialect/Moe/MoeOps.h"
#include "moe/Passes/Moe/Passes.h"
#include "moe/Support/ConstantBytes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace mlir::moe {
#define GEN_PASS_DEF_MOEDECOMPOSEEXPERTS
#include "moe/Passes/Moe/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;
using namespace mlir::moe;

namespace {

Value floatConstant(OpBuilder &b, Location loc, Type type, double value) {
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, value));
}

/// An empty tensor of `elementType` with the shape of `source`.
Value emptyLike(OpBuilder &b, Location loc, Value source, Type elementType) {
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, source);
  return tensor::EmptyOp::create(b, loc, sizes, elementType);
}

/// silu(x) = x * sigmoid(x) = x / (1 + exp(-x)).
Value silu(OpBuilder &b, Location loc, Value x) {
  Type type = x.getType();
  Value one = floatConstant(b, loc, type, 1.0);
  Value negated = arith::NegFOp::create(b, loc, x);
  Value denominator = arith::AddFOp::create(b, loc, one, math::ExpOp::create(b, loc, negated));
  return arith::DivFOp::create(b, loc, x, denominator);
}

/// The activation of one element; `up` is the second projection of a gated
/// activation.
Value activate(OpBuilder &b, Location loc, Activation activation, Value x, Value up) {
  Type type = x.getType();
  switch (activation) {
  case Activation::Relu:
    return arith::MaximumFOp::create(b, loc, x, floatConstant(b, loc, type, 0.0));
  case Activation::Gelu: {
    // The exact (erf) form, as torch.nn.GELU() and ONNX Gelu by default.
    Value scaled = arith::MulFOp::create(b, loc, x, floatConstant(b, loc, type, M_SQRT1_2));
    Value onePlusErf = arith::AddFOp::create(b, loc, floatConstant(b, loc, type, 1.0),
                                             math::ErfOp::create(b, loc, scaled));
    Value half = arith::MulFOp::create(b, loc, x, floatConstant(b, loc, type, 0.5));
    return arith::MulFOp::create(b, loc, half, onePlusErf);
  }
  case Activation::Silu:
    return silu(b, loc, x);
  case Activation::Swiglu:
    return arith::MulFOp::create(b, loc, silu(b, loc, x), up);
  }
  llvm_unreachable("unknown activation");
}

/// The activation over a whole [rows, width] tensor, multiplied by `up`
/// (same shape) for gated activations, and each row by `rowScale` [rows]
/// when given (a shared expert's gate).
Value buildActivation(OpBuilder &b, Location loc, Activation activation, Value gate, Value up,
                      Value rowScale = {}) {
  auto type = cast<RankedTensorType>(gate.getType());
  SmallVector<Value> inputs = {gate};
  if (up)
    inputs.push_back(up);
  AffineMap identity = b.getMultiDimIdentityMap(2);
  SmallVector<AffineMap> maps(inputs.size(), identity);
  if (rowScale) {
    inputs.push_back(rowScale);
    maps.push_back(AffineMap::get(2, 0, {b.getAffineDimExpr(0)}, b.getContext()));
  }
  maps.push_back(identity);
  Value init = emptyLike(b, loc, gate, type.getElementType());
  SmallVector<utils::IteratorType> iterators(2, utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{type}, inputs, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value result = activate(nested, nestedLoc, activation, args[0], up ? args[1] : Value());
        if (rowScale)
          result = arith::MulFOp::create(nested, nestedLoc, result, args[up ? 2 : 1]);
        linalg::YieldOp::create(nested, nestedLoc, result);
      });
  return generic.getResult(0);
}

/// sigmoid(x) = 1 / (1 + exp(-x)) of each element of a 1-d tensor.
Value buildSigmoid(OpBuilder &b, Location loc, Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  Value init =
      tensor::EmptyOp::create(b, loc, tensor::getMixedSizes(b, loc, x), type.getElementType());
  AffineMap identity = b.getMultiDimIdentityMap(1);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{type}, ValueRange{x}, ValueRange{init}, {identity, identity},
      {utils::IteratorType::parallel}, [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value one = floatConstant(nested, nestedLoc, args[0].getType(), 1.0);
        Value denominator = arith::AddFOp::create(
            nested, nestedLoc, one,
            math::ExpOp::create(nested, nestedLoc,
                                arith::NegFOp::create(nested, nestedLoc, args[0])));
        linalg::YieldOp::create(nested, nestedLoc,
                                Value(arith::DivFOp::create(nested, nestedLoc, one, denominator)));
      });
  return generic.getResult(0);
}

/// x [rows, K] times w [K, N], added to `acc` when given (else from
/// zero): the (k, n) matmul the targets tile. Linear layers' [N, K]
/// weights (a shared expert's) come transposed once, by kMajorWeights: at
/// compile time when they are constants (untransposed, the product stayed
/// plain loops on the CPU; DeepSeek's shared experts cost 40% of a prefill
/// that way).
Value buildLinear(OpBuilder &b, Location loc, Value x, Value w, Value acc = {}) {
  auto xType = cast<RankedTensorType>(x.getType());
  Type elementType = xType.getElementType();
  if (!acc) {
    Value zero = floatConstant(b, loc, elementType, 0.0);
    SmallVector<OpFoldResult> sizes = {tensor::getMixedSize(b, loc, x, 0),
                                       tensor::getMixedSize(b, loc, w, 1)};
    Value init = tensor::EmptyOp::create(b, loc, sizes, elementType);
    acc = linalg::FillOp::create(b, loc, zero, init).getResult(0);
  }
  MLIRContext *ctx = b.getContext();
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  SmallVector<AffineMap> maps = {AffineMap::get(3, 0, {m, k}, ctx),
                                 AffineMap::get(3, 0, {k, n}, ctx),
                                 AffineMap::get(3, 0, {m, n}, ctx)};
  SmallVector<utils::IteratorType> iterators = {
      utils::IteratorType::parallel, utils::IteratorType::parallel, utils::IteratorType::reduction};
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{acc.getType()}, ValueRange{x, w}, ValueRange{acc}, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value product = arith::MulFOp::create(nested, nestedLoc, args[0], args[1]);
        Value sum = arith::AddFOp::create(nested, nestedLoc, args[2], product);
        linalg::YieldOp::create(nested, nestedLoc, sum);
      });
  return generic.getResult(0);
}

/// fc1 and fc3 of every expert stacked along its rows ([E, 2I, H], biases
/// [E, 2I]) when they are constants of one type: gated FFNs then run one
/// grouped matmul for both projections.
std::optional<std::pair<Value, Value>> fuseGateUp(OpBuilder &b, Location loc, ExpertsOp op) {
  Value fc1 = op.getFc1(), fc3 = op.getFc3();
  if (!fc3 || fc1.getType() != fc3.getType() || bool(op.getFc1Bias()) != bool(op.getFc3Bias()))
    return std::nullopt;
  auto type = cast<RankedTensorType>(fc1.getType());
  unsigned width = type.getElementTypeBitWidth() / 8;
  if (!type.hasStaticShape() || width == 0 || type.getElementTypeBitWidth() % 8)
    return std::nullopt;
  int64_t experts = type.getDimSize(0);
  auto interleave = [&](Value a, Value c) -> std::optional<std::vector<char>> {
    std::optional<std::vector<char>> x = constantRawBytes(a), y = constantRawBytes(c);
    if (!x || !y || x->size() != y->size() || x->size() % experts)
      return std::nullopt;
    size_t part = x->size() / experts;
    std::vector<char> both;
    both.reserve(2 * x->size());
    for (int64_t e = 0; e < experts; ++e) {
      both.insert(both.end(), x->begin() + e * part, x->begin() + (e + 1) * part);
      both.insert(both.end(), y->begin() + e * part, y->begin() + (e + 1) * part);
    }
    return both;
  };
  std::optional<std::vector<char>> weights = interleave(fc1, fc3);
  if (!weights)
    return std::nullopt;
  std::optional<std::vector<char>> biases;
  if (op.getFc1Bias() && !(biases = interleave(op.getFc1Bias(), op.getFc3Bias())))
    return std::nullopt;
  SmallVector<int64_t> shape(type.getShape());
  shape[1] *= 2;
  Value fused = bytesConstant(b, loc, type.clone(shape), *weights, "moe_fc1_fc3");
  Value fusedBias;
  if (biases)
    fusedBias = bytesConstant(b, loc, type.clone({experts, shape[1]}), *biases, "moe_fc1_fc3_bias");
  return std::make_pair(fused, fusedBias);
}

struct DecomposeExperts : OpRewritePattern<ExpertsOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ExpertsOp op, PatternRewriter &rewriter) const override {
    int64_t experts = op.getFc1().getType().getDimSize(0);
    if (ShapedType::isDynamic(experts))
      experts = op.getFc2().getType().getDimSize(0);
    if (ShapedType::isDynamic(experts))
      return rewriter.notifyMatchFailure(op, "number of experts is dynamic");
    Location loc = op.getLoc();

    auto dispatch = DispatchOp::create(rewriter, loc, op.getTokens(), op.getIndices(), experts);
    Value sorted = dispatch.getSortedTokens();
    Value offsets = dispatch.getOffsets();
    // Each projection named for what it is (reports, diagnostics).
    auto named = [&](StringRef projection) -> Location {
      std::string name = projection.str();
      if (auto layer = dyn_cast<NameLoc>(loc))
        name = (layer.getName().getValue() + "." + projection).str();
      return NameLoc::get(rewriter.getStringAttr(name), loc);
    };
    Value gate, up;
    if (std::optional<std::pair<Value, Value>> fused = fuseGateUp(rewriter, loc, op)) {
      // One product for both projections: the tokens are read once and
      // each expert's GEMM is twice as wide.
      Value both = GroupedMatmulOp::create(rewriter, named("fc1_fc3"), sorted, fused->first,
                                           offsets, fused->second);
      int64_t width = op.getFc1().getType().getDimSize(1);
      auto half = [&](int64_t column) {
        SmallVector<OpFoldResult> offsetsAt = {rewriter.getIndexAttr(0),
                                               rewriter.getIndexAttr(column)};
        SmallVector<OpFoldResult> sizes = {tensor::getMixedSize(rewriter, loc, both, 0),
                                           rewriter.getIndexAttr(width)};
        SmallVector<OpFoldResult> strides(2, rewriter.getIndexAttr(1));
        return tensor::ExtractSliceOp::create(rewriter, loc, both, offsetsAt, sizes, strides)
            .getResult();
      };
      gate = half(0);
      up = half(width);
    } else {
      gate = GroupedMatmulOp::create(rewriter, named("fc1"), sorted, op.getFc1(), offsets,
                                     op.getFc1Bias());
      if (op.getFc3())
        up = GroupedMatmulOp::create(rewriter, named("fc3"), sorted, op.getFc3(), offsets,
                                     op.getFc3Bias());
    }
    Value hidden = buildActivation(rewriter, loc, op.getActivation(), gate, up);
    Value down = GroupedMatmulOp::create(rewriter, named("fc2"), hidden, op.getFc2(), offsets,
                                         op.getFc2Bias());
    Value result =
        CombineOp::create(rewriter, loc, down, dispatch.getPermutation(), op.getWeights());

    if (op.getSharedFc1()) {
      // The shared experts' FFN, its down projection accumulated onto the
      // routed result (no separate pass to add them); a gate's
      // sigmoid(tokens . gate) per token scales the hidden rows, which
      // scales the projection's rows the same.
      Value tokens = op.getTokens();
      auto linear = [&](Value x, Value w, Value acc = {}) {
        return buildLinear(rewriter, loc, x, kMajorWeights(rewriter, loc, w), acc);
      };
      Value sharedGate = linear(tokens, op.getSharedFc1());
      Value sharedUp;
      if (op.getSharedFc3())
        sharedUp = linear(tokens, op.getSharedFc3());
      Value gateScale;
      if (Value gateWeights = op.getSharedGate()) {
        // A [H, 1] weight turns the gate into a one-column linear layer.
        auto gateType = cast<RankedTensorType>(gateWeights.getType());
        auto columnWeightType =
            RankedTensorType::get({gateType.getDimSize(0), 1}, gateType.getElementType());
        Value columnWeight = tensor::ExpandShapeOp::create(
            rewriter, loc, columnWeightType, gateWeights, ArrayRef<ReassociationIndices>{{0, 1}});
        Value column = buildLinear(rewriter, loc, tokens, columnWeight);
        auto columnType = cast<RankedTensorType>(column.getType());
        Value logits = tensor::CollapseShapeOp::create(
            rewriter, loc,
            RankedTensorType::get({columnType.getDimSize(0)}, columnType.getElementType()), column,
            ArrayRef<ReassociationIndices>{{0, 1}});
        gateScale = buildSigmoid(rewriter, loc, logits);
      }
      Value sharedHidden =
          buildActivation(rewriter, loc, op.getActivation(), sharedGate, sharedUp, gateScale);
      result = linear(sharedHidden, op.getSharedFc2(), result);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct MoeDecomposeExpertsPass : moe::impl::MoeDecomposeExpertsBase<MoeDecomposeExpertsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateDecomposeExpertsPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::moe::populateDecomposeExpertsPatterns(RewritePatternSet &patterns) {
  patterns.add<DecomposeExperts>(patterns.getContext());
}
