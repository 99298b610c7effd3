//===- OnnxGraph.cpp - Reading onnx.node graphs for what they compute -----===//

#include "OnnxGraph.h"

#include "moe/Support/ConstantBytes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::moe;
using namespace mlir::moe::graph;

onnx::NodeOp graph::nodeOf(Value v, StringRef type) {
  auto node = v ? v.getDefiningOp<onnx::NodeOp>() : onnx::NodeOp();
  if (!node || node.getOpType() != type ||
      !(node.getDomain().empty() || node.getDomain() == "ai.onnx"))
    return {};
  return node;
}

int64_t graph::intAttrOr(onnx::NodeOp node, StringRef name, int64_t otherwise) {
  if (auto attr = dyn_cast_or_null<IntegerAttr>(node.getAttrs().get(name)))
    return attr.getInt();
  return otherwise;
}

std::optional<SmallVector<int64_t>> graph::intsAttrOf(onnx::NodeOp node,
                                               StringRef name) {
  Attribute attr = node.getAttrs().get(name);
  if (auto array = dyn_cast_or_null<DenseI64ArrayAttr>(attr))
    return SmallVector<int64_t>(array.asArrayRef());
  if (auto array = dyn_cast_or_null<ArrayAttr>(attr)) {
    SmallVector<int64_t> ints;
    for (Attribute element : array) {
      auto integer = dyn_cast<IntegerAttr>(element);
      if (!integer)
        return std::nullopt;
      ints.push_back(integer.getInt());
    }
    return ints;
  }
  return std::nullopt;
}

Value graph::input(onnx::NodeOp node, unsigned i) {
  if (!node || i >= node.getInputs().size())
    return {};
  Value v = node.getInputs()[i];
  return isa<RankedTensorType, UnrankedTensorType>(v.getType()) ? v : Value();
}

int64_t graph::rankOf(Value v) {
  auto type = v ? dyn_cast<RankedTensorType>(v.getType()) : RankedTensorType();
  return type ? type.getRank() : -1;
}

ArrayRef<int64_t> graph::shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

ElementsAttr graph::constantAttr(Value v) {
  if (!v)
    return {};
  if (auto constant = v.getDefiningOp<arith::ConstantOp>())
    return dyn_cast<ElementsAttr>(constant.getValue());
  if (onnx::NodeOp node = nodeOf(v, "Constant"))
    return dyn_cast_or_null<ElementsAttr>(node.getAttrs().get("value"));
  return {};
}

