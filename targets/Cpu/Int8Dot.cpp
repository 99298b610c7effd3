//===- Int8Dot.cpp - int8 matmuls as register tiles of 4-byte dot products ===//
//
// The i32 matmul of 8-bit rows by constant 8-bit weights (what
// moe-lower-to-linalg{int8-activations} makes, and ONNX MatMulInteger once
// its zero points' terms are peeled off) as register tiles of rows x
// 16-lane i32 accumulators. Each k step of 4 multiplies a broadcast
// 4-byte group of a row with 16 columns' 4 bytes and adds the four
// products into each lane: one VNNI vpdpbusd (64 multiply-adds, four times
// the lanes of a float FMA; moe-cpu-int8-dot-products) where the CPU has
// AVX512-VNNI, else the portable vector ops that compute the same. The weights
// are packed at compile time so that each step reads 64 contiguous bytes per 16
// columns:
//   packed[n / 16][k / 4][n % 16][k % 4] = w[k, n]
// vpdpbusd multiplies unsigned bytes (the weights) by signed ones (the
// rows), so signed weights are stored offset by 128 and 128 times each
// row's sum is taken off the sums afterwards.
//
//===----------------------------------------------------------------------===//

#include "DotTiles.h"

#include "moe/Support/ConstantBytes.h"
#include "moe/Target/Cpu/Cpu.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace {

using IT = utils::IteratorType;

/// Rows per register tile, largest first: full tiles of 6 rows (by 64
/// columns: 24 sums, 4 weight vectors and a broadcast row in 29 of the 32
/// zmm registers; per 4-byte step 10 loads feed 24 dot products, where 8
/// rows by 32 columns fed 16; DeepSeek's 12-row experts ran 20% faster),
/// then at most one tile of each smaller height for the rows left.
constexpr int64_t kRowHeights[] = {6, 4, 2, 1};

/// An i32 matmul C[m, n] += sext(A[m, k]) * ext(B[k, n]) whose B is a
/// constant [K, N] or matrix `expert` of a constant stack [E, K, N].
struct Int8Matmul {
  mutable linalg::GenericOp op;
  Value a, stack;
  std::optional<OpFoldResult> expert;
  bool signedRows = true, signedWeights = true;
  int64_t k = 0, n = 0;
};

/// `v` with its extension (sign or zero) to i32 stripped, or null.
Value extendedI8(Value v, bool &isSigned) {
  Operation *def = v.getDefiningOp();
  if (!def || !isa<arith::ExtSIOp, arith::ExtUIOp>(def) ||
      !def->getResult(0).getType().isInteger(32) || !def->getOperand(0).getType().isInteger(8))
    return {};
  isSigned = isa<arith::ExtSIOp>(def);
  return def->getOperand(0);
}

/// An i8 `v` (scalar or vector) sign- or zero-extended to i32 lanes.
Value widened(OpBuilder &b, Location loc, Value v, bool isSigned) {
  Type i32 = b.getI32Type();
  if (auto vector = dyn_cast<VectorType>(v.getType()))
    i32 = vector.clone(i32);
  return isSigned ? Value(arith::ExtSIOp::create(b, loc, i32, v))
                  : Value(arith::ExtUIOp::create(b, loc, i32, v));
}

/// The sums over each row of an 8-bit A [M, K] of term(ext(A[m, k])), as an
/// i32 reduction generic.
Value rowSums(OpBuilder &b, Location loc, Value a, bool isSigned,
              function_ref<Value(OpBuilder &, Location, Value)> term) {
  MLIRContext *ctx = b.getContext();
  Type i32 = b.getI32Type();
  OpFoldResult rows = tensor::getMixedSize(b, loc, a, 0);
  Value init = linalg::FillOp::create(
                   b, loc, arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(0)).getResult(),
                   tensor::EmptyOp::create(b, loc, ArrayRef<OpFoldResult>{rows}, i32).getResult())
                   .getResult(0);
  AffineExpr m = getAffineDimExpr(0, ctx), k = getAffineDimExpr(1, ctx);
  return linalg::GenericOp::create(
             b, loc, init.getType(), a, init,
             ArrayRef<AffineMap>{AffineMap::get(2, 0, {m, k}, ctx), AffineMap::get(2, 0, {m}, ctx)},
             ArrayRef<IT>{IT::parallel, IT::reduction},
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value v = term(nb, nl, widened(nb, nl, args[0], isSigned));
               linalg::YieldOp::create(nb, nl, Value(arith::AddIOp::create(nb, nl, args[1], v)));
             })
      .getResult(0);
}

