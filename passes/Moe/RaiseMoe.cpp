//===- RaiseMoe.cpp - Exported expert loops into moe.route + moe.experts --===//
//
// torch exports a HuggingFace MoE block as its Python loop unrolled: per
// expert, NonZero over a one-hot slice of the top-k indices, a Gather of the
// chosen tokens, the expert's FFN, a Gather of the slot's routing weight and
// a ScatterElements added into the output. This reads such a graph for what
// it computes, not for its node list: a sum whose terms each add expert e's
// FFN, over exactly the tokens whose top-k chose e, weighted by that slot's
// routing weight, back into the token rows. Reshapes that keep the rows,
// same-type casts, identities and no-op expands are seen through, so other
// sizes, expert counts, top-k, opsets and symbolic batch/sequence raise
// alike. A term the sum cannot explain (an unknown FFN, a weight from
// elsewhere, a missing expert) leaves the graph as it is.
//
// It runs on the onnx level, before conversion: afterwards NonZero is a
// pair of loops and the slot index arithmetic is buried in generics.
//
//===----------------------------------------------------------------------===//

#include "moe/Dialect/Moe/MoeOps.h"
#include "moe/Dialect/Onnx/OnnxOps.h"
#include "moe/Passes/Moe/Passes.h"
#include "OnnxGraph.h"
#include "RaiseRouting.h"
#include "moe/Support/ConstantBytes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/SetVector.h"

#include <cmath>
#include <map>

