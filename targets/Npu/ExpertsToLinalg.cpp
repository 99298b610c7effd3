//===- ExpertsToLinalg.cpp - moe.route + moe.experts as NPU-ready linalg --===//
//
// A routed MoE layer does work only for the experts each token chose. An
// NPU program is one instruction stream, but its scalar unit can read a
// count and predicate work on it (npu.when) and offset a view by a
// register, so the layer becomes:
//  - the router on the vector unit: scores, then k rounds of the row's best
//    unpicked score (the lowest expert index among ties, as top-k does), its
//    expert index and weight;
//  - the rows grouped by expert on the cube: with M[t, e] = 1 where token t
//    chose e, a strictly lower-triangular matrix of ones times M gives each
//    token's rank among the tokens of its expert, a row of ones the counts,
//    and the counts times a strictly upper-triangular matrix each expert's
//    first row; a token's j-th choice goes to row first[e] + rank[t, e];
//  - each token's row copied to its rows (the scalar unit reads the
//    positions), then per expert and slot of R rows an scf.if on
//    count - slot * R > 0 (an npu.when after lowering) that runs the FFN on
//    those R rows: an expert no token chose costs its instructions' issue,
//    not their work; rows of a slot past the expert's count belong to the
//    next expert and are overwritten when its slots run, in program order;
//  - the outputs gathered back per token and summed weighted.
// Above 2048 tokens (f16's exact integers bound the counts), and with
// --npu-dense-experts (for comparison), the layer is computed densely
// instead: a [tokens, experts] gate and every expert over every token.
//
//===----------------------------------------------------------------------===//

#include "NpuKernels.h"
#include "moe/Dialect/Moe/MoeOps.h"
#include "moe/Support/ConstantBytes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

#include <map>

using namespace mlir;
using namespace mlir::npu;

namespace {

/// Small builders of the linalg ops the NPU lowers.
struct Dense {
  OpBuilder &b;
  Location loc;

  AffineMap all() { return b.getMultiDimIdentityMap(2); }
  AffineMap row() { // [T] or [T, 1] read along a [T, N] space
    return AffineMap::get(2, 0, {b.getAffineDimExpr(0)}, b.getContext());
  }
  AffineMap col() { // [N] read along a [T, N] space
    return AffineMap::get(2, 0, {b.getAffineDimExpr(1)}, b.getContext());
  }
  AffineMap rowOfColumn() { // a [T, 1] slice read along a [T, N] space
    return AffineMap::get(2, 0, {b.getAffineDimExpr(0), b.getAffineConstantExpr(0)},
                          b.getContext());
  }

  /// out[t, n] = body(ins...) over a [T, N] space.
  Value map(ArrayRef<int64_t> shape, Type element, ArrayRef<std::pair<Value, AffineMap>> ins,
            function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
    SmallVector<Value> values;
    SmallVector<AffineMap> maps;
    for (auto [v, m] : ins) {
      values.push_back(v);
      maps.push_back(m);
    }
    maps.push_back(all());
    Value empty = tensor::EmptyOp::create(b, loc, shape, element);
    SmallVector<utils::IteratorType> iterators(2, utils::IteratorType::parallel);
    return linalg::GenericOp::create(b, loc, empty.getType(), values, empty, maps, iterators,
                                     [&](OpBuilder &nb, Location nl, ValueRange args) {
                                       linalg::YieldOp::create(nb, nl,
                                                               body(nb, nl, args.drop_back()));
                                     })
        .getResult(0);
  }

  /// The row max or sum of an f32 [T, N]: [T].
  Value reduce(Value x, bool max) {
    auto type = cast<RankedTensorType>(x.getType());
    Type f32 = b.getF32Type();
    Value init = arith::ConstantOp::create(
        b, loc, f32, b.getF32FloatAttr(max ? -std::numeric_limits<float>::infinity() : 0.0f));
    Value empty = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{type.getDimSize(0)}, f32);
    Value fill = linalg::FillOp::create(b, loc, init, empty).getResult(0);
    SmallVector<utils::IteratorType> iterators = {utils::IteratorType::parallel,
                                                  utils::IteratorType::reduction};
    return linalg::GenericOp::create(
               b, loc, fill.getType(), x, fill, ArrayRef<AffineMap>{all(), row()}, iterators,
               [&](OpBuilder &nb, Location nl, ValueRange args) {
                 Value r = max ? arith::MaximumFOp::create(nb, nl, args[1], args[0]).getResult()
                               : arith::AddFOp::create(nb, nl, args[1], args[0]).getResult();
                 linalg::YieldOp::create(nb, nl, r);
               })
        .getResult(0);
  }

  Value f32(OpBuilder &nb, Location nl, Value v) {
    return v.getType().isF32() ? v : arith::ExtFOp::create(nb, nl, nb.getF32Type(), v);
  }
  Value constant(OpBuilder &nb, Location nl, double v) {
    return arith::ConstantOp::create(nb, nl, nb.getF32Type(), nb.getF32FloatAttr(float(v)));
  }

  /// 1 + exp(-x): the denominator of sigmoid and SiLU.
  Value sigmoidDenominator(OpBuilder &nb, Location nl, Value x) {
    return arith::AddFOp::create(
        nb, nl, constant(nb, nl, 1.0),
        math::ExpOp::create(nb, nl, arith::NegFOp::create(nb, nl, x)));
  }

  AffineMap firstRow() { // a [1, N] read along a [T, N] space
    return AffineMap::get(2, 0, {b.getAffineConstantExpr(0), b.getAffineDimExpr(1)},
                          b.getContext());
  }

