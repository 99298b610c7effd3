//===- DataMovement.cpp - ONNX ops that move data -------------------------===//
//
// Transpose, Concat, Slice, Gather, Split, Trilu and Range.
//
//===----------------------------------------------------------------------===//

#include "Broadcast.h"
#include "Helpers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::moe;

namespace {

LogicalResult convertTranspose(OnnxNode &node) {
  FailureOr<RankedTensorType> type = node.rankedInput(0);
  if (failed(type))
    return failure();
  int64_t rank = type->getRank();
  SmallVector<int64_t> perm;
  if (std::optional<SmallVector<int64_t>> attr = intsAttr(node, "perm"))
    perm = *attr;
  else
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  SmallVector<bool> seen(rank, false);
  if (static_cast<int64_t>(perm.size()) != rank)
    return node.emitError() << "perm has " << perm.size()
                            << " entries for rank " << rank;
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen[p])
      return node.emitError() << "perm is not a permutation of 0.." << rank - 1;
    seen[p] = true;
  }
  node.replace(transpose(node.builder(), node.getLoc(), node.signlessInput(0),
                         perm));
  return success();
}

LogicalResult convertConcat(OnnxNode &node) {
  SmallVector<Value> inputs;
  for (unsigned i = 0; i < node.getNumInputs(); ++i)
    if (Value v = node.signlessInput(i)) {
      if (!isa<RankedTensorType>(v.getType()))
        return node.emitError() << "input " << i << " has unknown rank";
      inputs.push_back(v);
    }
  if (inputs.empty())
    return node.emitError() << "needs inputs";
  int64_t rank = cast<RankedTensorType>(inputs[0].getType()).getRank();
  FailureOr<int64_t> axis = normalizeAxis(node, node.intAttr("axis", 0), rank);
  if (failed(axis))
    return failure();
  for (Value v : inputs)
    if (cast<RankedTensorType>(v.getType()).getRank() != rank)
      return node.emitError() << "inputs must have one rank";
  OpBuilder &b = node.builder();
  // Shape arithmetic: 1-d integer constants concatenate at compile time.
  if (rank == 1) {
    SmallVector<APInt> values;
    bool allConstant = true;
    for (Value v : inputs) {
      DenseElementsAttr attr = constantElements(v);
      if (!attr || !attr.getElementType().isInteger()) {
        allConstant = false;
        break;
      }
      llvm::append_range(values, attr.getValues<APInt>());
    }
    if (allConstant) {
      auto type = RankedTensorType::get(
          {static_cast<int64_t>(values.size())},
          cast<ShapedType>(inputs[0].getType()).getElementType());
      node.replace(constantOf(b, node.getLoc(), DenseElementsAttr::get(type, values)));
      return success();
    }
  }
  if (inputs.size() == 1) {
    node.replace(inputs[0]);
    return success();
  }
  node.replace(tensor::ConcatOp::create(b, node.getLoc(), *axis, inputs)
                   .getResult());
  return success();
}

