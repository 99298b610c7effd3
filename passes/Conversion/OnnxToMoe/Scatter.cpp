//===- Scatter.cpp - ONNX ScatterElements, ScatterND and GatherND ---------===//
//
// The scatters write where their indices say: a loop nest over the
// indices carries the result tensor (tensor.extract / tensor.insert), which
// bufferizes to in-place stores. GatherND reads index tuples in a
// linalg.generic.
//
//===----------------------------------------------------------------------===//

#include "Helpers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::moe;

namespace {

/// Builds a loop nest over every index of `shapeOf` carrying `carried`;
/// `body` gets the indices and the carried tensor and returns its update.
Value loopNest(OpBuilder &b, Location loc, Value shapeOf, Value carried,
               function_ref<Value(OpBuilder &, Location, ArrayRef<Value>, Value)> body) {
  auto type = cast<RankedTensorType>(shapeOf.getType());
  SmallVector<Value> ivs;
  std::function<Value(OpBuilder &, Location, int64_t, Value)> build =
      [&](OpBuilder &nb, Location nl, int64_t dim, Value tensor) -> Value {
    if (dim == type.getRank())
      return body(nb, nl, ivs, tensor);
    Value lb = arith::ConstantIndexOp::create(nb, nl, 0);
    Value ub = tensor::DimOp::create(nb, nl, shapeOf, dim);
    Value step = arith::ConstantIndexOp::create(nb, nl, 1);
    auto loop = scf::ForOp::create(
        nb, nl, lb, ub, step, ValueRange{tensor},
        [&](OpBuilder &lb2, Location ll, Value iv, ValueRange args) {
          ivs.push_back(iv);
          Value next = build(lb2, ll, dim + 1, args[0]);
          ivs.pop_back();
          scf::YieldOp::create(lb2, ll, next);
        });
    return loop.getResult(0);
  };
  return build(b, loc, 0, carried);
}

/// tensor with `update` written at `coords`, combined with what is there
/// by `reduction` (none, add, mul, max, min).
Value scatterOne(OpBuilder &b, Location loc, Value tensor, ArrayRef<Value> coords,
                 Value update, StringRef reduction, bool isUnsigned) {
  if (reduction != "none") {
    bool isFloat = isa<FloatType>(update.getType());
    Value old = tensor::ExtractOp::create(b, loc, tensor, coords);
    if (reduction == "add")
      update = isFloat ? Value(arith::AddFOp::create(b, loc, old, update))
                       : Value(arith::AddIOp::create(b, loc, old, update));
    else if (reduction == "mul")
      update = isFloat ? Value(arith::MulFOp::create(b, loc, old, update))
                       : Value(arith::MulIOp::create(b, loc, old, update));
    else if (reduction == "max")
      update = isFloat ? Value(arith::MaximumFOp::create(b, loc, old, update))
               : isUnsigned ? Value(arith::MaxUIOp::create(b, loc, old, update))
                            : Value(arith::MaxSIOp::create(b, loc, old, update));
    else
      update = isFloat ? Value(arith::MinimumFOp::create(b, loc, old, update))
               : isUnsigned ? Value(arith::MinUIOp::create(b, loc, old, update))
                            : Value(arith::MinSIOp::create(b, loc, old, update));
  }
  return tensor::InsertOp::create(b, loc, update, tensor, coords);
}

/// The first q coordinates into `data` named by the index tuple
/// indices[prefix..., 0..q), each wrapped into its dim.
SmallVector<Value> tupleCoords(OpBuilder &b, Location loc, Value indices,
                               ArrayRef<Value> prefix, int64_t q, Value data,
                               int64_t firstDim = 0) {
  SmallVector<Value> coords;
  for (int64_t j = 0; j < q; ++j) {
    SmallVector<Value> position(prefix);
    position.push_back(arith::ConstantIndexOp::create(b, loc, j));
    Value index = tensor::ExtractOp::create(b, loc, indices, position);
    coords.push_back(wrapIndex(b, loc, index, data, firstDim + j));
  }
  return coords;
}

bool isKnownReduction(StringRef reduction) {
  return llvm::is_contained({"none", "add", "mul", "max", "min"}, reduction);
}

LogicalResult convertScatterElements(OnnxNode &node) {
  FailureOr<RankedTensorType> dataType = node.rankedInput(0);
  FailureOr<RankedTensorType> indicesType = node.rankedInput(1);
  FailureOr<RankedTensorType> updatesType = node.rankedInput(2);
  if (failed(dataType) || failed(indicesType) || failed(updatesType))
    return failure();
  int64_t rank = dataType->getRank();
  if (indicesType->getRank() != rank || updatesType->getRank() != rank)
    return node.emitError() << "data, indices and updates must have one rank";
  FailureOr<int64_t> axis = normalizeAxis(node, node.intAttr("axis", 0), rank);
  if (failed(axis))
    return failure();
  StringRef reduction = node.stringAttr("reduction", "none");
  if (!isKnownReduction(reduction))
    return node.emitError() << "reduction '" << reduction << "' is not supported";
  bool isUnsigned = node.isUnsigned(0);
  Value data = node.signlessInput(0), indices = node.signlessInput(1),
        updates = node.signlessInput(2);
  int64_t axisValue = *axis;
  Value result = loopNest(
      node.builder(), node.getLoc(), indices, data,
      [&](OpBuilder &b, Location loc, ArrayRef<Value> ivs, Value tensor) -> Value {
        Value index = tensor::ExtractOp::create(b, loc, indices, ivs);
        SmallVector<Value> coords(ivs);
        coords[axisValue] = wrapIndex(b, loc, index, tensor, axisValue);
        Value update = tensor::ExtractOp::create(b, loc, updates, ivs);
        return scatterOne(b, loc, tensor, coords, update, reduction, isUnsigned);
      });
  node.replace(result);
  return success();
}

/// ScatterND: updates[p..., r...] goes to data[indices[p..., 0..q), r...],
/// a loop nest over the updates.
LogicalResult convertScatterND(OnnxNode &node) {
  FailureOr<RankedTensorType> dataType = node.rankedInput(0);
  FailureOr<RankedTensorType> indicesType = node.rankedInput(1);
  FailureOr<RankedTensorType> updatesType = node.rankedInput(2);
  if (failed(dataType) || failed(indicesType) || failed(updatesType))
    return failure();
  int64_t q = indicesType->getDimSize(indicesType->getRank() - 1);
  int64_t prefix = indicesType->getRank() - 1;
  if (ShapedType::isDynamic(q) || q < 1 || q > dataType->getRank() ||
      updatesType->getRank() != prefix + dataType->getRank() - q)
    return node.emitError() << "indices and updates do not fit data";
  StringRef reduction = node.stringAttr("reduction", "none");
  if (!isKnownReduction(reduction))
    return node.emitError() << "reduction '" << reduction << "' is not supported";
  bool isUnsigned = node.isUnsigned(0);
  Value data = node.signlessInput(0), indices = node.signlessInput(1),
        updates = node.signlessInput(2);
  Value result = loopNest(
      node.builder(), node.getLoc(), updates, data,
      [&](OpBuilder &b, Location loc, ArrayRef<Value> ivs, Value tensor) -> Value {
        SmallVector<Value> coords =
            tupleCoords(b, loc, indices, ivs.take_front(prefix), q, tensor);
        llvm::append_range(coords, ivs.drop_front(prefix));
        Value update = tensor::ExtractOp::create(b, loc, updates, ivs);
        return scatterOne(b, loc, tensor, coords, update, reduction, isUnsigned);
      });
  node.replace(result);
  return success();
}

/// GatherND, out[b..., p..., r...] = data[b..., indices[b..., p..., 0..q),
/// r...]: the first batch_dims dims of data and indices pair up; each
/// index tuple then addresses the next q dims of data.
LogicalResult convertGatherND(OnnxNode &node) {
  FailureOr<RankedTensorType> dataType = node.rankedInput(0);
  FailureOr<RankedTensorType> indicesType = node.rankedInput(1);
  if (failed(dataType) || failed(indicesType))
    return failure();
  int64_t batch = node.intAttr("batch_dims", 0);
  int64_t q = indicesType->getDimSize(indicesType->getRank() - 1);
  int64_t rank = dataType->getRank();
  int64_t prefix = indicesType->getRank() - 1;
  if (batch < 0 || batch > prefix || batch >= rank)
    return node.emitError() << "batch_dims = " << batch
                            << " must be non-negative and less than both ranks";
  if (ShapedType::isDynamic(q) || q < 1 || q > rank - batch)
    return node.emitError() << "the index tuple length must be static and in "
                               "[1, data rank - batch_dims]";
  SmallVector<int64_t> shape(indicesType->getShape().drop_back());
  llvm::append_range(shape, dataType->getShape().drop_front(batch + q));
  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  Value data = node.signlessInput(0), indices = node.signlessInput(1);
  SmallVector<Value> dynamic;
  for (int64_t i = 0; i < static_cast<int64_t>(shape.size()); ++i)
    if (ShapedType::isDynamic(shape[i]))
      dynamic.push_back(i < prefix ? tensor::DimOp::create(b, loc, indices, i)
                                   : tensor::DimOp::create(b, loc, data, i - prefix + batch + q));
  auto type = RankedTensorType::get(
      shape, cast<ShapedType>(data.getType()).getElementType());
  Value init = tensor::EmptyOp::create(b, loc, type, dynamic);
  int64_t outRank = shape.size();
  node.replace(gatherInto(
      b, loc, data, init, Value(), AffineMap(),
      [&](OpBuilder &nb, Location nl, Value) {
        SmallVector<Value> at;
        for (int64_t i = 0; i < prefix; ++i)
          at.push_back(linalg::IndexOp::create(nb, nl, i));
        SmallVector<Value> coords(ArrayRef(at).take_front(batch));
        llvm::append_range(coords, tupleCoords(nb, nl, indices, at, q, data, batch));
        for (int64_t i = prefix; i < outRank; ++i)
          coords.push_back(linalg::IndexOp::create(nb, nl, i));
        return coords;
      }));
  return success();
}

} // namespace

void moe::populateOnnxScatterHandlers(OnnxOpTable &table) {
  table.on("ScatterElements", 11, convertScatterElements);
  table.on("ScatterND", 11, convertScatterND);
  table.on("GatherND", 11, convertGatherND);
}