  /// out[t] = body(ins...) over [T], every input [T].
  Value map1(int64_t n, Type element, ArrayRef<Value> ins,
             function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
    SmallVector<AffineMap> maps(ins.size() + 1, b.getMultiDimIdentityMap(1));
    Value empty = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{n}, element);
    return linalg::GenericOp::create(b, loc, empty.getType(), ins, empty, maps,
                                     ArrayRef<utils::IteratorType>{utils::IteratorType::parallel},
                                     [&](OpBuilder &nb, Location nl, ValueRange args) {
                                       linalg::YieldOp::create(nb, nl,
                                                               body(nb, nl, args.drop_back()));
                                     })
        .getResult(0);
  }

  /// A float constant tensor of `element` type.
  Value constantTensor(ArrayRef<int64_t> shape, Type element, ArrayRef<float> values) {
    SmallVector<APFloat> converted;
    converted.reserve(values.size());
    for (float v : values) {
      APFloat f(v);
      bool lost;
      f.convert(cast<FloatType>(element).getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
      converted.push_back(f);
    }
    auto type = RankedTensorType::get(shape, element);
    return arith::ConstantOp::create(b, loc, type, DenseElementsAttr::get(type, converted));
  }

  /// 1.0 where the expert index `e` (a float) equals `chosen`, else 0.
  Value equalMask(OpBuilder &nb, Location nl, Value e, Value chosen) {
    Value ge = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGE, e, chosen);
    Value le = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGE, chosen, e);
    Value zero = constant(nb, nl, 0.0);
    Value inner = arith::SelectOp::create(nb, nl, le, constant(nb, nl, 1.0), zero);
    return arith::SelectOp::create(nb, nl, ge, inner, zero);
  }

  /// Minus the lowest column among each row's maxima of x [R, N] ([R]):
  /// the max of -column over the maxima. `negIota` [N] holds -column;
  /// -N, not -inf, marks the others (the vector unit selects by
  /// b + mask * (a - b), exact for small values).
  Value negFirstMax(Value x, Value negIota) {
    auto type = cast<RankedTensorType>(x.getType());
    int64_t n = type.getDimSize(1);
    Value best = reduce(x, /*max=*/true);
    Value candidate = map(type.getShape(), type.getElementType(),
                          {{x, all()}, {best, row()}, {negIota, col()}},
                          [&](OpBuilder &nb, Location nl, ValueRange a) {
                            Value top = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGE,
                                                              a[0], a[1]);
                            return arith::SelectOp::create(nb, nl, top, a[2],
                                                           constant(nb, nl, -double(n)));
                          });
    return reduce(candidate, /*max=*/true);
  }

  /// x [R, N] with the column `negChosen` [R] (minus a column) of each row
  /// set to -1e30 (out of the next round's max).
  Value without(Value x, Value negIota, Value negChosen) {
    auto type = cast<RankedTensorType>(x.getType());
    return map(type.getShape(), type.getElementType(),
               {{x, all()}, {negIota, col()}, {negChosen, row()}},
               [&](OpBuilder &nb, Location nl, ValueRange a) {
                 Value chosen = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGT,
                                                      equalMask(nb, nl, a[1], a[2]),
                                                      constant(nb, nl, 0.5));
                 // The sentinel on the true side: x + mask * (-1e30 - x) keeps x
                 // exactly where the mask is 0.
                 return arith::SelectOp::create(nb, nl, chosen, constant(nb, nl, -1e30), a[0]);
               });
  }

  /// [-0, -1, ..., -(n-1)] as f32.
  Value negIota(int64_t n) {
    SmallVector<float> values;
    for (int64_t i = 0; i < n; ++i)
      values.push_back(-float(i));
    return constantTensor({n}, b.getF32Type(), values);
  }

  /// The float v rounded to an i32 (v holds an integer).
  Value toInt(OpBuilder &nb, Location nl, Value v) {
    return arith::FPToSIOp::create(nb, nl, nb.getI32Type(), math::RoundEvenOp::create(nb, nl, v));
  }
};

/// Matrix `e` of a constant stack [E, R, C], transposed to [C, R] (a linear
/// layer's out x in weight as the [in, out] matmul operand), or row `e` of
/// a constant [E, C] (a bias) when `transpose` is false.
/// The bytes of constant stacks, read once per layer: each expert's slice
/// would otherwise copy the whole stack (64 experts: 64 copies of it).
class StackBytes {
public:
  explicit StackBytes(Block *entry) : entry(entry) {}

  /// The constant `make` builds for (stack, e, kind), built once, at the
  /// function's start: an expert's slots all use one copy of its weights.
  Value once(OpBuilder &b, Value stack, int64_t e, int kind, function_ref<Value()> make) {
    auto key = std::make_tuple(stack.getAsOpaquePointer(), e, kind);
    auto it = built.find(key);
    if (it != built.end())
      return it->second;
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(entry);
    Value v = make();
    built[key] = v;
    return v;
  }

  const std::optional<std::vector<char>> &raw(Value v) { return get(v, false); }
  /// Sub-byte elements one per byte.
  const std::optional<std::vector<char>> &unpacked(Value v) { return get(v, true); }

private:
  const std::optional<std::vector<char>> &get(Value v, bool unpack) {
    auto key = std::make_pair(v.getAsOpaquePointer(), unpack);
    auto it = cache.find(key);
    if (it == cache.end())
      it = cache.try_emplace(key, unpack ? moe::constantBytes(v) : moe::constantRawBytes(v))
               .first;
    return it->second;
  }
  std::map<std::pair<const void *, bool>, std::optional<std::vector<char>>> cache;
  std::map<std::tuple<const void *, int64_t, int>, Value> built;
  Block *entry;
};