/// The product in a generic's body `yield acc + product` (either order, i32),
/// or null.
arith::MulIOp accumulatedProduct(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  auto add =
      cast<linalg::YieldOp>(body.getTerminator()).getOperand(0).getDefiningOp<arith::AddIOp>();
  if (!add || !add.getType().isInteger(32))
    return {};
  Value acc = body.getArguments().back();
  Value product = add.getLhs() == acc ? add.getRhs() : add.getRhs() == acc ? add.getLhs() : Value();
  return product ? product.getDefiningOp<arith::MulIOp>() : arith::MulIOp();
}

std::optional<Int8Matmul> matchInt8Matmul(linalg::GenericOp op) {
  if (!moe::isMatmulGeneric(op))
    return std::nullopt;
  // yield acc + ext(a) * ext(b), in either order.
  Block &body = op.getRegion().front();
  arith::MulIOp mul = accumulatedProduct(op);
  if (!mul)
    return std::nullopt;
  bool lhsSigned = false, rhsSigned = false;
  Value lhs = extendedI8(mul.getLhs(), lhsSigned), rhs = extendedI8(mul.getRhs(), rhsSigned);
  if (lhs != body.getArgument(0) || rhs != body.getArgument(1)) {
    std::swap(lhs, rhs);
    std::swap(lhsSigned, rhsSigned);
  }
  if (lhs != body.getArgument(0) || rhs != body.getArgument(1))
    return std::nullopt;
  Int8Matmul match;
  match.op = op;
  match.a = op.getDpsInputs()[0];
  match.signedRows = lhsSigned;
  match.signedWeights = rhsSigned;
  Value b = op.getDpsInputs()[1];
  auto bType = cast<RankedTensorType>(b.getType());
  if (!bType.hasStaticShape())
    return std::nullopt;
  match.k = bType.getDimSize(0);
  match.n = bType.getDimSize(1);
  if (match.k % 4 != 0 || match.n % 16 != 0)
    return std::nullopt;
  // Through the bitcast that makes unsigned storage signless.
  auto throughBitcast = [](Value v) -> Value {
    if (auto cast = v.getDefiningOp<tensor::BitcastOp>())
      return cast.getSource();
    return v;
  };
  match.stack = throughBitcast(moe::stackSource(throughBitcast(b), match.expert));
  auto stackType = cast<RankedTensorType>(match.stack.getType());
  if (!stackType.hasStaticShape() || stackType.getElementTypeBitWidth() != 8 ||
      !moe::constantRawBytes(match.stack))
    return std::nullopt;
  return match;
}

/// An i8 generic of 8-bit integers by a matrix (C[m, n] += f(A[m, k],
/// B[k, n], ...)), batched rows collapsed (moe::collapseRowBatch): what
/// ONNX's MatMulInteger of [..., M, K] rows becomes.
bool collapseInt8RowBatch(linalg::GenericOp op) {
  auto isI8 = [](Value v) { return getElementTypeOrSelf(v.getType()).isInteger(8); };
  if (op.getNumDpsInits() != 1 ||
      !getElementTypeOrSelf(op.getDpsInits()[0].getType()).isInteger(32) ||
      !llvm::all_of(op.getDpsInputs(), isI8))
    return false;
  return moe::collapseRowBatch(op);
}

/// A zero point in a generic's body: a scalar from outside it, or the
/// extension of an input's element (one per row or per column).
struct ZeroPointTerm {
  Value scalar;
  OpOperand *input = nullptr;
  bool isSigned = true;
};

