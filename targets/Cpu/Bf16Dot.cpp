//===- Bf16Dot.cpp - f32 matmuls by constant weights computed in bf16 ----===//
//
// With bf16 matmuls (moe-compile --matmul-type=bf16) a product of f32 rows
// by constant f32 weights rounds both to bf16 (to nearest, ties to even)
// and sums the products in f32: AVX512-BF16's vdpbf16ps takes a pair of
// bf16 values per lane, twice the multiply-adds of an f32 FMA per
// instruction, and the weights take half the bytes to read. The tiles are
// moe-cpu-int8-dot's (DotTiles.h) with two values per 32-bit word. A
// product whose columns a consumer compares (a router's or classifier's
// logits before max, top-k or argmax) stays f32: rounding would change
// which column wins. Such logits fused with other products of the same
// rows are split off them first. Batched rows by one weight matrix (an
// attention block's projections) are multiplied as one [rows, K] matrix.
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

#include <cstring>

using namespace mlir;

namespace {

using IT = utils::IteratorType;

/// Rows per register tile, as moe-cpu-int8-dot's: 6 rows by 64 columns
/// (24 sums, 4 weight vectors and a broadcast row in 29 of the 32 zmm
/// registers), then one tile of each smaller height for the rows left.
constexpr int64_t kRowHeights[] = {6, 4, 2, 1};

/// An f32 matmul C[m, n] += A[m, k] * B[k, n] whose B is a constant [K, N]
/// or matrix `expert` of a constant stack [E, K, N].
struct FloatMatmul {
  mutable linalg::GenericOp op;
  Value a, stack;
  std::optional<OpFoldResult> expert;
  int64_t k = 0, n = 0;
};

/// Whether a consumer of `value` (through elementwise generics and shape
/// ops) reduces its columns with a comparison: a max, top-k or argmax
/// picks among them.
bool columnsCompared(Value value, int depth = 0) {
  if (depth > 4)
    return false;
  for (OpOperand &use : value.getUses()) {
    Operation *user = use.getOwner();
    if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp, tensor::CastOp, tensor::ExtractSliceOp>(
            user)) {
      if (columnsCompared(user->getResult(0), depth + 1))
        return true;
      continue;
    }
    auto generic = dyn_cast<linalg::GenericOp>(user);
    if (!generic)
      continue;
    AffineMap map = generic.getMatchingIndexingMap(&use);
    SmallVector<IT> iterators = generic.getIteratorTypesArray();
    auto columnDim = map.getNumResults() ? dyn_cast<AffineDimExpr>(map.getResults().back())
                                         : AffineDimExpr(nullptr);
    bool compares = false;
    generic.getRegion().walk([&](Operation *op) {
      if (isa<arith::CmpFOp, arith::MaximumFOp, arith::MaxNumFOp, arith::MinimumFOp,
              arith::MinNumFOp>(op))
        compares = true;
    });
    if (columnDim && iterators[columnDim.getPosition()] == IT::reduction && compares)
      return true;
    if (llvm::all_of(iterators, [](IT it) { return it == IT::parallel; }))
      for (Value result : generic.getResults())
        if (columnsCompared(result, depth + 1))
          return true;
  }
  return false;
}

