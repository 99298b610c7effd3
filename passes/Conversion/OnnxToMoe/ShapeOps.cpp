//===- ShapeOps.cpp - ONNX ops that compute or change shapes --------------===//
//
// Identity, Dropout, Constant, Shape, Size, ConstantOfShape, Reshape,
// Flatten, Squeeze, Unsqueeze and Expand. A shape is taken from a constant
// input or, failing that, from the static result type that ONNX's shape
// inference (with data propagation) gave the node; the shape arithmetic that
// computed it is then dead and canonicalisation removes it.
//
//===----------------------------------------------------------------------===//

#include "Broadcast.h"
#include "Helpers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <variant>

using namespace mlir;
using namespace mlir::moe;

namespace {

/// A dim of a shape being built: static size, or an index value.
using Dim = OpFoldResult;

SmallVector<Dim> dimsOf(OpBuilder &b, Location loc, Value value) {
  return tensor::getMixedSizes(b, loc, value);
}

Dim product(OpBuilder &b, Location loc, ArrayRef<Dim> dims) {
  int64_t known = 1;
  Value dynamic;
  for (Dim dim : dims) {
    if (std::optional<int64_t> size = getConstantIntValue(dim)) {
      known *= *size;
      continue;
    }
    Value v = cast<Value>(dim);
    dynamic = dynamic ? Value(arith::MulIOp::create(b, loc, dynamic, v)) : v;
  }
  if (!dynamic)
    return b.getIndexAttr(known);
  if (known == 1)
    return dynamic;
  return Value(arith::MulIOp::create(
      b, loc, dynamic, arith::ConstantIndexOp::create(b, loc, known)));
}

/// Whether two dims are the same: equal constants, one value, or reads of
/// one dim of one tensor.
bool sameDim(Dim a, Dim b) {
  if (isEqualConstantIntOrValue(a, b))
    return true;
  auto va = dyn_cast<Value>(a), vb = dyn_cast<Value>(b);
  auto da = va ? va.getDefiningOp<tensor::DimOp>() : tensor::DimOp();
  auto db = vb ? vb.getDefiningOp<tensor::DimOp>() : tensor::DimOp();
  return da && db && da.getSource() == db.getSource() &&
         da.getConstantIndex() && da.getConstantIndex() == db.getConstantIndex();
}

/// prod(num) / prod(den), cancelling equal dims first, so that a reshape
/// keeping a dynamic dim does not divide it by itself at run time.
Dim quotient(OpBuilder &b, Location loc, SmallVector<Dim> num,
             SmallVector<Dim> den) {
  for (auto it = den.begin(); it != den.end();) {
    auto match = llvm::find_if(
        num, [&](Dim n) { return sameDim(n, *it); });
    if (match == num.end()) {
      ++it;
      continue;
    }
    num.erase(match);
    it = den.erase(it);
  }
  Dim top = product(b, loc, num), bottom = product(b, loc, den);
  std::optional<int64_t> t = getConstantIntValue(top), r = getConstantIntValue(bottom);
  if (r && *r == 1)
    return top;
  if (t && r && *r != 0)
    return b.getIndexAttr(*t / *r);
  return Value(arith::DivUIOp::create(b, loc, indexValue(b, loc, top),
                                      indexValue(b, loc, bottom)));
}

/// A tensor of `shape` (dynamic dims from `like`) filled with `value`.
Value filled(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
             TypedAttr value, Value like) {
  auto type = RankedTensorType::get(shape, value.getType());
  if (type.hasStaticShape())
    return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, value));
  Value init = emptyWithDimsOf(b, loc, shape, value.getType(), like);
  Value scalar = arith::ConstantOp::create(b, loc, value);
  return linalg::FillOp::create(b, loc, scalar, init).getResult(0);
}