/// A matmul generic of 8-bit integers with zero points (what ONNX's
/// MatMulInteger becomes), C += (ext(a) - za) * (ext(b) - zb) with za a
/// scalar or one per row of a (a further input), zb a scalar or one per
/// column, and b a constant [K, N], as the plain product of the integers
/// (which moe-cpu-int8-dot tiles) and the zero points' terms:
///   C += sum a b - zb[n] * rowsum(a)[m] - za[m] * colsum(b)[n] + K za[m] zb[n],
/// the column sums computed at compile time. False, changing nothing, for
/// other generics.
bool peelZeroPoints(linalg::GenericOp op) {
  if (!moe::isMatmulGeneric(op, /*furtherInputs=*/true))
    return false;
  MLIRContext *ctx = op.getContext();
  AffineExpr m = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx);
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  Block &body = op.getRegion().front();
  arith::MulIOp mul = accumulatedProduct(op);
  if (!mul)
    return false;
  // ext(arg) - zp: the arg's signedness and zp; false when the operand is
  // not of that form, or its zp is an input read along K or across the
  // other side's dim (`side`: m for a's, n for b's).
  auto shifted = [&](Value v, unsigned arg, AffineExpr side, bool &isSigned, ZeroPointTerm &zp) {
    auto sub = v.getDefiningOp<arith::SubIOp>();
    if (!sub || extendedI8(sub.getLhs(), isSigned) != body.getArgument(arg))
      return false;
    if (!op.getRegion().isAncestor(sub.getRhs().getParentRegion())) {
      zp.scalar = sub.getRhs();
      return true;
    }
    auto zpArg = dyn_cast<BlockArgument>(extendedI8(sub.getRhs(), zp.isSigned));
    if (!zpArg || zpArg.getOwner() != &body || zpArg.getArgNumber() < 2 ||
        zpArg.getArgNumber() >= op.getNumDpsInputs())
      return false;
    zp.input = op.getDpsInputOperand(zpArg.getArgNumber());
    for (AffineExpr e : op.getMatchingIndexingMap(zp.input).getResults())
      if (!isa<AffineConstantExpr>(e) && e != side)
        return false;
    return true;
  };
  bool aSigned = false, bSigned = false;
  ZeroPointTerm za, zb;
  if (!shifted(mul.getLhs(), 0, m, aSigned, za) || !shifted(mul.getRhs(), 1, n, bSigned, zb))
    return false;
  Value a = op.getDpsInputs()[0], b = op.getDpsInputs()[1];
  auto bType = cast<RankedTensorType>(b.getType());
  std::optional<std::vector<char>> bytes = moe::constantRawBytes(b);
  // Only where the tiles then take the product (else the peeling only adds work).
  if (!bType.hasStaticShape() || !bytes || bType.getDimSize(0) % 4 != 0 ||
      bType.getDimSize(1) % 16 != 0)
    return false;
  int64_t depth = bType.getDimSize(0), width = bType.getDimSize(1);
  OpBuilder builder(op);
  Location loc = op.getLoc();
  Type i32 = builder.getI32Type();
  Value zero = arith::ConstantOp::create(builder, loc, builder.getI32IntegerAttr(0));
  Value init = op.getDpsInits()[0];
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(builder, loc, init);
  Value zeros =
      linalg::FillOp::create(builder, loc, zero,
                             tensor::EmptyOp::create(builder, loc, sizes, i32).getResult())
          .getResult(0);
  Value plain =
      linalg::GenericOp::create(
          builder, loc, init.getType(), ValueRange{a, b}, zeros,
          ArrayRef<AffineMap>{maps[0], maps[1], maps.back()}, op.getIteratorTypesArray(),
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            Value p = arith::MulIOp::create(nb, nl, widened(nb, nl, args[0], aSigned),
                                            widened(nb, nl, args[1], bSigned));
            linalg::YieldOp::create(nb, nl, Value(arith::AddIOp::create(nb, nl, args[2], p)));
          })
          .getResult(0);
  // The rows' sums of a, and the columns' sums of the constant b.
  Value sumsOfRows =
      rowSums(builder, loc, a, aSigned, [](OpBuilder &, Location, Value wide) { return wide; });
  SmallVector<int32_t> columnSums(width, 0);
  for (int64_t kk = 0; kk < depth; ++kk)
    for (int64_t col = 0; col < width; ++col) {
      auto byte = static_cast<unsigned char>((*bytes)[kk * width + col]);
      columnSums[col] += bSigned ? int32_t(static_cast<signed char>(byte)) : int32_t(byte);
    }
  Value colSums = arith::ConstantOp::create(
      builder, loc,
      DenseElementsAttr::get(RankedTensorType::get({width}, i32), ArrayRef<int32_t>(columnSums)));
  AffineMap id = AffineMap::getMultiDimIdentityMap(2, ctx);
  SmallVector<Value> inputs = {plain, sumsOfRows, colSums};
  SmallVector<AffineMap> termMaps = {id, AffineMap::get(2, 0, {m}, ctx),
                                     AffineMap::get(2, 0, {n}, ctx)};
  // Zero points per row or column are read in (m, n) as they were in (m, n, k).
  for (ZeroPointTerm *zp : {&za, &zb})
    if (zp->input) {
      inputs.push_back(zp->input->get());
      termMaps.push_back(op.getMatchingIndexingMap(zp->input).replaceDimsAndSymbols(
          {m, n, getAffineConstantExpr(0, ctx)}, {}, 2, 0));
    }
  termMaps.push_back(id);
  Value result =
      linalg::GenericOp::create(
          builder, loc, init.getType(), inputs, init, termMaps,
          ArrayRef<IT>{IT::parallel, IT::parallel},
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            unsigned next = 3;
            auto valueOf = [&](const ZeroPointTerm &zp) -> Value {
              return zp.input ? widened(nb, nl, args[next++], zp.isSigned) : zp.scalar;
            };
            Value zaValue = valueOf(za), zbValue = valueOf(zb);
            Value k = arith::ConstantOp::create(nb, nl, nb.getI32IntegerAttr(depth));
            Value v = arith::AddIOp::create(nb, nl, args.back(), args[0]);
            v = arith::SubIOp::create(nb, nl, v, arith::MulIOp::create(nb, nl, zbValue, args[1]));
            v = arith::SubIOp::create(nb, nl, v, arith::MulIOp::create(nb, nl, zaValue, args[2]));
            Value zz =
                arith::MulIOp::create(nb, nl, k, arith::MulIOp::create(nb, nl, zaValue, zbValue));
            linalg::YieldOp::create(nb, nl, Value(arith::AddIOp::create(nb, nl, v, zz)));
          })
          .getResult(0);
  op.getResult(0).replaceAllUsesWith(result);
  op.erase();
  return true;
}