std::optional<FloatMatmul> matchFloatMatmul(linalg::GenericOp op) {
  if (!moe::isMatmulGeneric(op))
    return std::nullopt;
  Block &body = op.getRegion().front();
  Type f32 = Float32Type::get(op.getContext());
  if (llvm::any_of(body.getArgumentTypes(), [&](Type t) { return t != f32; }))
    return std::nullopt;
  // yield acc + a * b, in any order.
  auto add =
      cast<linalg::YieldOp>(body.getTerminator()).getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add)
    return std::nullopt;
  Value acc = body.getArgument(2);
  Value product = add.getLhs() == acc ? add.getRhs() : add.getRhs() == acc ? add.getLhs() : Value();
  auto mul = product ? product.getDefiningOp<arith::MulFOp>() : arith::MulFOp();
  if (!mul || !((mul.getLhs() == body.getArgument(0) && mul.getRhs() == body.getArgument(1)) ||
                (mul.getLhs() == body.getArgument(1) && mul.getRhs() == body.getArgument(0))))
    return std::nullopt;
  FloatMatmul match;
  match.op = op;
  match.a = op.getDpsInputs()[0];
  Value b = op.getDpsInputs()[1];
  auto bType = cast<RankedTensorType>(b.getType());
  if (!bType.hasStaticShape())
    return std::nullopt;
  match.k = bType.getDimSize(0);
  match.n = bType.getDimSize(1);
  if (match.k % 2 != 0 || match.n % 16 != 0)
    return std::nullopt;
  match.stack = moe::stackSource(b, match.expert);
  auto stackType = cast<RankedTensorType>(match.stack.getType());
  if (!stackType.hasStaticShape() || !stackType.getElementType().isF32() ||
      !moe::constantRawBytes(match.stack) || columnsCompared(op.getResult(0)))
    return std::nullopt;
  return match;
}

/// Sibling products fused into one (moe-fuse-sibling-matmuls: a router's
/// logits beside shared experts' projections of the same rows), split
/// back into one zero-started product per column range read, when the
/// fused product's columns are compared and it is read only through such
/// ranges: the compared ranges stay f32, the others go to bf16. False,
/// changing nothing, otherwise.
bool splitComparedColumns(linalg::GenericOp op) {
  if (!moe::isMatmulGeneric(op) || !columnsCompared(op.getResult(0)))
    return false;
  Value a = op.getDpsInputs()[0], b = op.getDpsInputs()[1], init = op.getDpsInits()[0];
  auto fill = init.getDefiningOp<linalg::FillOp>();
  auto bType = cast<RankedTensorType>(b.getType());
  std::optional<std::vector<char>> bytes = moe::constantRawBytes(b);
  if (!fill || !matchPattern(fill.getInputs()[0], m_AnyZeroFloat()) || !bytes ||
      !bType.hasStaticShape() || !bType.getElementType().isF32())
    return false;
  auto resultType = cast<RankedTensorType>(op.getResult(0).getType());
  SmallVector<tensor::ExtractSliceOp> slices;
  SmallVector<tensor::DimOp> dims;
  for (Operation *user : op.getResult(0).getUsers()) {
    if (auto dim = dyn_cast<tensor::DimOp>(user)) {
      if (getConstantIntValue(dim.getIndex()) != 0)
        return false;
      dims.push_back(dim);
      continue;
    }
    auto slice = dyn_cast<tensor::ExtractSliceOp>(user);
    if (!slice || !slice.hasUnitStride() || slice.getSourceType().getRank() != 2 ||
        slice.getType().getRank() != 2 || slice.getStaticOffsets()[0] != 0 ||
        ShapedType::isDynamic(slice.getStaticOffsets()[1]) ||
        ShapedType::isDynamic(slice.getStaticSizes()[1]))
      return false;
    // All rows: the same static count, or the product's own run-time one.
    OpFoldResult rows = slice.getMixedSizes()[0];
    if (resultType.isDynamicDim(0)) {
      auto dim = dyn_cast_if_present<Value>(rows) ? cast<Value>(rows).getDefiningOp<tensor::DimOp>()
                                                  : tensor::DimOp();
      if (!dim || !llvm::is_contained(ValueRange{op.getResult(0), a, init}, dim.getSource()) ||
          getConstantIntValue(dim.getIndex()) != 0)
        return false;
    } else if (getConstantIntValue(rows) != resultType.getDimSize(0)) {
      return false;
    }
    slices.push_back(slice);
  }
  // The rows are A's.
  for (tensor::DimOp dim : dims) {
    OpBuilder builder(dim);
    dim.getResult().replaceAllUsesWith(tensor::DimOp::create(builder, dim.getLoc(), a, 0));
    dim.erase();
  }
  int64_t k = bType.getDimSize(0), n = bType.getDimSize(1);
  for (tensor::ExtractSliceOp slice : slices) {
    int64_t from = slice.getStaticOffsets()[1], width = slice.getStaticSizes()[1];
    std::vector<char> part(k * width * sizeof(float));
    for (int64_t kk = 0; kk < k; ++kk)
      std::memcpy(part.data() + kk * width * sizeof(float),
                  bytes->data() + (kk * n + from) * sizeof(float), width * sizeof(float));
    OpBuilder builder(slice);
    Location loc = slice.getLoc();
    Value weights =
        moe::bytesConstant(builder, loc, RankedTensorType::get({k, width}, builder.getF32Type()),
                           part, "bf16_split_weights");
    Value empty =
        tensor::EmptyOp::create(builder, loc, slice.getMixedSizes(), builder.getF32Type());
    Value zeros = linalg::FillOp::create(builder, loc, fill.getInputs()[0], empty).getResult(0);
    Value product =
        linalg::GenericOp::create(builder, loc, slice.getType(), ValueRange{a, weights}, zeros,
                                  op.getIndexingMapsArray(), op.getIteratorTypesArray(),
                                  [](OpBuilder &nb, Location nl, ValueRange args) {
                                    Value p = arith::MulFOp::create(nb, nl, args[0], args[1]);
                                    linalg::YieldOp::create(
                                        nb, nl, Value(arith::AddFOp::create(nb, nl, args[2], p)));
                                  })
            .getResult(0);
    slice.getResult().replaceAllUsesWith(product);
    slice.erase();
  }
  op.erase();
  return true;
}