std::optional<SmallVector<int64_t>> graph::foldInts(Value v, unsigned depth, bool exact) {
  if (!v || depth > 16)
    return std::nullopt;
  if (auto ints = dyn_cast_or_null<DenseIntElementsAttr>(constantAttr(v)))
    return llvm::to_vector(llvm::map_range(
        ints.getValues<APInt>(), [](const APInt &i) { return i.getSExtValue(); }));
  auto node = v.getDefiningOp<onnx::NodeOp>();
  if (!node)
    return std::nullopt;
  StringRef type = node.getOpType();
  if (type == "Shape") {
    Value of = input(node, 0);
    if (rankOf(of) < 0)
      return std::nullopt;
    SmallVector<int64_t> shape(shapeOf(of));
    // index_add_ exports expand their source to the shape of a one-row
    // slice of the output: count such a slice's dim as 1 (it is 0 only for
    // an output without rows, where the expand has nothing to broadcast).
    if (onnx::NodeOp slice = exact ? onnx::NodeOp() : nodeOf(of, "Slice")) {
      auto starts = foldInts(input(slice, 1), depth + 1, exact);
      auto ends = foldInts(input(slice, 2), depth + 1, exact);
      auto axes = input(slice, 3) ? foldInts(input(slice, 3), depth + 1, exact)
                                  : std::optional<SmallVector<int64_t>>();
      if (starts && ends && axes && starts->size() == axes->size() &&
          ends->size() == axes->size() && !input(slice, 4))
        for (auto [start, end, axis] : llvm::zip(*starts, *ends, *axes)) {
          if (axis < 0)
            axis += shape.size();
          if (axis >= 0 && axis < int64_t(shape.size()) && start == 0 &&
              end == 1)
            shape[axis] = 1;
        }
    }
    int64_t rank = shape.size();
    int64_t start = intAttrOr(node, "start", 0), end = intAttrOr(node, "end", rank);
    start = std::clamp(start < 0 ? start + rank : start, int64_t(0), rank);
    end = std::clamp(end < 0 ? end + rank : end, int64_t(0), rank);
    return SmallVector<int64_t>(shape.begin() + start,
                                shape.begin() + std::max(start, end));
  }
  if (type == "Gather" && intAttrOr(node, "axis", 0) == 0) {
    auto data = foldInts(input(node, 0), depth + 1, exact);
    auto indices = foldInts(input(node, 1), depth + 1, exact);
    if (!data || !indices)
      return std::nullopt;
    SmallVector<int64_t> picked;
    int64_t size = data->size();
    for (int64_t i : *indices) {
      if (i == ShapedType::kDynamic || i < -size || i >= size)
        return std::nullopt;
      picked.push_back((*data)[i < 0 ? i + size : i]);
    }
    return picked;
  }
  if (type == "Concat") {
    SmallVector<int64_t> all;
    for (Value part : node.getInputs()) {
      auto ints = foldInts(part, depth + 1, exact);
      if (!ints)
        return std::nullopt;
      all.append(*ints);
    }
    return all;
  }
  if (type == "Squeeze" || type == "Unsqueeze" || type == "Reshape" ||
      type == "Cast" || type == "Identity")
    return foldInts(input(node, 0), depth + 1, exact);
  if (type == "ConstantOfShape") {
    auto shape = foldInts(input(node, 0), depth + 1, exact);
    auto value = dyn_cast_or_null<DenseIntElementsAttr>(node.getAttrs().get("value"));
    if (!shape || shape->size() != 1 || (*shape)[0] < 0 || (*shape)[0] > 64)
      return std::nullopt;
    int64_t fill = value && value.getNumElements() == 1
                       ? (*value.getValues<APInt>().begin()).getSExtValue()
                       : 0;
    return SmallVector<int64_t>((*shape)[0], fill);
  }
  // Elementwise integer arithmetic of shape computations (torch's expand
  // writes "where(shape == -1, 1, shape)", rotate_half "shape[-1] // 2");
  // a single value broadcasts.
  if (type == "Mul" || type == "Add" || type == "Sub" || type == "Div" || type == "Equal" ||
      type == "Where") {
    SmallVector<SmallVector<int64_t>> operands;
    size_t size = 1;
    for (Value operand : node.getInputs()) {
      auto ints = foldInts(operand, depth + 1, exact);
      if (!ints || (ints->size() != 1 && size != 1 && ints->size() != size))
        return std::nullopt;
      size = std::max(size, ints->size());
      operands.push_back(std::move(*ints));
    }
    SmallVector<int64_t> result;
    for (size_t i = 0; i < size; ++i) {
      auto at = [&](unsigned o) { return operands[o][operands[o].size() == 1 ? 0 : i]; };
      // Unknown entries are dims from Shape: unknown through arithmetic,
      // and never equal to a negative number.
      bool unknown = at(0) == ShapedType::kDynamic ||
                     (operands.size() > 1 && at(1) == ShapedType::kDynamic);
      if (type == "Equal" && unknown) {
        int64_t other = at(0) == ShapedType::kDynamic ? at(1) : at(0);
        if (other == ShapedType::kDynamic || other >= 0)
          return std::nullopt;
        result.push_back(0);
      } else if (unknown && type != "Where")
        result.push_back(ShapedType::kDynamic);
      else if (type == "Mul")
        result.push_back(at(0) * at(1));
      else if (type == "Add")
        result.push_back(at(0) + at(1));
      else if (type == "Sub")
        result.push_back(at(0) - at(1));
      else if (type == "Div" && at(1) == 0)
        return std::nullopt;
      else if (type == "Div") // integer Div truncates, as C++'s does
        result.push_back(at(0) / at(1));
      else if (type == "Equal")
        result.push_back(at(0) == at(1));
      else if (at(0) == ShapedType::kDynamic)
        return std::nullopt;
      else
        result.push_back(at(0) ? at(1) : at(2));
    }
    return result;
  }
  return std::nullopt;
}

