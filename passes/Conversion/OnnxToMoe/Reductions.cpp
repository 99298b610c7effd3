//===- Reductions.cpp - ONNX reductions, softmax and layer norm -----------===//
//
// Each reduction is one linalg.generic whose reduced dims are reduction
// iterators; softmax and layer norm are reductions (kept dims) followed by
// broadcast elementwise ops.
//
//===----------------------------------------------------------------------===//

#include "Broadcast.h"
#include "Helpers.h"
#include "moe/Dialect/Moe/MoeOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

using namespace mlir;
using namespace mlir::moe;

namespace {

using Combine = function_ref<Value(OpBuilder &, Location, Value x, Value acc)>;

/// Reduces `input` over the dims marked in `reduced`, from `init`; reduced
/// dims stay as size 1 with `keepDims`.
Value reduce(OpBuilder &b, Location loc, Value input, ArrayRef<bool> reduced,
             bool keepDims, TypedAttr init, Combine combine) {
  auto type = cast<RankedTensorType>(input.getType());
  int64_t rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  SmallVector<int64_t> shape;
  SmallVector<AffineExpr> outExprs;
  SmallVector<Value> dynamic;
  for (int64_t i = 0; i < rank; ++i) {
    if (reduced[i]) {
      if (keepDims) {
        shape.push_back(1);
        outExprs.push_back(getAffineConstantExpr(0, ctx));
      }
      continue;
    }
    shape.push_back(type.getDimSize(i));
    outExprs.push_back(getAffineDimExpr(i, ctx));
    if (type.isDynamicDim(i))
      dynamic.push_back(tensor::DimOp::create(b, loc, input, i));
  }
  auto resultType = RankedTensorType::get(shape, init.getType());
  Value empty = tensor::EmptyOp::create(b, loc, resultType, dynamic);
  Value initValue = arith::ConstantOp::create(b, loc, init);
  Value acc = linalg::FillOp::create(b, loc, initValue, empty).getResult(0);
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank),
                                 AffineMap::get(rank, 0, outExprs, ctx)};
  SmallVector<utils::IteratorType> iterators;
  for (bool r : reduced)
    iterators.push_back(r ? utils::IteratorType::reduction
                          : utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{resultType}, ValueRange{input}, ValueRange{acc}, maps,
      iterators, [&](OpBuilder &nb, Location nloc, ValueRange args) {
        linalg::YieldOp::create(nb, nloc, combine(nb, nloc, args[0], args[1]));
      });
  return generic.getResult(0);
}

/// The number of elements the reduced dims hold, as a scalar of `type`.
Value reducedCount(OpBuilder &b, Location loc, Value input,
                   ArrayRef<bool> reduced, Type type) {
  auto shaped = cast<RankedTensorType>(input.getType());
  int64_t known = 1;
  Value dynamic;
  for (auto [i, r] : llvm::enumerate(reduced)) {
    if (!r)
      continue;
    if (!shaped.isDynamicDim(i)) {
      known *= shaped.getDimSize(i);
      continue;
    }
    Value d = tensor::DimOp::create(b, loc, input, i);
    dynamic = dynamic ? Value(arith::MulIOp::create(b, loc, dynamic, d)) : d;
  }
  Value count = scalarConstant(b, loc, type, static_cast<double>(known));
  if (!dynamic)
    return count;
  Value asInt = arith::IndexCastOp::create(b, loc, b.getI64Type(), dynamic);
  Value asFloat = isa<FloatType>(type)
                      ? Value(arith::SIToFPOp::create(b, loc, type, asInt))
                      : Value(arith::TruncIOp::create(b, loc, type, asInt));
  return isa<FloatType>(type)
             ? Value(arith::MulFOp::create(b, loc, asFloat, count))
             : Value(arith::MulIOp::create(b, loc, asFloat, count));
}

