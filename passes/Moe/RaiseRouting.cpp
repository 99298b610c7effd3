//===- RaiseRouting.cpp - Exported top-k routers read back as moe.route ---===//
//
// Reads, from the TopK whose indices pick the experts:
// - the scores: softmax (over the experts axis) or sigmoid of the logits;
// - DeepSeek-V3's correction bias: a constant added to the scores for the
//   choice only;
// - DeepSeek's group limit: the choice is Where(mask, choice, fill) (or its
//   negation) where the mask is 1 exactly on the experts of the groups a
//   TopK over the group scores picked, spread from [T, G] to [T, G * P]; a
//   group scores by its best expert (ReduceMax, or a top-1) or the sum of
//   its best two (ReduceSum of a top-2) over a [T, G, P] view of the choice;
// - the weights: the top-k values, or the unbiased scores gathered at the
//   chosen indices (needed once a bias or fill changes the values), then
//   renormalised (DeepSeek's +1e-20 included) and scaled.
//
//===----------------------------------------------------------------------===//

#include "RaiseRouting.h"
#include "OnnxGraph.h"
#include "moe/Support/ConstantBytes.h"

#include <cmath>

using namespace mlir;
using namespace mlir::moe;
using namespace mlir::moe::graph;

namespace {

/// Whether `axis` of `node` names the last of `rank` axes.
bool isLastAxis(int64_t axis, int64_t rank) {
  return axis == -1 || axis == rank - 1;
}

/// The TopK (largest, along the last axis) defining result `number` of
/// `v`, and its k.
onnx::NodeOp topKOf(Value v, unsigned number, int64_t &k) {
  onnx::NodeOp topK = nodeOf(v, "TopK");
  if (!topK || cast<OpResult>(v).getResultNumber() != number ||
      intAttrOr(topK, "largest", 1) != 1 ||
      !isLastAxis(intAttrOr(topK, "axis", -1), rankOf(v)))
    return {};
  std::optional<int64_t> value = foldInt(input(topK, 1));
  if (!value)
    return {};
  k = *value;
  return topK;
}

/// Whether `sum` is the sum over the last axis, kept, of `of`.
bool isRowSum(Value sum, Value of) {
  onnx::NodeOp reduce = nodeOf(skipNoOps(sum), "ReduceSum");
  return reduce && skipNoOps(input(reduce, 0)) == of && rankOf(of) == 2 &&
         reducesLastAxis(reduce, /*keepdims=*/true);
}

/// The [T, G, P] view of a [T, G * P] value: sets `of` and `groups`.
bool readGroupedView(Value view, Value &of, int64_t &groups) {
  onnx::NodeOp reshape = nodeOf(skipNoOps(view), "Reshape");
  if (!reshape || rankOf(view) != 3 || rankOf(input(reshape, 0)) != 2)
    return false;
  ArrayRef<int64_t> grouped = shapeOf(view), flat = shapeOf(input(reshape, 0));
  if (ShapedType::isDynamic(grouped[1]) || ShapedType::isDynamic(grouped[2]) ||
      grouped[1] * grouped[2] != flat[1])
    return false;
  of = skipNoOps(input(reshape, 0));
  groups = grouped[1];
  return true;
}

/// The group scores [T, G] of a [T, G, P] view of the choice: a group's
/// best (ReduceMax or a top-1 without its axis) or the sum of its best two.
/// Sets `choice`, `groups` and `score`.
bool readGroupScores(Value scores, Value &choice, int64_t &groups,
                     GroupScore &score) {
  scores = skipNoOps(scores);
  if (onnx::NodeOp max = nodeOf(scores, "ReduceMax")) {
    score = GroupScore::Max;
    return reducesLastAxis(max, /*keepdims=*/false) &&
           readGroupedView(input(max, 0), choice, groups);
  }
  onnx::NodeOp sum = nodeOf(scores, "ReduceSum");
  Value best = sum ? skipNoOps(input(sum, 0)) : Value();
  int64_t k = 0;
  onnx::NodeOp topK = best ? topKOf(best, 0, k) : onnx::NodeOp();
  if (!topK || (k != 1 && k != 2) ||
      !reducesLastAxis(sum, /*keepdims=*/false))
    return false;
  score = k == 2 ? GroupScore::SumTop2 : GroupScore::Max;
  return readGroupedView(input(topK, 0), choice, groups);
}

/// A tensor whose every element is the nonzero constant it is filled or
/// broadcast from.
bool isNonzeroFill(Value v) {
  v = skipNoOps(v);
  if (onnx::NodeOp expand = nodeOf(v, "Expand"))
    v = skipNoOps(input(expand, 0));
  std::optional<double> value = foldScalar(v);
  return value && *value != 0.0;
}

/// A [T, E] mask, nonzero exactly on the experts of the groups whose
/// indices `picked` [T, topk_group] holds: a zero [T, G] tensor with ones
/// scattered at `picked`, spread over each group's P experts. Sets
/// `picked` and `groups`.
bool readGroupMask(Value mask, Value &picked, int64_t &groups) {
  onnx::NodeOp flatten = nodeOf(skipCasts(mask), "Reshape");
  if (!flatten || rankOf(mask) != 2 || rankOf(input(flatten, 0)) != 3)
    return false;
  // [T, G, P] from [T, G, 1]: each group's flag repeated over its experts.
  Value spread = skipCasts(input(flatten, 0));
  if (onnx::NodeOp expand = nodeOf(spread, "Expand"))
    spread = skipCasts(input(expand, 0));
  onnx::NodeOp unsqueeze = nodeOf(spread, "Unsqueeze");
  if (!unsqueeze || rankOf(spread) != 3 || shapeOf(spread)[2] != 1)
    return false;
  std::optional<SmallVector<int64_t>> axes = axesOf(unsqueeze);
  if (!axes || axes->size() != 1 || !isLastAxis((*axes)[0], 3))
    return false;
  onnx::NodeOp scatter =
      nodeOf(skipCasts(input(unsqueeze, 0)), "ScatterElements");
  if (!scatter || rankOf(scatter->getResult(0)) != 2 ||
      !isLastAxis(intAttrOr(scatter, "axis", 0), 2) ||
      !isZeroConstant(skipNoOps(input(scatter, 0))) ||
      !isNonzeroFill(input(scatter, 2)))
    return false;
  if (auto reduction = scatter.getAttrs().getAs<StringAttr>("reduction"))
    if (reduction.getValue() != "none")
      return false;
  picked = skipCasts(input(scatter, 1));
  groups = shapeOf(input(scatter, 0))[1];
  return !ShapedType::isDynamic(groups) &&
         shapeOf(mask)[1] % groups == 0 && shapeOf(mask)[1] > 0;
}

/// A group-limited choice Where(mask, choice, fill) or Where(not mask,
/// fill, choice): records the group limit and moves `selection` to the
/// choice. Leaves both alone when `selection` is not one.
bool readGroupLimit(Value &selection, Routing &routing) {
  onnx::NodeOp where = nodeOf(selection, "Where");
  if (!where)
    return true;
  Value cond = skipCasts(input(where, 0));
  bool keepWhenTrue = true;
  while (onnx::NodeOp negation = nodeOf(cond, "Not")) {
    keepWhenTrue = !keepWhenTrue;
    cond = skipCasts(input(negation, 0));
  }
  Value choice = skipNoOps(input(where, keepWhenTrue ? 1 : 2));
  std::optional<double> fill = foldScalar(input(where, keepWhenTrue ? 2 : 1));
  Value picked;
  int64_t groups = 0;
  if (!fill || !readGroupMask(cond, picked, groups))
    return false;
  int64_t keep = 0;
  onnx::NodeOp groupTopK = topKOf(picked, 1, keep);
  Value grouped;
  int64_t scoredGroups = 0;
  GroupScore score;
  if (!groupTopK ||
      !readGroupScores(input(groupTopK, 0), grouped, scoredGroups, score) ||
      grouped != choice || scoredGroups != groups)
    return false;
  routing.nGroup = groups;
  routing.topkGroup = keep;
  routing.groupScore = score;
  routing.outsideGroupScore = *fill;
  selection = choice;
  return true;
}

/// A constant [E] or [1, E] added to the scores: sets `scores`.
Value biasOf(Value choice, Value &scores) {
  onnx::NodeOp add = nodeOf(choice, "Add");
  if (!add)
    return {};
  for (unsigned i = 0; i < 2; ++i) {
    Value bias = input(add, i);
    ElementsAttr attr = constantAttr(bias);
    if (!attr || rankOf(bias) < 1 || rankOf(bias) > 2 ||
        !isa<FloatType>(attr.getElementType()) ||
        attr.getNumElements() != shapeOf(bias).back())
      continue;
    scores = skipNoOps(input(add, 1 - i));
    return bias;
  }
  return {};
}

} // namespace