/// The bf16 bits of an f32 value's bits, rounded to nearest, ties to even
/// (a NaN stays a quiet NaN).
uint16_t bf16Bits(uint32_t bits) {
  if ((bits & 0x7fffffffu) > 0x7f800000u)
    return 0x7fc0;
  return static_cast<uint16_t>((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

/// The weights of `match` as bf16 bits in the packed order of DotTiles.h
/// (two values per word), [E, N / 16, K * 16] for a stack, else
/// [N / 16, K * 16].
Value packWeights(OpBuilder &b, Location loc, const FloatMatmul &match) {
  std::vector<char> bytes = *moe::constantRawBytes(match.stack);
  int64_t k = match.k, n = match.n, blocks = n / 16;
  int64_t stacked = static_cast<int64_t>(bytes.size() / sizeof(float)) / (k * n);
  std::vector<char> packed(bytes.size() / 2);
  for (int64_t e = 0; e < stacked; ++e)
    for (int64_t kk = 0; kk < k; ++kk)
      for (int64_t col = 0; col < n; ++col) {
        uint32_t bits;
        std::memcpy(&bits, bytes.data() + ((e * k + kk) * n + col) * sizeof(float), sizeof(bits));
        uint16_t half = bf16Bits(bits);
        int64_t to = ((e * blocks + col / 16) * (k / 2) + kk / 2) * 32 + (col % 16) * 2 + kk % 2;
        std::memcpy(packed.data() + to * 2, &half, sizeof(half));
      }
  SmallVector<int64_t> shape = {blocks, k * 16};
  if (match.expert)
    shape.insert(shape.begin(), stacked);
  return moe::bytesConstant(b, loc, RankedTensorType::get(shape, b.getIntegerType(16)), packed,
                            moe::kBf16DotWeightsResource);
}

/// The rows A [M, K] as bf16 bits (i16), rounded as bf16Bits does.
Value roundedRows(OpBuilder &b, Location loc, Value a) {
  MLIRContext *ctx = b.getContext();
  Type i16 = b.getIntegerType(16), i32 = b.getI32Type();
  Value init = tensor::EmptyOp::create(b, loc, tensor::getMixedSizes(b, loc, a), i16);
  AffineMap id = AffineMap::getMultiDimIdentityMap(2, ctx);
  return linalg::GenericOp::create(
             b, loc, init.getType(), a, init, ArrayRef<AffineMap>{id, id},
             ArrayRef<IT>{IT::parallel, IT::parallel},
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               auto c = [&](uint32_t v) -> Value {
                 return arith::ConstantOp::create(nb, nl, nb.getI32IntegerAttr(int32_t(v)));
               };
               Value bits = arith::BitcastOp::create(nb, nl, i32, args[0]);
               Value lsb =
                   arith::AndIOp::create(nb, nl, arith::ShRUIOp::create(nb, nl, bits, c(16)), c(1));
               Value up = arith::AddIOp::create(nb, nl, bits,
                                                arith::AddIOp::create(nb, nl, lsb, c(0x7fff)));
               Value rounded = arith::ShRUIOp::create(nb, nl, up, c(16));
               Value nan =
                   arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::UNO, args[0], args[0]);
               rounded = arith::SelectOp::create(nb, nl, nan, c(0x7fc0), rounded);
               linalg::YieldOp::create(nb, nl,
                                       Value(arith::TruncIOp::create(nb, nl, i16, rounded)));
             })
      .getResult(0);
}

/// acc + each lane's pair of weights (bf16 bits, see packWeights) times the
/// row's pair (`row`: one i32 holding them, broadcast), in portable vector
/// ops (matchBf16DotProduct) that moe-cpu-bf16-dot-products makes one
/// vdpbf16ps after bufferization.
Value dot2(OpBuilder &b, Location loc, Value acc, Value w, Value row) {
  Type bf16 = b.getBF16Type(), f32 = b.getF32Type();
  auto bf16x32 = VectorType::get({32}, bf16);
  auto f32x32 = VectorType::get({32}, f32);
  Value wide = arith::ExtFOp::create(b, loc, f32x32,
                                     vector::BitCastOp::create(b, loc, bf16x32, w).getResult());
  Value rowWide = arith::ExtFOp::create(
      b, loc, f32x32, vector::BitCastOp::create(b, loc, bf16x32, row).getResult());
  Value products = arith::MulFOp::create(b, loc, wide, rowWide);
  Value pairs = vector::ShapeCastOp::create(b, loc, VectorType::get({16, 2}, f32), products);
  return vector::MultiDimReductionOp::create(b, loc, pairs, acc, ArrayRef<bool>{false, true},
                                             vector::CombiningKind::ADD);
}

Value emitBf16Tiles(OpBuilder &b, Location loc, const FloatMatmul &match) {
  Value packed = packWeights(b, loc, match);
  moe::DotTiles tiles;
  tiles.anchor = match.op;
  tiles.rows = roundedRows(b, loc, match.a);
  tiles.weights = moe::packedMatrix(b, loc, packed, match.expert);
  tiles.group = 2;
  tiles.k = match.k;
  tiles.n = match.n;
  tiles.init = match.op.getDpsInits()[0];
  auto fill = tiles.init.getDefiningOp<linalg::FillOp>();
  tiles.fromZero = fill && matchPattern(fill.getInputs()[0], m_AnyZeroFloat());
  tiles.heights = kRowHeights;
  tiles.dot = dot2;
  return moe::emitDotTiles(b, loc, tiles);
}

struct CpuBf16Dot : PassWrapper<CpuBf16Dot, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CpuBf16Dot)
  StringRef getArgument() const override { return "moe-cpu-bf16-dot"; }
  StringRef getDescription() const override {
    return "Compute f32 matmuls by constant weights in bf16 (rows and weights rounded to "
           "nearest even, sums f32) as register tiles of bf16 pair dot products over "
           "weights packed at compile time; products whose columns a max or top-k "
           "compares stay f32";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<arith::ArithDialect, linalg::LinalgDialect, scf::SCFDialect,
                    tensor::TensorDialect, vector::VectorDialect>();
  }

  void runOnOperation() override {
    SmallVector<linalg::GenericOp> generics;
    getOperation().walk([&](linalg::GenericOp op) { generics.push_back(op); });
    for (linalg::GenericOp op : generics)
      moe::collapseRowBatch(op);
    generics.clear();
    getOperation().walk([&](linalg::GenericOp op) { generics.push_back(op); });
    for (linalg::GenericOp op : generics)
      splitComparedColumns(op);
    SmallVector<FloatMatmul> work;
    getOperation().walk([&](linalg::GenericOp op) {
      if (std::optional<FloatMatmul> match = matchFloatMatmul(op))
        work.push_back(*match);
    });
    for (const FloatMatmul &match : work) {
      OpBuilder b(match.op);
      Value result = emitBf16Tiles(b, match.op.getLoc(), match);
      match.op.getResult(0).replaceAllUsesWith(result);
      match.op.erase();
    }
  }
};

