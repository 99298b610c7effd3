//===- OnnxDims.cpp - Dims equal at run time by construction --------------===//
//
// With symbolic shapes a raising must know that two dims are the same
// length at run time (a mask built from q's length is as long as the
// scores' rows) without knowing the length. A dim is followed back to where
// it comes from: through nodes that pass it on unchanged (transposes,
// elementwise ops whose other operands have it as well or broadcast a 1,
// a matmul's outer dims, slices and concatenations along other axes) and
// through the shape operands exporters compute (a Reshape's or a
// ConstantOfShape's entry read from a Shape node). Two dims are equal when
// they reach the same dim of the same value, or function arguments' dims
// with the same ONNX dim_param. Anything else is not known to be equal.
//
//===----------------------------------------------------------------------===//

#include "OnnxGraph.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/Sequence.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace mlir::moe;
using namespace mlir::moe::graph;

namespace {

/// Where a dim comes from: a static size, a named dim of the function's
/// arguments, or a dim of a value that nothing further explains.
struct DimOrigin {
  int64_t size = ShapedType::kDynamic;
  StringRef param;
  Value value;
  int64_t dim = -1;
  bool operator==(const DimOrigin &o) const {
    if (size != ShapedType::kDynamic || o.size != ShapedType::kDynamic)
      return size == o.size;
    if (!param.empty() || !o.param.empty())
      return param == o.param;
    return value == o.value && dim == o.dim;
  }
};

constexpr unsigned kMaxDepth = 32;

std::optional<DimOrigin> originOf(Value v, int64_t d, unsigned depth);

/// The origin of entry `i` of a shape vector: a constant, or a dim read by
/// Shape (through Gather, Concat, (Un)Squeeze, Cast).
std::optional<DimOrigin> entryOrigin(Value shape, int64_t i, unsigned depth) {
  if (!shape || depth > kMaxDepth || i < 0)
    return std::nullopt;
  if (std::optional<SmallVector<int64_t>> ints = foldInts(shape, 0, /*exact=*/true))
    if (i < int64_t(ints->size()) && (*ints)[i] >= 0)
      return DimOrigin{(*ints)[i]};
  auto node = shape.getDefiningOp<onnx::NodeOp>();
  if (!node || !node.getDomain().empty())
    return std::nullopt;
  StringRef type = node.getOpType();
  if (type == "Shape") {
    Value of = input(node, 0);
    int64_t rank = rankOf(of);
    if (rank < 0)
      return std::nullopt;
    int64_t start = intAttrOr(node, "start", 0);
    start = std::clamp(start < 0 ? start + rank : start, int64_t(0), rank);
    return originOf(of, start + i, depth + 1);
  }
  if (type == "Gather" && intAttrOr(node, "axis", 0) == 0) {
    std::optional<SmallVector<int64_t>> indices = foldInts(input(node, 1), 0, /*exact=*/true);
    if (!indices || i >= int64_t(indices->size()) || rankOf(input(node, 0)) != 1)
      return std::nullopt;
    int64_t at = (*indices)[i], size = shapeOf(input(node, 0))[0];
    if (at < 0 && size != ShapedType::kDynamic)
      at += size;
    return at < 0 ? std::nullopt : entryOrigin(input(node, 0), at, depth + 1);
  }
  if (type == "Concat") {
    for (Value part : node.getInputs()) {
      if (rankOf(part) != 1 || ShapedType::isDynamic(shapeOf(part)[0]))
        return std::nullopt;
      int64_t n = shapeOf(part)[0];
      if (i < n)
        return entryOrigin(part, i, depth + 1);
      i -= n;
    }
    return std::nullopt;
  }
  if (type == "Unsqueeze" || type == "Squeeze" || type == "Cast" || type == "Identity" ||
      type == "Reshape")
    return entryOrigin(input(node, 0), i, depth + 1);
  return std::nullopt;
}

std::optional<DimOrigin> originOf(Value v, int64_t d, unsigned depth) {
  int64_t rank = rankOf(v);
  if (!v || rank < 0 || d < 0 || d >= rank || depth > kMaxDepth)
    return std::nullopt;
  if (!ShapedType::isDynamic(shapeOf(v)[d]))
    return DimOrigin{shapeOf(v)[d]};
  DimOrigin opaque{ShapedType::kDynamic, {}, v, d};
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    auto func = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
    DictionaryAttr attrs = func ? func.getArgAttrDict(arg.getArgNumber()) : DictionaryAttr();
    auto params = attrs ? attrs.getAs<ArrayAttr>("onnx.dim_params") : ArrayAttr();
    if (params && d < int64_t(params.size()))
      if (auto name = dyn_cast<StringAttr>(params[d]); name && !name.getValue().empty())
        opaque.param = name.getValue();
    return opaque;
  }
  auto node = v.getDefiningOp<onnx::NodeOp>();
  if (!node || !node.getDomain().empty() || node->getNumResults() != 1)
    return opaque;
  StringRef type = node.getOpType();
  // The dim that every operand which has it (not as a broadcast 1) agrees
  // on; operands align at their last dims.
  auto agreed = [&](ValueRange operands) -> std::optional<DimOrigin> {
    std::optional<DimOrigin> found;
    for (Value operand : operands) {
      int64_t r = rankOf(operand);
      if (r < 0)
        return std::nullopt;
      int64_t od = d - (rank - r);
      if (od < 0 || shapeOf(operand)[od] == 1)
        continue;
      std::optional<DimOrigin> o = originOf(operand, od, depth + 1);
      if (!o || (found && !(*found == *o)))
        return std::nullopt;
      found = o;
    }
    return found;
  };
  static const llvm::StringSet<> elementwise = {
      "Cast", "Neg",  "Exp",     "Sqrt",     "Reciprocal", "Sigmoid", "Tanh",  "Erf",
      "Abs",  "Relu", "Softmax", "Identity", "Cos",        "Sin",     "Trilu", "Add",
      "Sub",  "Mul",  "Div",     "Pow",      "Where",      "Equal",   "Less",  "Greater",
      "And",  "Or",   "Max",     "Min",      "Not",        "Clip"};
  std::optional<DimOrigin> found;
  if (elementwise.contains(type)) {
    // Trilu and Clip's further inputs are scalars, not broadcast operands.
    found = type == "Trilu" || type == "Clip" ? agreed(ValueRange{input(node, 0)})
                                              : agreed(node.getInputs());
  } else if (type == "Unsqueeze" || type == "Squeeze") {
    // The input's dims in order, less the inserted (or plus the removed)
    // unit axes.
    std::optional<SmallVector<int64_t>> axes = axesOf(node);
    Value in = input(node, 0);
    int64_t inRank = rankOf(in);
    if (axes && inRank >= 0) {
      bool inserting = type == "Unsqueeze";
      int64_t axisRank = inserting ? rank : inRank;
      llvm::SmallDenseSet<int64_t> listed;
      for (int64_t a : *axes)
        listed.insert(a < 0 ? a + axisRank : a);
      int64_t from = d;
      if (inserting) {
        for (int64_t i = 0; i < d; ++i)
          from -= listed.contains(i);
      } else {
        for (int64_t i = 0; i <= from; ++i)
          from += listed.contains(i);
      }
      if (!(inserting && listed.contains(d)))
        found = originOf(in, from, depth + 1);
    }
  } else if (type == "Transpose") {
    std::optional<SmallVector<int64_t>> perm = intsAttrOf(node, "perm");
    int64_t from = perm ? (d < int64_t(perm->size()) ? (*perm)[d] : -1) : rank - 1 - d;
    found = originOf(input(node, 0), from, depth + 1);
  } else if (type == "MatMul" && rank >= 2 && d >= rank - 2) {
    Value side = input(node, d == rank - 2 ? 0 : 1);
    int64_t r = rankOf(side);
    if (r >= 2)
      found = originOf(side, d == rank - 2 ? r - 2 : r - 1, depth + 1);
  } else if (type == "Slice") {
    std::optional<SmallVector<int64_t>> starts = foldInts(input(node, 1), 0, /*exact=*/true);
    std::optional<SmallVector<int64_t>> axes =
        input(node, 3) ? foldInts(input(node, 3), 0, /*exact=*/true)
        : starts       ? std::optional<SmallVector<int64_t>>(
                       llvm::to_vector(llvm::seq<int64_t>(0, starts->size())))
                 : std::nullopt;
    if (axes && llvm::none_of(*axes, [&](int64_t a) { return a == d || a + rank == d; }))
      found = originOf(input(node, 0), d, depth + 1);
  } else if (type == "Concat") {
    int64_t axis = intAttrOr(node, "axis", 0);
    if (axis != d && axis + rank != d)
      found = agreed(node.getInputs());
  } else if (type == "Reshape" || type == "ConstantOfShape") {
    Value shape = input(node, type == "Reshape" ? 1 : 0);
    found = entryOrigin(shape, d, depth + 1);
    // Reshape's 0 copies the input's dim (unless allowzero); -1 is
    // whatever is left, not known here.
    if (found && found->size == 0 && type == "Reshape" && !intAttrOr(node, "allowzero", 0))
      found = originOf(input(node, 0), d, depth + 1);
  } else if (type == "Expand" && rankOf(input(node, 1)) == 1 &&
             shapeOf(input(node, 1))[0] == rank) {
    // The larger of the input's dim and the entry: known when one is 1.
    Value in = input(node, 0);
    int64_t inDim = d - (rank - rankOf(in));
    std::optional<DimOrigin> entry = entryOrigin(input(node, 1), d, depth + 1);
    if (inDim < 0 || shapeOf(in)[inDim] == 1)
      found = entry;
    else if (entry && entry->size == 1)
      found = originOf(in, inDim, depth + 1);
  }
  return found ? found : std::optional<DimOrigin>(opaque);
}

} // namespace

bool graph::sameDim(Value a, int64_t da, Value b, int64_t db) {
  std::optional<DimOrigin> x = originOf(a, da, 0), y = originOf(b, db, 0);
  return x && y && *x == *y;
}

bool graph::entryIsDim(Value shape, int64_t i, Value v, int64_t d) {
  std::optional<DimOrigin> x = entryOrigin(shape, i, 0), y = originOf(v, d, 0);
  return x && y && *x == *y;
}
