//===- RaiseNorms.cpp - Exported RMSNorm into moe.rms_norm ----------------===//
//
// HuggingFace's RMSNorm exports as w * (x * 1/sqrt(mean(x^2, -1) + eps)):
// Pow (or Mul of x by itself), ReduceMean over the last axis kept, Add of
// the epsilon, Sqrt, Reciprocal (or a Div of 1, or Div of x by the root),
// Mul by x and Mul by the weight. Read for that meaning (either operand
// order, same-type casts seen through), it becomes one moe.rms_norm, which
// the targets lower as one pass over each row.
//
//===----------------------------------------------------------------------===//

#include "OnnxGraph.h"
#include "moe/Dialect/Moe/MoeOps.h"
#include "moe/Passes/Moe/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/Verifier.h"

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
    if (!eps || *eps < 0 || !mean || intAttrOr(mean, "keepdims", 1) != 1 ||
        !isSquareOf(input(mean, 0), x))
      continue;
    std::optional<SmallVector<int64_t>> axes =
        mean.getVersion() >= 18 ? foldInts(input(mean, 1)) : intsAttrOf(mean, "axes");
    int64_t rank = rankOf(x);
    if (axes && axes->size() == 1 && ((*axes)[0] == -1 || (*axes)[0] == rank - 1))
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

} // namespace

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
    if (failed(mlir::verify(norm))) {
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
    raiseEach(getOperation(), {"Mul"}, /*latestFirst=*/false, raiseRmsNorm);
  }
};
} // namespace