/// The weights of `match` in the packed order (see the file comment),
/// [E, N / 16, K * 16] for a stack, else [N / 16, K * 16], offset by 128 when
/// signed.
Value packWeights(OpBuilder &b, Location loc, const Int8Matmul &match) {
  std::vector<char> bytes = *moe::constantRawBytes(match.stack);
  int64_t k = match.k, n = match.n, blocks = n / 16;
  int64_t stacked = static_cast<int64_t>(bytes.size()) / (k * n);
  std::vector<char> packed(bytes.size());
  // vpdpbusd multiplies unsigned by signed bytes: weights of the rows'
  // signedness are offset by 128 (+128 for signed, -128 for unsigned: the
  // same flip of the top bit) into the other one.
  char offset = match.signedWeights == match.signedRows ? char(0x80) : char(0);
  for (int64_t e = 0; e < stacked; ++e)
    for (int64_t kk = 0; kk < k; ++kk)
      for (int64_t col = 0; col < n; ++col) {
        int64_t to = ((e * blocks + col / 16) * (k / 4) + kk / 4) * 64 + (col % 16) * 4 + kk % 4;
        packed[to] = char(bytes[(e * k + kk) * n + col] ^ offset);
      }
  SmallVector<int64_t> shape = {blocks, k * 16};
  if (match.expert)
    shape.insert(shape.begin(), stacked);
  return moe::bytesConstant(b, loc, RankedTensorType::get(shape, b.getI8Type()), packed,
                            moe::kInt8DotWeightsResource);
}

/// acc + the dot products of each lane's 4 weight bytes (unsigned, see
/// packWeights) with the row's 4 signed bytes (`row`: one i32 holding them,
/// broadcast), in portable vector ops (matchInt8DotProduct) that
/// moe-cpu-int8-dot-products makes one vpdpbusd after bufferization.
Value dot4(OpBuilder &b, Location loc, const Int8Matmul &match, Value acc, Value w, Value row) {
  auto i8x64 = VectorType::get({64}, b.getI8Type());
  Value wb = vector::BitCastOp::create(b, loc, i8x64, w);
  Value rb = vector::BitCastOp::create(b, loc, i8x64, row);
  // One side unsigned, the other signed: unsigned rows meet signed
  // weights (packWeights made them so).
  Value products = arith::MulIOp::create(b, loc, widened(b, loc, wb, !match.signedRows),
                                         widened(b, loc, rb, match.signedRows));
  Value grouped =
      vector::ShapeCastOp::create(b, loc, VectorType::get({16, 4}, b.getI32Type()), products);
  return vector::MultiDimReductionOp::create(b, loc, grouped, acc, ArrayRef<bool>{false, true},
                                             vector::CombiningKind::ADD);
}