FailureOr<Value> slice(OpBuilder &b, Location loc, StackBytes &stacks, Value stack, int64_t e,
                       bool transpose,
                       Operation *where) {
  const std::optional<std::vector<char>> &bytes = stacks.raw(stack);
  auto type = cast<RankedTensorType>(stack.getType());
  if (!bytes)
    return where->emitError() << nodeOf(where)
                              << "the NPU computes experts whose weights are constants";
  unsigned width = type.getElementTypeBitWidth() / 8;
  int64_t per = type.getNumElements() / type.getDimSize(0);
  ArrayRef<char> one(bytes->data() + e * per * width, per * width);
  return stacks.once(b, stack, e, transpose, [&]() -> Value {
    if (!transpose)
      return moe::bytesConstant(b, loc, RankedTensorType::get({per}, type.getElementType()), one,
                                "npu_expert_bias");
    int64_t rows = type.getDimSize(1), cols = type.getDimSize(2);
    std::vector<char> t = moe::transposeMatrixBytes(one, 1, rows, cols, width);
    return moe::bytesConstant(b, loc, RankedTensorType::get({cols, rows}, type.getElementType()),
                              t, "npu_expert_weight");
  });
}

/// Matrix `e` of a constant stack [E, R, C] (any element type, a byte per
/// element up to 8 bits) as its own constant [R, C].
std::optional<Value> matrixConstant(OpBuilder &b, Location loc, StackBytes &stacks, Value stack,
                                    Type type, int64_t e) {
  auto full = cast<RankedTensorType>(stack.getType());
  const std::optional<std::vector<char>> &bytes =
      type.getIntOrFloatBitWidth() < 8 ? stacks.unpacked(throughReshapes(stack))
                                       : stacks.raw(throughReshapes(stack));
  int64_t per = full.getNumElements() / full.getDimSize(0);
  int64_t width = std::max<int64_t>(type.getIntOrFloatBitWidth() / 8, 1);
  if (!bytes || static_cast<int64_t>(bytes->size()) != full.getNumElements() * width)
    return std::nullopt;
  return stacks.once(b, stack, e, /*kind=*/2, [&]() -> Value {
    return moe::bytesConstant(
        b, loc, RankedTensorType::get({full.getDimSize(1), full.getDimSize(2)}, type),
        ArrayRef<char>(bytes->data() + e * per * width, per * width), "npu_expert_qweight");
  });
}

/// x times expert e's weights of `stack` [E, N, K] (out x in). Dequantized
/// from constant integers (QMoE), a moe.qmatmul over the expert's integers,
/// which rewriteQMatmulsForCube dequantizes on the vector unit per call;
/// else the float matmul of the transposed constant.
FailureOr<Value> expertProduct(OpBuilder &b, Location loc, StackBytes &stacks, Value x,
                               Value stack, int64_t e,
                               Operation *where) {
  if (auto dq = stack.getDefiningOp<moe::DequantizeOp>()) {
    auto qType = cast<RankedTensorType>(dq.getInput().getType());
    auto sType = cast<RankedTensorType>(dq.getScale().getType());
    std::optional<Value> w, scale, zp;
    if (dq.getAxis() == std::optional<uint64_t>(2) && qType.hasStaticShape() &&
        sType.hasStaticShape() && sType.getRank() == 3) {
      w = matrixConstant(b, loc, stacks, dq.getInput(), qType.getElementType(), e);
      scale = matrixConstant(b, loc, stacks, dq.getScale(), sType.getElementType(), e);
      if (Value z = dq.getZeroPoint())
        zp = matrixConstant(b, loc, stacks, z, cast<ShapedType>(z.getType()).getElementType(), e);
    }
    if (!w || !scale || (dq.getZeroPoint() && !zp))
      return where->emitError()
             << nodeOf(where)
             << "the NPU computes quantized experts whose integers, scales and zero points "
                "are constants, one scale per group of the input dim";
    int64_t k = qType.getDimSize(2), groups = sType.getDimSize(2);
    return moe::QMatmulOp::create(b, loc, x, *w, *scale, zp ? *zp : Value(), Value(),
                                  b.getI64IntegerAttr(k / groups))
        .getResult();
  }
  FailureOr<Value> w = slice(b, loc, stacks, stack, e, true, where);
  if (failed(w))
    return failure();
  return buildMatmul(b, loc, x, *w);
}

/// A 2-d [R, C] constant transposed (shared experts' out x in weights).
FailureOr<Value> transposed2d(OpBuilder &b, Location loc, Value w, Operation *where) {
  auto type = cast<RankedTensorType>(w.getType());
  std::optional<std::vector<char>> bytes = moe::constantRawBytes(w);
  if (!bytes)
    return where->emitError() << nodeOf(where)
                              << "the NPU computes shared experts whose weights are constants";
  unsigned width = type.getElementTypeBitWidth() / 8;
  std::vector<char> t =
      moe::transposeMatrixBytes(*bytes, 1, type.getDimSize(0), type.getDimSize(1), width);
  return moe::bytesConstant(
      b, loc,
      RankedTensorType::get({type.getDimSize(1), type.getDimSize(0)}, type.getElementType()), t,
      "npu_shared_weight");
}

