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
#include "moe/Passes/Moe/Passes.h"
#include "moe/Support/ConstantBytes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

#include <map>

using namespace mlir;
using namespace mlir::npu;

namespace {
/// Constants converted once per function, at its start: every use of a
/// weight (an expert's, in each of its slots) shares one copy.
struct ConvertedConstants {
  Block *entry = nullptr;
  DenseMap<std::pair<Value, Type>, Value> done;
};
} // namespace

/// `v` (a float tensor) as `type`: a new constant when it is one (one per
/// constant and type with `constants`).
static Value castTensor(OpBuilder &b, Location loc, Value v, Type type,
                        ConvertedConstants *constants = nullptr) {
  auto tensorType = cast<RankedTensorType>(v.getType());
  auto resultType = tensorType.clone(type);
  if (constants)
    if (Value done = constants->done.lookup({v, type}))
      return done;
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
      OpBuilder::InsertionGuard guard(b);
      if (constants)
        b.setInsertionPointToStart(constants->entry);
      Value converted = moe::bytesConstant(b, loc, resultType, out, "npu_weight");
      if (constants)
        constants->done[{v, type}] = converted;
      return converted;
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
  ConvertedConstants constants;
  constants.entry = &func.getBody().front();
  for (Operation *op : work) {
    OpBuilder b(op);
    Location loc = op->getLoc();
    if (auto attention = dyn_cast<moe::AttentionOp>(op)) {
      IRMapping map;
      for (Value v : {attention.getQuery(), attention.getKey(), attention.getValue()})
        map.map(v, castTensor(b, loc, v, cubeType, &constants));
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
    Value a = castTensor(b, loc, mm.a, cubeType, &constants),
          w = castTensor(b, loc, mm.b, cubeType, &constants);
    op->getResult(0).replaceAllUsesWith(buildMatmul(b, loc, a, w));
    op->erase();
  }
  return success();
}

/// y = x w for int8 weights [K, N] (`wt`) with per-column scales, the
/// activations quantized per row at run time: the int8 cube's path.
static Value int8Product(OpBuilder &b, Location loc, moe::QMatmulOp op, Value wt) {
  MLIRContext *ctx = b.getContext();
  auto xType = cast<RankedTensorType>(op.getInput().getType());
  auto resultType = cast<RankedTensorType>(op.getResult().getType());
  unsigned rank = xType.getRank();
  Type f32 = b.getF32Type();
  AffineMap id = b.getMultiDimIdentityMap(rank);
  SmallVector<AffineExpr> lead;
  for (unsigned i = 0; i + 1 < rank; ++i)
    lead.push_back(b.getAffineDimExpr(i));
  AffineMap row = AffineMap::get(rank, 0, lead, ctx);
  SmallVector<utils::IteratorType> par(rank, utils::IteratorType::parallel);
  auto wide = [&](OpBuilder &nb, Location nl, Value v) {
    return v.getType().isF32() ? v : arith::ExtFOp::create(nb, nl, f32, v).getResult();
  };
  auto constant = [&](OpBuilder &nb, Location nl, double v) {
    return arith::ConstantOp::create(nb, nl, f32, nb.getF32FloatAttr(float(v)));
  };
  moe::QuantizedRows rows = moe::quantizeRows(b, loc, op.getInput());
  Value absMax = rows.absMax, xq = rows.values;
  // int8 x int8 into i32 on the cube.
  Value acc = buildMatmul(b, loc, xq, wt);
  // Back to floats: the sum times the row's scale (max|x| / 127) and the
  // column's weight scale (and the bias).
  AffineMap last = AffineMap::get(rank, 0, {b.getAffineDimExpr(rank - 1)}, ctx);
  SmallVector<Value> ins = {acc, absMax, op.getScale()};
  SmallVector<AffineMap> dqMaps = {id, row, last};
  if (op.getBias()) {
    ins.push_back(op.getBias());
    dqMaps.push_back(last);
  }
  dqMaps.push_back(id);
  Value out = tensor::EmptyOp::create(b, loc, resultType.getShape(), resultType.getElementType());
  return linalg::GenericOp::create(
             b, loc, resultType, ins, out, dqMaps, par,
             [&](OpBuilder &nb, Location nl, ValueRange a) {
               Value v = arith::SIToFPOp::create(nb, nl, f32, a[0]);
               Value rs = arith::DivFOp::create(nb, nl, a[1], constant(nb, nl, 127.0));
               v = arith::MulFOp::create(nb, nl, v, rs);
               v = arith::MulFOp::create(nb, nl, v, wide(nb, nl, a[2]));
               if (ins.size() > 3)
                 v = arith::AddFOp::create(nb, nl, v, wide(nb, nl, a[3]));
               if (!resultType.getElementType().isF32())
                 v = arith::TruncFOp::create(nb, nl, resultType.getElementType(), v);
               linalg::YieldOp::create(nb, nl, v);
             })
      .getResult(0);
}

Value mlir::npu::throughReshapes(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (!isa<tensor::ReshapeOp, tensor::ExpandShapeOp, tensor::CollapseShapeOp>(def))
      break;
    v = def->getOperand(0);
  }
  return v;
}

