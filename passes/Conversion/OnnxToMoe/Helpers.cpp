//===- Helpers.cpp - What several op families share -----------------------===//

#include "Helpers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/Verifier.h"

using namespace mlir;
using namespace mlir::moe;

DenseElementsAttr moe::constantElements(Value value) {
  DenseElementsAttr attr;
  if (value && matchPattern(value, m_Constant(&attr)))
    return attr;
  return {};
}

std::optional<SmallVector<int64_t>> moe::constantInts(Value value) {
  DenseElementsAttr attr = constantElements(value);
  if (!attr || !attr.getElementType().isIntOrIndex())
    return std::nullopt;
  SmallVector<int64_t> values;
  for (const APInt &v : attr.getValues<APInt>())
    values.push_back(v.getSExtValue());
  return values;
}

std::optional<SmallVector<int64_t>> moe::intsAttr(const OnnxNode &node,
                                                  StringRef name) {
  if (auto ints = dyn_cast_or_null<DenseI64ArrayAttr>(node.attr(name)))
    return SmallVector<int64_t>(ints.asArrayRef());
  return std::nullopt;
}

FailureOr<int64_t> moe::normalizeAxis(const OnnxNode &node, int64_t axis,
                                      int64_t rank) {
  if (axis < -rank || axis >= std::max<int64_t>(rank, 1))
    return node.emitError() << "axis " << axis << " is out of range for rank "
                            << rank;
  return axis < 0 ? axis + rank : axis;
}

std::optional<SmallVector<int64_t>> moe::staticResultShape(const OnnxNode &node,
                                                           unsigned i) {
  auto type = dyn_cast<RankedTensorType>(node.getOp().getResult(i).getType());
  if (!type || !type.hasStaticShape())
    return std::nullopt;
  return SmallVector<int64_t>(type.getShape());
}

Value moe::emptyWithDimsOf(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                           Type element, Value like) {
  SmallVector<Value> dynamic;
  for (auto [i, dim] : llvm::enumerate(shape))
    if (ShapedType::isDynamic(dim))
      dynamic.push_back(tensor::DimOp::create(b, loc, like, i));
  return tensor::EmptyOp::create(b, loc, RankedTensorType::get(shape, element),
                                 dynamic);
}

Value moe::constantOf(OpBuilder &b, Location loc, DenseElementsAttr attr) {
  return arith::ConstantOp::create(b, loc, attr);
}

Value moe::indexValue(OpBuilder &b, Location loc, OpFoldResult dim) {
  if (auto value = dyn_cast<Value>(dim))
    return value;
  return arith::ConstantIndexOp::create(
      b, loc, cast<IntegerAttr>(cast<Attribute>(dim)).getInt());
}

Value moe::reshapeTo(OpBuilder &b, Location loc, Value input,
                     ArrayRef<OpFoldResult> dims) {
  SmallVector<int64_t> shape;
  bool allStatic = true;
  for (OpFoldResult dim : dims) {
    std::optional<int64_t> size = getConstantIntValue(dim);
    shape.push_back(size ? *size : ShapedType::kDynamic);
    allStatic &= size.has_value();
  }
  Type element = cast<ShapedType>(input.getType()).getElementType();
  auto resultType = RankedTensorType::get(shape, element);
  if (resultType == input.getType())
    return input;
  // Shape arithmetic: a reshaped constant is a constant.
  if (DenseElementsAttr attr = constantElements(input); attr && allStatic)
    return constantOf(b, loc, attr.reshape(resultType));
  Value shapeTensor;
  if (allStatic) {
    shapeTensor = arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(
            RankedTensorType::get({static_cast<int64_t>(shape.size())},
                                  b.getI64Type()),
            ArrayRef<int64_t>(shape)));
  } else {
    SmallVector<Value> values;
    for (OpFoldResult dim : dims)
      values.push_back(arith::IndexCastOp::create(b, loc, b.getI64Type(),
                                                  indexValue(b, loc, dim)));
    shapeTensor = tensor::FromElementsOp::create(b, loc, values);
  }
  return tensor::ReshapeOp::create(b, loc, resultType, input, shapeTensor);
}


LogicalResult moe::verifyBuilt(OnnxNode &node, Operation *op, StringRef what) {
  if (succeeded(verify(op)))
    return success();
  op->erase();
  return node.emitError() << what << " (the previous error says how)";
}