/// Slice whose starts, ends, axes or steps are known only at run time: the
/// ONNX clamping rules in index arithmetic, then a gather of
/// data[start + i * step] along every dim.
LogicalResult convertRuntimeSlice(OnnxNode &node) {
  FailureOr<RankedTensorType> type = node.rankedInput(0);
  FailureOr<RankedTensorType> startsType = node.rankedInput(1);
  if (failed(type) || failed(startsType) || failed(node.rankedInput(2)))
    return failure();
  if (startsType->getRank() != 1 || startsType->isDynamicDim(0))
    return node.emitError() << "starts must be 1-d of static length";
  int64_t rank = type->getRank(), count = startsType->getDimSize(0);
  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  Type i64 = b.getI64Type();
  Value data = node.signlessInput(0);
  auto c64 = [&](int64_t v) -> Value {
    return arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(v));
  };
  auto element = [&](unsigned input, int64_t i) -> Value {
    Value v = tensor::ExtractOp::create(
        b, loc, node.input(input), ValueRange{arith::ConstantIndexOp::create(b, loc, i)});
    return v.getType() == i64 ? v : Value(arith::ExtSIOp::create(b, loc, i64, v));
  };
  auto select = [&](Value c, Value x, Value y) -> Value {
    return arith::SelectOp::create(b, loc, c, x, y);
  };
  auto lt = [&](Value x, Value y) -> Value {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x, y);
  };
  auto clamp = [&](Value x, Value lo, Value hi) -> Value {
    return arith::MinSIOp::create(b, loc, arith::MaxSIOp::create(b, loc, x, lo), hi);
  };
  SmallVector<Value> starts(rank, c64(0)), steps(rank, c64(1)), sizes;
  for (int64_t d = 0; d < rank; ++d)
    sizes.push_back(arith::IndexCastOp::create(
        b, loc, i64, tensor::DimOp::create(b, loc, data, d)));
  for (int64_t i = 0; i < count; ++i) {
    Value axis = node.input(3) ? element(3, i) : c64(i);
    axis = select(lt(axis, c64(0)), arith::AddIOp::create(b, loc, axis, c64(rank)), axis);
    Value step = node.input(4) ? element(4, i) : c64(1);
    for (int64_t d = 0; d < rank; ++d) {
      Value dim = arith::IndexCastOp::create(b, loc, i64,
                                             tensor::DimOp::create(b, loc, data, d));
      Value st = element(1, i), en = element(2, i);
      st = select(lt(st, c64(0)), arith::AddIOp::create(b, loc, st, dim), st);
      en = select(lt(en, c64(0)), arith::AddIOp::create(b, loc, en, dim), en);
      Value forward = lt(c64(0), step);
      Value dimMinus1 = arith::SubIOp::create(b, loc, dim, c64(1));
      st = select(forward, clamp(st, c64(0), dim), clamp(st, c64(0), dimMinus1));
      en = select(forward, clamp(en, c64(0), dim), clamp(en, c64(-1), dimMinus1));
      // ceil(|en - st| / |step|) when moving the step's way, else 0.
      Value span = select(forward, arith::SubIOp::create(b, loc, en, st),
                          arith::SubIOp::create(b, loc, st, en));
      Value absStep = select(forward, step, arith::SubIOp::create(b, loc, c64(0), step));
      Value size = arith::CeilDivSIOp::create(b, loc, arith::MaxSIOp::create(b, loc, span, c64(0)),
                                              absStep);
      Value hit = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, axis, c64(d));
      starts[d] = select(hit, st, starts[d]);
      steps[d] = select(hit, step, steps[d]);
      sizes[d] = select(hit, size, sizes[d]);
    }
  }
  std::optional<SmallVector<int64_t>> declared = staticResultShape(node);
  SmallVector<int64_t> shape(rank, ShapedType::kDynamic);
  SmallVector<Value> dynamic;
  for (int64_t d = 0; d < rank; ++d) {
    if (declared && static_cast<int64_t>(declared->size()) == rank) {
      shape[d] = (*declared)[d];
      continue;
    }
    dynamic.push_back(arith::IndexCastOp::create(b, loc, b.getIndexType(), sizes[d]));
  }
  Type elementType = cast<ShapedType>(data.getType()).getElementType();
  Value init = tensor::EmptyOp::create(
      b, loc, RankedTensorType::get(shape, elementType), dynamic);
  node.replace(gatherInto(
      b, loc, data, init, Value(), AffineMap(),
      [&](OpBuilder &nb, Location nl, Value) {
        SmallVector<Value> coords;
        for (int64_t d = 0; d < rank; ++d) {
          Value i = arith::IndexCastOp::create(nb, nl, i64,
                                               linalg::IndexOp::create(nb, nl, d));
          Value at = arith::AddIOp::create(
              nb, nl, starts[d], arith::MulIOp::create(nb, nl, i, steps[d]));
          coords.push_back(arith::IndexCastOp::create(nb, nl, nb.getIndexType(), at));
        }
        return coords;
      }));
  return success();
}