/// Group-limited routing (DeepSeek): the selection scores `select` [T, E]
/// with the experts of each token's groups not among its `topk_group` best
/// replaced by the route's outside score. A group scores by its best expert
/// or the sum of its two best, on the vector unit as rows [T * G, E / G].
Value limitToGroups(Dense &d, moe::RouteOp route, Value select) {
  OpBuilder &b = d.b;
  Location loc = d.loc;
  auto type = cast<RankedTensorType>(select.getType());
  Type f32 = b.getF32Type();
  int64_t T = type.getDimSize(0), E = type.getDimSize(1), G = route.getNGroup(), P = E / G;
  auto grouped = RankedTensorType::get({T, G, P}, f32);
  Value expanded = tensor::ExpandShapeOp::create(b, loc, grouped, select,
                                                 SmallVector<ReassociationIndices>{{0}, {1, 2}});
  Value rows = tensor::CollapseShapeOp::create(b, loc, expanded,
                                               SmallVector<ReassociationIndices>{{0, 1}, {2}});
  Value score = d.reduce(rows, /*max=*/true);
  if (route.getGroupScore() == moe::GroupScore::SumTop2) {
    Value negIotaP = d.negIota(P);
    Value second = d.reduce(d.without(rows, negIotaP, d.negFirstMax(rows, negIotaP)),
                            /*max=*/true);
    score = d.map1(T * G, f32, {score, second}, [&](OpBuilder &nb, Location nl, ValueRange a) {
      return arith::AddFOp::create(nb, nl, a[0], a[1]);
    });
  }
  Value gsel = tensor::ExpandShapeOp::create(b, loc, RankedTensorType::get({T, G}, f32), score,
                                             SmallVector<ReassociationIndices>{{0, 1}});
  Value negIotaG = d.negIota(G);
  Value kept;
  for (int64_t r = 0; r < int64_t(route.getTopkGroup()); ++r) {
    Value negChosen = d.negFirstMax(gsel, negIotaG);
    SmallVector<std::pair<Value, AffineMap>> ins = {{negIotaG, d.col()}, {negChosen, d.row()}};
    if (kept)
      ins.push_back({kept, d.all()});
    kept = d.map({T, G}, f32, ins, [&](OpBuilder &nb, Location nl, ValueRange a) {
      Value m = d.equalMask(nb, nl, a[0], a[1]);
      return a.size() > 2 ? arith::AddFOp::create(nb, nl, a[2], m).getResult() : m;
    });
    if (r + 1 < int64_t(route.getTopkGroup()))
      gsel = d.without(gsel, negIotaG, negChosen);
  }
  // -inf as -1e30: the vector unit's select computes b + mask * (a - b).
  double outside = std::max(route.getOutsideGroupScore().convertToDouble(), -1e30);
  MLIRContext *ctx = b.getContext();
  AffineMap id3 = b.getMultiDimIdentityMap(3);
  AffineMap perGroup = AffineMap::get(3, 0, {b.getAffineDimExpr(0), b.getAffineDimExpr(1)}, ctx);
  Value empty = tensor::EmptyOp::create(b, loc, grouped.getShape(), f32);
  SmallVector<utils::IteratorType> iterators(3, utils::IteratorType::parallel);
  Value limited = linalg::GenericOp::create(
                      b, loc, grouped, ValueRange{expanded, kept}, empty,
                      ArrayRef<AffineMap>{id3, perGroup, id3}, iterators,
                      [&](OpBuilder &nb, Location nl, ValueRange a) {
                        Value out = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OLT,
                                                          a[1], d.constant(nb, nl, 0.5));
                        linalg::YieldOp::create(
                            nb, nl,
                            arith::SelectOp::create(nb, nl, out, d.constant(nb, nl, outside),
                                                    a[0])
                                .getResult());
                      })
                      .getResult(0);
  return tensor::CollapseShapeOp::create(b, loc, limited,
                                         SmallVector<ReassociationIndices>{{0}, {1, 2}});
}