/// Axes computed at run time, with keepdims: a dim is reduced where the
/// declared static result has 1 and the input has more (reducing a size-1
/// dim or not is the same).
FailureOr<SmallVector<bool>> reducedDimsFromTypes(OnnxNode &node,
                                                  int64_t rank) {
  auto input = cast<RankedTensorType>(node.input(0).getType());
  std::optional<SmallVector<int64_t>> result = staticResultShape(node);
  if (node.intAttr("keepdims", 1) == 0 || !input.hasStaticShape() || !result ||
      static_cast<int64_t>(result->size()) != rank)
    return node.emitError() << "axes must be a constant (or, with keepdims, "
                               "the input and result shapes static)";
  SmallVector<bool> reduced(rank, false);
  for (int64_t i = 0; i < rank; ++i)
    reduced[i] = (*result)[i] == 1 && input.getDimSize(i) != 1;
  return reduced;
}

/// The dims a Reduce* node reduces: axes from the attribute or (ReduceSum
/// from opset 13, the others from 18) the input; none means all unless
/// noop_with_empty_axes.
FailureOr<SmallVector<bool>> reducedDims(OnnxNode &node, int64_t rank,
                                         int64_t axesInputSince) {
  std::optional<SmallVector<int64_t>> axes;
  if (node.getVersion() >= axesInputSince) {
    if (node.input(1)) {
      axes = constantInts(node.input(1));
      if (!axes)
        return reducedDimsFromTypes(node, rank);
    }
  } else {
    axes = intsAttr(node, "axes");
  }
  SmallVector<bool> reduced(rank, false);
  if (!axes || axes->empty()) {
    if (node.intAttr("noop_with_empty_axes", 0) == 0)
      reduced.assign(rank, true);
    return reduced;
  }
  for (int64_t axis : *axes) {
    FailureOr<int64_t> a = normalizeAxis(node, axis, rank);
    if (failed(a))
      return failure();
    reduced[*a] = true;
  }
  return reduced;
}

TypedAttr identity(OpBuilder &b, Type type, StringRef kind) {
  if (auto f = dyn_cast<FloatType>(type)) {
    if (kind == "max")
      return b.getFloatAttr(f, -INFINITY);
    if (kind == "min")
      return b.getFloatAttr(f, INFINITY);
    return b.getFloatAttr(f, kind == "prod" ? 1.0 : 0.0);
  }
  unsigned width = type.getIntOrFloatBitWidth();
  if (kind == "max")
    return b.getIntegerAttr(type, APInt::getSignedMinValue(width));
  if (kind == "min")
    return b.getIntegerAttr(type, APInt::getSignedMaxValue(width));
  return b.getIntegerAttr(type, kind == "prod" ? 1 : 0);
}

Value add(OpBuilder &b, Location loc, Value x, Value y) {
  return isa<FloatType>(x.getType()) ? Value(arith::AddFOp::create(b, loc, x, y))
                                     : Value(arith::AddIOp::create(b, loc, x, y));
}
Value mul(OpBuilder &b, Location loc, Value x, Value y) {
  return isa<FloatType>(x.getType()) ? Value(arith::MulFOp::create(b, loc, x, y))
                                     : Value(arith::MulIOp::create(b, loc, x, y));
}

/// The Reduce* of input 0 over `reduced`: `square` squares first,
/// `finish` maps the result.
Value buildReduction(OnnxNode &node, ArrayRef<bool> reduced, StringRef kind,
                     bool square, StringRef finish) {
  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  bool keepDims = node.intAttr("keepdims", 1) != 0;
  Value input = node.input(0);
  Type element = cast<ShapedType>(input.getType()).getElementType();
  Value result = reduce(
      b, loc, input, reduced, keepDims, identity(b, element, kind),
      [&](OpBuilder &nb, Location nloc, Value x, Value acc) -> Value {
        if (square)
          x = mul(nb, nloc, x, x);
        if (kind == "sum")
          return add(nb, nloc, acc, x);
        if (kind == "prod")
          return mul(nb, nloc, acc, x);
        bool isFloat = isa<FloatType>(x.getType());
        if (kind == "max")
          return isFloat ? Value(arith::MaximumFOp::create(nb, nloc, acc, x))
                         : Value(arith::MaxSIOp::create(nb, nloc, acc, x));
        return isFloat ? Value(arith::MinimumFOp::create(nb, nloc, acc, x))
                       : Value(arith::MinSIOp::create(nb, nloc, acc, x));
      });
  if (finish == "mean") {
    Value count = reducedCount(b, loc, input, reduced, element);
    result = *buildBroadcastElementwise(
        node, {result}, element,
        [&](OpBuilder &nb, Location nloc, ValueRange s) -> Value {
          return isa<FloatType>(element)
                     ? Value(arith::DivFOp::create(nb, nloc, s[0], count))
                     : Value(arith::DivSIOp::create(nb, nloc, s[0], count));
        });
  } else if (finish == "sqrt") {
    result = *buildBroadcastElementwise(
        node, {result}, element,
        [](OpBuilder &nb, Location nloc, ValueRange s) -> Value {
          return math::SqrtOp::create(nb, nloc, s[0]);
        });
  }
  return result;
}