/// Entry `i` of a 1-d integer shape tensor as an index value, read through
/// the concats, from_elements and constants that shape arithmetic leaves,
/// so that the entries known at compile time are constants.
Value shapeEntry(OpBuilder &b, Location loc, Value shape, int64_t i) {
  if (auto from = shape.getDefiningOp<tensor::FromElementsOp>()) {
    Value element = from.getElements()[i];
    // A dim that Shape put in the tensor: the index it came from.
    if (auto cast = element.getDefiningOp<arith::IndexCastOp>();
        cast && cast.getIn().getType().isIndex())
      return cast.getIn();
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), element);
  }
  if (auto concat = shape.getDefiningOp<tensor::ConcatOp>();
      concat && concat.getDim() == 0) {
    for (Value piece : concat.getInputs()) {
      int64_t size = cast<RankedTensorType>(piece.getType()).getDimSize(0);
      if (ShapedType::isDynamic(size))
        break;
      if (i < size)
        return shapeEntry(b, loc, piece, i);
      i -= size;
    }
  }
  if (std::optional<SmallVector<int64_t>> values = constantInts(shape))
    return arith::ConstantIndexOp::create(b, loc, (*values)[i]);
  Value entry = tensor::ExtractOp::create(
      b, loc, shape, ValueRange{arith::ConstantIndexOp::create(b, loc, i)});
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), entry);
}

/// The entries of a 1-d integer shape tensor computed at run time, as
/// index values; canonicalisation folds the ones that are known.
FailureOr<SmallVector<Value>> runtimeShape(OnnxNode &node, Value shape) {
  auto type = dyn_cast<RankedTensorType>(shape.getType());
  if (!type || type.getRank() != 1 || type.isDynamicDim(0) ||
      !isa<IntegerType>(type.getElementType()))
    return node.emitError() << "the shape must be a 1-d integer tensor of "
                               "static length";
  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  SmallVector<Value> entries;
  for (int64_t i = 0; i < type.getDimSize(0); ++i)
    entries.push_back(shapeEntry(b, loc, shape, i));
  return entries;
}

/// Reshape to a target computed at run time, with ONNX's rules applied
/// per entry: 0 copies the input dim (unless allowzero), -1 takes what the
/// other dims leave. Entries known at compile time are applied here, the
/// others by selects.
LogicalResult reshapeToRuntimeShape(OnnxNode &node, RankedTensorType type) {
  FailureOr<SmallVector<Value>> target = runtimeShape(node, node.input(1));
  if (failed(target))
    return failure();
  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  Value input = node.input(0);
  bool allowZero = node.intAttr("allowzero", 0) != 0;
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value minusOne = arith::ConstantIndexOp::create(b, loc, -1);
  SmallVector<Dim> inputDims = dimsOf(b, loc, input);
  SmallVector<Dim> dims, known;
  // Per entry: whether it is -1 (true, false, or a run-time i1).
  SmallVector<std::variant<bool, Value>> inferred;
  for (auto [i, entry] : llvm::enumerate(*target)) {
    bool copies = !allowZero && static_cast<int64_t>(i) < type.getRank();
    if (std::optional<int64_t> c = getConstantIntValue(entry)) {
      if (*c < -1)
        return node.emitError() << "target dim " << *c << " is invalid";
      Dim dim = *c == 0 && copies ? inputDims[i] : Dim(b.getIndexAttr(*c));
      dims.push_back(dim);
      inferred.push_back(*c == -1);
      if (*c != -1)
        known.push_back(dim);
      continue;
    }
    Value dim = entry;
    // A dim read from a tensor is never -1, and copies itself when it is
    // the input's own dim here.
    if (auto read = entry.getDefiningOp<tensor::DimOp>()) {
      std::optional<int64_t> index = read.getConstantIndex();
      bool own = read.getSource() == input && index && *index == static_cast<int64_t>(i);
      if (copies && !own) {
        Value isZero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, entry, zero);
        dim = arith::SelectOp::create(b, loc, isZero, indexValue(b, loc, inputDims[i]), entry);
      }
      dims.push_back(dim);
      inferred.push_back(false);
      known.push_back(dim);
      continue;
    }
    if (copies) {
      Value isZero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, entry, zero);
      dim = arith::SelectOp::create(b, loc, isZero, indexValue(b, loc, inputDims[i]), entry);
    }
    Value isInferred = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, entry, minusOne);
    dims.push_back(dim);
    inferred.push_back(isInferred);
    known.push_back(Value(arith::SelectOp::create(b, loc, isInferred, one, dim)));
  }
  if (llvm::count_if(inferred, [](auto &f) {
        return std::holds_alternative<bool>(f) && std::get<bool>(f);
      }) > 1)
    return node.emitError() << "the target shape has two -1 dims";
  Dim left = quotient(b, loc, inputDims, known);
  for (auto [dim, flag] : llvm::zip(dims, inferred)) {
    if (std::holds_alternative<bool>(flag)) {
      if (std::get<bool>(flag))
        dim = left;
      continue;
    }
    dim = Value(arith::SelectOp::create(b, loc, std::get<Value>(flag),
                                        indexValue(b, loc, left),
                                        indexValue(b, loc, dim)));
  }
  // Dims the node's type declares (ONNX's inference, moe-refine-onnx-shapes)
  // are static whatever computed them: what follows is tiled for them.
  if (auto declared = dyn_cast<RankedTensorType>(node.getOp().getResult(0).getType());
      declared && declared.getRank() == static_cast<int64_t>(dims.size()))
    for (auto [dim, size] : llvm::zip(dims, declared.getShape()))
      if (!ShapedType::isDynamic(size))
        dim = b.getIndexAttr(size);
  node.replace(reshapeTo(b, loc, input, dims));
  return success();
}