namespace mlir::moe {
#define GEN_PASS_DEF_MOERAISEMOE
#include "moe/Passes/Moe/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;
using namespace mlir::moe;

using namespace mlir::moe::graph;

namespace {

//===----------------------------------------------------------------------===//
// The meaning of the routing values
//===----------------------------------------------------------------------===//

/// Coordinate `index` (a row of NonZero's [rank, n] output) of the nonzero
/// elements of a mask.
struct Coord {
  Operation *nonZero = nullptr;
  int64_t index = -1;
  bool operator==(const Coord &other) const {
    return nonZero == other.nonZero && index == other.index;
  }
};

/// A size-1 slice of `node`'s input along `axis`: which position, or -1.
int64_t unitSliceIndex(onnx::NodeOp node, Value result, int64_t axis) {
  if (node.getOpType() == "Gather") {
    if (intAttrOr(node, "axis", 0) != axis)
      return -1;
    auto at = foldInts(input(node, 1));
    return at && at->size() == 1 && (*at)[0] >= 0 ? (*at)[0] : -1;
  }
  if (node.getOpType() == "Split") {
    if (intAttrOr(node, "axis", 0) != axis)
      return -1;
    // Every part one wide: the part number is the position.
    for (Value part : node.getOutputs())
      if (rankOf(part) <= axis || shapeOf(part)[axis] != 1)
        return -1;
    return cast<OpResult>(result).getResultNumber();
  }
  return -1;
}

/// Which NonZero coordinate the 1-D (or unit-padded) index vector `v` is.
std::optional<Coord> coordOf(Value v) {
  v = linearSource(v);
  auto node = v.getDefiningOp<onnx::NodeOp>();
  if (!node)
    return std::nullopt;
  // A row of NonZero's output directly, or a column of its transpose.
  Value from = input(node, 0);
  int64_t axis = 0;
  if (auto transpose = nodeOf(from, "Transpose")) {
    auto perm = intsAttrOf(transpose, "perm");
    if (rankOf(from) != 2 || (perm && *perm != SmallVector<int64_t>{1, 0}))
      return std::nullopt;
    from = input(transpose, 0);
    axis = 1;
  }
  onnx::NodeOp nonZero = nodeOf(from, "NonZero");
  if (!nonZero)
    return std::nullopt;
  int64_t index = unitSliceIndex(node, v, axis);
  if (index < 0 && axis == 1)
    index = unitSliceIndex(node, v, -1);
  if (index < 0 || index >= rankOf(input(nonZero, 0)))
    return std::nullopt;
  return Coord{nonZero, index};
}

/// A mask whose element at the (token, slot) position, in some order, is
/// nonzero exactly when the top-k indices chose `expert` there.
struct ExpertMask {
  Value indices;          // [T, k], the top-k indices (casts seen through)
  int64_t expert = -1;
  int64_t numExperts = -1;
  int64_t tokenAxis = -1; // of the mask: 0 for [T, k], 1 for [k, T]
};

std::optional<ExpertMask> maskOf(Value mask) {
  mask = skipCasts(mask);
  onnx::NodeOp gather = nodeOf(mask, "Gather");
  if (!gather || rankOf(mask) != 2)
    return std::nullopt;
  auto expert = foldInts(input(gather, 1));
  Value source = skipCasts(input(gather, 0));
  if (!expert || expert->size() != 1 || rankOf(input(gather, 1)) != 0 ||
      rankOf(source) != 3)
    return std::nullopt;
  int64_t axis = intAttrOr(gather, "axis", 0);
  axis = axis < 0 ? axis + 3 : axis;

  // The dims of `source` as dims of the one-hot: 0 token, 1 slot, 2 expert.
  SmallVector<int64_t> dims = {0, 1, 2};
  if (onnx::NodeOp transpose = nodeOf(source, "Transpose")) {
    auto perm = intsAttrOf(transpose, "perm");
    if (!perm || perm->size() != 3)
      return std::nullopt;
    dims = *perm;
    source = skipCasts(input(transpose, 0));
  }
  onnx::NodeOp oneHot = nodeOf(source, "OneHot");
  if (!oneHot)
    return std::nullopt;
  // OneHot inserts the expert dim at its axis among the index dims.
  int64_t hotAxis = intAttrOr(oneHot, "axis", -1);
  hotAxis = hotAxis < 0 ? hotAxis + 3 : hotAxis;
  SmallVector<int64_t> hotDims = {0, 1};
  hotDims.insert(hotDims.begin() + std::clamp<int64_t>(hotAxis, 0, 2), 2);
  for (int64_t &d : dims)
    d = hotDims[d];
  auto values = dyn_cast_or_null<DenseElementsAttr>(constantAttr(input(oneHot, 2)));
  std::optional<int64_t> depth = foldInt(input(oneHot, 1));
  if (dims[axis] != 2 || !values || values.getNumElements() != 2 || !depth)
    return std::nullopt;
  // off value 0, on value nonzero: the slice is a mask of "chose expert".
  std::optional<std::vector<char>> bytes = attributeRawBytes(values);
  if (!bytes)
    return std::nullopt;
  size_t half = bytes->size() / 2;
  if (!llvm::all_of(ArrayRef<char>(*bytes).take_front(half),
                    [](char c) { return c == 0; }) ||
      llvm::all_of(ArrayRef<char>(*bytes).drop_front(half),
                   [](char c) { return c == 0; }))
    return std::nullopt;
  SmallVector<int64_t> rest;
  for (int64_t i = 0; i < 3; ++i)
    if (i != axis)
      rest.push_back(dims[i]);
  int64_t e = (*expert)[0] < 0 ? (*expert)[0] + *depth : (*expert)[0];
  return ExpertMask{skipCasts(input(oneHot, 0)), e, *depth,
                    rest[0] == 0 ? 0 : 1};
}

//===----------------------------------------------------------------------===//
// The expert FFNs
//===----------------------------------------------------------------------===//

/// A linear layer with constant weights: `weight` [in, out] for MatMul
/// (transposed) or as Gemm holds it.
struct Linear {
  Value weight;
  bool inOut = true;
  Value bias;

