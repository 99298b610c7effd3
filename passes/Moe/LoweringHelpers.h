//===- LoweringHelpers.h - Shared by the moe-to-linalg lowerings -*- C++ -*-===//
//
// The lowerings of norms, rotary, attention and routing compute f16/bf16 in
// f32 and round once at the end, as ONNX's reference does (stash_type 1),
// and give each result the type the op promised.
//
//===----------------------------------------------------------------------===//

#ifndef MOE_PASSES_MOE_LOWERINGHELPERS_H
#define MOE_PASSES_MOE_LOWERINGHELPERS_H

#include "moe/Support/ConstantBytes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

#include <optional>
#include <vector>

namespace mlir::moe {

/// The float type computations on `element` use: f32 for narrower floats.
inline Type computeTypeFor(OpBuilder &b, Type element) {
  return element.getIntOrFloatBitWidth() < 32 ? b.getF32Type() : element;
}

/// `v` extended or truncated to the float type `to` (itself when it is).
inline Value convertFloat(OpBuilder &b, Location loc, Value v, Type to) {
  Type from = v.getType();
  if (from == to)
    return v;
  if (to.getIntOrFloatBitWidth() > from.getIntOrFloatBitWidth())
    return arith::ExtFOp::create(b, loc, to, v);
  return arith::TruncFOp::create(b, loc, to, v);
}

/// `v` with the type `type` the op promised (the computed one may know
/// fewer dims).
inline Value castTo(OpBuilder &b, Location loc, Value v, Type type) {
  return v.getType() == type ? v : Value(tensor::CastOp::create(b, loc, type, v));
}

/// A tensor of `sizes` filled with `value`.
inline Value filled(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes, Value value) {
  Value empty = tensor::EmptyOp::create(b, loc, sizes, value.getType());
  return linalg::FillOp::create(b, loc, value, empty).getResult(0);
}

/// The weight B [K, N] of a matmul generic C[..., n] = sum_k A[..., k] *
/// B[k, n] accumulated from a zero fill (what ONNX MatMul/Gemm by a 2-d
/// weight become), or null.
inline Value matmulWeightOf(linalg::GenericOp generic) {
  if (generic.getNumDpsInputs() != 2 || generic.getNumDpsInits() != 1 ||
      generic.getNumReductionLoops() != 1 || generic.getNumLoops() < 2 ||
      !generic.hasPureTensorSemantics())
    return {};
  auto fill = generic.getDpsInits()[0].getDefiningOp<linalg::FillOp>();
  if (!fill || !matchPattern(fill.getInputs()[0], m_AnyZeroFloat()))
    return {};
  Value b = generic.getDpsInputs()[1];
  auto bType = dyn_cast<RankedTensorType>(b.getType());
  if (!bType || bType.getRank() != 2)
    return {};
  MLIRContext *ctx = generic.getContext();
  unsigned loops = generic.getNumLoops();
  SmallVector<AffineExpr> aExprs, cExprs;
  for (unsigned i = 0; i + 2 < loops; ++i) {
    aExprs.push_back(getAffineDimExpr(i, ctx));
    cExprs.push_back(getAffineDimExpr(i, ctx));
  }
  AffineExpr n = getAffineDimExpr(loops - 2, ctx), k = getAffineDimExpr(loops - 1, ctx);
  aExprs.push_back(k);
  cExprs.push_back(n);
  SmallVector<AffineMap> expected = {AffineMap::get(loops, 0, aExprs, ctx),
                                     AffineMap::get(loops, 0, {k, n}, ctx),
                                     AffineMap::get(loops, 0, cExprs, ctx)};
  if (generic.getIndexingMapsArray() != expected ||
      !linalg::detail::isContractionBody(
          generic.getRegion().front(), [](Operation *first, Operation *second) {
            return (isa<arith::MulFOp>(first) && isa<arith::AddFOp>(second)) ||
                   (isa<arith::AddFOp>(first) && isa<arith::MulFOp>(second));
          }))
    return {};
  return b;
}

/// The weight of a matmul generic of f32 activations when it is a static
/// f32 constant (what quantization and weight packing can rewrite), or null.
inline Value constantMatmulWeightOf(linalg::GenericOp generic) {
  Value b = matmulWeightOf(generic);
  auto bType = b ? dyn_cast<RankedTensorType>(b.getType()) : RankedTensorType();
  auto aType = b ? dyn_cast<RankedTensorType>(generic.getDpsInputs()[0].getType())
                 : RankedTensorType();
  if (!bType || !aType || !bType.hasStaticShape() || !bType.getElementType().isF32() ||
      !aType.getElementType().isF32() || !matchPattern(b, m_Constant()))
    return {};
  return b;
}

/// An integer of `type` widened to float `to` (unsigned types zero-extend).
inline Value intToFloat(OpBuilder &b, Location loc, Value v, Type storage, Type to) {
  return cast<IntegerType>(storage).isUnsigned()
             ? Value(arith::UIToFPOp::create(b, loc, to, v))
             : Value(arith::SIToFPOp::create(b, loc, to, v));
}

/// The signless form of an integer type, which arith takes.
inline Type signlessOf(Type type) {
  return IntegerType::get(type.getContext(), type.getIntOrFloatBitWidth());
}

/// A tensor of unsigned (or signed) integers seen as signless.
inline Value asSignless(OpBuilder &b, Location loc, Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  Type element = type.getElementType();
  if (element.isSignlessInteger())
    return v;
  return tensor::BitcastOp::create(b, loc, type.clone(signlessOf(element)), v);
}

/// Weights [.., M, K] (a linear layer's out x in, one or a stack of
/// experts') as [.., K, M], so that each product is a plain (rows x K) @
/// (K x M) matmul the targets tile: transposed at compile time when they
/// are constants, else by a linalg.transpose.
inline Value kMajorWeights(OpBuilder &b, Location loc, Value rhs) {
  auto type = cast<RankedTensorType>(rhs.getType());
  int64_t rank = type.getRank();
  SmallVector<int64_t> shape(type.getShape());
  std::swap(shape[rank - 1], shape[rank - 2]);
  auto transposedType = type.clone(shape);
  unsigned width = type.getElementTypeBitWidth() / 8;
  if (type.hasStaticShape() && width > 0 && type.getElementTypeBitWidth() % 8 == 0)
    if (std::optional<std::vector<char>> bytes = constantRawBytes(rhs))
      if (bytes->size() == size_t(type.getNumElements()) * width) {
        int64_t rows = shape[rank - 1], cols = shape[rank - 2];
        return bytesConstant(b, loc, transposedType,
                             transposeMatrixBytes(*bytes, type.getNumElements() / (rows * cols),
                                                  rows, cols, width),
                             "moe_weights_kmajor");
      }
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, rhs);
  std::swap(sizes[rank - 1], sizes[rank - 2]);
  Value init = tensor::EmptyOp::create(b, loc, sizes, type.getElementType());
  SmallVector<int64_t> permutation = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  std::swap(permutation[rank - 1], permutation[rank - 2]);
  return linalg::TransposeOp::create(b, loc, rhs, init, permutation).getResult()[0];
}

