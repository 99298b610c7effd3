//===- LowerQuantOps.cpp - moe quantization ops as linalg -----------------===//

#include "LoweringHelpers.h"

#include "moe/Dialect/Moe/MoeOps.h"
#include "moe/Passes/Moe/Passes.h"
#include "moe/Support/ConstantBytes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::moe {
#define GEN_PASS_DEF_MOELOWERQUANTOPS
#define GEN_PASS_DEF_MOELOWERTOLINALG
#include "moe/Passes/Moe/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;
using namespace mlir::moe;

namespace {

/// The map from the data's loops to its scale: per tensor (one element),
/// per axis ([dim(axis)]) or blocked (the data's rank, axis divided).
AffineMap scaleMap(MLIRContext *ctx, int64_t rank, RankedTensorType scale,
                   std::optional<uint64_t> axis, uint64_t blockSize) {
  if (!axis || (scale.getNumElements() == 1 && scale.getRank() <= 1 &&
                blockSize == 0)) {
    SmallVector<AffineExpr> zeros(scale.getRank(), getAffineConstantExpr(0, ctx));
    return AffineMap::get(rank, 0, zeros, ctx);
  }
  int64_t a = static_cast<int64_t>(*axis) < 0 ? *axis + rank : *axis;
  if (blockSize == 0)
    return AffineMap::get(rank, 0, getAffineDimExpr(a, ctx));
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < rank; ++d)
    exprs.push_back(d == a ? getAffineDimExpr(d, ctx).floorDiv(blockSize)
                           : getAffineDimExpr(d, ctx));
  return AffineMap::get(rank, 0, exprs, ctx);
}

/// The computation of one element from the data, its scale and zero point
/// (null without one).
using QuantBody =
    function_ref<Value(OpBuilder &, Location, Value x, Value scale, Value zp)>;

/// One parallel linalg.generic over `data` whose elements of
/// `resultElement` come from `body`, the scale and zero point read through
/// their layout's map (what quantize and dequantize share). Packed data
/// (two int4 to a byte) comes with its map and the result's sizes.
Value mapWithQuantParams(PatternRewriter &rewriter, Location loc, Value data,
                         Value scale, Value zeroPoint,
                         std::optional<uint64_t> axis, uint64_t blockSize,
                         Type resultElement, QuantBody body,
                         AffineMap dataMap = {}, ArrayRef<OpFoldResult> sizes = {}) {
  MLIRContext *ctx = rewriter.getContext();
  SmallVector<OpFoldResult> resultSizes(sizes);
  if (resultSizes.empty())
    resultSizes = tensor::getMixedSizes(rewriter, loc, data);
  int64_t rank = resultSizes.size();
  AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, ctx);
  AffineMap sMap = scaleMap(ctx, rank, cast<RankedTensorType>(scale.getType()),
                            axis, blockSize);
  SmallVector<Value> ins = {data, scale};
  SmallVector<AffineMap> maps = {dataMap ? dataMap : identity, sMap};
  if (zeroPoint) {
    ins.push_back(asSignless(rewriter, loc, zeroPoint));
    maps.push_back(sMap);
  }
  maps.push_back(identity);
  Value init = tensor::EmptyOp::create(rewriter, loc, resultSizes, resultElement);
  return linalg::GenericOp::create(
             rewriter, loc, init.getType(), ins, init, maps,
             SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
             [&](OpBuilder &b, Location l, ValueRange args) {
               linalg::YieldOp::create(
                   b, l, body(b, l, args[0], args[1], zeroPoint ? args[2] : Value()));
             })
      .getResult(0);
}