std::optional<Routing> graph::routingOf(Value indices) {
  Routing routing;
  onnx::NodeOp topK = topKOf(indices, 1, routing.k);
  if (!topK || rankOf(indices) != 2)
    return std::nullopt;
  routing.topK = topK;
  Value selection = skipNoOps(input(topK, 0));
  if (!readGroupLimit(selection, routing))
    return std::nullopt;
  Value scores = selection;
  if ((routing.bias = biasOf(selection, scores)) &&
      shapeOf(routing.bias).back() != shapeOf(selection)[1])
    return std::nullopt;
  if (onnx::NodeOp softmax = nodeOf(scores, "Softmax")) {
    int64_t softmaxAxis = intAttrOr(softmax, "axis",
                                    softmax.getVersion() >= 13 ? -1 : 1);
    if (!isLastAxis(softmaxAxis, 2))
      return std::nullopt;
    routing.scoring = Scoring::Softmax;
    routing.logits = skipNoOps(input(softmax, 0));
  } else if (onnx::NodeOp sigmoid = nodeOf(scores, "Sigmoid")) {
    routing.scoring = Scoring::Sigmoid;
    routing.logits = skipNoOps(input(sigmoid, 0));
  } else {
    return std::nullopt;
  }
  routing.scores = scores;
  auto logitsType = dyn_cast<RankedTensorType>(routing.logits.getType());
  if (!logitsType || logitsType.getRank() != 2 ||
      !isa<FloatType>(logitsType.getElementType()))
    return std::nullopt;
  return routing;
}

