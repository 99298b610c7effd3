//===- CubeTypes.cpp - f32 matmuls and attention in the cube's type -------===//
//
// The cube multiplies f16/bf16 (or integers), never f32. Asked to, the
// lowering computes f32 matmuls and attention in f16 or bf16: operands are
// converted (constant weights once, at compile time; activations by the
// vector unit), products still accumulate in f32 and results stay f32.
//
//===----------------------------------------------------------------------===//

#include "NpuKernels.h"
#include "moe/Dialect/Moe/MoeOps.h"
#include "moe/Support/ConstantBytes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::npu;

/// `v` (a float tensor) as `type`: a new constant when it is one.
static Value castTensor(OpBuilder &b, Location loc, Value v, Type type) {
  auto tensorType = cast<RankedTensorType>(v.getType());
  auto resultType = tensorType.clone(type);
  if (matchPattern(v, m_Constant())) {
    if (std::optional<std::vector<char>> bytes = moe::constantRawBytes(v)) {
      const llvm::fltSemantics &to = cast<FloatType>(type).getFloatSemantics();
      int64_t n = tensorType.getNumElements();
      std::vector<char> out(n * 2);
      for (int64_t i = 0; i < n; ++i) {
        float f;
        std::memcpy(&f, bytes->data() + 4 * i, 4);
        APFloat value(f);
        bool lost;
        value.convert(to, APFloat::rmNearestTiesToEven, &lost);
        uint16_t bits = uint16_t(value.bitcastToAPInt().getZExtValue());
        std::memcpy(out.data() + 2 * i, &bits, 2);
      }
      return moe::bytesConstant(b, loc, resultType, out, "npu_weight");
    }
  }
  Value empty = tensor::EmptyOp::create(b, loc, resultType.getShape(), type);
  unsigned rank = tensorType.getRank();
  SmallVector<AffineMap> maps(2, b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, resultType, v, empty, maps, iterators,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value t = arith::TruncFOp::create(nb, nl, type, args[0]);
               linalg::YieldOp::create(nb, nl, t);
             })
      .getResult(0);
}

LogicalResult mlir::npu::convertForCube(func::FuncOp func, Type cubeType) {
  if (!cubeType)
    return success();
  SmallVector<Operation *> work;
  func.walk([&](Operation *op) {
    if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op)) {
      FailureOr<MatmulParts> mm = matchMatmul(linalgOp);
      if (succeeded(mm) &&
          cast<ShapedType>(mm->a.getType()).getElementType().isF32() &&
          cast<ShapedType>(mm->b.getType()).getElementType().isF32())
        work.push_back(op);
    } else if (auto attention = dyn_cast<moe::AttentionOp>(op)) {
      if (cast<ShapedType>(attention.getQuery().getType()).getElementType().isF32())
        work.push_back(op);
    }
  });
  for (Operation *op : work) {
    OpBuilder b(op);
    Location loc = op->getLoc();
    if (auto attention = dyn_cast<moe::AttentionOp>(op)) {
      IRMapping map;
      for (Value v : {attention.getQuery(), attention.getKey(), attention.getValue()})
        map.map(v, castTensor(b, loc, v, cubeType));
      Operation *narrow = b.clone(*op, map);
      auto outType = cast<RankedTensorType>(attention.getOutput().getType());
      narrow->getResult(0).setType(outType.clone(cubeType));
      Value empty = tensor::EmptyOp::create(b, loc, outType.getShape(), outType.getElementType());
      unsigned rank = outType.getRank();
      SmallVector<AffineMap> maps(2, b.getMultiDimIdentityMap(rank));
      SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
      Value wide = linalg::GenericOp::create(
                       b, loc, outType, narrow->getResult(0), empty, maps, iterators,
                       [&](OpBuilder &nb, Location nl, ValueRange args) {
                         Value e = arith::ExtFOp::create(nb, nl, nb.getF32Type(), args[0]);
                         linalg::YieldOp::create(nb, nl, e);
                       })
                       .getResult(0);
      attention.getOutput().replaceAllUsesWith(wide);
      op->erase();
      continue;
    }
    auto linalgOp = cast<linalg::LinalgOp>(op);
    MatmulParts mm = *matchMatmul(linalgOp);
    Value a = castTensor(b, loc, mm.a, cubeType), w = castTensor(b, loc, mm.b, cubeType);
    SmallVector<utils::IteratorType> iterators = linalgOp.getIteratorTypesArray();
    auto generic = linalg::GenericOp::create(
        b, loc, op->getResult(0).getType(), ValueRange{a, w}, mm.init,
        linalgOp.getIndexingMapsArray(), iterators,
        [&](OpBuilder &nb, Location nl, ValueRange args) {
          Value x = arith::ExtFOp::create(nb, nl, nb.getF32Type(), args[0]);
          Value y = arith::ExtFOp::create(nb, nl, nb.getF32Type(), args[1]);
          Value p = arith::MulFOp::create(nb, nl, x, y);
          Value s = arith::AddFOp::create(nb, nl, args[2], p);
          linalg::YieldOp::create(nb, nl, s);
        });
    op->getResult(0).replaceAllUsesWith(generic.getResult(0));
    op->erase();
  }
  return success();
}
