//===- LowerPackedQMatmul.cpp - int4 qmatmul with weights kept packed -----===//
//
// moe.qmatmul over constant 4-bit weights (MatMulNBits, QMoE, the
// quantizer's int4): the weights stay two to a byte in the compiled model,
// [N, K/G, G/2] bytes, low nibble first, and are unpacked in registers
// inside the product; no float copy of them is ever made.
//
//   xs[m, g, p, j]    = x[m, g*G + 2j + p]          (even/odd k apart)
//   dot[m, n, g]      = sum_j xs[m,g,0,j] * lo(w[n,g,j]) + xs[m,g,1,j] * hi(w[n,g,j])
//   y[m, n]           = sum_g scale[n, g] * (dot[m, n, g] - zp[n, g] * xsum[m, g])
//
// with xsum[m, g] the group's sum of x, needed only with zero points. Every
// map is a projected permutation with the group's bytes innermost, so the
// CPU backend vectorises the product along them: 16 bytes a step, shifts
// and int-to-float conversions on vectors.
//
//===----------------------------------------------------------------------===//

#include "LoweringHelpers.h"

#include "moe/Dialect/Moe/MoeOps.h"
#include "moe/Passes/Moe/Passes.h"
#include "moe/Support/ConstantBytes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::moe;

namespace {

/// Scales [n, g] as [g, n]: transposed at compile time when they are a
/// constant (or an expert's slice of a constant stack), else by a
/// linalg.transpose.
Value groupMajorScales(OpBuilder &b, Location loc, Value scale) {
  auto type = cast<RankedTensorType>(scale.getType());
  int64_t n = type.getDimSize(0), groups = type.getDimSize(1);
  std::optional<OpFoldResult> index;
  Value source = stackSource(scale, index);
  std::optional<std::vector<char>> bytes = constantRawBytes(source);
  int64_t stack = bytes ? static_cast<int64_t>(bytes->size()) / (n * groups * 4) : 0;
  if (bytes && stack >= 1 && static_cast<int64_t>(bytes->size()) == stack * n * groups * 4) {
    SmallVector<int64_t> shape;
    if (index)
      shape.push_back(stack);
    shape.append({groups, n});
    Value transposed =
        bytesConstant(b, loc, RankedTensorType::get(shape, type.getElementType()),
                      transposeMatrixBytes(*bytes, stack, n, groups, 4), "qmatmul_int4_scales");
    return index ? matrixOf(b, loc, transposed, *index) : transposed;
  }
  Value init = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{groups, n}, type.getElementType());
  return linalg::TransposeOp::create(b, loc, scale, init, ArrayRef<int64_t>{1, 0}).getResult()[0];
}

struct LowerPackedInt4QMatmul : OpRewritePattern<QMatmulOp> {
  LowerPackedInt4QMatmul(MLIRContext *ctx, bool weightTiles)
      : OpRewritePattern(ctx, /*benefit=*/2), weightTiles(weightTiles) {}
  /// The CPU's: a run-time row count of 8 or more (an expert's rows in a
  /// prefill) multiplies float weights dequantized from the packed bytes,
  /// which its matmul tiler makes one [K, 32] panel at a time.
  bool weightTiles;