struct LowerDequantize : OpRewritePattern<DequantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DequantizeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto inputType = cast<RankedTensorType>(op.getInput().getType());
    Type storage = inputType.getElementType();
    Type floatType = cast<RankedTensorType>(op.getScale().getType()).getElementType();
    Value data = asSignless(rewriter, loc, op.getInput());
    Value zeroPoint = op.getZeroPoint();
    AffineMap dataMap;
    SmallVector<OpFoldResult> sizes;
    // Constant int4 data stays packed (LLVM has no form for sub-byte
    // constant arrays); its zero points, constants too, are widened.
    std::optional<PackedInt4> packed;
    // Checked before anything is built: a failing pattern leaves no IR.
    bool zeroPointConstant =
        !zeroPoint || cast<RankedTensorType>(zeroPoint.getType()).getElementTypeBitWidth() != 4 ||
        constantBytes(zeroPoint).has_value();
    if (inputType.getElementTypeBitWidth() == 4 && zeroPointConstant &&
        (packed = packInt4Constant(rewriter, loc, op.getInput()))) {
      data = packed->bytes;
      dataMap = packed->map;
      sizes = getAsIndexOpFoldResult(rewriter.getContext(), inputType.getShape());
      if (zeroPoint)
        zeroPoint = widenInt4Constant(rewriter, loc, zeroPoint);
    }
    int64_t rank = inputType.getRank();
    bool isUnsigned = cast<IntegerType>(storage).isUnsigned();
    Value result = mapWithQuantParams(
        rewriter, loc, data, op.getScale(), zeroPoint, op.getAxis(), op.getBlockSize(),
        floatType,
        [&](OpBuilder &b, Location l, Value q, Value scale, Value zp) -> Value {
          if (packed)
            q = unpackNibble(b, l, q, linalg::IndexOp::create(b, l, rank - 1), isUnsigned);
          Value x = intToFloat(b, l, q, storage, floatType);
          if (zp)
            x = arith::SubFOp::create(b, l, x, intToFloat(b, l, zp, storage, floatType));
          return arith::MulFOp::create(b, l, x, scale);
        },
        dataMap, sizes);
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LowerQuantize : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    auto storage = cast<IntegerType>(resultType.getElementType());
    Type floatType = cast<RankedTensorType>(op.getInput().getType()).getElementType();
    unsigned width = storage.getWidth();
    bool isUnsigned = storage.isUnsigned();
    double lo = isUnsigned ? 0.0 : -std::ldexp(1.0, width - 1);
    double hi = isUnsigned ? std::ldexp(1.0, width) - 1 : std::ldexp(1.0, width - 1) - 1;
    Type signless = signlessOf(storage);
    Value result = mapWithQuantParams(
        rewriter, loc, op.getInput(), op.getScale(), op.getZeroPoint(),
        op.getAxis(), op.getBlockSize(), signless,
        [&](OpBuilder &b, Location l, Value v, Value scale, Value zp) -> Value {
          Value x = math::RoundEvenOp::create(b, l, arith::DivFOp::create(b, l, v, scale));
          if (zp)
            x = arith::AddFOp::create(b, l, x, intToFloat(b, l, zp, storage, floatType));
          x = arith::MaximumFOp::create(
              b, l, x, arith::ConstantOp::create(b, l, b.getFloatAttr(floatType, lo)));
          x = arith::MinimumFOp::create(
              b, l, x, arith::ConstantOp::create(b, l, b.getFloatAttr(floatType, hi)));
          return isUnsigned ? Value(arith::FPToUIOp::create(b, l, signless, x))
                            : Value(arith::FPToSIOp::create(b, l, signless, x));
        });
    if (result.getType() != resultType)
      result = tensor::BitcastOp::create(rewriter, loc, resultType, result);
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// result[..., n] = sum_k x[..., k] * (w[n, k] - zp) * scale + bias[n].
struct LowerQMatmul : OpRewritePattern<QMatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QMatmulOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto xType = cast<RankedTensorType>(op.getInput().getType());
    auto wType = cast<RankedTensorType>(op.getWeight().getType());
    auto scaleType = cast<RankedTensorType>(op.getScale().getType());
    auto resultType = cast<RankedTensorType>(op.getType());
    Type storage = wType.getElementType();
    Type floatType = xType.getElementType();
    uint64_t group = op.getGroupSize();
    int64_t k = wType.getDimSize(1);
    Value input = op.getInput(), weight = asSignless(rewriter, loc, op.getWeight());
    // The scale's map must be one the CPU vectoriser takes (a floordiv of
    // K is not, and left the product as scalar loops: int8 experts, whose
    // one group is all of K, ran 40x slower than float). One group is
    // column 0 of the scale; several split K into (group index, index in
    // the group), two reduction loops, the scale read by the first.
    bool oneGroup = group != 0 && static_cast<int64_t>(group) == k;
    bool grouped = group != 0 && !oneGroup && !ShapedType::isDynamic(k) &&
                   !xType.isDynamicDim(xType.getRank() - 1);
    if (grouped) {
      int64_t groups = k / static_cast<int64_t>(group);
      SmallVector<OpFoldResult> xSizes = tensor::getMixedSizes(rewriter, loc, input);
      xSizes.back() = rewriter.getIndexAttr(groups);
      xSizes.push_back(rewriter.getIndexAttr(group));
      SmallVector<int64_t> xShape(xType.getShape());
      xShape.back() = groups;
      xShape.push_back(group);
      SmallVector<ReassociationIndices> xGroups;
      for (int64_t i = 0; i + 1 < xType.getRank(); ++i)
        xGroups.push_back({i});
      xGroups.push_back({xType.getRank() - 1, xType.getRank()});
      input = tensor::ExpandShapeOp::create(rewriter, loc, xType.clone(xShape), input, xGroups,
                                            xSizes);
      auto signlessType = cast<RankedTensorType>(weight.getType());
      weight = tensor::ExpandShapeOp::create(
          rewriter, loc, signlessType.clone({wType.getDimSize(0), groups, int64_t(group)}),
          weight, ArrayRef<ReassociationIndices>{{0}, {1, 2}});
    }
    int64_t rank = xType.getRank(); // loops: batch..., n, k (or k groups, k in group)
    int64_t loops = rank + (grouped ? 2 : 1);
    auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    SmallVector<AffineExpr> xExprs, outExprs;
    for (int64_t i = 0; i < rank - 1; ++i) {
      xExprs.push_back(d(i));
      outExprs.push_back(d(i));
    }
    AffineExpr n = d(rank - 1), k0 = d(rank);
    xExprs.push_back(k0);
    SmallVector<AffineExpr> wExprs = {n, k0};
    if (grouped) {
      xExprs.push_back(d(rank + 1));
      wExprs.push_back(d(rank + 1));
    }
    outExprs.push_back(n);
    SmallVector<AffineExpr> sExprs;
    if (scaleType.getNumElements() == 1 && scaleType.getRank() <= 1 && group == 0)
      sExprs.assign(scaleType.getRank(), getAffineConstantExpr(0, ctx));
    else if (group == 0)
      sExprs = {n};
    else if (oneGroup)
      sExprs = {n, getAffineConstantExpr(0, ctx)};
    else if (grouped)
      sExprs = {n, k0};
    else
      sExprs = {n, k0.floorDiv(group)};
    AffineMap sMap = AffineMap::get(loops, 0, sExprs, ctx);
    SmallVector<Value> ins = {input, weight, op.getScale()};
    SmallVector<AffineMap> maps = {AffineMap::get(loops, 0, xExprs, ctx),
                                   AffineMap::get(loops, 0, wExprs, ctx), sMap};
    if (Value zp = op.getZeroPoint()) {
      ins.push_back(asSignless(rewriter, loc, zp));
      maps.push_back(sMap);
    }
    AffineMap outMap = AffineMap::get(loops, 0, outExprs, ctx);
    maps.push_back(outMap);
    SmallVector<Value> dynamic;
    for (int64_t i = 0; i < rank - 1; ++i)
      if (resultType.isDynamicDim(i))
        dynamic.push_back(tensor::DimOp::create(rewriter, loc, op.getInput(), i));
    Value zero = arith::ConstantOp::create(rewriter, loc, rewriter.getFloatAttr(floatType, 0.0));
    Value empty = tensor::EmptyOp::create(rewriter, loc, resultType, dynamic);
    Value init = linalg::FillOp::create(rewriter, loc, zero, empty).getResult(0);
    SmallVector<utils::IteratorType> iterators(loops, utils::IteratorType::parallel);
    for (int64_t i = rank; i < loops; ++i)
      iterators[i] = utils::IteratorType::reduction;
    bool hasZp = static_cast<bool>(op.getZeroPoint());
    Value result =
        linalg::GenericOp::create(
            rewriter, loc, resultType, ins, init, maps, iterators,
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value w = intToFloat(b, l, args[1], storage, floatType);
              if (hasZp)
                w = arith::SubFOp::create(b, l, w, intToFloat(b, l, args[3], storage, floatType));
              w = arith::MulFOp::create(b, l, w, args[2]);
              Value acc = args.back();
              linalg::YieldOp::create(
                  b, l, Value(arith::AddFOp::create(
                            b, l, acc, arith::MulFOp::create(b, l, args[0], w))));
            })
            .getResult(0);
    if (Value bias = op.getBias())
      result = addBias(rewriter, loc, result, bias);
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// moe.qmatmul of constant 8-bit weights (per channel or per tensor) by a
/// static number of rows that the CPU's register tile divides (a prefill)
/// as the dequantized weight [K, N] feeding a float matmul: the weights are
/// stored k-major so the dequantization reads them along n, and the CPU
/// backend computes that producer one [kc, nc] tile at a time inside the
/// matmul's K loop, so the float register tile does the work and no float
/// copy of the weights is made. (Per row, the product is a GEMV that reads
/// each weight once per row.)
struct LowerQMatmulAsWeightTiles : OpRewritePattern<QMatmulOp> {
  LowerQMatmulAsWeightTiles(MLIRContext *ctx) : OpRewritePattern(ctx, /*benefit=*/2) {}
  LogicalResult matchAndRewrite(QMatmulOp op, PatternRewriter &rewriter) const override {
    auto xType = cast<RankedTensorType>(op.getInput().getType());
    auto wType = cast<RankedTensorType>(op.getWeight().getType());
    auto scaleType = cast<RankedTensorType>(op.getScale().getType());
    auto resultType = cast<RankedTensorType>(op.getType());
    Type storage = wType.getElementType();
    int64_t n = wType.getDimSize(0), k = wType.getDimSize(1);
    bool perTensor = scaleType.getNumElements() == 1 && scaleType.getRank() <= 1;
    if (storage.getIntOrFloatBitWidth() != 8 || op.getGroupSize() != 0 ||
        !xType.hasStaticShape() || !xType.getElementType().isF32() ||
        !scaleType.getElementType().isF32() ||
        (!perTensor && (scaleType.getRank() != 1 || scaleType.getDimSize(0) != n)))
      return failure();
    int64_t rows = xType.getNumElements() / k;
    if (rows < 8 || rows % 8 != 0)
      return failure();
    std::optional<std::vector<char>> bytes = constantRawBytes(op.getWeight());
    if (!bytes || static_cast<int64_t>(bytes->size()) != n * k)
      return failure();
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Type f32 = rewriter.getF32Type();
    Value kMajor = bytesConstant(rewriter, loc, RankedTensorType::get({k, n}, storage),
                                 transposeMatrixBytes(*bytes, 1, n, k, 1),
                                 "qmatmul_int8_kmajor");
    AffineExpr nn = getAffineDimExpr(1, ctx);
    AffineMap id2 = AffineMap::getMultiDimIdentityMap(2, ctx);
    AffineMap paramMap =
        perTensor ? AffineMap::get(2, 0,
                                   SmallVector<AffineExpr>(scaleType.getRank(),
                                                           getAffineConstantExpr(0, ctx)),
                                   ctx)
                  : AffineMap::get(2, 0, {nn}, ctx);
    SmallVector<Value> ins = {asSignless(rewriter, loc, kMajor), op.getScale()};
    SmallVector<AffineMap> maps = {id2, paramMap};
    Value zp = op.getZeroPoint();
    if (zp) {
      ins.push_back(asSignless(rewriter, loc, zp));
      maps.push_back(paramMap);
    }
    maps.push_back(id2);
    Value weights = generic(
        rewriter, loc, tensor::EmptyOp::create(rewriter, loc, ArrayRef<int64_t>{k, n}, f32), ins,
        maps, {utils::IteratorType::parallel, utils::IteratorType::parallel},
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value w = intToFloat(b, l, args[0], storage, f32);
          if (zp)
            w = arith::SubFOp::create(b, l, w, intToFloat(b, l, args[2], storage, f32));
          linalg::YieldOp::create(b, l, Value(arith::MulFOp::create(b, l, w, args[1])));
        });
    // rows... x K times K x N.
    int64_t rank = xType.getRank(), loops = rank + 1;
    SmallVector<AffineExpr> xExprs, outExprs;
    for (int64_t i = 0; i < rank - 1; ++i) {
      xExprs.push_back(getAffineDimExpr(i, ctx));
      outExprs.push_back(getAffineDimExpr(i, ctx));
    }
    AffineExpr mn = getAffineDimExpr(rank - 1, ctx), mk = getAffineDimExpr(rank, ctx);
    xExprs.push_back(mk);
    outExprs.push_back(mn);
    SmallVector<utils::IteratorType> iterators(loops, utils::IteratorType::parallel);
    iterators.back() = utils::IteratorType::reduction;
    Value zero = arith::ConstantOp::create(rewriter, loc, rewriter.getF32FloatAttr(0.0));
    Value empty = tensor::EmptyOp::create(rewriter, loc, resultType.getShape(), f32);
    Value init = linalg::FillOp::create(rewriter, loc, zero, empty).getResult(0);
    Value result = generic(
        rewriter, loc, init, ValueRange{op.getInput(), weights},
        {AffineMap::get(loops, 0, xExprs, ctx), AffineMap::get(loops, 0, {mk, mn}, ctx),
         AffineMap::get(loops, 0, outExprs, ctx)},
        iterators, [&](OpBuilder &b, Location l, ValueRange args) {
          linalg::YieldOp::create(
              b, l, Value(arith::AddFOp::create(b, l, args[2],
                                                arith::MulFOp::create(b, l, args[0], args[1]))));
        });
    if (Value bias = op.getBias())
      result = addBias(rewriter, loc, result, bias);
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// A matmul by a weight dequantized from constant 8-bit integers [K, N]
/// (QDQ imports: per output channel or per tensor) with fewer rows than the
/// CPU's register tile (a decode step) as moe.qmatmul over the transposed
/// integers: the product reads each integer once per row instead of
/// dequantizing tiles into floats first. (More rows keep the dequantization,
/// which the CPU tiles into the float matmul.)
struct DequantizedWeightAsQMatmul : OpRewritePattern<linalg::GenericOp> {
  /// With `anyRows` (int8 activations) every such matmul becomes one, so
  /// that its rows are quantized too; with `blocked`, also weights blocked
  /// along K (axis 0) with constant scales (and zero points) [K / B, N],
  /// as a grouped qmatmul (the NPU's; the CPU's grouped path is slower).
  DequantizedWeightAsQMatmul(MLIRContext *ctx, bool anyRows, bool blocked)
      : OpRewritePattern(ctx), anyRows(anyRows), blocked(blocked) {}
  bool anyRows, blocked;
  LogicalResult matchAndRewrite(linalg::GenericOp generic,
                                PatternRewriter &rewriter) const override {
    Value b = matmulWeightOf(generic);
    auto dequantize = b ? b.getDefiningOp<DequantizeOp>() : DequantizeOp();
    if (!dequantize || !b.hasOneUse() || (dequantize.getBlockSize() != 0 && !blocked))
      return failure();
    auto qType = cast<RankedTensorType>(dequantize.getInput().getType());
    auto scaleType = cast<RankedTensorType>(dequantize.getScale().getType());
    auto xType = cast<RankedTensorType>(generic.getDpsInputs()[0].getType());
    auto resultType = cast<RankedTensorType>(generic.getResultTypes()[0]);
    int64_t k = qType.getDimSize(0), n = qType.getDimSize(1);
    bool perTensor = scaleType.getNumElements() == 1 && scaleType.getRank() <= 1;
    std::optional<uint64_t> axis = dequantize.getAxis();
    bool perChannel = scaleType.getRank() == 1 && scaleType.getDimSize(0) == n && axis &&
                      (*axis == 1 || static_cast<int64_t>(*axis) == -1);
    int64_t block = static_cast<int64_t>(dequantize.getBlockSize());
    bool perBlock = block && axis == std::optional<uint64_t>(0) && k % block == 0 &&
                    scaleType.getShape() == ArrayRef<int64_t>{k / block, n};
    if (qType.getElementTypeBitWidth() != 8 || !qType.hasStaticShape() ||
        !xType.hasStaticShape() || (!perTensor && !perChannel && !perBlock) ||
        (xType.getNumElements() / k >= 8 && !anyRows) ||
        scaleType.getElementType() != resultType.getElementType() ||
        xType.getElementType() != resultType.getElementType())
      return failure();
    std::optional<std::vector<char>> bytes = constantRawBytes(dequantize.getInput());
    if (!bytes || static_cast<int64_t>(bytes->size()) != k * n)
      return failure();
    Location loc = generic.getLoc();
    Value weight = bytesConstant(rewriter, loc,
                                 RankedTensorType::get({n, k}, qType.getElementType()),
                                 transposeMatrixBytes(*bytes, 1, k, n, 1), "qdq_weight_nk");
    Value scale = dequantize.getScale(), zeroPoint = dequantize.getZeroPoint();
    if (perBlock) {
      // Per block [K / B, N] as the qmatmul's per group [N, K / B].
      auto transposed = [&](Value v) -> Value {
        auto type = cast<RankedTensorType>(v.getType());
        std::optional<std::vector<char>> raw = constantRawBytes(v);
        int64_t width = type.getElementTypeBitWidth() / 8;
        if (!raw || static_cast<int64_t>(raw->size()) != k / block * n * width)
          return {};
        return bytesConstant(rewriter, loc,
                             RankedTensorType::get({n, k / block}, type.getElementType()),
                             transposeMatrixBytes(*raw, 1, k / block, n, width), "qdq_blocks_nk");
      };
      scale = transposed(scale);
      if (zeroPoint)
        zeroPoint = transposed(zeroPoint);
      if (!scale || (dequantize.getZeroPoint() && !zeroPoint))
        return failure();
    }
    auto qmatmul = QMatmulOp::create(rewriter, loc, generic.getDpsInputs()[0], weight, scale,
                                     zeroPoint, Value(),
                                     rewriter.getI64IntegerAttr(perBlock ? block : 0));
    // The matmul form and the checks above fix the type; a cast would only
    // reconcile a static dim the generic knew and inference did not.
    Value result = qmatmul.getResult();
    if (result.getType() != resultType)
      result = tensor::CastOp::create(rewriter, loc, resultType, result);
    rewriter.replaceOp(generic, result);
    return success();
  }
};

struct MoeLowerQuantOps : moe::impl::MoeLowerQuantOpsBase<MoeLowerQuantOps> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateLowerQuantOpsPatterns(patterns);
    populateLowerNormOpsPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

struct MoeLowerToLinalg : moe::impl::MoeLowerToLinalgBase<MoeLowerToLinalg> {
  using Base::Base;
  void runOnOperation() override {
    if (weightTiles) {
      // Before the dequantizations become generics.
      RewritePatternSet folds(&getContext());
      populateDequantizedWeightAsQMatmulPatterns(folds, int8Activations);
      if (failed(applyPatternsGreedily(getOperation(), std::move(folds))))
        return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    populateLowerQuantOpsPatterns(patterns, weightTiles && !int8Activations);
    populateLowerNormOpsPatterns(patterns);
    populateLowerAttentionOpsPatterns(patterns);
    // int8 activations take the experts as one moe.qmatmul each (which
    // their pattern takes) rather than as dequantized float tiles.
    populateLowerRoutingOpsPatterns(patterns, groupedByRow, weightTiles && !int8Activations);
    if (weightTiles)
      patterns.add<LowerQMatmulAsWeightTiles>(&getContext());
    if (int8Activations)
      populateLowerQMatmulInt8ActivationsPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

Value moe::addBias(OpBuilder &b, Location loc, Value result, Value bias) {
  MLIRContext *ctx = b.getContext();
  auto type = cast<RankedTensorType>(result.getType());
  int64_t rank = type.getRank();
  AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, ctx);
  AffineMap biasMap = AffineMap::get(rank, 0, getAffineDimExpr(rank - 1, ctx));
  return linalg::GenericOp::create(
             b, loc, type, ValueRange{result, bias}, result,
             ArrayRef{identity, biasMap, identity},
             SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(
                   nb, l, Value(arith::AddFOp::create(nb, l, args[0], args[1])));
             })
      .getResult(0);
}

void moe::populateDequantizedWeightAsQMatmulPatterns(RewritePatternSet &patterns, bool anyRows,
                                                     bool blocked) {
  patterns.add<DequantizedWeightAsQMatmul>(patterns.getContext(), anyRows, blocked);
}

void moe::populateLowerQuantOpsPatterns(RewritePatternSet &patterns, bool weightTiles) {
  patterns.add<LowerDequantize, LowerQuantize, LowerQMatmul>(patterns.getContext());
  populateLowerPackedQMatmulPatterns(patterns, weightTiles);
}