/// A linalg.generic with one result of `init`'s type; `body` yields.
inline Value generic(OpBuilder &b, Location loc, Value init, ValueRange ins,
                     ArrayRef<AffineMap> maps, ArrayRef<utils::IteratorType> iterators,
                     function_ref<void(OpBuilder &, Location, ValueRange)> body) {
  return linalg::GenericOp::create(b, loc, init.getType(), ins, init, maps, iterators, body)
      .getResult(0);
}

/// C[m, n] += A[m, k] B[k, n] in f32 as the matmul generic the CPU backend
/// tiles, into `init` (zeros, or what C already holds).
inline Value matmulInto(OpBuilder &b, Location loc, Value lhs, Value rhs, Value init) {
  MLIRContext *ctx = b.getContext();
  AffineExpr i = getAffineDimExpr(0, ctx), j = getAffineDimExpr(1, ctx),
             k = getAffineDimExpr(2, ctx);
  return generic(b, loc, init, ValueRange{lhs, rhs},
                 {AffineMap::get(3, 0, {i, k}, ctx), AffineMap::get(3, 0, {k, j}, ctx),
                  AffineMap::get(3, 0, {i, j}, ctx)},
                 {utils::IteratorType::parallel, utils::IteratorType::parallel,
                  utils::IteratorType::reduction},
                 [](OpBuilder &nb, Location l, ValueRange args) {
                   Value p = arith::MulFOp::create(nb, l, args[0], args[1]);
                   linalg::YieldOp::create(nb, l, Value(arith::AddFOp::create(nb, l, args[2], p)));
                 });
}

/// Matrix `index` of a stack [stack, ...] (one expert's weights, say), as
/// a rank-reduced slice.
inline Value matrixOf(OpBuilder &b, Location loc, Value stacked, OpFoldResult index) {
  auto type = cast<RankedTensorType>(stacked.getType());
  SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
  offsets[0] = index;
  SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1)};
  for (int64_t d : type.getShape().drop_front())
    sizes.push_back(b.getIndexAttr(d));
  SmallVector<OpFoldResult> strides(type.getRank(), b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(
      b, loc, RankedTensorType::get(type.getShape().drop_front(), type.getElementType()),
      stacked, offsets, sizes, strides);
}

/// The keys (or values) of a KV cache: `past` [B, H, P, D] followed by
/// `next` [B, H, S, D] along the sequence.
Value concatSeq(OpBuilder &b, Location loc, Value past, Value next);

/// `result[..., n] + bias[n]` as one elementwise linalg.generic.
Value addBias(OpBuilder &b, Location loc, Value result, Value bias);

/// 4-bit values (a byte each, low bits) two to a byte, low nibble first.
std::vector<char> packNibbles(ArrayRef<char> values);

/// The low and high nibbles of an i8 `byte` as i8 values, sign-extended
/// unless `isUnsigned`.
std::pair<Value, Value> unpackNibbles(OpBuilder &b, Location loc, Value byte,
                                      bool isUnsigned);

/// The nibble of `byte` that holds element `index` of a packed dim (the
/// low one for even indices).
Value unpackNibble(OpBuilder &b, Location loc, Value byte, Value index, bool isUnsigned);

/// A constant 4-bit tensor [..., K] (K even) kept packed: bytes [..., K/2]
/// and the map from the tensor's loops to the byte holding each element.
struct PackedInt4 {
  Value bytes;
  AffineMap map;
};
std::optional<PackedInt4> packInt4Constant(OpBuilder &b, Location loc, Value value);

/// A constant 4-bit tensor as 8-bit integers of the same values and
/// signedness (`value` itself when not 4-bit; null when not a constant).
Value widenInt4Constant(OpBuilder &b, Location loc, Value value);

/// moe.qmatmul over constant int4 weights with the weights kept packed
/// (LowerPackedQMatmul.cpp); preferred over the generic lowering.
/// `weightTiles` (the CPU): run-time rows of 8 or more multiply float
/// weights dequantized from the bytes, a panel at a time.
void populateLowerPackedQMatmulPatterns(RewritePatternSet &patterns, bool weightTiles = false);

} // namespace mlir::moe

#endif // MOE_PASSES_MOE_LOWERINGHELPERS_H
