//===- NonZero.cpp - ONNX NonZero -----------------------------------------===//
//
// The result's length is data-dependent: one scf.for counts the non-zero
// elements, a second writes their coordinates in row-major order into a
// [rank, count] tensor of that size.
//
//===----------------------------------------------------------------------===//

#include "Helpers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::moe;

namespace {

Value isNonZero(OpBuilder &b, Location loc, Value v) {
  Type type = v.getType();
  if (type.isInteger(1))
    return v;
  if (isa<FloatType>(type))
    return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, v,
                                 arith::ConstantOp::create(b, loc, b.getFloatAttr(type, 0.0)));
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, v,
                               arith::ConstantOp::create(b, loc, b.getIntegerAttr(type, 0)));
}

LogicalResult convertNonZero(OnnxNode &node) {
  FailureOr<RankedTensorType> type = node.rankedInput(0);
  if (failed(type))
    return failure();
  int64_t rank = type->getRank();
  if (rank == 0)
    return node.emitError() << "a scalar input is not supported";
  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  Value x = node.signlessInput(0);
  Value flat = x;
  if (rank > 1) {
    SmallVector<ReassociationIndices> all = {
        llvm::to_vector(llvm::seq<int64_t>(0, rank))};
    flat = tensor::CollapseShapeOp::create(b, loc, x, all);
  }
  SmallVector<Value> dims;
  for (int64_t d = 0; d < rank; ++d)
    dims.push_back(tensor::DimOp::create(b, loc, x, d));
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  Value n = tensor::DimOp::create(b, loc, flat, 0);

  auto count = scf::ForOp::create(
      b, loc, c0, n, c1, ValueRange{c0},
      [&](OpBuilder &nb, Location nl, Value i, ValueRange acc) {
        Value nz = isNonZero(nb, nl, tensor::ExtractOp::create(nb, nl, flat, i));
        Value step = arith::SelectOp::create(nb, nl, nz, c1, c0);
        scf::YieldOp::create(nb, nl, Value(arith::AddIOp::create(nb, nl, acc[0], step)));
      });

  Type i64 = b.getI64Type();
  auto resultType = RankedTensorType::get({rank, ShapedType::kDynamic}, i64);
  Value init = tensor::EmptyOp::create(b, loc, resultType, count.getResult(0));
  auto fill = scf::ForOp::create(
      b, loc, c0, n, c1, ValueRange{init, c0},
      [&](OpBuilder &nb, Location nl, Value i, ValueRange state) {
        Value nz = isNonZero(nb, nl, tensor::ExtractOp::create(nb, nl, flat, i));
        auto write = scf::IfOp::create(
            nb, nl, nz,
            [&](OpBuilder &tb, Location tl) {
              // Row-major coordinates of flat index i, last dim first.
              Value rest = i, out = state[0];
              for (int64_t d = rank - 1; d >= 0; --d) {
                Value coord = arith::RemUIOp::create(tb, tl, rest, dims[d]);
                rest = arith::DivUIOp::create(tb, tl, rest, dims[d]);
                Value row = arith::ConstantIndexOp::create(tb, tl, d);
                out = tensor::InsertOp::create(
                    tb, tl, arith::IndexCastOp::create(tb, tl, i64, coord), out,
                    ValueRange{row, state[1]});
              }
              scf::YieldOp::create(
                  tb, tl, ValueRange{out, arith::AddIOp::create(tb, tl, state[1], c1)});
            },
            [&](OpBuilder &eb, Location el) {
              scf::YieldOp::create(eb, el, state);
            });
        scf::YieldOp::create(nb, nl, write.getResults());
      });
  node.replace(fill.getResult(0));
  return success();
}

} // namespace

void moe::populateOnnxNonZeroHandlers(OnnxOpTable &table) {
  table.on("NonZero", 9, convertNonZero);
}