  LogicalResult matchAndRewrite(QMatmulOp op, PatternRewriter &rewriter) const override {
    auto xType = cast<RankedTensorType>(op.getInput().getType());
    auto wType = cast<RankedTensorType>(op.getWeight().getType());
    auto scaleType = cast<RankedTensorType>(op.getScale().getType());
    auto resultType = cast<RankedTensorType>(op.getType());
    if (wType.getElementTypeBitWidth() != 4 || !xType.getElementType().isF32() ||
        !scaleType.getElementType().isF32() || !wType.hasStaticShape() ||
        !scaleType.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "not f32 times static 4-bit weights");
    int64_t n = wType.getDimSize(0), k = wType.getDimSize(1);
    // A constant, or one expert's matrix (at a run-time index) of a
    // constant stack: the stack is packed whole and the matrix sliced.
    std::optional<OpFoldResult> expert;
    Value weightSource = stackSource(op.getWeight(), expert);
    std::optional<std::vector<char>> weights = constantBytes(weightSource);
    int64_t stack = weights ? static_cast<int64_t>(weights->size()) / (n * k) : 0;
    if (!weights || static_cast<int64_t>(weights->size()) != stack * n * k || stack < 1)
      return rewriter.notifyMatchFailure(op, "weights are not a constant");
    int64_t group = op.getGroupSize() ? static_cast<int64_t>(op.getGroupSize()) : k;
    if (k % 2 != 0 || group % 2 != 0 || k % group != 0)
      return rewriter.notifyMatchFailure(op, "groups of an odd number of weights");
    int64_t groups = k / group, half = group / 2;
    bool isUnsigned = wType.getElementType().isUnsignedInteger();

    // Zero points, when given, must be constants too: they become floats.
    std::optional<std::vector<char>> zpBytes;
    if (Value zp = op.getZeroPoint()) {
      std::optional<OpFoldResult> zpExpert;
      zpBytes = constantBytes(stackSource(zp, zpExpert));
      if (!zpBytes || zpExpert.has_value() != expert.has_value() ||
          static_cast<int64_t>(zpBytes->size()) != stack * scaleType.getNumElements())
        return rewriter.notifyMatchFailure(op, "zero points are not a constant");
    }
    // Where the scale (and zero point) of weight group (row, g) is: one for
    // all, one per row, or one per group.
    int64_t scaleCount = scaleType.getNumElements();
    auto paramIndex = [&](int64_t row, int64_t g) -> int64_t {
      if (scaleCount == 1)
        return 0;
      return op.getGroupSize() ? row * groups + g : row;
    };

    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Type i8 = rewriter.getI8Type(), f32 = rewriter.getF32Type();

    // The weights, two to a byte: [n, g, j] holds k = g*G + 2j (low
    // nibble) and k + 1 (high nibble).
    auto stacked = [&](ArrayRef<int64_t> shape) {
      SmallVector<int64_t> all;
      if (expert)
        all.push_back(stack);
      llvm::append_range(all, shape);
      return all;
    };
    // With scales per group and 16 or more output channels a step, the
    // bytes are stored k-major, [g, j, n], so the product is vectorised
    // along n: each step a broadcast of x times 16+ channels' weights, no
    // horizontal sums (a decode step's GEMV). Else [n, g, j], vectorised
    // along the group's bytes.
    bool nMajor = n % 16 == 0 && op.getGroupSize() && scaleType.getRank() == 2 &&
                  scaleType.getDimSize(0) == n && scaleType.getDimSize(1) == groups;
    std::vector<char> packed = packNibbles(*weights);
    if (nMajor)
      packed = transposeMatrixBytes(packed, stack, n, groups * half, 1);
    Value bytes = bytesConstant(
        rewriter, loc,
        RankedTensorType::get(stacked(nMajor ? ArrayRef<int64_t>{groups, half, n}
                                             : ArrayRef<int64_t>{n, groups, half}),
                              i8),
        packed, "qmatmul_int4");
    if (expert)
      bytes = matrixOf(rewriter, loc, bytes, *expert);

    // Scales (and zero points) as [n, groups].
    auto paramType = RankedTensorType::get({n, groups}, f32);
    Value scale = op.getScale();
    if (scaleType.getShape() != paramType.getShape()) {
      if (scaleType.getRank() == 1 && scaleCount == n && scaleCount != 1)
        scale = tensor::ExpandShapeOp::create(rewriter, loc, paramType, scale,
                                              SmallVector<ReassociationIndices>{{0, 1}});
      else {
        SmallVector<AffineExpr> firsts(scaleType.getRank(), getAffineConstantExpr(0, ctx));
        AffineMap identity = AffineMap::getMultiDimIdentityMap(2, ctx);
        scale = generic(rewriter, loc, tensor::EmptyOp::create(rewriter, loc, paramType, {}),
                        scale, {AffineMap::get(2, 0, firsts, ctx), identity},
                        {utils::IteratorType::parallel, utils::IteratorType::parallel},
                        [](OpBuilder &b, Location l, ValueRange args) {
                          linalg::YieldOp::create(b, l, args[0]);
                        });
      }
    }
    if (nMajor)
      scale = groupMajorScales(rewriter, loc, scale);
    Value zeroPoints;
    if (zpBytes) {
      std::vector<float> values(stack * n * groups);
      for (int64_t matrix = 0; matrix < stack; ++matrix)
        for (int64_t row = 0; row < n; ++row)
          for (int64_t g = 0; g < groups; ++g)
            values[nMajor ? (matrix * groups + g) * n + row : (matrix * n + row) * groups + g] =
                static_cast<float>(storedInteger(
                    (*zpBytes)[matrix * scaleCount + paramIndex(row, g)], 4, isUnsigned));
      auto zpType = RankedTensorType::get(
          stacked(nMajor ? ArrayRef<int64_t>{groups, n} : ArrayRef<int64_t>{n, groups}), f32);
      if (expert) {
        zeroPoints = bytesConstant(
            rewriter, loc, zpType,
            ArrayRef<char>(reinterpret_cast<const char *>(values.data()), values.size() * 4),
            "qmatmul_int4_zero_points");
        zeroPoints = matrixOf(rewriter, loc, zeroPoints, *expert);
      } else {
        zeroPoints = arith::ConstantOp::create(
            rewriter, loc, DenseElementsAttr::get(zpType, ArrayRef<float>(values)));
      }
    }

    // x as [m, k], then its even and odd k apart: [m, groups, 2, G/2].
    int64_t rank = xType.getRank();
    Value x = op.getInput();
    if (rank == 1)
      x = tensor::ExpandShapeOp::create(rewriter, loc, RankedTensorType::get({1, k}, f32), x,
                                        SmallVector<ReassociationIndices>{{0, 1}});
    else if (rank > 2)
      x = tensor::CollapseShapeOp::create(
          rewriter, loc, x,
          SmallVector<ReassociationIndices>{llvm::to_vector(llvm::seq<int64_t>(0, rank - 1)),
                                            {rank - 1}});
    // The product [rows, n] back in the op's shape, plus the bias.
    auto finish = [&](Value product) {
      if (rank == 1)
        product = tensor::CollapseShapeOp::create(rewriter, loc, product,
                                                  SmallVector<ReassociationIndices>{{0, 1}});
      else if (rank > 2) {
        SmallVector<OpFoldResult> shape = tensor::getMixedSizes(rewriter, loc, op.getInput());
        shape.back() = rewriter.getIndexAttr(n);
        product = tensor::ExpandShapeOp::create(
            rewriter, loc, resultType, product,
            SmallVector<ReassociationIndices>{llvm::to_vector(llvm::seq<int64_t>(0, rank - 1)),
                                              {rank - 1}},
            shape);
      }
      if (Value bias = op.getBias())
        product = addBias(rewriter, loc, product, bias);
      rewriter.replaceOp(op, castTo(rewriter, loc, product, resultType));
      return success();
    };

    // Rows enough to fill the CPU's 8-row register tile (prefill) would
    // each stream and unpack all the bytes in the product below, a GEMV
    // per row (measured: a Mixtral-style block of 128 tokens 2.1x slower
    // than in fp32; one 128 x 1024 x 2816 layer 2.5x). They multiply float
    // weights instead, dequantized from the same bytes by a generic the CPU
    // tiler computes a [K, 32] panel at a time for all the rows (`rows`:
    // [?, K], its run-time-row tiles), so no float copy of the weights is
    // made whole (static rows too: TileAndVectorize sends products by such
    // unpacked weights down its run-time-row path); fewer rows keep the
    // product below.
    auto productType = RankedTensorType::get({ShapedType::kDynamic, n}, f32);
    auto floatWeightProduct = [&](Value rows) -> Value {
      auto d4 = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
      // w[g, j, p, n] = (nibble p of bytes[g, j, n] - zp[g, n]) * scale[g, n]:
      // row g*G + 2j + p of W [K, N].
      SmallVector<Value> ins = {bytes, scale};
      SmallVector<AffineMap> maps = {AffineMap::get(4, 0, {d4(0), d4(1), d4(3)}, ctx),
                                     AffineMap::get(4, 0, {d4(0), d4(3)}, ctx)};
      if (zeroPoints) {
        ins.push_back(zeroPoints);
        maps.push_back(maps.back());
      }
      maps.push_back(AffineMap::getMultiDimIdentityMap(4, ctx));
      bool hasZp = static_cast<bool>(zeroPoints);
      Value unpacked = generic(
          rewriter, loc,
          tensor::EmptyOp::create(rewriter, loc, ArrayRef<int64_t>{groups, half, 2, n}, f32),
          ins, maps, SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel),
          [&](OpBuilder &b, Location l, ValueRange args) {
            Value nibble = unpackNibble(b, l, args[0], linalg::IndexOp::create(b, l, 2),
                                        isUnsigned);
            Value w = arith::SIToFPOp::create(b, l, f32, nibble);
            if (hasZp)
              w = arith::SubFOp::create(b, l, w, args[2]);
            linalg::YieldOp::create(b, l, Value(arith::MulFOp::create(b, l, w, args[1])));
          });
      Value weight = tensor::CollapseShapeOp::create(
          rewriter, loc, unpacked, SmallVector<ReassociationIndices>{{0, 1, 2}, {3}});
      Value product = matmulInto(
          rewriter, loc, rows, weight,
          filled(rewriter, loc,
                 {tensor::getMixedSize(rewriter, loc, rows, 0), rewriter.getIndexAttr(n)},
                 arith::ConstantOp::create(rewriter, loc, rewriter.getF32FloatAttr(0))));
      return castTo(rewriter, loc, product, productType);
    };
    int64_t staticRows = cast<RankedTensorType>(x.getType()).getDimSize(0);
    if (weightTiles && nMajor && !ShapedType::isDynamic(staticRows) && staticRows >= 8)
      return finish(
          castTo(rewriter, loc,
                 floatWeightProduct(castTo(rewriter, loc, x,
                                           RankedTensorType::get({ShapedType::kDynamic, k}, f32))),
                 RankedTensorType::get({staticRows, n}, f32)));
    scf::IfOp manyRows;
    if (weightTiles && nMajor && ShapedType::isDynamic(xType.getDimSize(0)) && rank == 2) {
      Value rows = tensor::DimOp::create(rewriter, loc, x, 0);
      Value enough = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::sge, rows,
                                           arith::ConstantIndexOp::create(rewriter, loc, 8));
      manyRows = scf::IfOp::create(rewriter, loc, TypeRange{productType}, enough,
                                   /*withElseRegion=*/true);
      rewriter.setInsertionPointToStart(manyRows.thenBlock());
      scf::YieldOp::create(rewriter, loc, floatWeightProduct(x));
      rewriter.setInsertionPointToStart(manyRows.elseBlock());
    }
    OpFoldResult m = tensor::getMixedSize(rewriter, loc, x, 0);
    int64_t mStatic = cast<RankedTensorType>(x.getType()).getDimSize(0);
    Value pairs = tensor::ExpandShapeOp::create(
        rewriter, loc, RankedTensorType::get({mStatic, groups, half, 2}, f32), x,
        SmallVector<ReassociationIndices>{{0}, {1, 2, 3}},
        SmallVector<OpFoldResult>{m, rewriter.getIndexAttr(groups), rewriter.getIndexAttr(half),
                                  rewriter.getIndexAttr(2)});
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    auto map = [&](unsigned loops, ArrayRef<AffineExpr> exprs) {
      return AffineMap::get(loops, 0, exprs, ctx);
    };
    using utils::IteratorType;
    IteratorType par = IteratorType::parallel, red = IteratorType::reduction;
    Value split = generic(
        rewriter, loc,
        tensor::EmptyOp::create(rewriter, loc,
                                SmallVector<OpFoldResult>{m, rewriter.getIndexAttr(groups),
                                                          rewriter.getIndexAttr(2),
                                                          rewriter.getIndexAttr(half)},
                                f32),
        pairs, {map(4, {d(0), d(1), d(3), d(2)}), map(4, {d(0), d(1), d(2), d(3)})},
        {par, par, par, par},
        [](OpBuilder &b, Location l, ValueRange args) { linalg::YieldOp::create(b, l, args[0]); });
    auto parity = [&](int64_t p) {
      SmallVector<OpFoldResult> offsets = {rewriter.getIndexAttr(0), rewriter.getIndexAttr(0),
                                           rewriter.getIndexAttr(p), rewriter.getIndexAttr(0)};
      SmallVector<OpFoldResult> sizes = {m, rewriter.getIndexAttr(groups),
                                         rewriter.getIndexAttr(1), rewriter.getIndexAttr(half)};
      SmallVector<OpFoldResult> strides(4, rewriter.getIndexAttr(1));
      return tensor::ExtractSliceOp::create(
                 rewriter, loc, RankedTensorType::get({mStatic, groups, half}, f32), split,
                 offsets, sizes, strides)
          .getResult();
    };
    Value even = parity(0), odd = parity(1);

    // The product per group, nibbles unpacked in the body.
    Value zero = arith::ConstantOp::create(rewriter, loc, rewriter.getF32FloatAttr(0));
    auto dotBody = [&](OpBuilder &b, Location l, ValueRange args) {
      auto [lo, hi] = unpackNibbles(b, l, args[2], isUnsigned);
      Value loF = arith::SIToFPOp::create(b, l, f32, lo);
      Value hiF = arith::SIToFPOp::create(b, l, f32, hi);
      if (nMajor) {
        // The reduction is not the vector dim: two fused multiply-adds
        // into the running sum (plain mul/add pairs do not fuse).
        Value acc = math::FmaOp::create(b, l, args[0], loF, args[3]);
        linalg::YieldOp::create(b, l, Value(math::FmaOp::create(b, l, args[1], hiF, acc)));
        return;
      }
      Value pair = arith::AddFOp::create(b, l, arith::MulFOp::create(b, l, args[0], loF),
                                         arith::MulFOp::create(b, l, args[1], hiF));
      // One combiner, so the reduction can be split into partials.
      linalg::YieldOp::create(b, l, Value(arith::AddFOp::create(b, l, args[3], pair)));
    };
    // dot[m, n, g] over loops (m, n, g, j), or n-major dot[m, g, n] over
    // loops (m, g, j, n): the channels innermost.
    AffineExpr dm = d(0), dn = nMajor ? d(3) : d(1), dg = nMajor ? d(1) : d(2),
               dj = nMajor ? d(2) : d(3);
    SmallVector<OpFoldResult> dotSizes =
        nMajor ? SmallVector<OpFoldResult>{m, rewriter.getIndexAttr(groups),
                                           rewriter.getIndexAttr(n)}
               : SmallVector<OpFoldResult>{m, rewriter.getIndexAttr(n),
                                           rewriter.getIndexAttr(groups)};
    Value dot =
        generic(rewriter, loc, filled(rewriter, loc, dotSizes, zero), ValueRange{even, odd, bytes},
                {map(4, {dm, dg, dj}), map(4, {dm, dg, dj}),
                 nMajor ? map(4, {dg, dj, dn}) : map(4, {dn, dg, dj}),
                 nMajor ? map(4, {dm, dg, dn}) : map(4, {dm, dn, dg})},
                nMajor ? SmallVector<utils::IteratorType>{par, par, red, par}
                       : SmallVector<utils::IteratorType>{par, par, par, red},
                dotBody);
    // A GEMV streams the weights once, at what one core's loads reach
    // (about half the memory's bandwidth here). On the CPU a big one
    // computes its groups' partial products in parallel (an scf.forall,
    // OpenMP later): k-major, a group's bytes are one contiguous stretch,
    // which each thread streams; column chunks would read short runs a
    // row apart, which measured slower than one thread.
    if (weightTiles && nMajor && groups >= 2 && n * k >= (int64_t(1) << 20)) {
      scf::SCFTilingOptions options;
      options.setTileSizes(getAsIndexOpFoldResult(ctx, {0, 1, 0, 0}));
      options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
      rewriter.setInsertionPointAfterValue(dot);
      FailureOr<scf::SCFTilingResult> tiled =
          scf::tileUsingSCF(rewriter, cast<TilingInterface>(dot.getDefiningOp()), options);
      if (succeeded(tiled)) {
        rewriter.replaceOp(dot.getDefiningOp(), tiled->replacements);
        dot = tiled->replacements[0];
      }
    }

    // Loops (m, n, g), or (m, g, n) n-major; `param` maps a [n, g] (or
    // [g, n]) parameter.
    AffineExpr mm = d(0), nn = nMajor ? d(2) : d(1), gg = nMajor ? d(1) : d(2);
    AffineMap param = nMajor ? map(3, {gg, nn}) : map(3, {nn, gg});
    SmallVector<Value> ins = {dot, scale};
    SmallVector<AffineMap> maps = {nMajor ? map(3, {mm, gg, nn}) : map(3, {mm, nn, gg}), param};
    if (zeroPoints) {
      SmallVector<OpFoldResult> sumSizes = {m, rewriter.getIndexAttr(groups)};
      Value sums = generic(rewriter, loc, filled(rewriter, loc, sumSizes, zero),
                           ValueRange{even, odd},
                           {map(3, {d(0), d(1), d(2)}), map(3, {d(0), d(1), d(2)}),
                            map(3, {d(0), d(1)})},
                           {par, par, red}, [](OpBuilder &b, Location l, ValueRange args) {
                             linalg::YieldOp::create(
                                 b, l,
                                 Value(arith::AddFOp::create(
                                     b, l, args[2],
                                     arith::AddFOp::create(b, l, args[0], args[1]))));
                           });
      ins.append({zeroPoints, sums});
      maps.append({param, map(3, {mm, gg})});
    }
    maps.push_back(map(3, {mm, nn}));
    bool hasZp = static_cast<bool>(zeroPoints);
    SmallVector<OpFoldResult> outSizes = {m, rewriter.getIndexAttr(n)};
    Value product = generic(
        rewriter, loc, filled(rewriter, loc, outSizes, zero), ins, maps,
        nMajor ? SmallVector<utils::IteratorType>{par, red, par}
               : SmallVector<utils::IteratorType>{par, par, red},
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value v = args[0];
          if (hasZp)
            v = arith::SubFOp::create(b, l, v, arith::MulFOp::create(b, l, args[2], args[3]));
          linalg::YieldOp::create(
              b, l,
              Value(arith::AddFOp::create(b, l, args.back(),
                                          arith::MulFOp::create(b, l, v, args[1]))));
        });

    if (manyRows) {
      scf::YieldOp::create(rewriter, loc,
                           castTo(rewriter, loc, product, manyRows.getResult(0).getType()));
      rewriter.setInsertionPointAfter(manyRows);
      product = manyRows.getResult(0);
    }

    return finish(product);
  }
};

} // namespace