std::optional<int64_t> graph::foldInt(Value v) {
  auto ints = foldInts(v);
  if (!ints || ints->size() != 1 || (*ints)[0] == ShapedType::kDynamic)
    return std::nullopt;
  return (*ints)[0];
}

double graph::toDouble(APFloat value) {
  // Through double semantics: convertToDouble asserts on formats (the
  // 8-bit floats) it cannot read directly.
  bool losesInfo = false;
  value.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &losesInfo);
  return value.convertToDouble();
}

std::optional<double> graph::foldScalar(Value v) {
  ElementsAttr attr = constantAttr(v);
  if (!attr || attr.getNumElements() != 1)
    return std::nullopt;
  if (auto floats = dyn_cast<DenseFPElementsAttr>(attr))
    return toDouble(*floats.getValues<APFloat>().begin());
  if (auto ints = dyn_cast<DenseIntElementsAttr>(attr))
    return double((*ints.getValues<APInt>().begin()).getSExtValue());
  return std::nullopt;
}

std::optional<SmallVector<int64_t>> graph::axesOf(onnx::NodeOp node) {
  StringRef type = node.getOpType();
  uint64_t inputSince =
      type == "ReduceSum" || type == "Squeeze" || type == "Unsqueeze" ? 13 : 18;
  if (node.getVersion() >= inputSince)
    return input(node, 1) ? foldInts(input(node, 1)) : std::nullopt;
  return intsAttrOf(node, "axes");
}

bool graph::reducesLastAxis(onnx::NodeOp reduce, bool keepdims) {
  if (intAttrOr(reduce, "keepdims", 1) != int64_t(keepdims))
    return false;
  std::optional<SmallVector<int64_t>> axes = axesOf(reduce);
  int64_t rank = rankOf(input(reduce, 0));
  return axes && axes->size() == 1 && rank >= 1 &&
         ((*axes)[0] == -1 || (*axes)[0] == rank - 1);
}

bool graph::isZeroConstant(Value v) {
  // ConstantOfShape: zeros of a run-time shape (its value defaults to 0).
  if (onnx::NodeOp fill = nodeOf(v, "ConstantOfShape")) {
    Attribute value = fill.getAttrs().get("value");
    if (!value)
      return true;
    auto elements = dyn_cast<ElementsAttr>(value);
    std::optional<std::vector<char>> bytes =
        elements ? attributeRawBytes(elements) : std::nullopt;
    return bytes && llvm::all_of(*bytes, [](char c) { return c == 0; });
  }
  ElementsAttr attr = constantAttr(v);
  if (!attr)
    return false;
  if (auto dense = dyn_cast<DenseElementsAttr>(attr))
    if (dense.isSplat())
      return llvm::all_of(dense.getRawData(), [](char c) { return c == 0; });
  std::optional<std::vector<char>> bytes = attributeRawBytes(attr);
  return bytes && llvm::all_of(*bytes, [](char c) { return c == 0; });
}

bool graph::verifiesQuietly(Operation *op) {
  ScopedDiagnosticHandler quiet(op->getContext(), [](Diagnostic &) { return success(); });
  return succeeded(mlir::verify(op));
}

Value graph::skipCasts(Value v) {
  for (v = skipNoOps(v); onnx::NodeOp cast = nodeOf(v, "Cast");
       v = skipNoOps(v))
    v = input(cast, 0);
  return v;
}