/// The routed experts over only their tokens (the file's header says how):
/// `negChoice[j]` [T] is minus the expert of each token's j-th choice,
/// `weight[j]` its weight; `ffn(x, e)` builds expert e's FFN of rows x.
/// Returns the weighted sum [T, H] in f32.
FailureOr<Value> droplessExperts(Dense &d, moe::ExpertsOp op, ArrayRef<Value> negChoice,
                                 ArrayRef<Value> weight, int64_t E,
                                 function_ref<FailureOr<Value>(Value, int64_t)> ffn) {
  OpBuilder &b = d.b;
  Location loc = d.loc;
  Value tokens = op.getTokens();
  auto tokensType = cast<RankedTensorType>(tokens.getType());
  int64_t T = tokensType.getDimSize(0), H = tokensType.getDimSize(1);
  int64_t K = int64_t(negChoice.size());
  Type f32 = b.getF32Type(), f16 = b.getF16Type(), i32 = b.getI32Type();
  // Experts padded to a fractal: the choices matrix is the cube's B.
  int64_t Ep = (E + 15) / 16 * 16;
  Value negIota = d.negIota(Ep);
  auto chose = [&](OpBuilder &nb, Location nl, ValueRange a, size_t first) {
    Value sum;
    for (int64_t j = 0; j < K; ++j) {
      Value m = d.equalMask(nb, nl, a[0], a[first + j]);
      sum = sum ? arith::AddFOp::create(nb, nl, sum, m).getResult() : m;
    }
    return sum;
  };
  SmallVector<std::pair<Value, AffineMap>> ins = {{negIota, d.col()}};
  for (Value c : negChoice)
    ins.push_back({c, d.row()});
  Value chosen = d.map({T, Ep}, f16, ins, [&](OpBuilder &nb, Location nl, ValueRange a) {
    return arith::TruncFOp::create(nb, nl, nb.getF16Type(), chose(nb, nl, a, 1));
  });
  // Rank of each token among its expert's (strictly lower-triangular ones),
  // and in the extra row the counts.
  std::vector<float> lower((T + 1) * T, 0.0f), upper(Ep * Ep, 0.0f);
  for (int64_t i = 0; i <= T; ++i)
    for (int64_t t = 0; t < std::min(i, T); ++t)
      lower[i * T + t] = 1.0f;
  for (int64_t i = 0; i < Ep; ++i)
    for (int64_t e = i + 1; e < Ep; ++e)
      upper[i * Ep + e] = 1.0f;
  Value ranks = buildMatmul(b, loc, d.constantTensor({T + 1, T}, f16, lower), chosen);
  auto rowsOf = [&](Value v, int64_t from, int64_t count, int64_t cols) {
    SmallVector<OpFoldResult> offsets = {b.getIndexAttr(from), b.getIndexAttr(0)},
                              sizes = {b.getIndexAttr(count), b.getIndexAttr(cols)},
                              strides = {b.getIndexAttr(1), b.getIndexAttr(1)};
    return tensor::ExtractSliceOp::create(b, loc, v, offsets, sizes, strides).getResult();
  };
  Value counts = rowsOf(ranks, T, 1, Ep);
  Value countsF16 =
      d.map({1, Ep}, f16, {{counts, d.all()}}, [&](OpBuilder &nb, Location nl, ValueRange a) {
        return arith::TruncFOp::create(nb, nl, nb.getF16Type(), a[0]);
      });
  Value firsts = buildMatmul(b, loc, countsF16, d.constantTensor({Ep, Ep}, f16, upper));
  auto asInt = [&](Value v) {
    return d.map({1, Ep}, i32, {{v, d.all()}},
                 [&](OpBuilder &nb, Location nl, ValueRange a) { return d.toInt(nb, nl, a[0]); });
  };
  Value countsInt = asInt(counts), firstsInt = asInt(firsts);
  Value rank = rowsOf(ranks, 0, T, Ep);
  // Row of each token's j-th choice: first[e] + rank[t, e] at its expert.
  SmallVector<Value> rows;
  for (int64_t j = 0; j < K; ++j) {
    Value at = d.reduce(
        d.map(
            {T, Ep}, f32,
            {{negIota, d.col()}, {negChoice[j], d.row()}, {rank, d.all()}, {firsts, d.firstRow()}},
            [&](OpBuilder &nb, Location nl, ValueRange a) {
              Value row = arith::AddFOp::create(nb, nl, a[2], a[3]);
              return arith::MulFOp::create(nb, nl, row, d.equalMask(nb, nl, a[0], a[1]));
            }),
        /*max=*/false);
    rows.push_back(d.map1(T, i32, {at}, [&](OpBuilder &nb, Location nl, ValueRange a) {
      return d.toInt(nb, nl, a[0]);
    }));
  }
  auto read = [&](Value t, ArrayRef<int64_t> at) -> Value {
    SmallVector<Value> idx;
    for (int64_t i : at)
      idx.push_back(arith::ConstantIndexOp::create(b, loc, i));
    Value v = tensor::ExtractOp::create(b, loc, t, idx);
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
  };
  auto place = [&](Value dest, Value piece, Value row, int64_t count) {
    SmallVector<OpFoldResult> offsets = {row, b.getIndexAttr(0)},
                              sizes = {b.getIndexAttr(count), b.getIndexAttr(H)},
                              strides = {b.getIndexAttr(1), b.getIndexAttr(1)};
    return tensor::InsertSliceOp::create(b, loc, piece, dest, offsets, sizes, strides).getResult();
  };
  auto take = [&](Value src, Value row, int64_t count) {
    SmallVector<OpFoldResult> offsets = {row, b.getIndexAttr(0)},
                              sizes = {b.getIndexAttr(count), b.getIndexAttr(H)},
                              strides = {b.getIndexAttr(1), b.getIndexAttr(1)};
    return tensor::ExtractSliceOp::create(b, loc, src, offsets, sizes, strides).getResult();
  };
  // Slots of R rows: an expert may get every token, so ceil(T / R) each.
  // Sized for an expert's expected rows, T K / E, and half as many again:
  // a slot streams the expert's weights once and computes all its rows
  // (padding included), so bigger slots waste the cube and the A reloads,
  // smaller ones read the weights again for busier experts.
  auto fractals = [](int64_t n) { return (n + 15) / 16 * 16; };
  int64_t expected = (3 * T * K + 2 * E - 1) / (2 * E);
  int64_t R = std::min({fractals(expected), fractals(T), int64_t(128)});
  int64_t slots = (T + R - 1) / R;
  int64_t total = T * K + R; // a last slot may read past the last row
  Value grouped =
      tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{total, H}, tokensType.getElementType());
  for (int64_t t = 0; t < T; ++t) {
    Value token = rowsOf(tokens, t, 1, H);
    for (int64_t j = 0; j < K; ++j)
      grouped = place(grouped, token, read(rows[j], {t}), 1);
  }
  Value results = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{total, H}, f32);
  for (int64_t e = 0; e < E; ++e) {
    Value count = read(countsInt, {0, e}), first = read(firstsInt, {0, e});
    for (int64_t s = 0; s < slots; ++s) {
      Value offset = arith::ConstantIndexOp::create(b, loc, s * R);
      Value left = s ? arith::SubIOp::create(b, loc, count, offset).getResult() : count;
      Value row = s ? arith::AddIOp::create(b, loc, first, offset).getResult() : first;
      Value any = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, left,
                                        arith::ConstantIndexOp::create(b, loc, 0));
      auto ifOp = scf::IfOp::create(b, loc, TypeRange{results.getType()}, any,
                                    /*addThenBlock=*/true, /*addElseBlock=*/true);
      {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(ifOp.thenBlock());
        FailureOr<Value> y = ffn(take(grouped, row, R), e);
        if (failed(y))
          return failure();
        scf::YieldOp::create(b, loc, place(results, *y, row, R));
        b.setInsertionPointToStart(ifOp.elseBlock());
        scf::YieldOp::create(b, loc, results);
      }
      results = ifOp.getResult(0);
    }
  }
  // Back to the tokens: each choice's output row, weighted.
  SmallVector<Value> gathered;
  for (int64_t j = 0; j < K; ++j)
    gathered.push_back(tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{T, H}, f32));
  for (int64_t t = 0; t < T; ++t)
    for (int64_t j = 0; j < K; ++j)
      gathered[j] = place(gathered[j], take(results, read(rows[j], {t}), 1),
                          arith::ConstantIndexOp::create(b, loc, t), 1);
  SmallVector<std::pair<Value, AffineMap>> parts;
  for (int64_t j = 0; j < K; ++j) {
    parts.push_back({gathered[j], d.all()});
    parts.push_back({weight[j], d.row()});
  }
  return d.map({T, H}, f32, parts, [&](OpBuilder &nb, Location nl, ValueRange a) {
    Value sum;
    for (size_t j = 0; j < a.size(); j += 2) {
      Value w = arith::MulFOp::create(nb, nl, a[j], a[j + 1]);
      sum = sum ? arith::AddFOp::create(nb, nl, sum, w).getResult() : w;
    }
    return sum;
  });
}

} // namespace