/// Reshapes input 0 to the static result shape the node declares; fails
/// (without a diagnostic) when it declares none.
LogicalResult reshapeToDeclaredShape(OnnxNode &node) {
  std::optional<SmallVector<int64_t>> shape = staticResultShape(node);
  if (!shape)
    return failure();
  OpBuilder &b = node.builder();
  SmallVector<Dim> dims;
  for (int64_t dim : *shape)
    dims.push_back(b.getIndexAttr(dim));
  node.replace(reshapeTo(b, node.getLoc(), node.input(0), dims));
  return success();
}

LogicalResult convertReshape(OnnxNode &node) {
  FailureOr<RankedTensorType> type = node.rankedInput(0);
  if (failed(type))
    return failure();
  Value input = node.input(0);
  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  if (succeeded(reshapeToDeclaredShape(node)))
    return success();
  SmallVector<Dim> dims;
  std::optional<SmallVector<int64_t>> target = constantInts(node.input(1));
  if (!target)
    return reshapeToRuntimeShape(node, *type);
  bool allowZero = node.intAttr("allowzero", 0) != 0;
  SmallVector<Dim> inputDims = dimsOf(b, loc, input);
  int inferred = -1;
  for (auto [i, value] : llvm::enumerate(*target)) {
    if (value == -1) {
      if (inferred >= 0)
        return node.emitError() << "the target shape has two -1 dims";
      inferred = i;
      dims.push_back(b.getIndexAttr(1));
    } else if (value == 0 && !allowZero) {
      if (static_cast<int64_t>(i) >= type->getRank())
        return node.emitError() << "dim " << i
                                << " copies an input dim that does not exist";
      dims.push_back(inputDims[i]);
    } else if (value < 0) {
      return node.emitError() << "target dim " << value << " is invalid";
    } else {
      dims.push_back(b.getIndexAttr(value));
    }
  }
  if (inferred >= 0) {
    Dim total = product(b, loc, inputDims);
    Dim rest = product(b, loc, dims);
    std::optional<int64_t> t = getConstantIntValue(total);
    std::optional<int64_t> r = getConstantIntValue(rest);
    if (t && r) {
      if (*r == 0 || *t % *r != 0)
        return node.emitError() << "cannot infer the -1 dim: " << *t
                                << " elements into blocks of " << *r;
      dims[inferred] = b.getIndexAttr(*t / *r);
    } else {
      SmallVector<Dim> others(dims);
      others.erase(others.begin() + inferred);
      dims[inferred] = quotient(b, loc, inputDims, others);
    }
  }
  node.replace(reshapeTo(b, loc, input, dims));
  return success();
}

/// Axes from the `axes` input (opset 13 on) or attribute (before).
std::optional<SmallVector<int64_t>> axesOf(const OnnxNode &node) {
  if (node.getVersion() >= 13) {
    if (!node.input(1))
      return std::nullopt;
    return constantInts(node.input(1));
  }
  return intsAttr(node, "axes");
}