/// The tiles of one int8 matmul; `offsetSums` (offsetRowSums), when not
/// null, is taken off each row's sums.
Value emitInt8Tiles(OpBuilder &b, Location loc, const Int8Matmul &match, Value offsetSums) {
  Value packed = packWeights(b, loc, match);
  moe::DotTiles tiles;
  tiles.anchor = match.op;
  tiles.rows = match.a;
  tiles.weights = moe::packedMatrix(b, loc, packed, match.expert);
  tiles.group = 4;
  tiles.k = match.k;
  tiles.n = match.n;
  tiles.init = match.op.getDpsInits()[0];
  // Sums that start from zeros need no zero-filled buffer: the tiles write
  // every element.
  auto fill = tiles.init.getDefiningOp<linalg::FillOp>();
  tiles.fromZero = fill && matchPattern(fill.getInputs()[0], m_Zero());
  tiles.heights = kRowHeights;
  // Named: a function_ref does not keep a temporary alive.
  auto dot = [&](OpBuilder &nb, Location nl, Value acc, Value w, Value row) {
    return dot4(nb, nl, match, acc, w, row);
  };
  tiles.dot = dot;
  auto takeOffset = [&](OpBuilder &nb, Location nl, Value sums, Value rowIndex) -> Value {
    // Take off what the weights' offset added.
    Value correction = vector::BroadcastOp::create(
        nb, nl, sums.getType(), tensor::ExtractOp::create(nb, nl, offsetSums, rowIndex));
    return arith::SubIOp::create(nb, nl, sums, correction);
  };
  if (offsetSums)
    tiles.finish = takeOffset;
  return moe::emitDotTiles(b, loc, tiles);
}

/// 128 * sum_k A[m, k] for each row (negated for unsigned rows): what the
/// offset weights add to the sums.
Value offsetRowSums(OpBuilder &b, Location loc, Value a, bool signedRows) {
  return rowSums(b, loc, a, signedRows, [&](OpBuilder &nb, Location nl, Value wide) -> Value {
    Value v = arith::ShLIOp::create(nb, nl, wide,
                                    arith::ConstantOp::create(nb, nl, nb.getI32IntegerAttr(7)));
    // Unsigned rows met weights offset by -128: the sums lack 128 * the
    // row's sum, which the kernel's subtraction adds.
    if (signedRows)
      return v;
    return arith::SubIOp::create(nb, nl, arith::ConstantOp::create(nb, nl, nb.getI32IntegerAttr(0)),
                                 v);
  });
}

struct CpuInt8Dot : PassWrapper<CpuInt8Dot, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CpuInt8Dot)
  StringRef getArgument() const override { return "moe-cpu-int8-dot"; }
  StringRef getDescription() const override {
    return "Lower i32 matmuls of 8-bit rows by constant 8-bit weights (MatMulInteger's "
           "zero points peeled off first) to register tiles of 4-byte dot products over "
           "weights packed at compile time";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<arith::ArithDialect, linalg::LinalgDialect, scf::SCFDialect,
                    tensor::TensorDialect, vector::VectorDialect>();
  }

  void runOnOperation() override {
    SmallVector<linalg::GenericOp> generics;
    getOperation().walk([&](linalg::GenericOp op) { generics.push_back(op); });
    for (linalg::GenericOp op : generics)
      collapseInt8RowBatch(op);
    generics.clear();
    getOperation().walk([&](linalg::GenericOp op) { generics.push_back(op); });
    for (linalg::GenericOp op : generics)
      peelZeroPoints(op);
    SmallVector<Int8Matmul> work;
    getOperation().walk([&](linalg::GenericOp op) {
      if (std::optional<Int8Matmul> match = matchInt8Matmul(op))
        work.push_back(*match);
    });
    for (const Int8Matmul &match : work) {
      OpBuilder b(match.op);
      Location loc = match.op.getLoc();
      Value offsetSums;
      if (match.signedWeights == match.signedRows)
        offsetSums = offsetRowSums(b, loc, match.a, match.signedRows);
      Value result = emitInt8Tiles(b, loc, match, offsetSums);
      match.op.getResult(0).replaceAllUsesWith(result);
      match.op.erase();
    }
  }
};

