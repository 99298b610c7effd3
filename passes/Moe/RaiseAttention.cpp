//===- RaiseAttention.cpp - Exported attention into moe.attention ---------===//
//
// torch exports scaled dot-product attention as its pieces: a MatMul of Q
// by K transposed, a scale (Div or Mul), a mask added (a constant, or Trilu
// of a constant for a causal triu), Softmax over keys and a MatMul by V,
// with GQA's repeat_kv (Unsqueeze, Expand, Reshape) in front of K and V.
// This reads those pieces for what they compute: K and V are taken before
// repeat_kv (the head counts say the grouping), the scale is the product of
// the constant factors on the way, and a mask whose values are 0 or -inf
// is read back into causal / sliding-window attributes when its visible
// keys are exactly such a band; any other additive mask stays an operand.
//
//===----------------------------------------------------------------------===//

#include "OnnxGraph.h"
#include "moe/Dialect/Moe/MoeOps.h"
#include "moe/Passes/Moe/Passes.h"
#include "moe/Support/ConstantBytes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>
#include <cstring>
#include <functional>

namespace mlir::moe {
#define GEN_PASS_DEF_MOERAISEATTENTION
#include "moe/Passes/Moe/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;
using namespace mlir::moe;
using namespace mlir::moe::graph;

namespace {

/// K or V before GQA's repeat_kv: Unsqueeze at axis 2, Expand along that
/// axis only, Reshape merging kv heads and repeats. `v` itself otherwise.
Value unrepeatKv(Value v) {
  v = skipNoOps(v);
  onnx::NodeOp reshape = nodeOf(v, "Reshape");
  onnx::NodeOp expand = reshape ? nodeOf(skipNoOps(input(reshape, 0)), "Expand")
                                : onnx::NodeOp();
  onnx::NodeOp unsqueeze =
      expand ? nodeOf(skipNoOps(input(expand, 0)), "Unsqueeze") : onnx::NodeOp();
  if (!unsqueeze || rankOf(v) != 4)
    return v;
  Value kv = input(unsqueeze, 0);
  auto axes = axesOf(unsqueeze);
  auto target = foldInts(input(expand, 1));
  if (rankOf(kv) != 4 || !axes || axes->size() != 1 || (*axes)[0] != 2 ||
      !target || target->size() != 5)
    return v;
  ArrayRef<int64_t> kvShape = shapeOf(kv), shape = shapeOf(v);
  int64_t repeats = (*target)[2];
  if (repeats <= 0 || ShapedType::isDynamic(kvShape[1]) ||
      shape[1] != kvShape[1] * repeats)
    return v;
  // The other dims are kept: a target of 1, of the dim itself, or (a dim
  // read from the model's shape) unknown where the dim is too.
  for (auto [at, dim] : llvm::zip(ArrayRef<int64_t>{0, 1, 3, 4}, kvShape)) {
    int64_t want = (*target)[at];
    if (want != 1 && want != dim &&
        !(want == ShapedType::kDynamic && ShapedType::isDynamic(dim)))
      return v;
  }
  if (shape[0] != kvShape[0] || shape[2] != kvShape[2] || shape[3] != kvShape[3])
    return v;
  return kv;
}

/// Peels multiplications and divisions by constants off `v`, folding them
/// into `scale`.
Value peelScale(Value v, double &scale) {
  for (v = skipNoOps(v);; v = skipNoOps(v)) {
    onnx::NodeOp node = v.getDefiningOp<onnx::NodeOp>();
    if (!node || (node.getOpType() != "Mul" && node.getOpType() != "Div") ||
        node->getNumOperands() != 2)
      return v;
    bool div = node.getOpType() == "Div";
    if (std::optional<double> c = foldScalar(input(node, 1)); c && *c != 0.0) {
      scale *= div ? 1.0 / *c : *c;
      v = input(node, 0);
    } else if (std::optional<double> c = foldScalar(input(node, 0)); c && !div) {
      scale *= *c;
      v = input(node, 1);
    } else {
      return v;
    }
  }
}

/// The elements of a constant f32 tensor (dense or dense_resource).
std::optional<std::vector<double>> floatTable(Value v) {
  ElementsAttr attr = constantAttr(v);
  if (!attr || !cast<ShapedType>(attr.getType()).getElementType().isF32())
    return std::nullopt;
  std::optional<std::vector<char>> bytes = attributeRawBytes(attr);
  if (!bytes || bytes->size() != size_t(attr.getNumElements()) * 4)
    return std::nullopt;
  std::vector<double> values(attr.getNumElements());
  for (size_t i = 0; i < values.size(); ++i) {
    float f;
    std::memcpy(&f, bytes->data() + 4 * i, 4);
    values[i] = f;
  }
  return values;
}

/// The additive mask's value at query row i, key column j, for masks whose
/// values can be known at compile time: constants and Trilu of a filled
/// constant (torch's triu of full(-inf)).
struct MaskValues {
  int64_t rows = 0, cols = 0;
  std::function<double(int64_t, int64_t)> at;
};

std::optional<MaskValues> maskValues(Value mask, int64_t rows, int64_t cols) {
  Value source = linearSource(mask);
  auto type = dyn_cast<RankedTensorType>(source.getType());
  if (!type || !type.hasStaticShape() || type.getNumElements() != rows * cols)
    return std::nullopt;
  // Masks added together (Mistral's window: a triu and a tril of -inf).
  if (onnx::NodeOp add = nodeOf(source, "Add")) {
    std::optional<MaskValues> a = maskValues(input(add, 0), rows, cols);
    std::optional<MaskValues> b = a ? maskValues(input(add, 1), rows, cols) : std::nullopt;
    if (!b)
      return std::nullopt;
    return MaskValues{rows, cols, [a = std::move(a->at), b = std::move(b->at)](int64_t i, int64_t j) {
                        return a(i, j) + b(i, j);
                      }};
  }
  if (onnx::NodeOp trilu = nodeOf(source, "Trilu")) {
    std::optional<std::vector<double>> full = floatTable(input(trilu, 0));
    std::optional<int64_t> k =
        input(trilu, 1) ? foldInt(input(trilu, 1)) : std::optional<int64_t>(0);
    if (!full || full->size() != size_t(rows * cols) || !k || rankOf(source) != 2)
      return std::nullopt;
    bool upper = intAttrOr(trilu, "upper", 1) != 0;
    int64_t diagonal = *k;
    return MaskValues{rows, cols, [=, full = std::move(*full)](int64_t i, int64_t j) {
                        bool kept = upper ? j - i >= diagonal : j - i <= diagonal;
                        return kept ? full[i * cols + j] : 0.0;
                      }};
  }
  std::optional<std::vector<double>> table = floatTable(source);
  if (!table)
    return std::nullopt;
  return MaskValues{rows, cols, [table = std::move(*table), cols](int64_t i, int64_t j) {
                      return table[i * cols + j];
                    }};
}

/// The float that every element of `v` holds: a splat constant or
/// ConstantOfShape's value.
std::optional<double> uniformFill(Value v) {
  if (onnx::NodeOp fill = nodeOf(v, "ConstantOfShape")) {
    auto value = dyn_cast_or_null<DenseFPElementsAttr>(fill.getAttrs().get("value"));
    if (!value || value.getNumElements() != 1)
      return std::nullopt;
    return graph::toDouble(*value.getValues<APFloat>().begin());
  }
  auto splat = dyn_cast_or_null<SplatElementsAttr>(constantAttr(v));
  if (!splat || !isa<FloatType>(splat.getElementType()))
    return std::nullopt;
  return graph::toDouble(splat.getSplatValue<APFloat>());
}

/// A mask of symbolic size whose value at (i, j) depends on j - i alone:
/// Trilu of a uniform fill (torch's triu of full(-inf) at a length known
/// only at run time) and sums of such of the same shape. Its band is then
/// the same at every size: `reach` bounds the diagonals it tells apart, so
/// a square sample beyond them shows it.
std::optional<MaskValues> diagonalMask(Value mask, int64_t &reach) {
  mask = skipNoOps(mask);
  if (rankOf(mask) != 2)
    return std::nullopt;
  if (onnx::NodeOp add = nodeOf(mask, "Add")) {
    for (int side = 0; side < 2; ++side)
      if (!sameDim(input(add, side), 0, mask, 0) || !sameDim(input(add, side), 1, mask, 1))
        return std::nullopt;
    std::optional<MaskValues> a = diagonalMask(input(add, 0), reach);
    std::optional<MaskValues> b = a ? diagonalMask(input(add, 1), reach) : std::nullopt;
    if (!b)
      return std::nullopt;
    return MaskValues{0, 0, [a = std::move(a->at), b = std::move(b->at)](int64_t i, int64_t j) {
                        return a(i, j) + b(i, j);
                      }};
  }
  onnx::NodeOp trilu = nodeOf(mask, "Trilu");
  std::optional<double> fill = trilu ? uniformFill(input(trilu, 0)) : std::nullopt;
  std::optional<int64_t> k =
      trilu && input(trilu, 1) ? foldInt(input(trilu, 1)) : std::optional<int64_t>(0);
  if (!fill || !k || *k < -(int64_t(1) << 20) || *k > (int64_t(1) << 20))
    return std::nullopt;
  bool upper = intAttrOr(trilu, "upper", 1) != 0;
  int64_t diagonal = *k;
  reach += std::abs(diagonal) + 1;
  return MaskValues{0, 0, [=, v = *fill](int64_t i, int64_t j) {
                      bool kept = upper ? j - i >= diagonal : j - i <= diagonal;
                      return kept ? v : 0.0;
                    }};
}

/// A mask read as attributes: causal and a window, aligned bottom-right.
struct Band {
  bool causal = false;
  int64_t left = -1, right = -1;
};

/// The band the mask's visible keys form, when its values are only 0
/// (visible) and -inf or below -1e30 (masked) and the visible keys of every
/// query are exactly those of a causal / windowed band.
std::optional<Band> bandOf(const MaskValues &mask) {
  // moe.attention without a cache puts query i at position i.
  int64_t rows = mask.rows, cols = mask.cols, offset = 0;
  std::vector<std::pair<int64_t, int64_t>> visible(rows, {-1, -1});
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) {
      double v = mask.at(i, j);
      if (v == 0.0) {
        if (visible[i].first < 0)
          visible[i].first = j;
        else if (visible[i].second != j - 1)
          return std::nullopt; // a gap: not a band
        visible[i].second = j;
      } else if (!(v < -1e30)) {
        return std::nullopt;
      }
    }
  // The window is read off the rows where it is not cut by the edges.
  Band band;
  std::optional<int64_t> right, left;
  for (int64_t i = 0; i < rows; ++i) {
    auto [lo, hi] = visible[i];
    if (lo < 0)
      return std::nullopt; // a query that sees nothing
    if (hi < cols - 1)
      right = hi - (i + offset);
    if (lo > 0)
      left = (i + offset) - lo;
  }
  if (right && *right < 0)
    return std::nullopt;
  band.causal = right && *right == 0;
  band.right = right && *right > 0 ? *right : -1;
  band.left = left ? *left : -1;
  if (band.left >= 0 && !right)
    return std::nullopt; // moe.attention wants a right bound with a left one
  // Every row must be exactly the band.
  for (int64_t i = 0; i < rows; ++i) {
    int64_t p = i + offset;
    int64_t lo = band.left >= 0 ? std::max<int64_t>(0, p - band.left) : 0;
    int64_t hi = right ? std::min(cols - 1, p + *right) : cols - 1;
    if (visible[i] != std::make_pair(lo, hi))
      return std::nullopt;
  }
  return band;
}

} // namespace

