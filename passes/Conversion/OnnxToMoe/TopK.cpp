//===- TopK.cpp - ONNX TopK -----------------------------------------------===//
//
// k selection passes in an scf.for: each pass takes the best element of
// every row not taken yet (first index on ties, as ONNX orders them) and
// marks it taken. That is k * n work, right for routers (small k); MoE routing that
// the raising passes recognise becomes moe.route instead.
//
//===----------------------------------------------------------------------===//

#include "Helpers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

using namespace mlir;
using namespace mlir::moe;

namespace {

Value transposeLastWith(OpBuilder &b, Location loc, Value v, int64_t axis) {
  auto type = cast<RankedTensorType>(v.getType());
  int64_t last = type.getRank() - 1;
  if (axis == last)
    return v;
  SmallVector<int64_t> perm = llvm::to_vector(llvm::seq<int64_t>(0, type.getRank()));
  std::swap(perm[axis], perm[last]);
  return transpose(b, loc, v, perm);
}

SmallVector<Value> dynamicAll(OpBuilder &b, Location loc, Value v) {
  SmallVector<Value> sizes;
  auto type = cast<RankedTensorType>(v.getType());
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (type.isDynamicDim(i))
      sizes.push_back(tensor::DimOp::create(b, loc, v, i));
  return sizes;
}

LogicalResult convertTopK(OnnxNode &node) {
  FailureOr<RankedTensorType> type = node.rankedInput(0);
  if (failed(type))
    return failure();
  if (node.isUnsigned(0))
    return node.emitError() << "unsigned inputs are not supported";
  int64_t rank = type->getRank();
  FailureOr<int64_t> axis = normalizeAxis(node, node.intAttr("axis", -1), rank);
  if (failed(axis))
    return failure();
  std::optional<SmallVector<int64_t>> kValues =
      node.getVersion() >= 10 ? constantInts(node.input(1)) : std::nullopt;
  int64_t k = node.getVersion() >= 10 ? (kValues && kValues->size() == 1
                                              ? kValues->front()
                                              : -1)
                                      : node.intAttr("k", -1);
  if (k < 0) {
    if (std::optional<SmallVector<int64_t>> shape = staticResultShape(node))
      k = (*shape)[*axis];
    else
      return node.emitError() << "k must be a constant or the result shape "
                                 "static";
  }
  int64_t n = type->getDimSize(*axis);
  if (!ShapedType::isDynamic(n) && k > n)
    return node.emitError() << "k (" << k << ") exceeds the axis size (" << n
                            << ")";
  bool largest = node.intAttr("largest", 1) != 0;
  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  MLIRContext *ctx = b.getContext();
  Type element = type->getElementType();
  bool isFloat = isa<FloatType>(element);

  Value x = transposeLastWith(b, loc, node.input(0), *axis);
  auto xType = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> outShape(xType.getShape());
  outShape.back() = k;
  SmallVector<int64_t> rowShape(xType.getShape());
  rowShape.back() = 1;
  SmallVector<Value> dynamic;
  for (int64_t i = 0; i + 1 < rank; ++i)
    if (xType.isDynamicDim(i))
      dynamic.push_back(tensor::DimOp::create(b, loc, x, i));
  Value values = tensor::EmptyOp::create(
      b, loc, RankedTensorType::get(outShape, element), dynamic);
  Value indices = tensor::EmptyOp::create(
      b, loc, RankedTensorType::get(outShape, b.getI64Type()), dynamic);

  // The starting point of each pass's reduction.
  TypedAttr worst =
      isFloat ? TypedAttr(b.getFloatAttr(element, largest ? -INFINITY : INFINITY))
              : TypedAttr(b.getIntegerAttr(
                    element, largest ? APInt::getSignedMinValue(
                                           element.getIntOrFloatBitWidth())
                                     : APInt::getSignedMaxValue(
                                           element.getIntOrFloatBitWidth())));
  SmallVector<AffineExpr> rowExprs;
  for (int64_t i = 0; i + 1 < rank; ++i)
    rowExprs.push_back(getAffineDimExpr(i, ctx));
  rowExprs.push_back(getAffineConstantExpr(0, ctx));
  AffineMap identity = b.getMultiDimIdentityMap(rank);
  AffineMap rowMap = AffineMap::get(rank, 0, rowExprs, ctx);
  SmallVector<utils::IteratorType> reduceIters(rank, utils::IteratorType::parallel);
  reduceIters.back() = utils::IteratorType::reduction;
  SmallVector<utils::IteratorType> parallel(rank, utils::IteratorType::parallel);

  Value notTaken = linalg::FillOp::create(
                       b, loc, Value(arith::ConstantOp::create(b, loc, b.getBoolAttr(false))),
                       Value(tensor::EmptyOp::create(
                           b, loc, RankedTensorType::get(xType.getShape(), b.getI1Type()),
                           dynamicAll(b, loc, x))))
                       .getResult(0);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value kIndex = arith::ConstantIndexOp::create(b, loc, k);
  auto loop = scf::ForOp::create(
      b, loc, zero, kIndex, one, ValueRange{notTaken, values, indices},
      [&](OpBuilder &lb, Location ll, Value j, ValueRange state) {
        Value taken = state[0];
        // The best remaining element of each row and its index.
        auto rowType = RankedTensorType::get(rowShape, element);
        auto rowIndexType = RankedTensorType::get(rowShape, lb.getI64Type());
        Value bestInit = linalg::FillOp::create(
                             lb, ll, Value(arith::ConstantOp::create(lb, ll, worst)),
                             Value(tensor::EmptyOp::create(lb, ll, rowType, dynamic)))
                             .getResult(0);
        Value indexInit =
            linalg::FillOp::create(
                lb, ll, Value(arith::ConstantOp::create(lb, ll, lb.getI64IntegerAttr(-1))),
                Value(tensor::EmptyOp::create(lb, ll, rowIndexType, dynamic)))
                .getResult(0);
        auto best = linalg::GenericOp::create(
            lb, ll, TypeRange{rowType, rowIndexType}, ValueRange{x, taken},
            ValueRange{bestInit, indexInit},
            ArrayRef<AffineMap>{identity, identity, rowMap, rowMap}, reduceIters,
            [&](OpBuilder &nb, Location nl, ValueRange args) {
              Value v = args[0], isTaken = args[1], cur = args[2],
                    curIndex = args[3];
              Value i = arith::IndexCastOp::create(
                  nb, nl, nb.getI64Type(), linalg::IndexOp::create(nb, nl, rank - 1));
              Value better =
                  isFloat ? Value(arith::CmpFOp::create(
                                nb, nl,
                                largest ? arith::CmpFPredicate::OGT
                                        : arith::CmpFPredicate::OLT,
                                v, cur))
                          : Value(arith::CmpIOp::create(
                                nb, nl,
                                largest ? arith::CmpIPredicate::sgt
                                        : arith::CmpIPredicate::slt,
                                v, cur));
              // The first untaken element is a candidate even at the worst.
              Value none = arith::CmpIOp::create(
                  nb, nl, arith::CmpIPredicate::slt, curIndex,
                  arith::ConstantOp::create(nb, nl, nb.getI64IntegerAttr(0)));
              better = arith::OrIOp::create(nb, nl, better, none);
              Value free = arith::XOrIOp::create(
                  nb, nl, isTaken,
                  arith::ConstantOp::create(nb, nl, nb.getBoolAttr(true)));
              better = arith::AndIOp::create(nb, nl, better, free);
              linalg::YieldOp::create(
                  nb, nl,
                  ValueRange{arith::SelectOp::create(nb, nl, better, v, cur),
                             arith::SelectOp::create(nb, nl, better, i, curIndex)});
            });
        // Write column j of the outputs.
        SmallVector<OpFoldResult> offsets(rank, lb.getIndexAttr(0));
        offsets.back() = j;
        SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(lb, ll, best.getResult(0));
        SmallVector<OpFoldResult> strides(rank, lb.getIndexAttr(1));
        Value newValues = tensor::InsertSliceOp::create(
            lb, ll, best.getResult(0), state[1], offsets, sizes, strides);
        Value newIndices = tensor::InsertSliceOp::create(
            lb, ll, best.getResult(1), state[2], offsets, sizes, strides);
        // Mark the chosen elements taken.
        auto marked = linalg::GenericOp::create(
            lb, ll, TypeRange{taken.getType()}, ValueRange{taken, best.getResult(1)},
            ValueRange{taken}, ArrayRef<AffineMap>{identity, rowMap, identity},
            parallel, [&](OpBuilder &nb, Location nl, ValueRange args) {
              Value i = arith::IndexCastOp::create(
                  nb, nl, nb.getI64Type(), linalg::IndexOp::create(nb, nl, rank - 1));
              Value chosen = arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::eq,
                                                   i, args[1]);
              linalg::YieldOp::create(
                  nb, nl, Value(arith::OrIOp::create(nb, nl, args[0], chosen)));
            });
        scf::YieldOp::create(lb, ll,
                             ValueRange{marked.getResult(0), newValues, newIndices});
      });
  Value topValues = transposeLastWith(b, loc, loop.getResult(1), *axis);
  Value topIndices = transposeLastWith(b, loc, loop.getResult(2), *axis);
  node.replace({topValues, topIndices});
  return success();
}

} // namespace

void moe::populateOnnxTopKHandlers(OnnxOpTable &table) {
  table.on("TopK", 1, convertTopK);
}