struct DotToVdpbf16ps : OpRewritePattern<vector::MultiDimReductionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(vector::MultiDimReductionOp op,
                                PatternRewriter &rewriter) const override {
    std::optional<moe::Bf16DotOperands> dot = moe::matchBf16DotProduct(op);
    if (!dot)
      return failure();
    rewriter.replaceOpWithNewOp<LLVM::CallIntrinsicOp>(
        op, op.getDestType(), rewriter.getStringAttr("llvm.x86.avx512bf16.dpbf16ps.512"),
        ValueRange{op.getAcc(), dot->lhs, dot->rhs});
    return success();
  }
};

struct CpuBf16DotProducts : PassWrapper<CpuBf16DotProducts, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CpuBf16DotProducts)
  CpuBf16DotProducts() = default;
  CpuBf16DotProducts(const CpuBf16DotProducts &other) : PassWrapper(other) {}
  explicit CpuBf16DotProducts(bool useNative) { native = useNative; }
  StringRef getArgument() const override { return "moe-cpu-bf16-dot-products"; }
  StringRef getDescription() const override {
    return "The bf16 pair dot products of moe-cpu-bf16-dot as AVX512-BF16 vdpbf16ps "
           "(avx512bf16=true), else as f32 multiplies and adds; after bufferization, "
           "which refuses the intrinsic call";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<LLVM::LLVMDialect, vector::VectorDialect>();
  }
  Option<bool> native{*this, "avx512bf16",
                      llvm::cl::desc("Use vdpbf16ps (the target CPU must have AVX512-BF16)"),
                      llvm::cl::init(false)};

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    if (native)
      patterns.add<DotToVdpbf16ps>(&getContext());
    else
      // [16, n] transposed to n rows of 16 lanes, added lane by lane.
      vector::populateVectorMultiReductionLoweringPatterns(
          patterns, vector::VectorMultiReductionLowering::InnerParallel);
    auto isDot = [](vector::MultiDimReductionOp op) {
      return moe::matchBf16DotProduct(op).has_value();
    };
    if (failed(moe::rewriteDotProducts(getOperation(), isDot, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

std::unique_ptr<Pass> moe::createCpuBf16DotPass() { return std::make_unique<CpuBf16Dot>(); }

void moe::registerCpuBf16DotPass() { PassRegistration<CpuBf16Dot>(); }

std::unique_ptr<Pass> moe::createCpuBf16DotProductsPass(bool avx512bf16) {
  return std::make_unique<CpuBf16DotProducts>(avx512bf16);
}

void moe::registerCpuBf16DotProductsPass() { PassRegistration<CpuBf16DotProducts>(); }

std::optional<moe::Bf16DotOperands> moe::matchBf16DotProduct(vector::MultiDimReductionOp op) {
  Type f32 = Float32Type::get(op.getContext());
  if (op.getKind() != vector::CombiningKind::ADD ||
      op.getSourceVectorType() != VectorType::get({16, 2}, f32) ||
      op.getReductionDims() != ArrayRef<int64_t>{1})
    return std::nullopt;
  auto cast = op.getSource().getDefiningOp<vector::ShapeCastOp>();
  auto mul = cast ? cast.getSource().getDefiningOp<arith::MulFOp>() : arith::MulFOp();
  if (!mul)
    return std::nullopt;
  auto pairsOf = [&](Value v) -> Value {
    auto ext = v.getDefiningOp<arith::ExtFOp>();
    if (!ext || ext.getIn().getType() != VectorType::get({32}, BFloat16Type::get(op.getContext())))
      return {};
    return ext.getIn();
  };
  Value lhs = pairsOf(mul.getLhs()), rhs = pairsOf(mul.getRhs());
  if (!lhs || !rhs)
    return std::nullopt;
  return Bf16DotOperands{lhs, rhs};
}