std::vector<char> moe::packNibbles(ArrayRef<char> values) {
  std::vector<char> packed(values.size() / 2);
  for (size_t i = 0; i < packed.size(); ++i)
    packed[i] = static_cast<char>((values[2 * i] & 0xF) | ((values[2 * i + 1] & 0xF) << 4));
  return packed;
}

std::pair<Value, Value> moe::unpackNibbles(OpBuilder &b, Location loc, Value byte,
                                           bool isUnsigned) {
  Type i8 = byte.getType();
  Value c4 = arith::ConstantOp::create(b, loc, b.getIntegerAttr(i8, 4));
  if (isUnsigned)
    return {arith::AndIOp::create(b, loc, byte,
                                  arith::ConstantOp::create(b, loc, b.getIntegerAttr(i8, 15))),
            arith::ShRUIOp::create(b, loc, byte, c4)};
  // Shifting the low nibble up first makes the arithmetic shift extend its
  // sign.
  return {arith::ShRSIOp::create(b, loc, arith::ShLIOp::create(b, loc, byte, c4), c4),
          arith::ShRSIOp::create(b, loc, byte, c4)};
}

Value moe::unpackNibble(OpBuilder &b, Location loc, Value byte, Value index, bool isUnsigned) {
  auto [lo, hi] = unpackNibbles(b, loc, byte, isUnsigned);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value odd = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                    arith::AndIOp::create(b, loc, index, one), one);
  return arith::SelectOp::create(b, loc, odd, hi, lo);
}