/// Expand to a shape computed at run time. Input dims that are statically
/// 1 (and missing leading dims) take the shape's entry; the others keep
/// their size, as a dynamic dim is taken to match, not to broadcast.
LogicalResult expandToRuntimeShape(OnnxNode &node) {
  FailureOr<SmallVector<Value>> shape = runtimeShape(node, node.input(1));
  FailureOr<RankedTensorType> type = node.rankedInput(0);
  if (failed(shape) || failed(type))
    return failure();
  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  Value input = node.signlessInput(0);
  int64_t inRank = type->getRank();
  int64_t rank = std::max<int64_t>(inRank, shape->size());
  int64_t shapeOffset = rank - static_cast<int64_t>(shape->size());
  int64_t inOffset = rank - inRank;
  SmallVector<Dim> inputDims = dimsOf(b, loc, input);
  SmallVector<Dim> outDims;
  SmallVector<AffineExpr> inExprs;
  for (int64_t i = 0; i < rank; ++i) {
    int64_t j = i - inOffset;
    bool broadcast = j < 0 || type->getDimSize(j) == 1;
    if (broadcast && i >= shapeOffset)
      outDims.push_back((*shape)[i - shapeOffset]);
    else
      outDims.push_back(j < 0 ? Dim(b.getIndexAttr(1)) : inputDims[j]);
    if (j >= 0)
      inExprs.push_back(broadcast ? b.getAffineConstantExpr(0) : b.getAffineDimExpr(i));
  }
  Type element = type->getElementType();
  if (element != cast<ShapedType>(input.getType()).getElementType())
    element = cast<ShapedType>(input.getType()).getElementType();
  Value init = tensor::EmptyOp::create(b, loc, outDims, element);
  MLIRContext *ctx = b.getContext();
  auto result = linalg::GenericOp::create(
      b, loc, init.getType(), input, init,
      ArrayRef{AffineMap::get(rank, 0, inExprs, ctx),
               AffineMap::getMultiDimIdentityMap(rank, ctx)},
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [](OpBuilder &nb, Location nl, ValueRange args) {
        linalg::YieldOp::create(nb, nl, args[0]);
      });
  node.replace(result.getResult(0));
  return success();
}

} // namespace