  int64_t outFeatures() const {
    return shapeOf(weight)[inOut ? 1 : 0];
  }
};

/// `out` = input @ W (+ b) with constant W and b; sets `input`.
std::optional<Linear> linearOf(Value out, Value &in) {
  out = skipNoOps(out);
  Linear linear;
  if (onnx::NodeOp add = nodeOf(out, "Add")) {
    for (int side = 0; side < 2; ++side) {
      Value bias = input(add, side);
      ElementsAttr attr = constantAttr(bias);
      if (!attr || rankOf(bias) < 1 ||
          attr.getNumElements() != shapeOf(bias).back())
        continue;
      std::optional<Linear> inner = linearOf(input(add, 1 - side), in);
      if (!inner || inner->bias || inner->outFeatures() != shapeOf(bias).back())
        continue;
      inner->bias = bias;
      return inner;
    }
    return std::nullopt;
  }
  if (onnx::NodeOp matmul = nodeOf(out, "MatMul")) {
    linear.weight = input(matmul, 1);
    linear.inOut = true;
    in = input(matmul, 0);
  } else if (onnx::NodeOp gemm = nodeOf(out, "Gemm")) {
    if (intAttrOr(gemm, "transA", 0) != 0)
      return std::nullopt;
    if (auto alpha = dyn_cast_or_null<FloatAttr>(gemm.getAttrs().get("alpha")))
      if (alpha.getValueAsDouble() != 1.0)
        return std::nullopt;
    if (auto beta = dyn_cast_or_null<FloatAttr>(gemm.getAttrs().get("beta")))
      if (beta.getValueAsDouble() != 1.0)
        return std::nullopt;
    linear.weight = input(gemm, 1);
    linear.inOut = intAttrOr(gemm, "transB", 0) == 0;
    linear.bias = input(gemm, 2);
    if (linear.bias && (!constantAttr(linear.bias) || rankOf(linear.bias) != 1))
      return std::nullopt;
    in = input(gemm, 0);
  } else {
    return std::nullopt;
  }
  if (!constantAttr(linear.weight) || rankOf(linear.weight) != 2 || !in)
    return std::nullopt;
  if (linear.bias && shapeOf(linear.bias).back() != linear.outFeatures())
    return std::nullopt;
  return linear;
}

/// An FFN: fc2(act(fc1(x)) [* fc3(x)]).
struct Ffn {
  Activation activation = Activation::Silu;
  Linear fc1, fc2;
  std::optional<Linear> fc3;
  Value input;
};

/// x * sigmoid(x) (either order): sets `x`.
bool isSilu(Value v, Value &x) {
  onnx::NodeOp mul = nodeOf(skipNoOps(v), "Mul");
  if (!mul)
    return false;
  for (int side = 0; side < 2; ++side) {
    onnx::NodeOp sigmoid = nodeOf(skipNoOps(input(mul, side)), "Sigmoid");
    if (sigmoid && skipNoOps(input(sigmoid, 0)) == skipNoOps(input(mul, 1 - side))) {
      x = skipNoOps(input(mul, 1 - side));
      return true;
    }
  }
  return false;
}

/// The hidden activation of an FFN: act(fc1(x)), or silu(fc1(x)) * fc3(x).
bool readHidden(Value h, Ffn &ffn) {
  h = skipNoOps(h);
  Value pre;
  auto ungated = [&](Activation activation) {
    std::optional<Linear> fc1 = linearOf(pre, ffn.input);
    if (!fc1)
      return false;
    ffn.activation = activation;
    ffn.fc1 = *fc1;
    return true;
  };
  if (isSilu(h, pre))
    return ungated(Activation::Silu);
  if (onnx::NodeOp relu = nodeOf(h, "Relu")) {
    pre = input(relu, 0);
    return ungated(Activation::Relu);
  }
  if (onnx::NodeOp gelu = nodeOf(h, "Gelu")) {
    auto approximate = dyn_cast_or_null<StringAttr>(gelu.getAttrs().get("approximate"));
    if (approximate && approximate.getValue() != "none")
      return false;
    pre = input(gelu, 0);
    return ungated(Activation::Gelu);
  }
  onnx::NodeOp mul = nodeOf(h, "Mul");
  if (!mul)
    return false;
  for (int side = 0; side < 2; ++side) {
    Value gateIn, upIn;
    if (!isSilu(input(mul, side), pre))
      continue;
    std::optional<Linear> fc1 = linearOf(pre, gateIn);
    std::optional<Linear> fc3 = linearOf(input(mul, 1 - side), upIn);
    if (!fc1 || !fc3 || skipNoOps(gateIn) != skipNoOps(upIn))
      continue;
    ffn.activation = Activation::Swiglu;
    ffn.fc1 = *fc1;
    ffn.fc3 = *fc3;
    ffn.input = gateIn;
    return true;
  }
  return false;
}

std::optional<Ffn> ffnOf(Value out) {
  Ffn ffn;
  Value hidden;
  std::optional<Linear> fc2 = linearOf(out, hidden);
  if (!fc2 || !readHidden(hidden, ffn))
    return std::nullopt;
  ffn.fc2 = *fc2;
  return ffn;
}

/// Whether two FFNs have the same structure and weight shapes, so that
/// they stack.
bool sameForm(const Ffn &a, const Ffn &b) {
  auto sameLinear = [](const Linear &x, const Linear &y) {
    return x.weight.getType() == y.weight.getType() && x.inOut == y.inOut &&
           bool(x.bias) == bool(y.bias);
  };
  return a.activation == b.activation && bool(a.fc3) == bool(b.fc3) &&
         sameLinear(a.fc1, b.fc1) && sameLinear(a.fc2, b.fc2) &&
         (!a.fc3 || sameLinear(*a.fc3, *b.fc3));
}

//===----------------------------------------------------------------------===//
// The sum of expert terms
//===----------------------------------------------------------------------===//

/// One routed expert's contribution: its FFN over the rows of `tokens` it
/// was chosen for, weighted, scattered back.
struct ExpertTerm {
  int64_t expert = -1;
  int64_t numExperts = -1;
  Ffn ffn;
  Value tokens;        // [T, H]: the rows the expert reads
  Value routeIndices;  // the top-k indices output
  Value routeWeights;  // [T, k]
};

/// `rows` = tokens[coordinate `token` of a NonZero]: a Gather along the
/// row axis of a row view of the tokens. Sets `tokens`.
bool readGatheredRows(Value rows, Coord &token, Value &tokens) {
  onnx::NodeOp gather = nodeOf(rowSource(rows), "Gather");
  if (!gather)
    return false;
  Value data = input(gather, 0);
  int64_t rank = rankOf(data);
  int64_t axis = intAttrOr(gather, "axis", 0);
  axis = axis < 0 ? axis + rank : axis;
  if (rank < 2 || axis != rank - 2 || rankOf(input(gather, 1)) != 1)
    return false;
  // Every dim before the rows is 1, so the gathered axis is all the rows.
  if (!llvm::all_of(shapeOf(data).drop_back(2), [](int64_t d) { return d == 1; }))
    return false;
  std::optional<Coord> coord = coordOf(input(gather, 1));
  if (!coord)
    return false;
  token = *coord;
  tokens = rowMatrix(data);
  return bool(tokens);
}

/// `w` ([n, 1]) = weights[token, slot] for the coordinates of one NonZero,
/// read from the flattened weights at token * k + slot. Sets `weights`.
bool readSlotWeights(Value w, Coord token, Coord slot, Value &weights) {
  onnx::NodeOp gather = nodeOf(rowSource(w), "Gather");
  if (!gather || intAttrOr(gather, "axis", 0) != 0)
    return false;
  Value flat = input(gather, 0);
  if (rankOf(flat) < 1 ||
      !llvm::all_of(shapeOf(flat).drop_front(), [](int64_t d) { return d == 1; }))
    return false;
  weights = linearSource(flat);
  if (rankOf(weights) != 2 || shapeOf(weights)[1] == ShapedType::kDynamic)
    return false;
  int64_t k = shapeOf(weights)[1];
  onnx::NodeOp add = nodeOf(skipNoOps(input(gather, 1)), "Add");
  if (!add)
    return false;
  for (int side = 0; side < 2; ++side) {
    std::optional<Coord> s = coordOf(input(add, side));
    onnx::NodeOp mul = nodeOf(skipNoOps(input(add, 1 - side)), "Mul");
    if (!s || !(*s == slot) || !mul)
      continue;
    for (int m = 0; m < 2; ++m) {
      std::optional<Coord> t = coordOf(input(mul, m));
      std::optional<int64_t> stride = foldInt(input(mul, 1 - m));
      if (t && *t == token && stride && *stride == k)
        return true;
    }
  }
  return false;
}

/// The term `update` scattered at `index` rows: an expert term when it is
/// one.
std::optional<ExpertTerm> expertTermOf(Value index, Value update) {
  // Row indices broadcast along the columns.
  index = skipNoOps(index);
  if (onnx::NodeOp expand = nodeOf(index, "Expand"))
    index = input(expand, 0);
  std::optional<Coord> scatterToken = coordOf(index);
  if (!scatterToken || (rankOf(index) == 2 && shapeOf(index)[1] != 1))
    return std::nullopt;

  onnx::NodeOp mul = nodeOf(skipNoOps(update), "Mul");
  if (!mul)
    return std::nullopt;
  for (int side = 0; side < 2; ++side) {
    Value weighted = input(mul, 1 - side);
    if (rankOf(weighted) != 2 || shapeOf(weighted)[1] != 1)
      continue;
    std::optional<Ffn> ffn = ffnOf(input(mul, side));
    ExpertTerm term;
    Coord token;
    if (!ffn || !readGatheredRows(ffn->input, token, term.tokens) ||
        !(token == *scatterToken))
      continue;
    Operation *nonZero = token.nonZero;
    std::optional<ExpertMask> mask = maskOf(nonZero->getOperand(0));
    if (!mask || mask->tokenAxis != token.index)
      continue;
    Coord slot{nonZero, 1 - token.index};
    if (!readSlotWeights(weighted, token, slot, term.routeWeights))
      continue;
    term.expert = mask->expert;
    term.numExperts = mask->numExperts;
    term.ffn = *ffn;
    term.routeIndices = mask->indices;
    return term;
  }
  return std::nullopt;
}

/// The terms of a sum of row-scattered expert outputs: Adds, ScatterElements
/// along rows into zeros or (reduction add) into the rest of the sum, and
/// row views of those. What is not a scatter is an `other` term.
void collectTerms(Value v, SmallVectorImpl<std::pair<Value, Value>> &scatters,
                  SmallVectorImpl<Value> &others, unsigned depth = 0) {
  v = rowSource(v);
  if (depth > 4096)
    return others.push_back(v);
  if (onnx::NodeOp add = nodeOf(v, "Add");
      add && add.getInputs()[0].getType() == add.getInputs()[1].getType()) {
    collectTerms(input(add, 0), scatters, others, depth + 1);
    collectTerms(input(add, 1), scatters, others, depth + 1);
    return;
  }
  if (onnx::NodeOp scatter = nodeOf(v, "ScatterElements")) {
    int64_t rank = rankOf(v);
    int64_t axis = intAttrOr(scatter, "axis", 0);
    auto reduction = dyn_cast_or_null<StringAttr>(scatter.getAttrs().get("reduction"));
    StringRef how = reduction ? reduction.getValue() : "none";
    if (rank == 2 && (axis == 0 || axis == -2) && (how == "none" || how == "add")) {
      Value data = input(scatter, 0);
      // Without a reduction the rows overwrite: only into zeros is it a sum
      // (a token appears once per expert: top-k picks distinct experts).
      if (how == "add" || isZeroConstant(data)) {
        scatters.push_back({input(scatter, 1), input(scatter, 2)});
        if (how == "add")
          collectTerms(data, scatters, others, depth + 1);
        return;
      }
    }
  }
  if (isZeroConstant(v))
    return;
  others.push_back(v);
}

/// A shared expert: ffn(x), or sigmoid(x @ gate) * ffn(x) (Qwen-MoE).
struct SharedExpert {
  Ffn ffn;
  Value gate; // [H, 1] or [1, H] constant, or null
  bool gateInOut = true;
};

std::optional<SharedExpert> sharedExpertOf(Value v) {
  v = skipNoOps(v);
  SharedExpert shared;
  if (std::optional<Ffn> ffn = ffnOf(v)) {
    shared.ffn = *ffn;
    return shared;
  }
  onnx::NodeOp mul = nodeOf(v, "Mul");
  if (!mul)
    return std::nullopt;
  for (int side = 0; side < 2; ++side) {
    onnx::NodeOp sigmoid = nodeOf(skipNoOps(input(mul, side)), "Sigmoid");
    std::optional<Ffn> ffn = ffnOf(input(mul, 1 - side));
    if (!sigmoid || !ffn)
      continue;
    Value gateIn;
    std::optional<Linear> gate = linearOf(input(sigmoid, 0), gateIn);
    if (!gate || gate->bias || gate->outFeatures() != 1 ||
        rowSource(gateIn) != rowSource(ffn->input))
      continue;
    shared.ffn = *ffn;
    shared.gate = gate->weight;
    shared.gateInOut = gate->inOut;
    return shared;
  }
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Building the raised ops
//===----------------------------------------------------------------------===//

/// The weight of `linear` in linear-layer layout [out, in], as bytes.
std::optional<std::vector<char>> outInBytes(const Linear &linear) {
  std::optional<std::vector<char>> bytes =
      attributeRawBytes(constantAttr(linear.weight));
  auto type = cast<RankedTensorType>(linear.weight.getType());
  unsigned width = type.getElementTypeBitWidth() / 8;
  if (!bytes || width == 0 ||
      bytes->size() != size_t(type.getNumElements()) * width)
    return std::nullopt;
  if (!linear.inOut)
    return bytes;
  return transposeMatrixBytes(*bytes, 1, type.getDimSize(0),
                              type.getDimSize(1), width);
}

/// One constant holding the parts, each of `partType`, stacked along a new
/// leading dim.
Value stack(OpBuilder &b, Location loc, RankedTensorType partType,
            ArrayRef<std::vector<char>> parts, StringRef name) {
  std::vector<char> all;
  for (const std::vector<char> &part : parts)
    all.insert(all.end(), part.begin(), part.end());
  SmallVector<int64_t> shape = {int64_t(parts.size())};
  llvm::append_range(shape, partType.getShape());
  return bytesConstant(b, loc, partType.clone(shape), all, name);
}

/// fc weights of every expert stacked [E, out, in], biases [E, out]; null
/// for a projection the FFNs lack.
struct StackedWeights {
  Value fc1, fc2, fc3, b1, b2, b3;
};

FailureOr<StackedWeights> stackExperts(OpBuilder &b, Location loc,
                                       ArrayRef<const Ffn *> ffns) {
  StackedWeights stacked;
  auto stackOne = [&](function_ref<const Linear *(const Ffn &)> pick,
                      StringRef name, Value &weight, Value &bias) {
    SmallVector<std::vector<char>> weights, biases;
    for (const Ffn *ffn : ffns) {
      const Linear *linear = pick(*ffn);
      std::optional<std::vector<char>> bytes = outInBytes(*linear);
      if (!bytes)
        return false;
      weights.push_back(std::move(*bytes));
      if (linear->bias) {
        std::optional<std::vector<char>> biasBytes =
            attributeRawBytes(constantAttr(linear->bias));
        if (!biasBytes)
          return false;
        biases.push_back(std::move(*biasBytes));
      }
    }
    const Linear *first = pick(*ffns.front());
    auto type = cast<RankedTensorType>(first->weight.getType());
    int64_t out = first->outFeatures(), in = type.getDimSize(first->inOut ? 0 : 1);
    weight = stack(b, loc, type.clone({out, in}), weights, name);
    if (first->bias)
      bias = stack(b, loc, type.clone({out}), biases, (name + "_bias").str());
    return true;
  };
  if (!stackOne([](const Ffn &f) { return &f.fc1; }, "moe_fc1", stacked.fc1, stacked.b1) ||
      !stackOne([](const Ffn &f) { return &f.fc2; }, "moe_fc2", stacked.fc2, stacked.b2))
    return failure();
  if (ffns.front()->fc3 &&
      !stackOne([](const Ffn &f) { return &*f.fc3; }, "moe_fc3", stacked.fc3, stacked.b3))
    return failure();
  return stacked;
}

/// A weight in linear-layer layout [out, in].
Value outInWeight(OpBuilder &b, Location loc, const Linear &linear,
                  StringRef name) {
  if (!linear.inOut)
    return linear.weight;
  std::optional<std::vector<char>> bytes = outInBytes(linear);
  if (!bytes)
    return {};
  auto type = cast<RankedTensorType>(linear.weight.getType());
  return bytesConstant(b, loc, type.clone({type.getDimSize(1), type.getDimSize(0)}),
                       *bytes, name);
}

} // namespace

FailureOr<Value> moe::raiseRoutedExperts(RewriterBase &rewriter,
                                         Operation *root) {
  auto rootNode = dyn_cast<onnx::NodeOp>(root);
  if (!rootNode || root->getNumResults() != 1 ||
      (!nodeOf(root->getResult(0), "Add") &&
       !nodeOf(root->getResult(0), "ScatterElements")))
    return failure();
  Value sum = root->getResult(0);
  auto sumType = dyn_cast<RankedTensorType>(sum.getType());
  if (!sumType)
    return failure();

  SmallVector<std::pair<Value, Value>> scatters;
  SmallVector<Value> others;
  collectTerms(sum, scatters, others);
  if (scatters.empty() || others.size() > 1)
    return failure();

  // Every scatter one expert of the same routing, each expert once.
  std::map<int64_t, ExpertTerm> terms;
  for (auto [index, update] : scatters) {
    std::optional<ExpertTerm> term = expertTermOf(index, update);
    if (!term || terms.count(term->expert))
      return failure();
    const ExpertTerm &first = terms.empty() ? *term : terms.begin()->second;
    if (rowSource(term->tokens) != rowSource(first.tokens) ||
        term->routeIndices != first.routeIndices ||
        term->routeWeights != first.routeWeights ||
        term->numExperts != first.numExperts || !sameForm(term->ffn, first.ffn))
      return failure();
    terms[term->expert] = *term;
  }
  const ExpertTerm &first = terms.begin()->second;
  int64_t numExperts = first.numExperts;
  if (int64_t(terms.size()) != numExperts || terms.begin()->first != 0 ||
      terms.rbegin()->first != numExperts - 1)
    return failure();

  std::optional<Routing> routing = routingOf(first.routeIndices);
  if (!routing || !readWeights(first.routeWeights, *routing) ||
      shapeOf(routing->logits)[1] != numExperts ||
      shapeOf(first.routeWeights)[1] != routing->k)
    return failure();

  std::optional<SharedExpert> shared;
  if (!others.empty()) {
    shared = sharedExpertOf(others.front());
    if (!shared || shared->ffn.activation != first.ffn.activation ||
        rowSource(shared->ffn.input) != rowSource(first.tokens) ||
        shared->ffn.fc1.bias || shared->ffn.fc2.bias ||
        (shared->ffn.fc3 && shared->ffn.fc3->bias))
      return failure();
  }

  // The tokens as the sum holds them: rows of `first.tokens`.
  auto tokensType = cast<RankedTensorType>(first.tokens.getType());
  if (tokensType.getDimSize(1) != sumType.getShape().back() ||
      tokensType.getElementType() != sumType.getElementType())
    return failure();
  Value shapeSource;
  if (sumType != tokensType) {
    if (shared && shared->ffn.input.getType() == sumType)
      shapeSource = shared->ffn.input;
    else if (!sumType.hasStaticShape())
      return failure();
  }

  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(root);
  Location loc = root->getLoc();
  SmallVector<const Ffn *> ffns;
  for (auto &[expert, term] : terms)
    ffns.push_back(&term.ffn);
  FailureOr<StackedWeights> stacked = stackExperts(rewriter, loc, ffns);
  if (failed(stacked))
    return failure();
  Value sharedFc1, sharedFc2, sharedFc3, sharedGate;
  if (shared) {
    sharedFc1 = outInWeight(rewriter, loc, shared->ffn.fc1, "moe_shared_fc1");
    sharedFc2 = outInWeight(rewriter, loc, shared->ffn.fc2, "moe_shared_fc2");
    if (shared->ffn.fc3)
      sharedFc3 = outInWeight(rewriter, loc, *shared->ffn.fc3, "moe_shared_fc3");
    if (shared->gate) {
      // [H, 1] or [1, H]: the same H numbers either way.
      auto gateType = cast<RankedTensorType>(shared->gate.getType());
      std::optional<std::vector<char>> bytes =
          attributeRawBytes(constantAttr(shared->gate));
      if (!bytes)
        return failure();
      sharedGate = bytesConstant(
          rewriter, loc, gateType.clone({gateType.getNumElements()}), *bytes,
          "moe_shared_gate");
    }
    if (!sharedFc1 || !sharedFc2 || (shared->ffn.fc3 && !sharedFc3))
      return failure();
  }

  RouteOp route = buildRoute(rewriter, loc, *routing);
  if (!route)
    return failure();
  MLIRContext *ctx = rewriter.getContext();
  auto experts = ExpertsOp::create(
      rewriter, loc, tokensType, first.tokens, route.getWeights(),
      route.getIndices(), stacked->fc1, stacked->fc2, stacked->fc3, stacked->b1,
      stacked->b2, stacked->b3, sharedFc1, sharedFc2, sharedFc3, sharedGate,
      ActivationAttr::get(ctx, first.ffn.activation));
  if (!verifiesQuietly(route) || !verifiesQuietly(experts)) {
    rewriter.eraseOp(experts);
    rewriter.eraseOp(route);
    return failure();
  }

  Value result = experts.getResult();
  if (sumType != tokensType) {
    // Back to the rows' shape the sum had (its leading dims).
    Value shape;
    if (shapeSource) {
      shape = onnx::NodeOp::create(
                  rewriter, loc,
                  TypeRange{RankedTensorType::get({sumType.getRank()},
                                                  rewriter.getI64Type())},
                  ValueRange{shapeSource}, "Shape", "", 15,
                  rewriter.getDictionaryAttr({}))
                  .getResult(0);
    } else {
      auto shapeType = RankedTensorType::get({sumType.getRank()}, rewriter.getI64Type());
      shape = arith::ConstantOp::create(
          rewriter, loc, DenseIntElementsAttr::get(shapeType, sumType.getShape()));
    }
    result = onnx::NodeOp::create(rewriter, loc, TypeRange{sumType},
                                  ValueRange{result, shape}, "Reshape", "", 14,
                                  rewriter.getDictionaryAttr({}))
                 .getResult(0);
  }
  rewriter.replaceAllUsesWith(sum, result);
  eraseDeadOnnx(rewriter, {root});
  return result;
}

namespace {
struct MoeRaiseMoePass : moe::impl::MoeRaiseMoeBase<MoeRaiseMoePass> {
  void runOnOperation() override {
    raiseEach(getOperation(), {"Add", "ScatterElements"}, /*latestFirst=*/true,
              raiseRoutedExperts);
  }
};
} // namespace