/// Slice parameters: from inputs (opset 10 on) or attributes (before).
LogicalResult convertSlice(OnnxNode &node) {
  FailureOr<RankedTensorType> type = node.rankedInput(0);
  if (failed(type))
    return failure();
  int64_t rank = type->getRank();
  std::optional<SmallVector<int64_t>> starts, ends, axes, steps;
  if (node.getVersion() >= 10) {
    starts = constantInts(node.input(1));
    ends = constantInts(node.input(2));
    axes = node.input(3) ? constantInts(node.input(3)) : std::nullopt;
    steps = node.input(4) ? constantInts(node.input(4)) : std::nullopt;
    if (!starts || !ends || (node.input(3) && !axes) ||
        (node.input(4) && !steps))
      return convertRuntimeSlice(node);
  } else {
    starts = intsAttr(node, "starts");
    ends = intsAttr(node, "ends");
    axes = intsAttr(node, "axes");
  }
  if (!starts || !ends || starts->size() != ends->size())
    return node.emitError() << "starts and ends must have one entry per axis";
  if (!axes) {
    axes.emplace();
    for (int64_t i = 0; i < static_cast<int64_t>(starts->size()); ++i)
      axes->push_back(i);
  }
  if (!steps)
    steps = SmallVector<int64_t>(starts->size(), 1);
  if (axes->size() != starts->size() || steps->size() != starts->size())
    return node.emitError() << "axes and steps must match starts";

  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  Value input = node.signlessInput(0);
  SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, input);
  SmallVector<OpFoldResult> strides(rank, b.getIndexAttr(1));
  for (size_t i = 0; i < axes->size(); ++i) {
    FailureOr<int64_t> axis = normalizeAxis(node, (*axes)[i], rank);
    if (failed(axis))
      return failure();
    int64_t step = (*steps)[i], dim = type->getDimSize(*axis);
    if (step <= 0)
      return node.emitError() << "step " << step
                              << " is not supported (only positive steps)";
    int64_t start = (*starts)[i], end = (*ends)[i];
    if (ShapedType::isDynamic(dim)) {
      // Without the dim, only [start, end-of-dim) with start >= 0 is known.
      if (start < 0 || end < (int64_t(1) << 31) || step != 1)
        return node.emitError() << "slicing dynamic dim " << *axis
                                << " needs a non-negative start, an open end "
                                   "and step 1";
      offsets[*axis] = b.getIndexAttr(start);
      Value dimValue = tensor::DimOp::create(b, loc, input, *axis);
      sizes[*axis] = Value(arith::SubIOp::create(
          b, loc, dimValue, arith::ConstantIndexOp::create(b, loc, start)));
      continue;
    }
    if (start < 0)
      start += dim;
    if (end < 0)
      end += dim;
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    int64_t size = end > start ? (end - start + step - 1) / step : 0;
    offsets[*axis] = b.getIndexAttr(start);
    sizes[*axis] = b.getIndexAttr(size);
    strides[*axis] = b.getIndexAttr(step);
  }
  node.replace(tensor::ExtractSliceOp::create(b, loc, input, offsets, sizes,
                                              strides)
                   .getResult());
  return success();
}

/// out[o..., i..., n...] = data[o..., indices[i...], n...], indices
/// negative from the end.
LogicalResult convertGather(OnnxNode &node) {
  FailureOr<RankedTensorType> dataType = node.rankedInput(0);
  FailureOr<RankedTensorType> indicesType = node.rankedInput(1);
  if (failed(dataType) || failed(indicesType))
    return failure();
  int64_t rank = dataType->getRank();
  // (normalizeAxis lets axis 0 through at rank 0, for ops that allow it.)
  if (rank == 0)
    return node.emitError() << "data must have rank 1 or more, not a scalar";
  FailureOr<int64_t> axis = normalizeAxis(node, node.intAttr("axis", 0), rank);
  if (failed(axis))
    return failure();
  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  Value data = node.signlessInput(0), indices = node.signlessInput(1);

  // Shape arithmetic: a constant gathered from a constant.
  DenseElementsAttr dataAttr = constantElements(data);
  std::optional<SmallVector<int64_t>> constIndices = constantInts(indices);
  if (dataAttr && constIndices && rank == 1 && indicesType->getRank() <= 1) {
    SmallVector<Attribute> all(dataAttr.getValues<Attribute>());
    SmallVector<Attribute> picked;
    for (int64_t index : *constIndices) {
      int64_t i = index < 0 ? index + static_cast<int64_t>(all.size()) : index;
      if (i < 0 || i >= static_cast<int64_t>(all.size()))
        return node.emitError() << "index " << index << " is out of range";
      picked.push_back(all[i]);
    }
    auto type = RankedTensorType::get(indicesType->getShape(),
                                      dataAttr.getElementType());
    node.replace(constantOf(b, loc, DenseElementsAttr::get(type, picked)));
    return success();
  }

  int64_t q = indicesType->getRank();
  SmallVector<int64_t> shape(dataType->getShape().take_front(*axis));
  llvm::append_range(shape, indicesType->getShape());
  llvm::append_range(shape, dataType->getShape().drop_front(*axis + 1));
  int64_t outRank = shape.size();
  SmallVector<Value> dynamic;
  for (int64_t i = 0; i < outRank; ++i) {
    if (!ShapedType::isDynamic(shape[i]))
      continue;
    if (i < *axis)
      dynamic.push_back(tensor::DimOp::create(b, loc, data, i));
    else if (i < *axis + q)
      dynamic.push_back(tensor::DimOp::create(b, loc, indices, i - *axis));
    else
      dynamic.push_back(tensor::DimOp::create(b, loc, data, i - q + 1));
  }
  Type element = cast<ShapedType>(data.getType()).getElementType();
  Value init = tensor::EmptyOp::create(
      b, loc, RankedTensorType::get(shape, element), dynamic);
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineExpr> indexExprs;
  for (int64_t i = 0; i < q; ++i)
    indexExprs.push_back(getAffineDimExpr(*axis + i, ctx));
  int64_t axisValue = *axis;
  node.replace(gatherInto(
      b, loc, data, init, indices, AffineMap::get(outRank, 0, indexExprs, ctx),
      [&](OpBuilder &nb, Location nl, Value index) {
        SmallVector<Value> coords;
        for (int64_t i = 0; i < axisValue; ++i)
          coords.push_back(linalg::IndexOp::create(nb, nl, i));
        coords.push_back(wrapIndex(nb, nl, index, data, axisValue));
        for (int64_t i = axisValue + q; i < outRank; ++i)
          coords.push_back(linalg::IndexOp::create(nb, nl, i));
        return coords;
      }));
  return success();
}