/// One Reduce* op. Axes given at run time are read from the types when
/// those tell (keepdims, static shapes), else a single axis is switched on.
void reduction(OnnxOpTable &table, StringRef name, StringRef kind,
               int64_t axesInputSince, bool square = false,
               StringRef finish = "") {
  auto handler = [=](OnnxNode &node) -> LogicalResult {
    FailureOr<RankedTensorType> type = node.rankedInput(0);
    if (failed(type))
      return failure();
    if (node.isUnsigned(0))
      return node.emitError() << "unsigned inputs are not supported";
    Type element = type->getElementType();
    if (!isa<FloatType>(element) && finish == "sqrt")
      return node.emitError() << "takes floating-point inputs";
    int64_t rank = type->getRank();
    Value axes = node.getVersion() >= axesInputSince ? node.input(1) : Value();
    auto axesType = axes ? dyn_cast<RankedTensorType>(axes.getType()) : nullptr;
    bool runtimeAxes = axes && !constantInts(axes);
    bool typesTell = node.intAttr("keepdims", 1) != 0 && type->hasStaticShape() &&
                     staticResultShape(node);
    if (runtimeAxes && !typesTell && axesType && axesType.hasStaticShape() &&
        axesType.getNumElements() == 1) {
      bool keepDims = node.intAttr("keepdims", 1) != 0;
      SmallVector<int64_t> shape(keepDims ? rank : rank - 1, ShapedType::kDynamic);
      FailureOr<Value> result = switchOnAxis(
          node, axes, rank, RankedTensorType::get(shape, element),
          [&](int64_t axis) -> FailureOr<Value> {
            SmallVector<bool> reduced(rank, false);
            reduced[axis] = true;
            return buildReduction(node, reduced, kind, square, finish);
          });
      if (failed(result))
        return failure();
      node.replace(*result);
      return success();
    }
    FailureOr<SmallVector<bool>> reduced = reducedDims(node, rank, axesInputSince);
    if (failed(reduced))
      return failure();
    node.replace(buildReduction(node, *reduced, kind, square, finish));
    return success();
  };
  table.on(name, 1, handler);
}

/// Softmax over `reduced` dims: exp(x - max) / sum, or its log.
Value softmax(OnnxNode &node, Value x, ArrayRef<bool> reduced, bool log) {
  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  Type element = cast<ShapedType>(x.getType()).getElementType();
  Value max = reduce(b, loc, x, reduced, true, identity(b, element, "max"),
                     [](OpBuilder &nb, Location nloc, Value v, Value acc) -> Value {
                       return arith::MaximumFOp::create(nb, nloc, acc, v);
                     });
  Value shifted = *buildBroadcastElementwise(
      node, {x, max}, element, [](OpBuilder &nb, Location nloc, ValueRange s) -> Value {
        return arith::SubFOp::create(nb, nloc, s[0], s[1]);
      });
  Value exps = *buildBroadcastElementwise(
      node, {shifted}, element, [](OpBuilder &nb, Location nloc, ValueRange s) -> Value {
        return math::ExpOp::create(nb, nloc, s[0]);
      });
  Value sum = reduce(b, loc, exps, reduced, true, identity(b, element, "sum"),
                     [](OpBuilder &nb, Location nloc, Value v, Value acc) -> Value {
                       return arith::AddFOp::create(nb, nloc, acc, v);
                     });
  if (log)
    return *buildBroadcastElementwise(
        node, {shifted, sum}, element,
        [](OpBuilder &nb, Location nloc, ValueRange s) -> Value {
          return arith::SubFOp::create(nb, nloc, s[0],
                                       math::LogOp::create(nb, nloc, s[1]));
        });
  return *buildBroadcastElementwise(
      node, {exps, sum}, element, [](OpBuilder &nb, Location nloc, ValueRange s) -> Value {
        return arith::DivFOp::create(nb, nloc, s[0], s[1]);
      });
}