/// The [K, N] weights in `narrow` of a qmatmul over constant 4- or 8-bit
/// weights [N, K] with constant scales (and zero points) per group of K or
/// per output channel, dequantized by the vector unit once per call. The
/// integers sit one to a byte in global memory as [K / G, G, N] (the vector
/// unit converts signed bytes: unsigned 8-bit values are stored less 128,
/// their zero points too; int4 takes twice its bytes, a quarter of f32's),
/// their scales and zero points as [K / G, N], read along each group by a
/// zero stride. Null for other qmatmuls.
namespace {
/// The integer weights (and their scales and zero points) a qmatmul's
/// constants become, built once per function at its start: an expert's
/// slots share one copy.
struct QuantConstants {
  Block *entry = nullptr;
  std::map<std::tuple<const void *, const void *, const void *>, SmallVector<Value>> built;
  SmallVector<Value> &of(moe::QMatmulOp op) {
    Value zp = op.getZeroPoint();
    return built[{op.getWeight().getAsOpaquePointer(), op.getScale().getAsOpaquePointer(),
                  zp ? zp.getAsOpaquePointer() : nullptr}];
  }
};
} // namespace

static Value dequantizedWeights(OpBuilder &b, Location loc, moe::QMatmulOp op, Type narrow,
                                QuantConstants &constants) {
  auto wType = cast<RankedTensorType>(op.getWeight().getType());
  auto sType = cast<RankedTensorType>(op.getScale().getType());
  unsigned bits = wType.getElementTypeBitWidth();
  if ((bits != 4 && bits != 8) || !wType.getElementType().isInteger() ||
      !wType.hasStaticShape() || wType.getRank() != 2)
    return {};
  int64_t n = wType.getDimSize(0), k = wType.getDimSize(1);
  int64_t group = op.getGroupSize() ? static_cast<int64_t>(op.getGroupSize()) : k;
  if (group <= 0 || k % group != 0)
    return {};
  int64_t groups = k / group;
  Type sElement = sType.getElementType();
  std::optional<std::vector<char>> w = moe::constantBytes(op.getWeight());
  std::optional<std::vector<char>> scales = moe::constantRawBytes(throughReshapes(op.getScale()));
  std::optional<std::vector<char>> zeroPoints;
  if (Value zp = op.getZeroPoint())
    zeroPoints = moe::constantBytes(throughReshapes(zp));
  int64_t sBytes = sElement.isF32() ? 4 : sElement.isF16() ? 2 : 0;
  // One scale (zero point) for the whole matrix, or one per (row, group).
  bool perTensor = sType.getNumElements() == 1;
  int64_t params = perTensor ? 1 : n * groups;
  if (!w || static_cast<int64_t>(w->size()) != n * k || !scales || !sBytes ||
      static_cast<int64_t>(scales->size()) != params * sBytes ||
      (op.getZeroPoint() && (!zeroPoints || static_cast<int64_t>(zeroPoints->size()) != params)))
    return {};
  bool isUnsigned = wType.getElementType().isUnsignedInteger();
  // Unsigned bytes less 128 fit a signed byte; the zero points follow.
  int offset = bits == 8 && isUnsigned ? 128 : 0;
  std::vector<char> kMajor(k * n);
  for (int64_t row = 0; row < n; ++row)
    for (int64_t kk = 0; kk < k; ++kk)
      kMajor[kk * n + row] =
          static_cast<char>(moe::storedInteger((*w)[row * k + kk], bits, isUnsigned) - offset);
  // Scales and zero points [groups, N] in f32.
  std::vector<float> scaleT(groups * n), zpT(groups * n, -static_cast<float>(offset));
  for (int64_t row = 0; row < n; ++row)
    for (int64_t g = 0; g < groups; ++g) {
      int64_t at = perTensor ? 0 : row * groups + g;
      float f;
      if (sBytes == 4) {
        std::memcpy(&f, scales->data() + 4 * at, 4);
      } else {
        uint16_t bits;
        std::memcpy(&bits, scales->data() + 2 * at, 2);
        APFloat half(APFloat::IEEEhalf(), APInt(16, bits));
        bool lost;
        half.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
        f = half.convertToFloat();
      }
      scaleT[g * n + row] = f;
      if (zeroPoints) {
        auto zpElement = cast<ShapedType>(op.getZeroPoint().getType()).getElementType();
        zpT[g * n + row] = static_cast<float>(moe::storedInteger((*zeroPoints)[at],
                                                                 zpElement.getIntOrFloatBitWidth(),
                                                                 zpElement.isUnsignedInteger()) -
                                              offset);
      }
    }
  auto asBytes = [](const std::vector<float> &v) {
    return ArrayRef<char>(reinterpret_cast<const char *>(v.data()), v.size() * 4);
  };
  Type f32 = b.getF32Type();
  auto paramType = RankedTensorType::get({groups, n}, f32);
  bool hasZp = zeroPoints || offset;
  SmallVector<Value> &ins = constants.of(op);
  if (ins.empty()) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(constants.entry);
    ins = {moe::bytesConstant(b, loc, RankedTensorType::get({groups, group, n}, b.getI8Type()),
                              kMajor, "npu_qweight"),
           moe::bytesConstant(b, loc, paramType, asBytes(scaleT), "npu_qscale")};
    if (hasZp)
      ins.push_back(moe::bytesConstant(b, loc, paramType, asBytes(zpT), "npu_qzero_point"));
  }
  MLIRContext *ctx = b.getContext();
  AffineMap all = b.getMultiDimIdentityMap(3);
  AffineMap perGroup = AffineMap::get(3, 0, {b.getAffineDimExpr(0), b.getAffineDimExpr(2)}, ctx);
  SmallVector<AffineMap> maps = {all, perGroup};
  if (hasZp)
    maps.push_back(perGroup);
  maps.push_back(all);
  Value empty = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{groups, group, n}, narrow);
  Value dq =
      linalg::GenericOp::create(
          b, loc, empty.getType(), ins, empty, maps,
          SmallVector<utils::IteratorType>(3, utils::IteratorType::parallel),
          [&](OpBuilder &nb, Location nl, ValueRange a) {
            Value v = arith::SIToFPOp::create(nb, nl, f32, a[0]);
            if (hasZp)
              v = arith::SubFOp::create(nb, nl, v, a[2]);
            v = arith::MulFOp::create(nb, nl, v, a[1]);
            linalg::YieldOp::create(nb, nl, arith::TruncFOp::create(nb, nl, narrow, v).getResult());
          })
          .getResult(0);
  return tensor::CollapseShapeOp::create(b, loc, dq,
                                         SmallVector<ReassociationIndices>{{0, 1}, {2}});
}