/// out[i...] = data[i...] with the axis coordinate taken from indices.
LogicalResult convertGatherElements(OnnxNode &node) {
  FailureOr<RankedTensorType> dataType = node.rankedInput(0);
  FailureOr<RankedTensorType> indicesType = node.rankedInput(1);
  if (failed(dataType) || failed(indicesType))
    return failure();
  int64_t rank = dataType->getRank();
  if (indicesType->getRank() != rank)
    return node.emitError() << "indices must have the data's rank";
  FailureOr<int64_t> axis = normalizeAxis(node, node.intAttr("axis", 0), rank);
  if (failed(axis))
    return failure();
  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  Value data = node.signlessInput(0), indices = node.signlessInput(1);
  Type element = cast<ShapedType>(data.getType()).getElementType();
  Value init = emptyWithDimsOf(b, loc, indicesType->getShape(), element, indices);
  int64_t axisValue = *axis;
  node.replace(gatherInto(
      b, loc, data, init, indices, b.getMultiDimIdentityMap(rank),
      [&](OpBuilder &nb, Location nl, Value index) {
        SmallVector<Value> coords;
        for (int64_t i = 0; i < rank; ++i)
          coords.push_back(i == axisValue
                               ? wrapIndex(nb, nl, index, data, axisValue)
                               : Value(linalg::IndexOp::create(nb, nl, i)));
        return coords;
      }));
  return success();
}

LogicalResult convertSplit(OnnxNode &node) {
  FailureOr<RankedTensorType> type = node.rankedInput(0);
  if (failed(type))
    return failure();
  int64_t rank = type->getRank();
  FailureOr<int64_t> axis = normalizeAxis(node, node.intAttr("axis", 0), rank);
  if (failed(axis))
    return failure();
  int64_t dim = type->getDimSize(*axis);
  if (ShapedType::isDynamic(dim))
    return node.emitError() << "the split dim " << *axis << " must be static";
  unsigned numOutputs = node.getOp().getNumResults();
  std::optional<SmallVector<int64_t>> parts =
      node.getVersion() >= 13 ? (node.input(1) ? constantInts(node.input(1))
                                               : std::nullopt)
                              : intsAttr(node, "split");
  if (node.getVersion() >= 13 && node.input(1) && !parts) {
    // Sizes computed at run time: the declared result shapes say them.
    parts.emplace();
    for (unsigned i = 0; i < numOutputs; ++i) {
      std::optional<SmallVector<int64_t>> shape = staticResultShape(node, i);
      if (!shape || static_cast<int64_t>(shape->size()) != rank)
        return node.emitError() << "split sizes must be a constant or the "
                                   "result shapes static";
      parts->push_back((*shape)[*axis]);
    }
  }
  if (!parts) {
    // Equal parts; with opset 18's num_outputs the last may be smaller.
    int64_t chunk = (dim + numOutputs - 1) / numOutputs;
    if (node.getVersion() < 18 && dim % numOutputs != 0)
      return node.emitError() << "dim " << dim << " does not split into "
                              << numOutputs << " equal parts";
    parts.emplace();
    for (unsigned i = 0; i < numOutputs; ++i)
      parts->push_back(std::clamp<int64_t>(dim - chunk * i, 0, chunk));
  }
  int64_t sum = 0;
  for (int64_t p : *parts)
    sum += p;
  if (parts->size() != numOutputs || sum != dim)
    return node.emitError() << "split sizes must be one per output and add "
                               "up to "
                            << dim;
  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  Value input = node.signlessInput(0);
  SmallVector<Value> results;
  int64_t offset = 0;
  for (int64_t part : *parts) {
    SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, input);
    SmallVector<OpFoldResult> strides(rank, b.getIndexAttr(1));
    offsets[*axis] = b.getIndexAttr(offset);
    sizes[*axis] = b.getIndexAttr(part);
    // An empty part of an empty dim has no in-bounds offset to slice at.
    if (part == 0) {
      results.push_back(tensor::EmptyOp::create(
          b, loc, sizes, cast<ShapedType>(input.getType()).getElementType()));
      continue;
    }
    results.push_back(
        tensor::ExtractSliceOp::create(b, loc, input, offsets, sizes, strides));
    offset += part;
  }
  node.replace(results);
  return success();
}