FailureOr<Value> moe::raiseAttention(RewriterBase &rewriter, Operation *root) {
  auto rootNode = dyn_cast<onnx::NodeOp>(root);
  if (!rootNode || root->getNumResults() != 1 ||
      !nodeOf(root->getResult(0), "MatMul"))
    return failure();
  Value output = root->getResult(0);
  onnx::NodeOp softmax = nodeOf(skipNoOps(input(rootNode, 0)), "Softmax");
  if (!softmax || rankOf(output) != 4)
    return failure();
  int64_t axis = intAttrOr(softmax, "axis", softmax.getVersion() >= 13 ? -1 : 1);
  if (axis != -1 && axis != 3)
    return failure();
  Value value = unrepeatKv(input(rootNode, 1));

  // Scores: (Q K^T) * scale [+ mask], the scale anywhere on the way.
  // A factor outside the mask's addition scales the mask too: only a band
  // of 0 and -inf (read as attributes) is unchanged by a positive one.
  double scale = 1.0;
  Value scores = peelScale(input(softmax, 0), scale);
  double outerScale = scale;
  if (outerScale <= 0.0)
    return failure();
  Value mask;
  if (onnx::NodeOp add = nodeOf(scores, "Add")) {
    for (int side = 0; side < 2; ++side) {
      double inner = 1.0;
      Value product = peelScale(input(add, side), inner);
      if (!nodeOf(product, "MatMul"))
        continue;
      scale *= inner;
      scores = product;
      mask = input(add, 1 - side);
      break;
    }
    if (!mask)
      return failure();
  }
  onnx::NodeOp qk = nodeOf(scores, "MatMul");
  if (!qk || rankOf(input(qk, 0)) != 4)
    return failure();
  Value query = peelScale(input(qk, 0), scale);
  onnx::NodeOp transpose = nodeOf(peelScale(input(qk, 1), scale), "Transpose");
  auto perm = transpose ? intsAttrOf(transpose, "perm") : std::nullopt;
  if (!perm || *perm != SmallVector<int64_t>{0, 1, 3, 2})
    return failure();
  Value key = unrepeatKv(peelScale(input(transpose, 0), scale));
  if (rankOf(query) != 4 || rankOf(key) != 4 || rankOf(value) != 4 ||
      !isa<FloatType>(cast<ShapedType>(query.getType()).getElementType()))
    return failure();

  // The mask: attributes when it is a band, else an operand added to the
  // scores (rank 4, as moe.attention takes it).
  ArrayRef<int64_t> scoresShape = shapeOf(qk->getResult(0));
  int64_t rows = scoresShape[2], cols = scoresShape[3];
  std::optional<Band> band;
  if (mask && !ShapedType::isDynamic(rows) && !ShapedType::isDynamic(cols)) {
    if (std::optional<MaskValues> values = maskValues(mask, rows, cols))
      band = bandOf(*values);
  } else if (mask) {
    // At a symbolic length: a mask of [rows, keys] (leading unit dims
    // aside) as long as the scores' by construction, its values a function
    // of j - i, is read on a sample.
    Value source = skipNoOps(mask);
    while (onnx::NodeOp unsqueeze = nodeOf(source, "Unsqueeze")) {
      std::optional<SmallVector<int64_t>> axes = axesOf(unsqueeze);
      int64_t outRank = rankOf(source);
      if (!axes ||
          llvm::any_of(*axes, [&](int64_t a) { return (a < 0 ? a + outRank : a) >= outRank - 2; }))
        break;
      source = skipNoOps(input(unsqueeze, 0));
    }
    int64_t reach = 0;
    Value product = qk->getResult(0);
    // The sample is (2 reach + 4)^2 values: a window of up to 8192 keys
    // (Mistral's is 4096) is read in a few seconds at most; a wider one
    // stays an operand.
    if (rankOf(source) == 2 && sameDim(source, 0, product, 2) && sameDim(source, 1, product, 3))
      if (std::optional<MaskValues> values = diagonalMask(source, reach); values && reach <= 8192) {
        values->rows = values->cols = 2 * reach + 4;
        band = bandOf(*values);
      }
  }
  if (mask && !band) {
    auto maskType = dyn_cast<RankedTensorType>(mask.getType());
    if (!maskType || maskType.getRank() > 4 || outerScale != 1.0 ||
        !isa<FloatType>(maskType.getElementType()))
      return failure();
  }

  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(root);
  Location loc = root->getLoc();
  Value maskOperand;
  if (mask && !band) {
    maskOperand = mask;
    auto maskType = cast<RankedTensorType>(mask.getType());
    if (maskType.getRank() < 4) {
      // Leading unit dims, as broadcasting would add them.
      SmallVector<int64_t> axes;
      for (int64_t i = 0; i < 4 - maskType.getRank(); ++i)
        axes.push_back(i);
      SmallVector<int64_t> shape(4 - maskType.getRank(), 1);
      llvm::append_range(shape, maskType.getShape());
      auto axesType = RankedTensorType::get({int64_t(axes.size())}, rewriter.getI64Type());
      Value axesValue = arith::ConstantOp::create(
          rewriter, loc, DenseIntElementsAttr::get(axesType, ArrayRef<int64_t>(axes)));
      maskOperand = onnx::NodeOp::create(rewriter, loc, TypeRange{maskType.clone(shape)},
                                         ValueRange{mask, axesValue}, "Unsqueeze", "", 13,
                                         rewriter.getDictionaryAttr({}))
                        .getResult(0);
    }
  }
  auto attention = AttentionOp::create(
      rewriter, loc, query, key, value, maskOperand, Value(), Value(), Value(),
      rewriter.getF64FloatAttr(scale), rewriter.getF64FloatAttr(0.0),
      band && band->causal ? rewriter.getUnitAttr() : UnitAttr(),
      rewriter.getI64IntegerAttr(band ? band->left : -1),
      rewriter.getI64IntegerAttr(band ? band->right : -1),
      rewriter.getI64IntegerAttr(0), IntegerAttr());
  if (!verifiesQuietly(attention) ||
      attention.getOutput().getType() != output.getType()) {
    rewriter.eraseOp(attention);
    if (maskOperand && maskOperand != mask)
      rewriter.eraseOp(maskOperand.getDefiningOp());
    return failure();
  }
  rewriter.replaceAllUsesWith(output, attention.getOutput());
  eraseDeadOnnx(rewriter, {root});
  return attention.getOutput();
}

namespace {
struct MoeRaiseAttentionPass
    : moe::impl::MoeRaiseAttentionBase<MoeRaiseAttentionPass> {
  void runOnOperation() override {
    raiseEach(getOperation(), {"MatMul"}, /*latestFirst=*/false, raiseAttention);
  }
};
} // namespace
