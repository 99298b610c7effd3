//===- RaiseNorms.cpp - Exported RMSNorm and LayerNorm into their ops -----===//
//
// HuggingFace's RMSNorm exports as w * (x * 1/sqrt(mean(x^2, -1) + eps)):
// Pow (or Mul of x by itself), ReduceMean over the last axis kept, Add of
// the epsilon, Sqrt, Reciprocal (or a Div of 1, or Div of x by the root),
// Mul by x and Mul by the weight. Read for that meaning (either operand
// order, same-type casts seen through), it becomes one moe.rms_norm, which
// the targets lower as one pass over each row.
//
// LayerNorm before opset 17 exports as the same normalisation of the
// centered x - mean(x, -1), times a weight, plus a bias: it becomes the
// LayerNormalization node of opset 17 over the last axis, which the
// converter lowers as one op (the moe dialect has no op of its own for it).
//
//===----------------------------------------------------------------------===//

#include "OnnxGraph.h"
#include "moe/Dialect/Moe/MoeOps.h"
#include "moe/Passes/Moe/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::moe {
#define GEN_PASS_DEF_MOERAISENORMS
#include "moe/Passes/Moe/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;
using namespace mlir::moe;
using namespace mlir::moe::graph;

namespace {

/// Whether `v` is x * x (Pow by 2 or Mul of x by itself).
bool isSquareOf(Value v, Value x) {
  v = skipNoOps(v);
  if (onnx::NodeOp pow = nodeOf(v, "Pow")) {
    std::optional<double> exponent = foldScalar(input(pow, 1));
    return exponent && *exponent == 2.0 && skipNoOps(input(pow, 0)) == x;
  }
  onnx::NodeOp mul = nodeOf(v, "Mul");
  return mul && skipNoOps(input(mul, 0)) == x && skipNoOps(input(mul, 1)) == x;
}

/// The epsilon when `v` is sqrt(mean(x^2 over the last axis, kept) + eps).
std::optional<double> rootMeanSquareOf(Value v, Value x) {
  onnx::NodeOp sqrt = nodeOf(skipNoOps(v), "Sqrt");
  onnx::NodeOp add = sqrt ? nodeOf(skipNoOps(input(sqrt, 0)), "Add") : onnx::NodeOp();
  if (!add)
    return std::nullopt;
  for (int side = 0; side < 2; ++side) {
    std::optional<double> eps = foldScalar(input(add, 1 - side));
    onnx::NodeOp mean = nodeOf(skipNoOps(input(add, side)), "ReduceMean");
    if (eps && *eps >= 0 && mean && isSquareOf(input(mean, 0), x) &&
        reducesLastAxis(mean, /*keepdims=*/true))
      return eps;
  }
  return std::nullopt;
}

/// x / rms(x) (as x * 1/rms or x / rms): sets `x` and `eps`.
bool isNormalized(Value v, Value &x, double &eps) {
  v = skipNoOps(v);
  if (onnx::NodeOp div = nodeOf(v, "Div")) {
    x = skipNoOps(input(div, 0));
    std::optional<double> e = rootMeanSquareOf(input(div, 1), x);
    return e && (eps = *e, true);
  }
  onnx::NodeOp mul = nodeOf(v, "Mul");
  if (!mul)
    return false;
  for (int side = 0; side < 2; ++side) {
    Value inverse = skipNoOps(input(mul, 1 - side));
    Value root;
    if (onnx::NodeOp reciprocal = nodeOf(inverse, "Reciprocal"))
      root = input(reciprocal, 0);
    else if (onnx::NodeOp div = nodeOf(inverse, "Div");
             div && foldScalar(input(div, 0)) == std::optional<double>(1.0))
      root = input(div, 1);
    if (!root)
      continue;
    x = skipNoOps(input(mul, side));
    if (std::optional<double> e = rootMeanSquareOf(root, x)) {
      eps = *e;
      return true;
    }
  }
  return false;
}

/// A 1-d value of `type`'s last dim and element type (a norm's weight or
/// bias).
bool isChannelVector(Value v, RankedTensorType type) {
  auto vType = dyn_cast<RankedTensorType>(v.getType());
  return vType && vType.getRank() == 1 &&
         vType.getDimSize(0) == type.getShape().back() &&
         !ShapedType::isDynamic(vType.getDimSize(0)) &&
         vType.getElementType() == type.getElementType();
}

/// x - mean(x over the last axis, kept): sets `x`.
bool isCentered(Value v, Value &x) {
  onnx::NodeOp sub = nodeOf(skipNoOps(v), "Sub");
  onnx::NodeOp mean = sub ? nodeOf(skipNoOps(input(sub, 1)), "ReduceMean") : onnx::NodeOp();
  if (!mean)
    return false;
  x = skipNoOps(input(sub, 0));
  return skipNoOps(input(mean, 0)) == x && reducesLastAxis(mean, /*keepdims=*/true);
}

} // namespace