/// Keeps the upper (or lower) triangle of the last two dims from diagonal k.
LogicalResult convertTrilu(OnnxNode &node) {
  FailureOr<RankedTensorType> type = node.rankedInput(0);
  if (failed(type))
    return failure();
  if (type->getRank() < 2)
    return node.emitError() << "needs a rank of at least 2";
  // k is a scalar (or one-element) i64 tensor, constant or not.
  OpBuilder &builder = node.builder();
  Value k = arith::ConstantOp::create(builder, node.getLoc(),
                                      builder.getI64IntegerAttr(0));
  if (Value kTensor = node.input(1)) {
    auto kType = cast<ShapedType>(kTensor.getType());
    if (!kType.hasRank() || kType.getNumElements() != 1)
      return node.emitError() << "k must hold one value";
    k = scalarOf(builder, node.getLoc(), kTensor);
  }
  bool upper = node.intAttr("upper", 1) != 0;
  int64_t rank = type->getRank();
  return convertElementwiseWithIndices(
      node, [=](OpBuilder &b, Location loc, Value x) -> Value {
        Value row = linalg::IndexOp::create(b, loc, rank - 2);
        Value col = linalg::IndexOp::create(b, loc, rank - 1);
        Value diff = arith::SubIOp::create(
            b, loc, arith::IndexCastOp::create(b, loc, b.getI64Type(), col),
            arith::IndexCastOp::create(b, loc, b.getI64Type(), row));
        Value keep = arith::CmpIOp::create(
            b, loc, upper ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle,
            diff, k);
        return arith::SelectOp::create(b, loc, keep, x,
                                       scalarConstant(b, loc, x.getType(), 0));
      });
}

/// The `count` values start, start + delta, ... as a constant of `element`.
template <typename T>
DenseElementsAttr rangeValues(Type element, T start, T delta, int64_t count) {
  SmallVector<Attribute> values;
  for (int64_t i = 0; i < count; ++i) {
    T v = start + static_cast<T>(i) * delta;
    if constexpr (std::is_floating_point_v<T>)
      values.push_back(FloatAttr::get(element, static_cast<double>(v)));
    else
      values.push_back(IntegerAttr::get(element, v));
  }
  return DenseElementsAttr::get(RankedTensorType::get({count}, element),
                                values);
}