void softmaxOp(OnnxOpTable &table, StringRef name, bool log) {
  // Before opset 13 the input is seen as 2-d from `axis` (default 1) on;
  // from 13 the op normalises along one axis (default -1).
  table.on(name, 1, [log](OnnxNode &node) -> LogicalResult {
    FailureOr<RankedTensorType> type = node.rankedInput(0);
    if (failed(type))
      return failure();
    if (!isa<FloatType>(type->getElementType()))
      return node.emitError() << "takes floating-point inputs";
    int64_t rank = type->getRank();
    bool perAxis = node.getVersion() >= 13;
    FailureOr<int64_t> axis =
        normalizeAxis(node, node.intAttr("axis", perAxis ? -1 : 1), rank);
    if (failed(axis))
      return failure();
    SmallVector<bool> reduced(rank, false);
    for (int64_t i = *axis; i < (perAxis ? *axis + 1 : rank); ++i)
      reduced[i] = true;
    node.replace(softmax(node, node.input(0), reduced, log));
    return success();
  });
}

/// ArgMax/ArgMin: (value, index) pairs reduced together.
void argReduction(OnnxOpTable &table, StringRef name, bool isMax) {
  table.on(name, 1, [isMax](OnnxNode &node) -> LogicalResult {
    FailureOr<RankedTensorType> type = node.rankedInput(0);
    if (failed(type))
      return failure();
    if (node.isUnsigned(0))
      return node.emitError() << "unsigned inputs are not supported";
    int64_t rank = type->getRank();
    FailureOr<int64_t> axis = normalizeAxis(node, node.intAttr("axis", 0), rank);
    if (failed(axis))
      return failure();
    bool keepDims = node.intAttr("keepdims", 1) != 0;
    bool last = node.intAttr("select_last_index", 0) != 0;
    OpBuilder &b = node.builder();
    Location loc = node.getLoc();
    Value input = node.input(0);
    Type element = type->getElementType();
    MLIRContext *ctx = b.getContext();
    SmallVector<int64_t> shape;
    SmallVector<AffineExpr> outExprs;
    SmallVector<Value> dynamic;
    for (int64_t i = 0; i < rank; ++i) {
      if (i == *axis) {
        if (keepDims) {
          shape.push_back(1);
          outExprs.push_back(getAffineConstantExpr(0, ctx));
        }
        continue;
      }
      shape.push_back(type->getDimSize(i));
      outExprs.push_back(getAffineDimExpr(i, ctx));
      if (type->isDynamicDim(i))
        dynamic.push_back(tensor::DimOp::create(b, loc, input, i));
    }
    auto valueType = RankedTensorType::get(shape, element);
    auto indexType = RankedTensorType::get(shape, b.getI64Type());
    auto filledWith = [&](RankedTensorType t, TypedAttr value) -> Value {
      Value empty = tensor::EmptyOp::create(b, loc, t, dynamic);
      Value scalar = arith::ConstantOp::create(b, loc, value);
      return linalg::FillOp::create(b, loc, scalar, empty).getResult(0);
    };
    Value values =
        filledWith(valueType, identity(b, element, isMax ? "max" : "min"));
    Value indices = filledWith(indexType, b.getI64IntegerAttr(0));
    AffineMap out = AffineMap::get(rank, 0, outExprs, ctx);
    SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank), out, out};
    SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
    iterators[*axis] = utils::IteratorType::reduction;
    int64_t axisValue = *axis;
    auto generic = linalg::GenericOp::create(
        b, loc, TypeRange{valueType, indexType}, ValueRange{input},
        ValueRange{values, indices}, maps, iterators,
        [&](OpBuilder &nb, Location nloc, ValueRange args) {
          Value x = args[0], best = args[1], bestIndex = args[2];
          Value index = arith::IndexCastOp::create(
              nb, nloc, nb.getI64Type(), linalg::IndexOp::create(nb, nloc, axisValue));
          Value better;
          if (isa<FloatType>(element)) {
            auto pred = isMax ? (last ? arith::CmpFPredicate::OGE
                                      : arith::CmpFPredicate::OGT)
                              : (last ? arith::CmpFPredicate::OLE
                                      : arith::CmpFPredicate::OLT);
            better = arith::CmpFOp::create(nb, nloc, pred, x, best);
          } else {
            auto pred = isMax ? (last ? arith::CmpIPredicate::sge
                                      : arith::CmpIPredicate::sgt)
                              : (last ? arith::CmpIPredicate::sle
                                      : arith::CmpIPredicate::slt);
            better = arith::CmpIOp::create(nb, nloc, pred, x, best);
          }
          // The first element always wins, so an all -inf row gives index 0.
          Value first = arith::CmpIOp::create(
              nb, nloc, arith::CmpIPredicate::eq, index,
              arith::ConstantOp::create(nb, nloc, nb.getI64IntegerAttr(0)));
          better = arith::OrIOp::create(nb, nloc, better, first);
          linalg::YieldOp::create(
              nb, nloc,
              ValueRange{arith::SelectOp::create(nb, nloc, better, x, best),
                         arith::SelectOp::create(nb, nloc, better, index, bestIndex)});
        });
    node.replace(generic.getResult(1));
    return success();
  });
}