FailureOr<Value> moe::raiseLayerNorm(RewriterBase &rewriter, Operation *root) {
  auto node = dyn_cast<onnx::NodeOp>(root);
  if (!node || root->getNumResults() != 1 || root->getNumOperands() != 2)
    return failure();
  Value out = root->getResult(0);
  auto outType = dyn_cast<RankedTensorType>(out.getType());
  if (!outType || outType.getRank() < 1 || !isa<FloatType>(outType.getElementType()) ||
      ShapedType::isDynamic(outType.getShape().back()))
    return failure();
  // (normalized * weight) + bias, or normalized * weight.
  Value scaled = out, bias;
  if (nodeOf(out, "Add")) {
    for (int side = 0; side < 2 && !bias; ++side)
      if (isChannelVector(input(node, side), outType) && nodeOf(skipNoOps(input(node, 1 - side)), "Mul")) {
        bias = input(node, side);
        scaled = skipNoOps(input(node, 1 - side));
      }
    if (!bias)
      return failure();
  } else if (!nodeOf(out, "Mul")) {
    return failure();
  }
  onnx::NodeOp mul = nodeOf(scaled, "Mul");
  for (int side = 0; side < 2; ++side) {
    Value weight = input(mul, side), centered, x;
    double eps = 0;
    if (!isChannelVector(weight, outType) || !isNormalized(input(mul, 1 - side), centered, eps) ||
        !isCentered(centered, x) || x.getType() != out.getType())
      continue;
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(root);
    SmallVector<Value> inputs = {x, weight};
    if (bias)
      inputs.push_back(bias);
    NamedAttrList attrs;
    attrs.append("axis", rewriter.getI64IntegerAttr(-1));
    attrs.append("epsilon", rewriter.getF32FloatAttr(eps));
    auto norm = onnx::NodeOp::create(rewriter, root->getLoc(), TypeRange{out.getType()}, inputs,
                                     "LayerNormalization", "", 17,
                                     attrs.getDictionary(rewriter.getContext()));
    rewriter.replaceAllUsesWith(out, norm.getResult(0));
    eraseDeadOnnx(rewriter, {root});
    return norm.getResult(0);
  }
  return failure();
}

FailureOr<Value> moe::raiseRmsNorm(RewriterBase &rewriter, Operation *root) {
  auto mul = dyn_cast<onnx::NodeOp>(root);
  if (!mul || !nodeOf(root->getResult(0), "Mul"))
    return failure();
  Value out = root->getResult(0);
  auto outType = dyn_cast<RankedTensorType>(out.getType());
  if (!outType || !isa<FloatType>(outType.getElementType()))
    return failure();
  for (int side = 0; side < 2; ++side) {
    Value weight = input(mul, side), x;
    double eps = 0;
    auto weightType = dyn_cast<RankedTensorType>(weight.getType());
    if (!weightType || weightType.getRank() != 1 ||
        !isNormalized(input(mul, 1 - side), x, eps) || x.getType() != out.getType() ||
        weightType.getDimSize(0) != outType.getShape().back() ||
        weightType.getElementType() != outType.getElementType())
      continue;
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(root);
    auto norm = RmsNormOp::create(rewriter, root->getLoc(), out.getType(), x, weight,
                                  rewriter.getF64FloatAttr(eps), rewriter.getI64IntegerAttr(-1));
    if (!verifiesQuietly(norm)) {
      rewriter.eraseOp(norm);
      return failure();
    }
    rewriter.replaceAllUsesWith(out, norm.getResult());
    eraseDeadOnnx(rewriter, {root});
    return norm.getResult();
  }
  return failure();
}

namespace {
struct MoeRaiseNormsPass : moe::impl::MoeRaiseNormsBase<MoeRaiseNormsPass> {
  void runOnOperation() override {
    // The latest first: a LayerNorm's bias Add before the Mul by its weight
    // (which alone would raise without the bias).
    raiseEach(getOperation(), {"Add", "Mul"}, /*latestFirst=*/true,
              [](RewriterBase &rewriter, Operation *root) -> FailureOr<Value> {
                FailureOr<Value> raised = raiseLayerNorm(rewriter, root);
                return succeeded(raised) ? raised : raiseRmsNorm(rewriter, root);
              });
  }
};
} // namespace
