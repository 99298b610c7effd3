//===- Broadcast.cpp - Elementwise linalg.generic with broadcasting -------===//

#include "Broadcast.h"
#include "Helpers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::moe;

Value moe::scalarConstant(OpBuilder &b, Location loc, Type type,
                          double value) {
  if (isa<FloatType>(type))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, value));
  return arith::ConstantOp::create(
      b, loc, b.getIntegerAttr(type, static_cast<int64_t>(value)));
}

FailureOr<Value> moe::buildBroadcastElementwise(OnnxNode &node,
                                                ValueRange inputs,
                                                Type resultElement,
                                                ScalarBody body,
                                                ArrayRef<int64_t> alsoBroadcastTo) {
  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  SmallVector<RankedTensorType> types;
  for (Value input : inputs) {
    auto type = dyn_cast<RankedTensorType>(input.getType());
    if (!type)
      return node.emitError() << "input of unknown rank (" << input.getType()
                              << ") cannot be broadcast";
    types.push_back(type);
  }
  int64_t rank = alsoBroadcastTo.size();
  for (RankedTensorType type : types)
    rank = std::max(rank, type.getRank());

  // Result dims, and for each dynamic one an input to take its size from.
  SmallVector<int64_t> shape(rank, 1);
  SmallVector<std::pair<Value, int64_t>> sizeSource(rank, {Value(), 0});
  for (auto [input, type] : llvm::zip(inputs, types)) {
    int64_t offset = rank - type.getRank();
    for (int64_t j = 0; j < type.getRank(); ++j) {
      int64_t dim = type.getDimSize(j), &result = shape[offset + j];
      if (dim == 1)
        continue;
      if (ShapedType::isDynamic(dim)) {
        if (result == 1) {
          result = ShapedType::kDynamic;
          sizeSource[offset + j] = {input, j};
        }
        continue;
      }
      if (result == 1 || ShapedType::isDynamic(result)) {
        result = dim;
        continue;
      }
      if (result != dim)
        return node.emitError()
               << "inputs do not broadcast: dim " << offset + j << " is "
               << result << " in one and " << dim << " in another";
    }
  }

  int64_t extraOffset = rank - static_cast<int64_t>(alsoBroadcastTo.size());
  for (auto [j, dim] : llvm::enumerate(alsoBroadcastTo)) {
    int64_t &result = shape[extraOffset + j];
    if (dim == 1)
      continue;
    if (result == 1 || ShapedType::isDynamic(result))
      result = dim;
    else if (result != dim)
      return node.emitError() << "cannot broadcast dim " << extraOffset + j
                              << " of size " << result << " to " << dim;
  }

  SmallVector<Value> dynamicSizes;
  for (int64_t i = 0; i < rank; ++i)
    if (ShapedType::isDynamic(shape[i]))
      dynamicSizes.push_back(tensor::DimOp::create(
          b, loc, sizeSource[i].first, sizeSource[i].second));
  auto resultType = RankedTensorType::get(shape, resultElement);
  Value init = tensor::EmptyOp::create(b, loc, resultType, dynamicSizes);

  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps;
  for (RankedTensorType type : types) {
    int64_t offset = rank - type.getRank();
    SmallVector<AffineExpr> exprs;
    for (int64_t j = 0; j < type.getRank(); ++j)
      exprs.push_back(type.getDimSize(j) == 1 && shape[offset + j] != 1
                          ? getAffineConstantExpr(0, ctx)
                          : getAffineDimExpr(offset + j, ctx));
    maps.push_back(AffineMap::get(rank, 0, exprs, ctx));
  }
  maps.push_back(b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{resultType}, inputs, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value result = body(nested, nestedLoc, args.drop_back());
        linalg::YieldOp::create(nested, nestedLoc, result);
      });
  // Shape arithmetic on constants becomes a constant.
  if (std::optional<Value> folded = foldConstantGeneric(b, generic)) {
    generic.erase();
    return *folded;
  }
  return generic.getResult(0);
}

LogicalResult moe::convertElementwiseWithIndices(
    OnnxNode &node, function_ref<Value(OpBuilder &, Location, Value)> body) {
  Value input = node.signlessInput(0);
  if (!input)
    return node.emitError() << "needs an input";
  FailureOr<Value> value = buildBroadcastElementwise(
      node, {input}, cast<ShapedType>(input.getType()).getElementType(),
      [&](OpBuilder &b, Location loc, ValueRange s) { return body(b, loc, s[0]); });
  if (failed(value))
    return failure();
  node.replace(*value);
  return success();
}