LogicalResult mlir::npu::decomposeExperts(func::FuncOp func, bool dense) {
  SmallVector<moe::ExpertsOp> work;
  func.walk([&](moe::ExpertsOp op) { work.push_back(op); });
  for (moe::ExpertsOp op : work) {
    StackBytes stackBytes(&func.getBody().front());
    auto route = op.getWeights().getDefiningOp<moe::RouteOp>();
    if (!route || route.getIndices() != op.getIndices() ||
        !llvm::all_of(route->getUsers(), [&](Operation *u) { return u == op; }))
      return op.emitError() << nodeOf(op)
                            << "the NPU computes experts routed by a moe.route of their own";
    moe::Activation act = op.getActivation();
    if (act == moe::Activation::Gelu)
      return op.emitError() << nodeOf(op) << "gelu experts have no NPU lowering yet";
    auto tokensType = cast<RankedTensorType>(op.getTokens().getType());
    auto logitsType = cast<RankedTensorType>(route.getLogits().getType());
    if (!tokensType.hasStaticShape() || !logitsType.hasStaticShape())
      return op.emitError() << nodeOf(op) << "the NPU needs static token counts";
    int64_t T = tokensType.getDimSize(0), H = tokensType.getDimSize(1);
    int64_t E = logitsType.getDimSize(1), K = route.getK();
    Type ft = tokensType.getElementType(), f32 = Float32Type::get(op.getContext());
    OpBuilder b(op);
    Location loc = op.getLoc();
    Dense d{b, loc};

    // Scores, then k rounds of: the row's best still unpicked score, the
    // experts scoring it (compare with the row max) join the gate with
    // their score and leave the selection.
    Value logits = route.getLogits();
    Value scores;
    if (route.getScoring() == moe::Scoring::Softmax) {
      Value wide =
          d.map({T, E}, f32, {{logits, d.all()}},
                [&](OpBuilder &nb, Location nl, ValueRange a) { return d.f32(nb, nl, a[0]); });
      Value mx = d.reduce(wide, /*max=*/true);
      Value ex =
          d.map({T, E}, f32, {{wide, d.all()}, {mx, d.row()}},
                [&](OpBuilder &nb, Location nl, ValueRange a) {
                  return math::ExpOp::create(nb, nl, arith::SubFOp::create(nb, nl, a[0], a[1]));
                });
      Value sum = d.reduce(ex, /*max=*/false);
      scores = d.map({T, E}, f32, {{ex, d.all()}, {sum, d.row()}},
                     [&](OpBuilder &nb, Location nl, ValueRange a) {
                       return arith::DivFOp::create(nb, nl, a[0], a[1]);
                     });
    } else {
      scores =
          d.map({T, E}, f32, {{logits, d.all()}}, [&](OpBuilder &nb, Location nl, ValueRange a) {
            Value neg = arith::NegFOp::create(nb, nl, d.f32(nb, nl, a[0]));
            Value one = d.constant(nb, nl, 1.0);
            Value den = arith::AddFOp::create(nb, nl, one, math::ExpOp::create(nb, nl, neg));
            return arith::DivFOp::create(nb, nl, one, den);
          });
    }
    Value select = scores;
    if (Value bias = route.getBias())
      select = d.map({T, E}, f32, {{scores, d.all()}, {bias, d.col()}},
                     [&](OpBuilder &nb, Location nl, ValueRange a) {
                       return arith::AddFOp::create(nb, nl, a[0], d.f32(nb, nl, a[1]));
                     });
    if (route.getNGroup() > 1)
      select = limitToGroups(d, route, select);
    // Dropless while f16 (the cube's input for the counting products) holds
    // every count exactly.
    bool dropless = !dense && T <= 2048;
    Value gate;                                 // dense: [T, E], zero where not chosen
    SmallVector<Value> negChoice, choiceWeight; // dropless: per round, -expert and its score [T]
    Value negIotaE = dropless ? d.negIota(E) : Value();
    for (int64_t i = 0; i < K; ++i) {
      if (dropless) {
        // The lowest expert index among the row's best (a tie at the k-th
        // place picks one, as top-k does).
        Value negChosen = d.negFirstMax(select, negIotaE);
        Value score = d.reduce(
            d.map({T, E}, f32, {{scores, d.all()}, {negIotaE, d.col()}, {negChosen, d.row()}},
                  [&](OpBuilder &nb, Location nl, ValueRange a) {
                    return arith::MulFOp::create(nb, nl, a[0], d.equalMask(nb, nl, a[1], a[2]));
                  }),
            /*max=*/false);
        negChoice.push_back(negChosen);
        choiceWeight.push_back(score);
        if (i + 1 < K)
          select = d.without(select, negIotaE, negChosen);
        continue;
      }
      Value best = d.reduce(select, /*max=*/true);
      SmallVector<std::pair<Value, AffineMap>> ins = {
          {select, d.all()}, {best, d.row()}, {scores, d.all()}};
      if (gate)
        ins.push_back({gate, d.all()});
      gate = d.map({T, E}, f32, ins, [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value picked = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGE, a[0], a[1]);
        Value before = a.size() > 3 ? a[3] : d.constant(nb, nl, 0.0);
        Value joined = a.size() > 3 ? arith::AddFOp::create(nb, nl, a[3], a[2]).getResult() : a[2];
        return arith::SelectOp::create(nb, nl, picked, joined, before);
      });
      if (i + 1 < K)
        select =
            d.map({T, E}, f32, {{select, d.all()}, {best, d.row()}},
                  [&](OpBuilder &nb, Location nl, ValueRange a) {
                    Value picked =
                        arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGE, a[0], a[1]);
                    return arith::SelectOp::create(nb, nl, picked, d.constant(nb, nl, -1e30), a[0]);
                  });
    }
    double scaling = route.getRoutedScalingFactor().convertToDouble();
    if (dropless) {
      Value sum;
      if (route.getRenormalize())
        sum = d.map1(T, f32, choiceWeight, [&](OpBuilder &nb, Location nl, ValueRange a) {
          Value acc = a[0];
          for (Value v : a.drop_front())
            acc = arith::AddFOp::create(nb, nl, acc, v);
          return acc;
        });
      if (sum || scaling != 1.0)
        for (Value &w : choiceWeight) {
          SmallVector<Value> ins = {w};
          if (sum)
            ins.push_back(sum);
          w = d.map1(T, f32, ins, [&](OpBuilder &nb, Location nl, ValueRange a) {
            Value v = a.size() > 1 ? arith::DivFOp::create(nb, nl, a[0], a[1]).getResult() : a[0];
            return scaling == 1.0
                       ? v
                       : arith::MulFOp::create(nb, nl, v, d.constant(nb, nl, scaling)).getResult();
          });
        }
    } else {
      if (route.getRenormalize()) {
        Value sum = d.reduce(gate, /*max=*/false);
        gate = d.map({T, E}, f32, {{gate, d.all()}, {sum, d.row()}},
                     [&](OpBuilder &nb, Location nl, ValueRange a) {
                       return arith::DivFOp::create(nb, nl, a[0], a[1]);
                     });
      }
      if (scaling != 1.0)
        gate = d.map({T, E}, f32, {{gate, d.all()}}, [&](OpBuilder &nb, Location nl, ValueRange a) {
          return arith::MulFOp::create(nb, nl, a[0], d.constant(nb, nl, scaling));
        });
    }

    // One FFN: x [T, H] through out x in weights, in f32 (inputs of the
    // next matmul in the tokens' type).
    auto narrow = [&](Value v) {
      if (ft.isF32())
        return v;
      return d.map(cast<RankedTensorType>(v.getType()).getShape(), ft, {{v, d.all()}},
                   [&](OpBuilder &nb, Location nl, ValueRange a) {
                     return arith::TruncFOp::create(nb, nl, ft, a[0]);
                   });
    };
    auto addBias = [&](Value v, Value bias) {
      if (!bias)
        return v;
      return d.map(cast<RankedTensorType>(v.getType()).getShape(), f32,
                   {{v, d.all()}, {bias, d.col()}}, [&](OpBuilder &nb, Location nl, ValueRange a) {
                     return arith::AddFOp::create(nb, nl, a[0], d.f32(nb, nl, a[1]));
                   });
    };
    // Weights: a float [in, out] matrix, or (`e` set) expert e's of a stack.
    auto product = [&](Value x, Value w, std::optional<int64_t> e) -> FailureOr<Value> {
      if (e)
        return expertProduct(b, loc, stackBytes, x, w, *e, op);
      return buildMatmul(b, loc, x, w);
    };
    auto ffn = [&](Value x, Value w1, Value w3, Value w2, Value b1, Value b3, Value b2,
                   std::optional<int64_t> e) -> FailureOr<Value> {
      int64_t rows = cast<RankedTensorType>(x.getType()).getDimSize(0);
      FailureOr<Value> p1 = product(x, w1, e);
      if (failed(p1))
        return failure();
      Value h1 = addBias(*p1, b1);
      int64_t I = cast<RankedTensorType>(h1.getType()).getDimSize(1);
      Value h;
      if (act == moe::Activation::Swiglu) {
        FailureOr<Value> p3 = product(x, w3, e);
        if (failed(p3))
          return failure();
        Value h3 = addBias(*p3, b3);
        h = d.map({rows, I}, f32, {{h1, d.all()}, {h3, d.all()}},
                  [&](OpBuilder &nb, Location nl, ValueRange a) {
                    Value den = d.sigmoidDenominator(nb, nl, a[0]);
                    Value silu = arith::DivFOp::create(nb, nl, a[0], den);
                    return arith::MulFOp::create(nb, nl, silu, a[1]);
                  });
      } else {
        h = d.map({rows, I}, f32, {{h1, d.all()}},
                  [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                    if (act == moe::Activation::Relu)
                      return arith::MaximumFOp::create(nb, nl, a[0], d.constant(nb, nl, 0.0));
                    Value den = d.sigmoidDenominator(nb, nl, a[0]);
                    return arith::DivFOp::create(nb, nl, a[0], den);
                  });
      }
      FailureOr<Value> p2 = product(narrow(h), w2, e);
      if (failed(p2))
        return failure();
      return addBias(*p2, b2);
    };

    auto biases = [&](int64_t e, Value(&out)[3]) -> LogicalResult {
      Value stacks[3] = {op.getFc1Bias(), op.getFc2Bias(), op.getFc3Bias()};
      for (int i = 0; i < 3; ++i) {
        FailureOr<Value> v = stacks[i] ? slice(b, loc, stackBytes, stacks[i], e, false, op) : Value();
        if (failed(v))
          return failure();
        out[i] = *v;
      }
      return success();
    };
    Value out;
    if (dropless) {
      FailureOr<Value> routed = droplessExperts(
          d, op, negChoice, choiceWeight, E, [&](Value x, int64_t e) -> FailureOr<Value> {
            Value bias[3];
            if (failed(biases(e, bias)))
              return failure();
            return ffn(x, op.getFc1(), op.getFc3(), op.getFc2(), bias[0], bias[2], bias[1], e);
          });
      if (failed(routed))
        return failure();
      out = *routed;
    }
    for (int64_t e = 0; e < E && !dropless; ++e) {
      Value bias[3];
      if (failed(biases(e, bias)))
        return failure();
      FailureOr<Value> ffnOut =
          ffn(op.getTokens(), op.getFc1(), op.getFc3(), op.getFc2(), bias[0], bias[2], bias[1], e);
      if (failed(ffnOut))
        return failure();
      Value y = *ffnOut;
      // Weighted by the gate's column e: zero for tokens that did not pick e.
      SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), b.getIndexAttr(e)},
                                sizes = {b.getIndexAttr(T), b.getIndexAttr(1)},
                                strides = {b.getIndexAttr(1), b.getIndexAttr(1)};
      Value column = tensor::ExtractSliceOp::create(b, loc, gate, offsets, sizes, strides);
      SmallVector<std::pair<Value, AffineMap>> ins = {{y, d.all()}, {column, d.rowOfColumn()}};
      if (out)
        ins.push_back({out, d.all()});
      out = d.map({T, H}, f32, ins, [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        Value w = arith::MulFOp::create(nb, nl, a[0], a[1]);
        return a.size() > 2 ? arith::AddFOp::create(nb, nl, a[2], w).getResult() : w;
      });
    }
    if (op.getSharedFc1()) {
      FailureOr<Value> w1 = transposed2d(b, loc, op.getSharedFc1(), op);
      FailureOr<Value> w2 = transposed2d(b, loc, op.getSharedFc2(), op);
      FailureOr<Value> w3 =
          op.getSharedFc3() ? transposed2d(b, loc, op.getSharedFc3(), op) : Value();
      if (failed(w1) || failed(w2) || failed(w3))
        return failure();
      FailureOr<Value> sharedOut =
          ffn(op.getTokens(), *w1, *w3, *w2, Value(), Value(), Value(), std::nullopt);
      if (failed(sharedOut))
        return failure();
      Value shared = *sharedOut;
      if (Value g = op.getSharedGate()) {
        // sigmoid(x . gate) per token, a row sum on the vector unit.
        Value prod =
            d.map({T, H}, f32, {{op.getTokens(), d.all()}, {g, d.col()}},
                  [&](OpBuilder &nb, Location nl, ValueRange a) {
                    return arith::MulFOp::create(nb, nl, d.f32(nb, nl, a[0]), d.f32(nb, nl, a[1]));
                  });
        Value dot = d.reduce(prod, /*max=*/false);
        shared = d.map({T, H}, f32, {{shared, d.all()}, {dot, d.row()}},
                       [&](OpBuilder &nb, Location nl, ValueRange a) {
                         Value den = d.sigmoidDenominator(nb, nl, a[1]);
                         return arith::DivFOp::create(nb, nl, a[0], den);
                       });
      }
      out = d.map({T, H}, f32, {{out, d.all()}, {shared, d.all()}},
                  [&](OpBuilder &nb, Location nl, ValueRange a) {
                    return arith::AddFOp::create(nb, nl, a[0], a[1]);
                  });
    }
    op.getResult().replaceAllUsesWith(narrow(out));
    op.erase();
    route.erase();
  }
  return success();
}