Value graph::skipNoOps(Value v) {
  while (auto node = v ? v.getDefiningOp<onnx::NodeOp>() : onnx::NodeOp()) {
    StringRef type = node.getOpType();
    Value in = input(node, 0);
    if (!in || node->getNumResults() != 1)
      return v;
    auto inType = dyn_cast<ShapedType>(in.getType());
    auto outType = dyn_cast<ShapedType>(v.getType());
    bool same = inType && outType &&
                inType.getElementType() == outType.getElementType();
    if (type == "Identity" || (type == "Cast" && same)) {
      v = in;
      continue;
    }
    if (type == "Expand" && same && rankOf(in) >= 0) {
      auto target = foldInts(input(node, 1));
      ArrayRef<int64_t> shape = shapeOf(in);
      if (!target || target->size() > shape.size())
        return v;
      size_t lead = shape.size() - target->size();
      bool noop = llvm::all_of(llvm::enumerate(*target), [&](auto dim) {
        int64_t have = shape[lead + dim.index()];
        return dim.value() == 1 || (have != ShapedType::kDynamic && dim.value() == have);
      });
      if (!noop)
        return v;
      v = in;
      continue;
    }
    return v;
  }
  return v;
}

bool graph::isReshapeLike(onnx::NodeOp node) {
  StringRef type = node.getOpType();
  return type == "Reshape" || type == "Flatten" || type == "Squeeze" ||
         type == "Unsqueeze";
}

Value graph::rowSource(Value v) {
  for (v = skipNoOps(v);; v = skipNoOps(v)) {
    auto node = v.getDefiningOp<onnx::NodeOp>();
    if (!node || !isReshapeLike(node) || node->getNumResults() != 1)
      return v;
    Value in = input(node, 0);
    if (rankOf(in) < 1 || rankOf(v) < 1)
      return v;
    int64_t inLast = shapeOf(in).back(), outLast = shapeOf(v).back();
    if (inLast == ShapedType::kDynamic || inLast != outLast)
      return v;
    v = in;
  }
}

Value graph::rowMatrix(Value v) {
  for (v = skipNoOps(v);; v = skipNoOps(v)) {
    if (rankOf(v) == 2)
      return v;
    auto node = v.getDefiningOp<onnx::NodeOp>();
    Value in = node && isReshapeLike(node) ? input(node, 0) : Value();
    if (!in || rankOf(in) < 1 || rankOf(v) < 1 ||
        shapeOf(in).back() == ShapedType::kDynamic ||
        shapeOf(in).back() != shapeOf(v).back())
      return {};
    v = in;
  }
}

Value graph::linearSource(Value v) {
  for (v = skipNoOps(v);; v = skipNoOps(v)) {
    auto node = v.getDefiningOp<onnx::NodeOp>();
    if (!node || !isReshapeLike(node) || !input(node, 0))
      return v;
    v = input(node, 0);
  }
}

void graph::eraseDeadOnnx(RewriterBase &rewriter, ArrayRef<Operation *> roots) {
  SmallVector<Operation *> worklist(roots.begin(), roots.end());
  llvm::SmallPtrSet<Operation *, 32> erased;
  while (!worklist.empty()) {
    Operation *op = worklist.pop_back_val();
    if (erased.contains(op) || !op->use_empty() ||
        !isa<onnx::NodeOp, arith::ConstantOp>(op))
      continue;
    for (Value operand : op->getOperands())
      if (Operation *def = operand.getDefiningOp())
        worklist.push_back(def);
    erased.insert(op);
    rewriter.eraseOp(op);
  }
}

void graph::raiseEach(
    Operation *root, ArrayRef<StringRef> opTypes, bool latestFirst,
    function_ref<FailureOr<Value>(RewriterBase &, Operation *)> raise) {
  SmallVector<Operation *> candidates;
  root->walk([&](onnx::NodeOp node) {
    if (llvm::is_contained(opTypes, node.getOpType()))
      candidates.push_back(node);
  });
  if (latestFirst)
    std::reverse(candidates.begin(), candidates.end());
  // Candidates are only visited once, before any op is created, so an
  // erased one is never confused with a new op at its address.
  struct Listener : RewriterBase::Listener {
    llvm::SmallPtrSet<Operation *, 32> erased;
    void notifyOperationErased(Operation *op) override { erased.insert(op); }
  } listener;
  IRRewriter rewriter(root->getContext(), &listener);
  for (Operation *candidate : candidates)
    if (!listener.erased.contains(candidate))
      (void)raise(rewriter, candidate);
}