void moe::populateOnnxShapeHandlers(OnnxOpTable &table) {
  table.on("Identity", 1, [](OnnxNode &node) -> LogicalResult {
    if (!node.input(0))
      return node.emitError() << "needs an input";
    node.replace(node.input(0));
    return success();
  });

  // Inference: the data passes through and the mask keeps everything.
  table.on("Dropout", 1, [](OnnxNode &node) -> LogicalResult {
    FailureOr<RankedTensorType> type = node.rankedInput(0);
    if (failed(type))
      return failure();
    if (std::optional<SmallVector<int64_t>> training = constantInts(node.input(2));
        (training && !training->empty() && training->front() != 0) ||
        (node.input(2) && !training))
      return node.emitError() << "training mode is not supported";
    SmallVector<Value> results = {node.input(0)};
    if (node.getOp().getNumResults() > 1) {
      OpBuilder &b = node.builder();
      results.push_back(filled(b, node.getLoc(), type->getShape(),
                               b.getBoolAttr(true), node.input(0)));
    }
    node.replace(results);
    return success();
  });

  table.on("Constant", 1, [](OnnxNode &node) -> LogicalResult {
    OpBuilder &b = node.builder();
    Location loc = node.getLoc();
    TypedAttr value;
    if (auto elements = dyn_cast_or_null<ElementsAttr>(node.attr("value")))
      value = elements;
    else if (auto f = dyn_cast_or_null<FloatAttr>(node.attr("value_float")))
      value = DenseElementsAttr::get(RankedTensorType::get({}, b.getF32Type()),
                                     ArrayRef<Attribute>{f});
    else if (auto fs = dyn_cast_or_null<DenseF32ArrayAttr>(node.attr("value_floats")))
      value = DenseElementsAttr::get(
          RankedTensorType::get({fs.size()}, b.getF32Type()), fs.asArrayRef());
    else if (auto i = dyn_cast_or_null<IntegerAttr>(node.attr("value_int")))
      value = DenseElementsAttr::get(RankedTensorType::get({}, b.getI64Type()),
                                     ArrayRef<int64_t>{i.getInt()});
    else if (std::optional<SmallVector<int64_t>> is = intsAttr(node, "value_ints"))
      value = DenseElementsAttr::get(
          RankedTensorType::get({static_cast<int64_t>(is->size())},
                                b.getI64Type()),
          ArrayRef<int64_t>(*is));
    if (!value)
      return node.emitError() << "needs a value, value_float(s) or "
                                 "value_int(s) attribute (sparse and string "
                                 "constants are not supported)";
    node.replace(Value(arith::ConstantOp::create(b, loc, value)));
    return success();
  });

  table.on("Shape", 1, [](OnnxNode &node) -> LogicalResult {
    FailureOr<RankedTensorType> type = node.rankedInput(0);
    if (failed(type))
      return failure();
    int64_t rank = type->getRank();
    auto clampIndex = [&](int64_t i) {
      return std::clamp<int64_t>(i < 0 ? i + rank : i, 0, rank);
    };
    int64_t start = clampIndex(node.intAttr("start", 0));
    int64_t end = clampIndex(node.intAttr("end", rank));
    OpBuilder &b = node.builder();
    Location loc = node.getLoc();
    SmallVector<int64_t> dims(type->getShape().begin() + start,
                              type->getShape().begin() + std::max(start, end));
    auto resultType = RankedTensorType::get({static_cast<int64_t>(dims.size())},
                                            b.getI64Type());
    if (!ShapedType::isDynamicShape(dims)) {
      node.replace(Value(arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(resultType, ArrayRef<int64_t>(dims)))));
      return success();
    }
    SmallVector<Value> values;
    for (int64_t i = start; i < end; ++i)
      values.push_back(arith::IndexCastOp::create(
          b, loc, b.getI64Type(), tensor::DimOp::create(b, loc, node.input(0), i)));
    node.replace(Value(tensor::FromElementsOp::create(b, loc, resultType, values)));
    return success();
  });

  table.on("Size", 1, [](OnnxNode &node) -> LogicalResult {
    FailureOr<RankedTensorType> type = node.rankedInput(0);
    if (failed(type))
      return failure();
    OpBuilder &b = node.builder();
    Location loc = node.getLoc();
    auto resultType = RankedTensorType::get({}, b.getI64Type());
    Dim total = product(b, loc, dimsOf(b, loc, node.input(0)));
    if (std::optional<int64_t> size = getConstantIntValue(total)) {
      node.replace(Value(arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(resultType, ArrayRef<int64_t>{*size}))));
      return success();
    }
    Value count = arith::IndexCastOp::create(b, loc, b.getI64Type(),
                                             cast<Value>(total));
    node.replace(Value(tensor::FromElementsOp::create(b, loc, resultType, count)));
    return success();
  });

  table.on("ConstantOfShape", 9, [](OnnxNode &node) -> LogicalResult {
    OpBuilder &b = node.builder();
    Location loc = node.getLoc();
    TypedAttr value = b.getF32FloatAttr(0.0f);
    if (auto elements = dyn_cast_or_null<DenseElementsAttr>(node.attr("value"))) {
      if (elements.getNumElements() != 1)
        return node.emitError() << "value must hold one element";
      value = cast<TypedAttr>(*elements.value_begin<Attribute>());
    }
    std::optional<SmallVector<int64_t>> shape = staticResultShape(node);
    if (!shape)
      shape = constantInts(node.input(0));
    if (shape) {
      if (llvm::any_of(*shape, [](int64_t d) { return d < 0; }))
        return node.emitError() << "the shape has a negative dim";
      node.replace(filled(b, loc, *shape, value, Value()));
      return success();
    }
    // A shape computed at run time: its length fixes the rank.
    auto shapeType = dyn_cast<RankedTensorType>(node.input(0).getType());
    if (!shapeType || shapeType.getRank() != 1 || shapeType.isDynamicDim(0))
      return node.emitError() << "the shape must have a static length";
    SmallVector<Value> sizes;
    for (int64_t i = 0; i < shapeType.getDimSize(0); ++i) {
      Value index = arith::ConstantIndexOp::create(b, loc, i);
      Value dim = tensor::ExtractOp::create(b, loc, node.input(0), index);
      sizes.push_back(arith::IndexCastOp::create(b, loc, b.getIndexType(), dim));
    }
    auto type = RankedTensorType::get(
        SmallVector<int64_t>(sizes.size(), ShapedType::kDynamic), value.getType());
    Value init = tensor::EmptyOp::create(b, loc, type, sizes);
    Value scalar = arith::ConstantOp::create(b, loc, value);
    node.replace(linalg::FillOp::create(b, loc, scalar, init).getResult(0));
    return success();
  });

  table.on("Reshape", 5, convertReshape);

  table.on("Flatten", 1, [](OnnxNode &node) -> LogicalResult {
    FailureOr<RankedTensorType> type = node.rankedInput(0);
    if (failed(type))
      return failure();
    int64_t rank = type->getRank();
    int64_t axis = node.intAttr("axis", 1);
    if (axis < -rank || axis > rank)
      return node.emitError() << "axis " << axis << " is out of range for rank "
                              << rank;
    if (axis < 0)
      axis += rank;
    OpBuilder &b = node.builder();
    Location loc = node.getLoc();
    SmallVector<Dim> dims = dimsOf(b, loc, node.input(0));
    SmallVector<Dim> flat = {product(b, loc, ArrayRef(dims).take_front(axis)),
                             product(b, loc, ArrayRef(dims).drop_front(axis))};
    node.replace(reshapeTo(b, loc, node.input(0), flat));
    return success();
  });

  table.on("Squeeze", 1, [](OnnxNode &node) -> LogicalResult {
    FailureOr<RankedTensorType> type = node.rankedInput(0);
    if (failed(type))
      return failure();
    int64_t rank = type->getRank();
    SmallVector<bool> drop(rank, false);
    if (std::optional<SmallVector<int64_t>> axes = axesOf(node)) {
      for (int64_t axis : *axes) {
        FailureOr<int64_t> a = normalizeAxis(node, axis, rank);
        if (failed(a))
          return failure();
        int64_t dim = type->getDimSize(*a);
        if (dim != 1 && !ShapedType::isDynamic(dim))
          return node.emitError() << "cannot squeeze dim " << *a << " of size "
                                  << dim;
        drop[*a] = true;
      }
    } else if (node.getVersion() >= 13 && node.input(1)) {
      // Axes computed at run time: the declared result shape still says
      // what the output is.
      if (succeeded(reshapeToDeclaredShape(node)))
        return success();
      return node.emitError() << "axes must be a constant or the result "
                                 "shape static";
    } else {
      for (int64_t i = 0; i < rank; ++i) {
        if (ShapedType::isDynamic(type->getDimSize(i)))
          return node.emitError() << "cannot tell whether dynamic dim " << i
                                  << " is 1; give axes";
        drop[i] = type->getDimSize(i) == 1;
      }
    }
    OpBuilder &b = node.builder();
    SmallVector<Dim> dims;
    for (auto [i, dim] : llvm::enumerate(dimsOf(b, node.getLoc(), node.input(0))))
      if (!drop[i])
        dims.push_back(dim);
    node.replace(reshapeTo(b, node.getLoc(), node.input(0), dims));
    return success();
  });

  table.on("Unsqueeze", 1, [](OnnxNode &node) -> LogicalResult {
    FailureOr<RankedTensorType> type = node.rankedInput(0);
    if (failed(type))
      return failure();
    std::optional<SmallVector<int64_t>> axes = axesOf(node);
    if (!axes) {
      if (succeeded(reshapeToDeclaredShape(node)))
        return success();
      return node.emitError() << "axes must be a constant or the result "
                                 "shape static";
    }
    int64_t rank = type->getRank() + axes->size();
    SmallVector<bool> inserted(rank, false);
    for (int64_t axis : *axes) {
      FailureOr<int64_t> a = normalizeAxis(node, axis, rank);
      if (failed(a))
        return failure();
      if (inserted[*a])
        return node.emitError() << "axis " << axis << " appears twice";
      inserted[*a] = true;
    }
    OpBuilder &b = node.builder();
    SmallVector<Dim> inputDims = dimsOf(b, node.getLoc(), node.input(0));
    SmallVector<Dim> dims;
    for (int64_t i = 0, j = 0; i < rank; ++i)
      dims.push_back(inserted[i] ? Dim(b.getIndexAttr(1)) : inputDims[j++]);
    node.replace(reshapeTo(b, node.getLoc(), node.input(0), dims));
    return success();
  });

  table.on("Expand", 8, [](OnnxNode &node) -> LogicalResult {
    Value input = node.signlessInput(0);
    if (!input)
      return node.emitError() << "needs an input";
    std::optional<SmallVector<int64_t>> shape = constantInts(node.input(1));
    if (!shape)
      shape = staticResultShape(node);
    if (!shape)
      return expandToRuntimeShape(node);
    FailureOr<Value> value = buildBroadcastElementwise(
        node, {input}, cast<ShapedType>(input.getType()).getElementType(),
        [](OpBuilder &, Location, ValueRange s) { return s[0]; }, *shape);
    if (failed(value))
      return failure();
    node.replace(*value);
    return success();
  });
}