/// Range of run-time scalars: max(ceil((limit - start) / delta), 0)
/// elements start + i * delta.
LogicalResult convertRuntimeRange(OnnxNode &node) {
  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  SmallVector<Value> scalars;
  for (unsigned i = 0; i < 3; ++i) {
    Value in = node.signlessInput(i);
    auto type = in ? dyn_cast<RankedTensorType>(in.getType()) : nullptr;
    if (!type || type.getNumElements() != 1)
      return node.emitError() << "start, limit and delta must be scalars";
    scalars.push_back(scalarOf(b, loc, in));
  }
  Type element = scalars[0].getType();
  bool isFloat = isa<FloatType>(element);
  Type f64 = b.getF64Type();
  auto toF64 = [&](Value v) -> Value {
    if (!isFloat)
      return arith::SIToFPOp::create(b, loc, f64, v);
    return v.getType() == f64 ? v : Value(arith::ExtFOp::create(b, loc, f64, v));
  };
  Value span = arith::SubFOp::create(b, loc, toF64(scalars[1]), toF64(scalars[0]));
  Value steps = math::CeilOp::create(
      b, loc, arith::DivFOp::create(b, loc, span, toF64(scalars[2])));
  steps = arith::MaximumFOp::create(
      b, loc, steps, arith::ConstantOp::create(b, loc, b.getF64FloatAttr(0.0)));
  Value count = arith::IndexCastOp::create(
      b, loc, b.getIndexType(), arith::FPToSIOp::create(b, loc, b.getI64Type(), steps));
  auto resultType = RankedTensorType::get({ShapedType::kDynamic}, element);
  Value init = tensor::EmptyOp::create(b, loc, resultType, ValueRange{count});
  MLIRContext *ctx = b.getContext();
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{resultType}, ValueRange{}, ValueRange{init},
      ArrayRef{AffineMap::getMultiDimIdentityMap(1, ctx)},
      ArrayRef{utils::IteratorType::parallel},
      [&](OpBuilder &nb, Location nl, ValueRange) {
        Value i = arith::IndexCastOp::create(nb, nl, nb.getI64Type(),
                                             linalg::IndexOp::create(nb, nl, 0));
        Value step = i;
        if (isFloat)
          step = arith::SIToFPOp::create(nb, nl, element, i);
        else if (!element.isInteger(64))
          step = arith::TruncIOp::create(nb, nl, element, i);
        Value value = isFloat
                          ? Value(arith::AddFOp::create(
                                nb, nl, scalars[0],
                                arith::MulFOp::create(nb, nl, step, scalars[2])))
                          : Value(arith::AddIOp::create(
                                nb, nl, scalars[0],
                                arith::MulIOp::create(nb, nl, step, scalars[2])));
        linalg::YieldOp::create(nb, nl, value);
      });
  node.replace(generic.getResult(0));
  return success();
}

LogicalResult convertRange(OnnxNode &node) {
  DenseElementsAttr start = constantElements(node.input(0));
  DenseElementsAttr limit = constantElements(node.input(1));
  DenseElementsAttr delta = constantElements(node.input(2));
  if (!start || !limit || !delta)
    return convertRuntimeRange(node);
  if (start.getNumElements() != 1 || limit.getNumElements() != 1 ||
      delta.getNumElements() != 1)
    return node.emitError() << "start, limit and delta must be scalars";
  Type element = start.getElementType();
  auto asDouble = [&](DenseElementsAttr attr) {
    return isa<FloatType>(element)
               ? attr.getSplatValue<APFloat>().convertToDouble()
               : double(attr.getSplatValue<APInt>().getSExtValue());
  };
  double first = asDouble(start), step = asDouble(delta);
  if (step == 0)
    return node.emitError() << "delta must not be 0";
  int64_t count = std::max<int64_t>(
      0, static_cast<int64_t>(std::ceil((asDouble(limit) - first) / step)));
  DenseElementsAttr values =
      isa<FloatType>(element)
          ? rangeValues<double>(element, first, step, count)
          : rangeValues<int64_t>(element,
                                 start.getSplatValue<APInt>().getSExtValue(),
                                 delta.getSplatValue<APInt>().getSExtValue(),
                                 count);
  node.replace(constantOf(node.builder(), node.getLoc(), values));
  return success();
}

/// out[i] = x[i mod in] along every dim; repeats constant or from the
/// declared result shape.
LogicalResult convertTile(OnnxNode &node) {
  FailureOr<RankedTensorType> type = node.rankedInput(0);
  if (failed(type))
    return failure();
  int64_t rank = type->getRank();
  std::optional<SmallVector<int64_t>> repeats = constantInts(node.input(1));
  if (!repeats && type->hasStaticShape())
    if (std::optional<SmallVector<int64_t>> shape = staticResultShape(node)) {
      repeats.emplace();
      for (int64_t i = 0; i < rank && i < static_cast<int64_t>(shape->size()); ++i)
        repeats->push_back(type->getDimSize(i) ? (*shape)[i] / type->getDimSize(i) : 1);
    }
  if (!repeats || static_cast<int64_t>(repeats->size()) != rank)
    return node.emitError() << "repeats must be a constant with one entry per "
                               "dim (or the result shape static)";
  MLIRContext *ctx = node.builder().getContext();
  SmallVector<int64_t> shape;
  SmallVector<AffineExpr> exprs;
  for (int64_t i = 0; i < rank; ++i) {
    int64_t dim = type->getDimSize(i), rep = (*repeats)[i];
    if (rep < 0)
      return node.emitError() << "repeat " << rep << " is negative";
    if (rep != 1 && ShapedType::isDynamic(dim))
      return node.emitError() << "cannot repeat dynamic dim " << i;
    shape.push_back(ShapedType::isDynamic(dim) ? dim : dim * rep);
    exprs.push_back(rep == 1 ? getAffineDimExpr(i, ctx)
                             : getAffineDimExpr(i, ctx) % dim);
  }
  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  Value input = node.signlessInput(0);
  Type element = cast<ShapedType>(input.getType()).getElementType();
  Value init = emptyWithDimsOf(b, loc, shape, element, input);
  SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{input}, ValueRange{init},
      ArrayRef<AffineMap>{AffineMap::get(rank, 0, exprs, ctx),
                          b.getMultiDimIdentityMap(rank)},
      iterators, [](OpBuilder &nb, Location nl, ValueRange args) {
        linalg::YieldOp::create(nb, nl, args[0]);
      });
  node.replace(generic.getResult(0));
  return success();
}

