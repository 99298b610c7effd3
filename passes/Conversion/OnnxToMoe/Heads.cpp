//===- Heads.cpp - Moving attention heads in and out of the hidden dim ----===//

#include "Heads.h"
#include "Helpers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::moe;

FailureOr<Value> moe::splitHeads(OnnxNode &node, Value v, int64_t heads,
                                 StringRef what) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getRank() != 3)
    return node.emitError() << what << " must be 3-d (batch, sequence, "
                                       "hidden)";
  int64_t hidden = type.getDimSize(2);
  if (heads <= 0)
    return node.emitError() << what << " is 3-d: the head count attribute "
                                       "must be positive";
  if (ShapedType::isDynamic(hidden) || hidden % heads != 0)
    return node.emitError() << what << " hidden size " << hidden
                            << " must be a static multiple of " << heads
                            << " heads";
  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, v);
  SmallVector<OpFoldResult> split = {sizes[0], sizes[1], b.getIndexAttr(heads),
                                     b.getIndexAttr(hidden / heads)};
  return transpose(b, loc, reshapeTo(b, loc, v, split), {0, 2, 1, 3});
}

LogicalResult moe::splitHeadsQkv(OnnxNode &node, Value &q, Value &k,
                                 Value &v, int64_t heads, int64_t kvHeads) {
  FailureOr<Value> q4 = splitHeads(node, q, heads, "query");
  if (failed(q4))
    return failure();
  FailureOr<Value> k4 = splitHeads(node, k, kvHeads, "key");
  if (failed(k4))
    return failure();
  FailureOr<Value> v4 = splitHeads(node, v, kvHeads, "value");
  if (failed(v4))
    return failure();
  q = *q4, k = *k4, v = *v4;
  return success();
}

Value moe::mergeHeads(OpBuilder &b, Location loc, Value v) {
  Value t = transpose(b, loc, v, {0, 2, 1, 3});
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, t);
  auto type = cast<RankedTensorType>(t.getType());
  OpFoldResult merged =
      type.isDynamicDim(2) || type.isDynamicDim(3)
          ? OpFoldResult(Value(arith::MulIOp::create(
                b, loc, indexValue(b, loc, sizes[2]), indexValue(b, loc, sizes[3]))))
          : OpFoldResult(b.getIndexAttr(type.getDimSize(2) * type.getDimSize(3)));
  return reshapeTo(b, loc, t, {sizes[0], sizes[1], merged});
}

Value moe::sliceColumns(OpBuilder &b, Location loc, Value v, int64_t offset,
                        int64_t size) {
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, v);
  sizes[2] = b.getIndexAttr(size);
  SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), b.getIndexAttr(0),
                                       b.getIndexAttr(offset)};
  SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(b, loc, v, offsets, sizes, strides);
}

Value moe::unpackHeads(OpBuilder &b, Location loc, Value packed,
                       int64_t index) {
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, packed);
  SmallVector<OpFoldResult> offsets(5, b.getIndexAttr(0));
  offsets[3] = b.getIndexAttr(index);
  SmallVector<OpFoldResult> strides(5, b.getIndexAttr(1));
  sizes[3] = b.getIndexAttr(1);
  Value part =
      tensor::ExtractSliceOp::create(b, loc, packed, offsets, sizes, strides);
  Value bshd = reshapeTo(b, loc, part, {sizes[0], sizes[1], sizes[2], sizes[4]});
  return transpose(b, loc, bshd, {0, 2, 1, 3});
}

Value moe::toRank4(OpBuilder &b, Location loc, Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getRank() == 4)
    return v;
  SmallVector<OpFoldResult> sizes(4 - type.getRank(), b.getIndexAttr(1));
  llvm::append_range(sizes, tensor::getMixedSizes(b, loc, v));
  return reshapeTo(b, loc, v, sizes);
}

Value moe::positionsFrom(OpBuilder &b, Location loc, Value offset,
                         Value like) {
  int64_t seq = cast<RankedTensorType>(like.getType()).getDimSize(2);
  Type i64 = b.getI64Type();
  SmallVector<Value> dynamic;
  if (ShapedType::isDynamic(seq))
    dynamic.push_back(tensor::DimOp::create(b, loc, like, 2));
  Value init = tensor::EmptyOp::create(
      b, loc, RankedTensorType::get({1, seq}, i64), dynamic);
  MLIRContext *ctx = b.getContext();
  auto map = AffineMap::getMultiDimIdentityMap(2, ctx);
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange(), init, ArrayRef{map},
             ArrayRef{utils::IteratorType::parallel, utils::IteratorType::parallel},
             [&](OpBuilder &nb, Location nl, ValueRange) {
               Value i = linalg::IndexOp::create(nb, nl, 1);
               Value pos = arith::AddIOp::create(nb, nl, offset, i);
               linalg::YieldOp::create(
                   nb, nl, Value(arith::IndexCastOp::create(nb, nl, i64, pos)));
             })
      .getResult(0);
}