bool graph::readWeights(Value w, Routing &routing) {
  for (unsigned steps = 0; steps < 8; ++steps) {
    w = skipNoOps(w);
    if (w.getDefiningOp() == routing.topK) {
      // The top-k values are the scores of the chosen experts when nothing
      // changed them for the choice: no bias, and a fill for the other
      // groups' experts that never beats a (nonnegative) score.
      return cast<OpResult>(w).getResultNumber() == 0 && !routing.bias &&
             (routing.nGroup == 1 || routing.outsideGroupScore <= 0.0);
    }
    if (onnx::NodeOp gather = nodeOf(w, "GatherElements")) {
      // The unbiased scores at the chosen experts.
      return skipNoOps(input(gather, 0)) == routing.scores &&
             skipNoOps(input(gather, 1)) == routing.topK->getResult(1) &&
             isLastAxis(intAttrOr(gather, "axis", 0), 2);
    }
    onnx::NodeOp node = w.getDefiningOp<onnx::NodeOp>();
    if (!node || node->getNumOperands() != 2)
      return false;
    Value lhs = input(node, 0), rhs = input(node, 1);
    StringRef type = node.getOpType();
    if (type == "Mul" || type == "Div") {
      std::optional<double> factor = foldScalar(rhs);
      if (!factor && type == "Mul") {
        factor = foldScalar(lhs);
        std::swap(lhs, rhs);
      }
      if (factor && *factor != 0.0) {
        if (!routing.renormalize)
          routing.scale *= type == "Mul" ? *factor : 1.0 / *factor;
        w = lhs;
        continue;
      }
    }
    if (type == "Div" && !routing.renormalize) {
      Value sum = skipNoOps(rhs);
      lhs = skipNoOps(lhs);
      // DeepSeek adds a tiny epsilon to the sum; at 1e-6 or less it is
      // below float resolution for weights near one.
      if (onnx::NodeOp add = nodeOf(sum, "Add")) {
        std::optional<double> eps = foldScalar(input(add, 1));
        Value of = input(add, 0);
        if (!eps) {
          eps = foldScalar(input(add, 0));
          of = input(add, 1);
        }
        if (eps && std::abs(*eps) <= 1e-6)
          sum = of;
      }
      if (isRowSum(sum, lhs)) {
        routing.renormalize = true;
        w = lhs;
        continue;
      }
    }
    return false;
  }
  return false;
}

RouteOp graph::buildRoute(RewriterBase &rewriter, Location loc,
                          const Routing &routing) {
  Value bias;
  if (routing.bias) {
    // [1, E] or [E]: the same E numbers either way.
    auto type = cast<RankedTensorType>(routing.bias.getType());
    std::optional<std::vector<char>> bytes =
        attributeRawBytes(constantAttr(routing.bias));
    if (!bytes)
      return {};
    bias = bytesConstant(rewriter, loc, type.clone({type.getNumElements()}),
                         *bytes, "moe_route_bias");
  }
  MLIRContext *ctx = rewriter.getContext();
  return RouteOp::create(
      rewriter, loc, routing.logits, bias, rewriter.getI64IntegerAttr(routing.k),
      ScoringAttr::get(ctx, routing.scoring),
      routing.renormalize ? rewriter.getUnitAttr() : UnitAttr(),
      rewriter.getI64IntegerAttr(routing.nGroup),
      rewriter.getI64IntegerAttr(routing.topkGroup),
      GroupScoreAttr::get(ctx, routing.groupScore),
      rewriter.getF64FloatAttr(routing.outsideGroupScore),
      rewriter.getF64FloatAttr(routing.scale));
}