/// out[..., d, ...] = (d == index) ? on : off, with the depth dim at axis.
LogicalResult convertOneHot(OnnxNode &node) {
  FailureOr<RankedTensorType> indicesType = node.rankedInput(0);
  FailureOr<RankedTensorType> valuesType = node.rankedInput(2);
  if (failed(indicesType) || failed(valuesType))
    return failure();
  int64_t rank = indicesType->getRank() + 1;
  FailureOr<int64_t> axis = normalizeAxis(node, node.intAttr("axis", -1), rank);
  if (failed(axis))
    return failure();
  int64_t depth = -1;
  if (DenseElementsAttr attr = constantElements(node.input(1)); attr && attr.getNumElements() == 1)
    depth = isa<FloatType>(attr.getElementType())
                ? static_cast<int64_t>(attr.getSplatValue<APFloat>().convertToDouble())
                : attr.getSplatValue<APInt>().getSExtValue();
  else if (std::optional<SmallVector<int64_t>> shape = staticResultShape(node))
    depth = (*shape)[*axis];
  if (depth < 1)
    return node.emitError() << "depth must be a positive constant (or the "
                               "result shape static)";
  if (valuesType->getNumElements() != 2)
    return node.emitError() << "values must hold [off, on]";
  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  MLIRContext *ctx = b.getContext();
  Value indices = node.signlessInput(0), values = node.signlessInput(2);
  Value offValue = tensor::ExtractOp::create(b, loc, values,
                                             ValueRange{arith::ConstantIndexOp::create(b, loc, 0)});
  Value onValue = tensor::ExtractOp::create(b, loc, values,
                                            ValueRange{arith::ConstantIndexOp::create(b, loc, 1)});
  SmallVector<int64_t> shape(indicesType->getShape());
  shape.insert(shape.begin() + *axis, depth);
  SmallVector<Value> dynamic;
  SmallVector<AffineExpr> indexExprs;
  for (int64_t i = 0; i < rank; ++i) {
    if (i == *axis)
      continue;
    int64_t source = i < *axis ? i : i - 1;
    indexExprs.push_back(getAffineDimExpr(i, ctx));
    if (indicesType->isDynamicDim(source))
      dynamic.push_back(tensor::DimOp::create(b, loc, indices, source));
  }
  Type element = valuesType->getElementType();
  Value init = tensor::EmptyOp::create(
      b, loc, RankedTensorType::get(shape, element), dynamic);
  bool floatIndices = isa<FloatType>(indicesType->getElementType());
  int64_t axisValue = *axis;
  SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{indices}, ValueRange{init},
      ArrayRef<AffineMap>{AffineMap::get(rank, 0, indexExprs, ctx),
                          b.getMultiDimIdentityMap(rank)},
      iterators, [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value index = args[0];
        if (floatIndices)
          index = arith::FPToSIOp::create(nb, nl, nb.getI64Type(), index);
        else if (index.getType() != nb.getI64Type())
          index = arith::ExtSIOp::create(nb, nl, nb.getI64Type(), index);
        Value depthValue = arith::ConstantOp::create(nb, nl, nb.getI64IntegerAttr(depth));
        Value negative = arith::CmpIOp::create(
            nb, nl, arith::CmpIPredicate::slt, index,
            arith::ConstantOp::create(nb, nl, nb.getI64IntegerAttr(0)));
        index = arith::SelectOp::create(
            nb, nl, negative, arith::AddIOp::create(nb, nl, index, depthValue), index);
        Value position = arith::IndexCastOp::create(
            nb, nl, nb.getI64Type(), linalg::IndexOp::create(nb, nl, axisValue));
        Value hot = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq,
                                          position, index);
        linalg::YieldOp::create(
            nb, nl, Value(arith::SelectOp::create(nb, nl, hot, onValue, offValue)));
      });
  node.replace(generic.getResult(0));
  return success();
}