LogicalResult convertLayerNorm(OnnxNode &node) {
  FailureOr<RankedTensorType> type = node.rankedInput(0);
  if (failed(type))
    return failure();
  Type element = type->getElementType();
  if (!isa<FloatType>(element))
    return node.emitError() << "takes floating-point inputs";
  int64_t rank = type->getRank();
  FailureOr<int64_t> axis = normalizeAxis(node, node.intAttr("axis", -1), rank);
  if (failed(axis))
    return failure();
  if (!node.input(1))
    return node.emitError() << "needs a scale input";
  SmallVector<bool> reduced(rank, false);
  for (int64_t i = *axis; i < rank; ++i)
    reduced[i] = true;
  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  Value x = node.input(0);
  double epsilon = node.floatAttr("epsilon", 1e-5f);
  auto sum = [](OpBuilder &nb, Location nloc, Value v, Value acc) -> Value {
    return arith::AddFOp::create(nb, nloc, acc, v);
  };
  Value count = reducedCount(b, loc, x, reduced, element);
  Value total = reduce(b, loc, x, reduced, true, b.getFloatAttr(element, 0.0), sum);
  auto divideByCount = [&](OpBuilder &nb, Location nloc, ValueRange s) -> Value {
    return arith::DivFOp::create(nb, nloc, s[0], count);
  };
  Value mean = *buildBroadcastElementwise(node, {total}, element, divideByCount);
  Value centered = *buildBroadcastElementwise(
      node, {x, mean}, element, [](OpBuilder &nb, Location nloc, ValueRange s) -> Value {
        return arith::SubFOp::create(nb, nloc, s[0], s[1]);
      });
  Value squares = reduce(b, loc, centered, reduced, true, b.getFloatAttr(element, 0.0),
                         [](OpBuilder &nb, Location nloc, Value v, Value acc) -> Value {
                           return arith::AddFOp::create(
                               nb, nloc, acc, arith::MulFOp::create(nb, nloc, v, v));
                         });
  Value invStd = *buildBroadcastElementwise(
      node, {squares}, element, [&](OpBuilder &nb, Location nloc, ValueRange s) -> Value {
        Value variance = arith::DivFOp::create(nb, nloc, s[0], count);
        Value eps = scalarConstant(nb, nloc, element, epsilon);
        return math::RsqrtOp::create(nb, nloc,
                                     arith::AddFOp::create(nb, nloc, variance, eps));
      });
  SmallVector<Value> inputs = {centered, invStd, node.input(1)};
  if (node.input(2))
    inputs.push_back(node.input(2));
  FailureOr<Value> y = buildBroadcastElementwise(
      node, inputs, element, [](OpBuilder &nb, Location nloc, ValueRange s) -> Value {
        Value v = arith::MulFOp::create(
            nb, nloc, arith::MulFOp::create(nb, nloc, s[0], s[1]), s[2]);
        return s.size() > 3 ? Value(arith::AddFOp::create(nb, nloc, v, s[3])) : v;
      });
  if (failed(y))
    return failure();
  SmallVector<Value> results = {*y};
  if (node.getOp().getNumResults() > 1)
    results.push_back(mean);
  if (node.getOp().getNumResults() > 2)
    results.push_back(invStd);
  node.replace(results);
  return success();
}

