//===- RefineOnnxShapes.cpp - Static result shapes the importer missed ----===//
//
// ONNX's shape inference gives up on shapes that exporters compute in the
// graph (torch's expand writes where(shape == -1, 1, shape) over Shape
// nodes), and every node downstream inherits the unknown dims: a rotary
// table computed from the position ids leaves q, k and the whole attention
// with a dynamic batch. This re-infers, in program order, the result shape
// of the nodes whose shape follows from their operands' (elementwise and
// broadcasting ops, Expand, Reshape, Transpose, (Un)Squeeze, MatMul,
// Concat, Slice, ConstantOfShape), with shape operands folded as the
// raising passes fold them, and makes static the dims that become known;
// an unranked result (at a symbolic length ONNX's inference gives up on
// rotate_half's slices) gets its rank. A dim that is static already is
// never changed; results used by anything but onnx nodes (the function's
// return) keep their types.
//
//===----------------------------------------------------------------------===//

#include "OnnxGraph.h"
#include "moe/Passes/Moe/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

#include "llvm/ADT/StringSet.h"

namespace mlir::moe {
#define GEN_PASS_DEF_MOEREFINEONNXSHAPES
#include "moe/Passes/Moe/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;
using namespace mlir::moe;
using namespace mlir::moe::graph;

namespace {

using Shape = SmallVector<int64_t>;
constexpr int64_t kDyn = ShapedType::kDynamic;

std::optional<Shape> shapeOfValue(Value v) {
  if (rankOf(v) < 0)
    return std::nullopt;
  return Shape(shapeOf(v));
}

/// Numpy broadcasting of `shapes`, unknown dims kept unknown unless another
/// operand fixes them (a dim > 1 is what the result has; a conflict is no
/// shape).
std::optional<Shape> broadcast(ArrayRef<Shape> shapes) {
  size_t rank = 0;
  for (const Shape &s : shapes)
    rank = std::max(rank, s.size());
  Shape result(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    bool unknown = false;
    int64_t known = 1;
    for (const Shape &s : shapes) {
      if (i + s.size() < rank)
        continue;
      int64_t d = s[i + s.size() - rank];
      if (d == kDyn) {
        unknown = true;
      } else if (d != 1) {
        if (known != 1 && known != d)
          return std::nullopt;
        known = d;
      }
    }
    result[i] = known != 1 ? known : (unknown ? kDyn : 1);
  }
  return result;
}

int64_t normalizedAxis(int64_t axis, int64_t rank) { return axis < 0 ? axis + rank : axis; }

std::optional<Shape> reshapeResult(onnx::NodeOp node, const Shape &in) {
  std::optional<SmallVector<int64_t>> target = foldInts(input(node, 1), 0, /*exact=*/true);
  if (!target)
    return std::nullopt;
  bool allowZero = intAttrOr(node, "allowzero", 0) != 0;
  Shape result;
  int64_t inferred = -1;
  for (auto [i, t] : llvm::enumerate(*target)) {
    if (t == 0 && !allowZero)
      result.push_back(i < in.size() ? in[i] : kDyn);
    else if (t == -1)
      inferred = i, result.push_back(kDyn);
    else
      result.push_back(t < 0 ? kDyn : t);
  }
  if (inferred < 0)
    return result;
  // The -1 is what the input's elements leave: the static dims' products,
  // once each dynamic dim of the input is matched by a target entry that
  // is that dim by construction (torch's view(b, s, -1) reads b and s off
  // the input).
  SmallVector<bool> matched(result.size(), false);
  int64_t total = 1, rest = 1;
  for (auto [j, d] : llvm::enumerate(in)) {
    if (d != kDyn) {
      total *= d;
      continue;
    }
    bool found = false;
    for (size_t i = 0; i < result.size() && !found; ++i) {
      if (matched[i] || int64_t(i) == inferred || result[i] != kDyn)
        continue;
      bool copies = (*target)[i] == 0 && !allowZero && i == j;
      if (copies || entryIsDim(input(node, 1), i, input(node, 0), j))
        matched[i] = found = true;
    }
    if (!found)
      return result;
  }
  for (auto [i, d] : llvm::enumerate(result))
    if (int64_t(i) != inferred && !matched[i]) {
      if (d == kDyn)
        return result;
      rest *= d;
    }
  if (rest > 0 && total % rest == 0)
    result[inferred] = total / rest;
  return result;
}

std::optional<Shape> sliceResult(onnx::NodeOp node, const Shape &in) {
  int64_t rank = in.size();
  std::optional<SmallVector<int64_t>> starts = foldInts(input(node, 1), 0, /*exact=*/true),
                                      ends = foldInts(input(node, 2), 0, /*exact=*/true);
  if (!starts || !ends || starts->size() != ends->size())
    return std::nullopt;
  SmallVector<int64_t> axes, steps(starts->size(), 1);
  if (Value a = input(node, 3)) {
    std::optional<SmallVector<int64_t>> folded = foldInts(a, 0, /*exact=*/true);
    if (!folded)
      return std::nullopt;
    axes = *folded;
  } else {
    for (int64_t i = 0; i < int64_t(starts->size()); ++i)
      axes.push_back(i);
  }
  if (Value s = input(node, 4)) {
    std::optional<SmallVector<int64_t>> folded = foldInts(s, 0, /*exact=*/true);
    if (!folded)
      return std::nullopt;
    steps = *folded;
  }
  if (axes.size() != starts->size() || steps.size() != starts->size())
    return std::nullopt;
  Shape result = in;
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t axis = normalizedAxis(axes[i], rank);
    if (axis < 0 || axis >= rank)
      return std::nullopt;
    int64_t dim = in[axis], step = steps[i];
    int64_t start = (*starts)[i], end = (*ends)[i];
    if (dim == kDyn || step == 0 || start == kDyn || end == kDyn) {
      result[axis] = kDyn;
      continue;
    }
    if (dim == 0)
      continue;
    auto clampTo = [&](int64_t v, int64_t lo, int64_t hi) {
      if (v < 0)
        v += dim;
      return std::clamp(v, lo, hi);
    };
    if (step > 0) {
      start = clampTo(start, 0, dim);
      end = clampTo(end, 0, dim);
      result[axis] = std::max<int64_t>(0, (end - start + step - 1) / step);
    } else {
      start = clampTo(start, 0, dim - 1);
      end = clampTo(end, -1, dim - 1);
      result[axis] = std::max<int64_t>(0, (start - end - step - 1) / -step);
    }
  }
  return result;
}

/// The result shape of `node` from its operands', where it follows.
std::optional<Shape> inferShape(onnx::NodeOp node) {
  static const llvm::StringSet<> sameShape = {
      "Cast", "Cos", "Sin", "Neg", "Exp", "Log", "Sigmoid", "Sqrt", "Reciprocal",
      "Relu", "Tanh", "Erf", "Abs", "Not", "Identity", "Softmax", "LogSoftmax",
      "Floor", "Ceil", "Round", "Sign", "Gelu", "Elu", "LeakyRelu", "HardSigmoid",
      "Softplus", "IsNaN", "IsInf", "Clip", "CastLike"};
  static const llvm::StringSet<> broadcasting = {
      "Add", "Sub", "Mul", "Div", "Pow", "Where", "Equal", "Less", "Greater",
      "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "Max", "Min", "Mod",
      "Sum", "Mean"};
  if (!node.getDomain().empty() || node->getNumResults() != 1 || node.getInputs().empty())
    return std::nullopt;
  StringRef type = node.getOpType();
  std::optional<Shape> in = shapeOfValue(input(node, 0));
  if (type == "ConstantOfShape")
    return foldInts(input(node, 0), 0, /*exact=*/true);
  if (!in)
    return std::nullopt;
  int64_t rank = in->size();
  if (sameShape.contains(type))
    return in;
  if (broadcasting.contains(type)) {
    SmallVector<Shape> shapes;
    for (Value operand : node.getInputs()) {
      std::optional<Shape> s = shapeOfValue(operand);
      if (!s)
        return std::nullopt;
      shapes.push_back(*s);
    }
    return broadcast(shapes);
  }
  if (type == "Expand") {
    std::optional<SmallVector<int64_t>> target = foldInts(input(node, 1), 0, /*exact=*/true);
    if (!target)
      return std::nullopt;
    return broadcast({*in, Shape(*target)});
  }
  if (type == "Reshape")
    return reshapeResult(node, *in);
  if (type == "Slice")
    return sliceResult(node, *in);
  if (type == "Transpose") {
    std::optional<SmallVector<int64_t>> perm = intsAttrOf(node, "perm");
    Shape result;
    for (int64_t i = 0; i < rank; ++i) {
      int64_t from = perm ? (i < int64_t(perm->size()) ? (*perm)[i] : -1) : rank - 1 - i;
      if (from < 0 || from >= rank)
        return std::nullopt;
      result.push_back((*in)[from]);
    }
    return result;
  }
  if (type == "Unsqueeze") {
    std::optional<SmallVector<int64_t>> axes = axesOf(node);
    if (!axes)
      return std::nullopt;
    int64_t outRank = rank + axes->size();
    SmallVector<bool> inserted(outRank, false);
    for (int64_t axis : *axes) {
      axis = normalizedAxis(axis, outRank);
      if (axis < 0 || axis >= outRank || inserted[axis])
        return std::nullopt;
      inserted[axis] = true;
    }
    Shape result;
    auto next = in->begin();
    for (int64_t i = 0; i < outRank; ++i)
      result.push_back(inserted[i] ? 1 : *next++);
    return result;
  }
  if (type == "Squeeze") {
    std::optional<SmallVector<int64_t>> axes = axesOf(node);
    if (!axes)
      return std::nullopt;
    SmallVector<bool> removed(rank, false);
    for (int64_t axis : *axes) {
      axis = normalizedAxis(axis, rank);
      if (axis < 0 || axis >= rank)
        return std::nullopt;
      removed[axis] = true;
    }
    Shape result;
    for (int64_t i = 0; i < rank; ++i)
      if (!removed[i])
        result.push_back((*in)[i]);
    return result;
  }
  if (type == "MatMul") {
    std::optional<Shape> rhs = shapeOfValue(input(node, 1));
    if (!rhs || rank < 2 || rhs->size() < 2)
      return std::nullopt;
    std::optional<Shape> batch = broadcast({Shape(ArrayRef(*in).drop_back(2)),
                                           Shape(ArrayRef(*rhs).drop_back(2))});
    if (!batch)
      return std::nullopt;
    batch->push_back((*in)[rank - 2]);
    batch->push_back(rhs->back());
    return batch;
  }
  if (type == "Concat") {
    int64_t axis = normalizedAxis(intAttrOr(node, "axis", 0), rank);
    if (axis < 0 || axis >= rank)
      return std::nullopt;
    Shape result(rank, kDyn);
    int64_t total = 0;
    for (Value operand : node.getInputs()) {
      std::optional<Shape> s = shapeOfValue(operand);
      if (!s || int64_t(s->size()) != rank)
        return std::nullopt;
      for (int64_t i = 0; i < rank; ++i)
        if (i != axis && (*s)[i] != kDyn)
          result[i] = (*s)[i];
      total = (total == kDyn || (*s)[axis] == kDyn) ? kDyn : total + (*s)[axis];
    }
    result[axis] = total;
    return result;
  }
  return std::nullopt;
}

/// `current` with the dims `inferred` knows and it does not; nothing when
/// they disagree or nothing is learned.
std::optional<Shape> refined(ArrayRef<int64_t> current, ArrayRef<int64_t> inferred) {
  if (current.size() != inferred.size())
    return std::nullopt;
  Shape result(current);
  bool learned = false;
  for (auto [have, know] : llvm::zip(result, inferred)) {
    if (know == kDyn || know < 0)
      continue;
    if (have == kDyn) {
      have = know;
      learned = true;
    } else if (have != know) {
      return std::nullopt;
    }
  }
  return learned ? std::optional<Shape>(result) : std::nullopt;
}

struct MoeRefineOnnxShapesPass
    : moe::impl::MoeRefineOnnxShapesBase<MoeRefineOnnxShapesPass> {
  void runOnOperation() override {
    getOperation()->walk([](onnx::NodeOp node) {
      if (node->getNumResults() != 1)
        return;
      Value result = node->getResult(0);
      auto type = dyn_cast<TensorType>(result.getType());
      if (!type || type.hasStaticShape() ||
          llvm::any_of(result.getUsers(), [](Operation *user) { return !isa<onnx::NodeOp>(user); }))
        return;
      std::optional<Shape> inferred = inferShape(node);
      if (!inferred)
        return;
      // An unranked result (ONNX's inference gave up on it) learns its rank
      // and whatever dims are known: the raising passes need ranks.
      if (!type.hasRank()) {
        Shape shape = *inferred;
        for (int64_t &d : shape)
          if (d < 0)
            d = kDyn;
        result.setType(RankedTensorType::get(shape, type.getElementType()));
        return;
      }
      if (std::optional<Shape> shape = refined(type.getShape(), *inferred))
        result.setType(cast<RankedTensorType>(type).clone(*shape));
    });
    // Shape computations whose every entry is known now (rotate_half's
    // half, a reshape's target read off static dims) become constants, so
    // that the conversion slices and reshapes by them, not by values
    // computed at run time.
    IRRewriter rewriter(&getContext());
    SmallVector<Operation *> folded;
    getOperation()->walk([&](onnx::NodeOp node) {
      if (node->getNumResults() != 1 || node.getOpType() == "Constant")
        return;
      Value result = node->getResult(0);
      auto type = dyn_cast<RankedTensorType>(result.getType());
      if (!type || !type.hasStaticShape() || type.getRank() > 1 ||
          !isa<IntegerType>(type.getElementType()) || result.use_empty() ||
          llvm::any_of(result.getUsers(), [](Operation *user) { return !isa<onnx::NodeOp>(user); }))
        return;
      std::optional<SmallVector<int64_t>> ints = foldInts(result, 0, /*exact=*/true);
      if (!ints || int64_t(ints->size()) != type.getNumElements() ||
          llvm::is_contained(*ints, kDyn))
        return;
      rewriter.setInsertionPoint(node);
      SmallVector<APInt> values;
      for (int64_t v : *ints)
        values.push_back(APInt(type.getElementTypeBitWidth(), v,
                               /*isSigned=*/type.getElementTypeBitWidth() > 1,
                               /*implicitTrunc=*/true));
      rewriter.replaceAllUsesWith(
          result, arith::ConstantOp::create(rewriter, node.getLoc(),
                                            DenseIntElementsAttr::get(type, values)));
      folded.push_back(node);
    });
    // With what only computed them.
    eraseDeadOnnx(rewriter, folded);
  }
};

} // namespace