LogicalResult mlir::npu::rewriteQMatmulsForCube(func::FuncOp func, Type cubeType,
                                                bool int8Activations) {
  SmallVector<moe::QMatmulOp> work;
  func.walk([&](moe::QMatmulOp op) { work.push_back(op); });
  QuantConstants constants;
  constants.entry = &func.getBody().front();
  for (moe::QMatmulOp op : work) {
    auto wType = cast<RankedTensorType>(op.getWeight().getType());
    auto sType = cast<RankedTensorType>(op.getScale().getType());
    auto xType = cast<RankedTensorType>(op.getInput().getType());
    std::optional<std::vector<char>> w = moe::constantRawBytes(op.getWeight());
    // Per-channel symmetric int8 with constant weights (the int8 cube's
    // too), else constant 4- or 8-bit weights dequantized into the cube's
    // type; anything else goes the generic way (dequantized elementwise on
    // the vector unit).
    bool int8PerChannel = wType.getElementType().isInteger(8) &&
                          !wType.getElementType().isUnsignedInteger() && !op.getZeroPoint() &&
                          op.getGroupSize() == 0 && sType.getRank() == 1 && w;
    if (!xType.hasStaticShape())
      continue;
    OpBuilder b(op);
    Location loc = op.getLoc();
    MLIRContext *ctx = b.getContext();
    Type narrow = cubeType ? cubeType : xType.getElementType();
    auto needsNarrow = [&] {
      return op.emitError() << nodeOf(op)
                            << "a quantized matmul of f32 activations on the NPU needs "
                               "--npu-matmul-type=f16 or bf16 (or --npu-int8-activations for "
                               "8-bit weights)";
    };
    Value dq;
    if (!int8PerChannel) {
      // Weight-only: the activations stay floats (no int4 x int8 cube path).
      if (!(narrow.isF16() || narrow.isBF16()))
        return needsNarrow();
      dq = dequantizedWeights(b, loc, op, narrow, constants);
      if (!dq)
        continue;
    }
    int64_t N = wType.getDimSize(0), K = wType.getDimSize(1);
    if (!dq) {
      // The integers stay integers in global memory, [K, N] for the cube.
      SmallVector<Value> &built = constants.of(op);
      if (built.empty()) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(constants.entry);
        built.push_back(moe::bytesConstant(
            b, loc, RankedTensorType::get({K, N}, wType.getElementType()),
            moe::transposeMatrixBytes(*w, 1, N, K, 1), "npu_qweight"));
      }
      Value wt = built.front();
      if (int8Activations) {
        op.getResult().replaceAllUsesWith(int8Product(b, loc, op, wt));
        op.erase();
        continue;
      }
      if (!(narrow.isF16() || narrow.isBF16()))
        return needsNarrow();
      AffineMap all = b.getMultiDimIdentityMap(2);
      AffineMap col = AffineMap::get(2, 0, {b.getAffineDimExpr(1)}, ctx);
      Value empty = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{K, N}, narrow);
      SmallVector<utils::IteratorType> par2(2, utils::IteratorType::parallel);
      // Dequantized on the vector unit into the cube's type, once per call.
      dq = linalg::GenericOp::create(
               b, loc, empty.getType(), ValueRange{wt, op.getScale()}, empty,
               ArrayRef<AffineMap>{all, col, all}, par2,
               [&](OpBuilder &nb, Location nl, ValueRange a) {
                 Value f = arith::SIToFPOp::create(nb, nl, nb.getF32Type(), a[0]);
                 Value s = a[1].getType().isF32()
                               ? a[1]
                               : arith::ExtFOp::create(nb, nl, nb.getF32Type(), a[1]);
                 Value v = arith::MulFOp::create(nb, nl, f, s);
                 linalg::YieldOp::create(nb, nl,
                                         arith::TruncFOp::create(nb, nl, narrow, v).getResult());
               })
               .getResult(0);
    }
    Value x = xType.getElementType() == narrow ? op.getInput()
                                               : castTensor(b, loc, op.getInput(), narrow);
    // x [batch..., K] times dq [K, N] into f32.
    unsigned rank = xType.getRank();
    Value y = buildMatmul(b, loc, x, dq);
    // Bias, and the result's own type.
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    Value bias = op.getBias();
    if (bias || !resultType.getElementType().isF32()) {
      AffineMap id = b.getMultiDimIdentityMap(rank);
      AffineMap last = AffineMap::get(rank, 0, {b.getAffineDimExpr(rank - 1)}, ctx);
      SmallVector<Value> ins = {y};
      SmallVector<AffineMap> ms = {id};
      if (bias) {
        ins.push_back(bias);
        ms.push_back(last);
      }
      ms.push_back(id);
      Value out =
          tensor::EmptyOp::create(b, loc, resultType.getShape(), resultType.getElementType());
      SmallVector<utils::IteratorType> par(rank, utils::IteratorType::parallel);
      y = linalg::GenericOp::create(
              b, loc, resultType, ins, out, ms, par,
              [&](OpBuilder &nb, Location nl, ValueRange a) {
                Value v = a[0];
                if (bias) {
                  Value bv = a[1].getType().isF32()
                                 ? a[1]
                                 : arith::ExtFOp::create(nb, nl, nb.getF32Type(), a[1]);
                  v = arith::AddFOp::create(nb, nl, v, bv);
                }
                if (!resultType.getElementType().isF32())
                  v = arith::TruncFOp::create(nb, nl, resultType.getElementType(), v);
                linalg::YieldOp::create(nb, nl, v);
              })
              .getResult(0);
    }
    op.getResult().replaceAllUsesWith(y);
    op.erase();
  }
  return success();
}