std::optional<PackedInt4> moe::packInt4Constant(OpBuilder &b, Location loc, Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || !type.hasStaticShape() || type.getRank() == 0 ||
      type.getElementTypeBitWidth() != 4 || type.getShape().back() % 2 != 0)
    return std::nullopt;
  std::optional<std::vector<char>> values = constantBytes(value);
  if (!values || static_cast<int64_t>(values->size()) != type.getNumElements())
    return std::nullopt;
  SmallVector<int64_t> shape(type.getShape());
  shape.back() /= 2;
  MLIRContext *ctx = b.getContext();
  int64_t rank = type.getRank();
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < rank; ++d)
    exprs.push_back(d + 1 == rank ? getAffineDimExpr(d, ctx).floorDiv(2)
                                  : getAffineDimExpr(d, ctx));
  return PackedInt4{bytesConstant(b, loc, RankedTensorType::get(shape, b.getI8Type()),
                                  packNibbles(*values), "int4_packed"),
                    AffineMap::get(rank, 0, exprs, ctx)};
}

Value moe::widenInt4Constant(OpBuilder &b, Location loc, Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getElementTypeBitWidth() != 4)
    return value;
  std::optional<std::vector<char>> values = constantBytes(value);
  if (!values || static_cast<int64_t>(values->size()) != type.getNumElements())
    return {};
  bool isUnsigned = type.getElementType().isUnsignedInteger();
  for (char &v : *values)
    v = static_cast<char>(storedInteger(v, 4, isUnsigned));
  Type wide = IntegerType::get(b.getContext(), 8,
                               isUnsigned ? IntegerType::Unsigned : IntegerType::Signless);
  return bytesConstant(b, loc, type.clone(wide), *values, "int4_widened");
}

void moe::populateLowerPackedQMatmulPatterns(RewritePatternSet &patterns, bool weightTiles) {
  patterns.add<LowerPackedInt4QMatmul>(patterns.getContext(), weightTiles);
}