/// out[i] = sum of x[j] for j <= i (j < i exclusive; from the end with
/// reverse), as a reduction over a second axis index.
/// The cumulative sum of input 0 along `axis` (non-negative).
Value buildCumSum(OnnxNode &node, int64_t axis) {
  auto type = cast<RankedTensorType>(node.input(0).getType());
  int64_t rank = type.getRank();
  bool exclusive = node.intAttr("exclusive", 0) != 0;
  bool reverse = node.intAttr("reverse", 0) != 0;
  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  MLIRContext *ctx = b.getContext();
  Value input = node.signlessInput(0);
  Type element = cast<ShapedType>(input.getType()).getElementType();
  bool isFloat = isa<FloatType>(element);
  Value zero = scalarConstant(b, loc, element, 0.0);
  Value init = linalg::FillOp::create(
                   b, loc, zero,
                   emptyWithDimsOf(b, loc, type.getShape(), element, input))
                   .getResult(0);
  // Loops: the result dims, then j along the axis.
  SmallVector<AffineExpr> inputExprs, outExprs;
  for (int64_t i = 0; i < rank; ++i) {
    inputExprs.push_back(getAffineDimExpr(i == axis ? rank : i, ctx));
    outExprs.push_back(getAffineDimExpr(i, ctx));
  }
  SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{input}, ValueRange{init},
      ArrayRef<AffineMap>{AffineMap::get(rank + 1, 0, inputExprs, ctx),
                          AffineMap::get(rank + 1, 0, outExprs, ctx)},
      iterators, [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value i = linalg::IndexOp::create(nb, nl, axis);
        Value j = linalg::IndexOp::create(nb, nl, rank);
        arith::CmpIPredicate pred =
            reverse ? (exclusive ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::uge)
                    : (exclusive ? arith::CmpIPredicate::ult : arith::CmpIPredicate::ule);
        Value include = arith::CmpIOp::create(nb, nl, pred, j, i);
        Value sum = isFloat ? Value(arith::AddFOp::create(nb, nl, args[1], args[0]))
                            : Value(arith::AddIOp::create(nb, nl, args[1], args[0]));
        linalg::YieldOp::create(
            nb, nl, Value(arith::SelectOp::create(nb, nl, include, sum, args[1])));
      });
  return generic.getResult(0);
}

/// CumSum along a constant axis, or one chosen at run time among the dims.
LogicalResult convertCumSum(OnnxNode &node) {
  FailureOr<RankedTensorType> type = node.rankedInput(0);
  if (failed(type) || !node.input(1))
    return failure();
  int64_t rank = type->getRank();
  std::optional<SmallVector<int64_t>> axisValues = constantInts(node.input(1));
  // A rank-1 input has one axis, whatever the run-time value says.
  if (!axisValues && rank == 1)
    axisValues = SmallVector<int64_t>{0};
  if (!axisValues) {
    auto resultType = RankedTensorType::get(
        type->getShape(), cast<ShapedType>(node.signlessInput(0).getType()).getElementType());
    FailureOr<Value> result = switchOnAxis(
        node, node.input(1), rank, resultType,
        [&](int64_t axis) -> FailureOr<Value> { return buildCumSum(node, axis); });
    if (failed(result))
      return failure();
    node.replace(*result);
    return success();
  }
  if (axisValues->size() != 1)
    return node.emitError() << "axis must be a scalar";
  FailureOr<int64_t> axis = normalizeAxis(node, axisValues->front(), rank);
  if (failed(axis))
    return failure();
  node.replace(buildCumSum(node, *axis));
  return success();
}

} // namespace

void moe::populateOnnxDataMovementHandlers(OnnxOpTable &table) {
  table.on("Transpose", 1, convertTranspose);
  table.on("Concat", 4, convertConcat);
  table.on("Slice", 1, convertSlice);
  table.on("Gather", 1, convertGather);
  table.on("GatherElements", 11, convertGatherElements);
  table.on("Split", 2, convertSplit);
  table.on("Trilu", 14, convertTrilu);
  table.on("Range", 11, convertRange);
  table.on("Tile", 6, convertTile);
  table.on("OneHot", 9, convertOneHot);
  table.on("CumSum", 11, convertCumSum);
}