/// moe-cpu-int8-dot's 4-byte dot products as vpdpbusd (its u8 x s8
/// products sum in i32 without saturation, as the vector ops do).
struct DotToVpdpbusd : OpRewritePattern<vector::MultiDimReductionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(vector::MultiDimReductionOp op,
                                PatternRewriter &rewriter) const override {
    std::optional<moe::Int8DotOperands> dot = moe::matchInt8DotProduct(op);
    if (!dot)
      return failure();
    // LLVM 22 takes the bytes as <64 x i8>.
    rewriter.replaceOpWithNewOp<LLVM::CallIntrinsicOp>(
        op, op.getDestType(), rewriter.getStringAttr("llvm.x86.avx512.vpdpbusd.512"),
        ValueRange{op.getAcc(), dot->unsignedBytes, dot->signedBytes});
    return success();
  }
};

struct CpuInt8DotProducts : PassWrapper<CpuInt8DotProducts, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CpuInt8DotProducts)
  CpuInt8DotProducts() = default;
  CpuInt8DotProducts(const CpuInt8DotProducts &other) : PassWrapper(other) {}
  explicit CpuInt8DotProducts(bool useVnni) { vnni = useVnni; }
  StringRef getArgument() const override { return "moe-cpu-int8-dot-products"; }
  StringRef getDescription() const override {
    return "The 4-byte dot products of moe-cpu-int8-dot as AVX512-VNNI "
           "vpdpbusd (vnni=true), "
           "else as vector adds; after bufferization, which refuses the "
           "intrinsic call (its "
           "memory effects are unknown to it)";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<LLVM::LLVMDialect, vector::VectorDialect>();
  }
  Option<bool> vnni{*this, "vnni",
                    llvm::cl::desc("Use vpdpbusd (the target CPU must have AVX512-VNNI)"),
                    llvm::cl::init(false)};

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    if (vnni)
      patterns.add<DotToVpdpbusd>(&getContext());
    else
      // [16, n] transposed to n rows of 16 lanes, added lane by lane.
      vector::populateVectorMultiReductionLoweringPatterns(
          patterns, vector::VectorMultiReductionLowering::InnerParallel);
    auto isDot = [](vector::MultiDimReductionOp op) {
      return moe::matchInt8DotProduct(op).has_value();
    };
    if (failed(moe::rewriteDotProducts(getOperation(), isDot, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

std::unique_ptr<Pass> moe::createCpuInt8DotPass() { return std::make_unique<CpuInt8Dot>(); }

void moe::registerCpuInt8DotPass() { PassRegistration<CpuInt8Dot>(); }

std::unique_ptr<Pass> moe::createCpuInt8DotProductsPass(bool vnni) {
  return std::make_unique<CpuInt8DotProducts>(vnni);
}

void moe::registerCpuInt8DotProductsPass() { PassRegistration<CpuInt8DotProducts>(); }

std::optional<moe::Int8DotOperands> moe::matchInt8DotProduct(vector::MultiDimReductionOp op) {
  Type i32 = IntegerType::get(op.getContext(), 32);
  if (op.getKind() != vector::CombiningKind::ADD ||
      op.getSourceVectorType() != VectorType::get({16, 4}, i32) ||
      op.getReductionDims() != ArrayRef<int64_t>{1})
    return std::nullopt;
  auto cast = op.getSource().getDefiningOp<vector::ShapeCastOp>();
  auto mul = cast ? cast.getSource().getDefiningOp<arith::MulIOp>() : arith::MulIOp();
  if (!mul)
    return std::nullopt;
  // The 64 bytes of one side, through its extension.
  auto bytesOf = [&](Value v, bool zext) -> Value {
    Operation *ext = v.getDefiningOp();
    if (!ext || !(zext ? isa<arith::ExtUIOp>(ext) : isa<arith::ExtSIOp>(ext)) ||
        ext->getOperand(0).getType() != VectorType::get({64}, IntegerType::get(op.getContext(), 8)))
      return {};
    return ext->getOperand(0);
  };
  Value w = bytesOf(mul.getLhs(), true), x = bytesOf(mul.getRhs(), false);
  if (!w || !x) {
    w = bytesOf(mul.getRhs(), true);
    x = bytesOf(mul.getLhs(), false);
  }
  if (!w || !x)
    return std::nullopt;
  return Int8DotOperands{w, x};
}