/// DynamicQuantizeLinear: uint8 with the scale and zero point that map
/// [min(0, min x), max(0, max x)] onto [0, 255], then moe.quantize.
LogicalResult convertDynamicQuantize(OnnxNode &node) {
  FailureOr<RankedTensorType> type = node.rankedInput(0);
  if (failed(type))
    return failure();
  if (!type->getElementType().isF32())
    return node.emitError() << "takes f32 input";
  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  Value x = node.input(0);
  Type f32 = b.getF32Type();
  SmallVector<bool> all(type->getRank(), true);
  auto minOf = [](OpBuilder &nb, Location nl, Value v, Value acc) -> Value {
    return arith::MinimumFOp::create(nb, nl, acc, v);
  };
  auto maxOf = [](OpBuilder &nb, Location nl, Value v, Value acc) -> Value {
    return arith::MaximumFOp::create(nb, nl, acc, v);
  };
  // Starting from 0 includes 0 in the range, as the op defines.
  Value lo = reduce(b, loc, x, all, false, b.getF32FloatAttr(0.0f), minOf);
  Value hi = reduce(b, loc, x, all, false, b.getF32FloatAttr(0.0f), maxOf);
  Value scale = *buildBroadcastElementwise(
      node, {lo, hi}, f32, [](OpBuilder &nb, Location nl, ValueRange s) -> Value {
        Value range = arith::SubFOp::create(nb, nl, s[1], s[0]);
        return arith::DivFOp::create(nb, nl, range,
                                     scalarConstant(nb, nl, range.getType(), 255.0));
      });
  Type i8 = b.getI8Type();
  Value zeroPoint = *buildBroadcastElementwise(
      node, {lo, scale}, i8, [&](OpBuilder &nb, Location nl, ValueRange s) -> Value {
        Value z = math::RoundEvenOp::create(
            nb, nl, arith::DivFOp::create(nb, nl, arith::NegFOp::create(nb, nl, s[0]), s[1]));
        z = arith::MinimumFOp::create(
            nb, nl, arith::MaximumFOp::create(nb, nl, z, scalarConstant(nb, nl, f32, 0.0)),
            scalarConstant(nb, nl, f32, 255.0));
        return arith::FPToUIOp::create(nb, nl, i8, z);
      });
  Type ui8 = IntegerType::get(b.getContext(), 8, IntegerType::Unsigned);
  auto scalarType = RankedTensorType::get({}, ui8);
  Value zp = tensor::BitcastOp::create(b, loc, scalarType, zeroPoint);
  auto quantized = QuantizeOp::create(b, loc, type->clone(ui8), x, scale, zp,
                                      IntegerAttr(), b.getI64IntegerAttr(0));
  node.replace({quantized.getResult(), scale, zp});
  return success();
}

} // namespace

void moe::populateOnnxReductionHandlers(OnnxOpTable &table) {
  reduction(table, "ReduceSum", "sum", 13);
  reduction(table, "ReduceMean", "sum", 18, false, "mean");
  reduction(table, "ReduceMax", "max", 18);
  reduction(table, "ReduceMin", "min", 18);
  reduction(table, "ReduceProd", "prod", 18);
  reduction(table, "ReduceSumSquare", "sum", 18, /*square=*/true);
  reduction(table, "ReduceL2", "sum", 18, /*square=*/true, "sqrt");
  argReduction(table, "ArgMax", true);
  argReduction(table, "ArgMin", false);
  softmaxOp(table, "Softmax", false);
  softmaxOp(table, "LogSoftmax", true);
  table.on("LayerNormalization", 17, convertLayerNorm);
  table.on("DynamicQuantizeLinear", 11, convertDynamicQuantize);
}