Value moe::wrapIndex(OpBuilder &b, Location loc, Value index, Value data,
                     int64_t axis) {
  index = arith::IndexCastOp::create(b, loc, b.getIndexType(), index);
  Value dim = tensor::DimOp::create(b, loc, data, axis);
  Value negative =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, index,
                            arith::ConstantIndexOp::create(b, loc, 0));
  return arith::SelectOp::create(
      b, loc, negative, arith::AddIOp::create(b, loc, index, dim), index);
}

Value moe::transpose(OpBuilder &b, Location loc, Value value,
                     ArrayRef<int64_t> perm) {
  SmallVector<OpFoldResult> sizes;
  for (int64_t p : perm)
    sizes.push_back(tensor::getMixedSize(b, loc, value, p));
  Value init = tensor::EmptyOp::create(
      b, loc, sizes, cast<ShapedType>(value.getType()).getElementType());
  return linalg::TransposeOp::create(b, loc, value, init, perm).getResult()[0];
}

Value moe::gatherInto(OpBuilder &b, Location loc, Value data, Value init,
                      Value indices, AffineMap indicesMap, GatherCoords coords) {
  int64_t rank = cast<RankedTensorType>(init.getType()).getRank();
  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  if (indices) {
    inputs.push_back(indices);
    maps.push_back(indicesMap);
  }
  maps.push_back(b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nb, Location nl, ValueRange args) {
        SmallVector<Value> at = coords(nb, nl, indices ? args[0] : Value());
        linalg::YieldOp::create(nb, nl,
                                Value(tensor::ExtractOp::create(nb, nl, data, at)));
      });
  return generic.getResult(0);
}

std::vector<char> moe::unpackBits(ArrayRef<char> packed, int64_t count,
                                  int64_t bits) {
  std::vector<char> values(count);
  int64_t perByte = 8 / bits;
  for (int64_t i = 0; i < count; ++i) {
    auto byte = static_cast<uint8_t>(packed[i / perByte]);
    values[i] = static_cast<char>((byte >> (bits * (i % perByte))) &
                                  ((1 << bits) - 1));
  }
  return values;
}

Value moe::scalarOf(OpBuilder &b, Location loc, Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  SmallVector<Value> zeros(type.getRank(),
                           arith::ConstantIndexOp::create(b, loc, 0));
  return tensor::ExtractOp::create(b, loc, tensor, zeros);
}

Value moe::scalarIndex(OpBuilder &b, Location loc, Value tensor) {
  return arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                    scalarOf(b, loc, tensor));
}

FailureOr<Value> moe::switchOnAxis(
    OnnxNode &node, Value axis, int64_t rank, RankedTensorType resultType,
    function_ref<FailureOr<Value>(int64_t)> build) {
  auto axisType = dyn_cast<RankedTensorType>(axis.getType());
  if (!axisType || axisType.getNumElements() != 1 || rank < 1)
    return node.emitError() << "the axis must be a single integer";
  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  Value value = scalarIndex(b, loc, axis);
  Value negative = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::slt, value,
      arith::ConstantIndexOp::create(b, loc, 0));
  value = arith::SelectOp::create(
      b, loc, negative,
      arith::AddIOp::create(b, loc, value, arith::ConstantIndexOp::create(b, loc, rank)),
      value);
  SmallVector<int64_t> cases = llvm::to_vector(llvm::seq<int64_t>(0, rank - 1));
  auto op = scf::IndexSwitchOp::create(b, loc, TypeRange{resultType}, value,
                                       cases, cases.size());
  auto fill = [&](Region &region, int64_t a) -> LogicalResult {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&region.emplaceBlock());
    FailureOr<Value> result = build(a);
    if (failed(result))
      return failure();
    Value yielded = *result;
    if (yielded.getType() != resultType)
      yielded = tensor::CastOp::create(b, loc, resultType, yielded);
    scf::YieldOp::create(b, loc, yielded);
    return success();
  };
  for (auto [region, a] : llvm::zip(op.getCaseRegions(), cases))
    if (failed(fill(region, a))) {
      op.erase();
      return failure();
    }
  if (failed(fill(op.getDefaultRegion(), rank - 1))) {
    op.erase();
    return failure();
  }
  return op.getResult(0);
}
