//===- DenseExperts.cpp - moe.route + moe.experts as dense linalg ---------===//
//
// An NPU program is one static instruction stream: it cannot size a loop by
// how many tokens chose an expert. Until the program format has scalar
// registers for that, the NPU computes a routed MoE layer densely: the
// router's top-k becomes a [tokens, experts] gate matrix (zero for experts
// a token did not choose; picked on the vector unit by repeated row max and
// compare), every expert's FFN runs over every token on the cube, and the
// outputs are summed weighted by the gate's column. The result is exact
// (but for scores tying exactly at the k-th place: all of them are picked,
// where torch's top-k picks one); the cost is experts / k times the routed
// work.
//
//===----------------------------------------------------------------------===//

#include "NpuKernels.h"
#include "moe/Dialect/Moe/MoeOps.h"
#include "moe/Support/ConstantBytes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

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
    return linalg::GenericOp::create(
               b, loc, empty.getType(), values, empty, maps, iterators,
               [&](OpBuilder &nb, Location nl, ValueRange args) {
                 linalg::YieldOp::create(nb, nl, body(nb, nl, args.drop_back()));
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
};

/// Matrix `e` of a constant stack [E, R, C], transposed to [C, R] (a linear
/// layer's out x in weight as the [in, out] matmul operand), or row `e` of
/// a constant [E, C] (a bias) when `transpose` is false.
FailureOr<Value> slice(OpBuilder &b, Location loc, Value stack, int64_t e, bool transpose,
                       Operation *where) {
  std::optional<std::vector<char>> bytes = moe::constantRawBytes(stack);
  auto type = cast<RankedTensorType>(stack.getType());
  if (!bytes)
    return where->emitError() << nodeOf(where)
                              << "the NPU computes experts whose weights are constants";
  unsigned width = type.getElementTypeBitWidth() / 8;
  int64_t per = type.getNumElements() / type.getDimSize(0);
  ArrayRef<char> one(bytes->data() + e * per * width, per * width);
  if (!transpose)
    return moe::bytesConstant(b, loc, RankedTensorType::get({per}, type.getElementType()),
                              one, "npu_expert_bias");
  int64_t rows = type.getDimSize(1), cols = type.getDimSize(2);
  std::vector<char> t = moe::transposeMatrixBytes(one, 1, rows, cols, width);
  return moe::bytesConstant(b, loc, RankedTensorType::get({cols, rows}, type.getElementType()),
                            t, "npu_expert_weight");
}

/// Matrix `e` of a constant stack [E, R, C] (any element type, a byte per
/// element up to 8 bits) as its own constant [R, C].
std::optional<Value> matrixConstant(OpBuilder &b, Location loc, Value stack, Type type, int64_t e) {
  auto full = cast<RankedTensorType>(stack.getType());
  std::optional<std::vector<char>> bytes =
      type.getIntOrFloatBitWidth() < 8 ? moe::constantBytes(throughReshapes(stack))
                                       : moe::constantRawBytes(throughReshapes(stack));
  int64_t per = full.getNumElements() / full.getDimSize(0);
  int64_t width = std::max<int64_t>(type.getIntOrFloatBitWidth() / 8, 1);
  if (!bytes || static_cast<int64_t>(bytes->size()) != full.getNumElements() * width)
    return std::nullopt;
  return moe::bytesConstant(
      b, loc, RankedTensorType::get({full.getDimSize(1), full.getDimSize(2)}, type),
      ArrayRef<char>(bytes->data() + e * per * width, per * width), "npu_expert_qweight");
}

/// x times expert e's weights of `stack` [E, N, K] (out x in). Dequantized
/// from constant integers (QMoE), a moe.qmatmul over the expert's integers,
/// which rewriteQMatmulsForCube dequantizes on the vector unit per call;
/// else the float matmul of the transposed constant.
FailureOr<Value> expertProduct(OpBuilder &b, Location loc, Value x, Value stack, int64_t e,
                               Operation *where) {
  if (auto dq = stack.getDefiningOp<moe::DequantizeOp>()) {
    auto qType = cast<RankedTensorType>(dq.getInput().getType());
    auto sType = cast<RankedTensorType>(dq.getScale().getType());
    std::optional<Value> w, scale, zp;
    if (dq.getAxis() == std::optional<uint64_t>(2) && qType.hasStaticShape() &&
        sType.hasStaticShape() && sType.getRank() == 3) {
      w = matrixConstant(b, loc, dq.getInput(), qType.getElementType(), e);
      scale = matrixConstant(b, loc, dq.getScale(), sType.getElementType(), e);
      if (Value z = dq.getZeroPoint())
        zp = matrixConstant(b, loc, z, cast<ShapedType>(z.getType()).getElementType(), e);
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
  FailureOr<Value> w = slice(b, loc, stack, e, true, where);
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
      b, loc, RankedTensorType::get({type.getDimSize(1), type.getDimSize(0)},
                                    type.getElementType()),
      t, "npu_shared_weight");
}

} // namespace

LogicalResult mlir::npu::decomposeExpertsDense(func::FuncOp func) {
  SmallVector<moe::ExpertsOp> work;
  func.walk([&](moe::ExpertsOp op) { work.push_back(op); });
  for (moe::ExpertsOp op : work) {
    auto route = op.getWeights().getDefiningOp<moe::RouteOp>();
    if (!route || route.getIndices() != op.getIndices() ||
        !llvm::all_of(route->getUsers(), [&](Operation *u) { return u == op; }))
      return op.emitError() << nodeOf(op)
                            << "the NPU computes experts routed by a moe.route of their own";
    if (route.getNGroup() != 1)
      return route.emitError() << nodeOf(route)
                               << "group-limited routing has no NPU lowering yet";
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
      Value wide = d.map({T, E}, f32, {{logits, d.all()}},
                         [&](OpBuilder &nb, Location nl, ValueRange a) { return d.f32(nb, nl, a[0]); });
      Value mx = d.reduce(wide, /*max=*/true);
      Value ex = d.map({T, E}, f32, {{wide, d.all()}, {mx, d.row()}},
                       [&](OpBuilder &nb, Location nl, ValueRange a) {
                         return math::ExpOp::create(nb, nl, arith::SubFOp::create(nb, nl, a[0], a[1]));
                       });
      Value sum = d.reduce(ex, /*max=*/false);
      scores = d.map({T, E}, f32, {{ex, d.all()}, {sum, d.row()}},
                     [&](OpBuilder &nb, Location nl, ValueRange a) {
                       return arith::DivFOp::create(nb, nl, a[0], a[1]);
                     });
    } else {
      scores = d.map({T, E}, f32, {{logits, d.all()}}, [&](OpBuilder &nb, Location nl, ValueRange a) {
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
    Value gate;
    for (int64_t i = 0; i < K; ++i) {
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
        select = d.map({T, E}, f32, {{select, d.all()}, {best, d.row()}},
                       [&](OpBuilder &nb, Location nl, ValueRange a) {
                         Value picked =
                             arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OGE, a[0], a[1]);
                         return arith::SelectOp::create(nb, nl, picked, d.constant(nb, nl, -1e30),
                                                        a[0]);
                       });
    }
    if (route.getRenormalize()) {
      Value sum = d.reduce(gate, /*max=*/false);
      gate = d.map({T, E}, f32, {{gate, d.all()}, {sum, d.row()}},
                   [&](OpBuilder &nb, Location nl, ValueRange a) {
                     return arith::DivFOp::create(nb, nl, a[0], a[1]);
                   });
    }
    double scaling = route.getRoutedScalingFactor().convertToDouble();
    if (scaling != 1.0)
      gate = d.map({T, E}, f32, {{gate, d.all()}}, [&](OpBuilder &nb, Location nl, ValueRange a) {
        return arith::MulFOp::create(nb, nl, a[0], d.constant(nb, nl, scaling));
      });

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
        return expertProduct(b, loc, x, w, *e, op);
      return buildMatmul(b, loc, x, w);
    };
    auto ffn = [&](Value w1, Value w3, Value w2, Value b1, Value b3, Value b2,
                   std::optional<int64_t> e) -> FailureOr<Value> {
      FailureOr<Value> p1 = product(op.getTokens(), w1, e);
      if (failed(p1))
        return failure();
      Value h1 = addBias(*p1, b1);
      int64_t I = cast<RankedTensorType>(h1.getType()).getDimSize(1);
      Value h;
      if (act == moe::Activation::Swiglu) {
        FailureOr<Value> p3 = product(op.getTokens(), w3, e);
        if (failed(p3))
          return failure();
        Value h3 = addBias(*p3, b3);
        h = d.map({T, I}, f32, {{h1, d.all()}, {h3, d.all()}},
                  [&](OpBuilder &nb, Location nl, ValueRange a) {
                    Value one = d.constant(nb, nl, 1.0);
                    Value den = arith::AddFOp::create(
                        nb, nl, one, math::ExpOp::create(nb, nl, arith::NegFOp::create(nb, nl, a[0])));
                    Value silu = arith::DivFOp::create(nb, nl, a[0], den);
                    return arith::MulFOp::create(nb, nl, silu, a[1]);
                  });
      } else {
        h = d.map({T, I}, f32, {{h1, d.all()}}, [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
          if (act == moe::Activation::Relu)
            return arith::MaximumFOp::create(nb, nl, a[0], d.constant(nb, nl, 0.0));
          Value one = d.constant(nb, nl, 1.0);
          Value den = arith::AddFOp::create(
              nb, nl, one, math::ExpOp::create(nb, nl, arith::NegFOp::create(nb, nl, a[0])));
          return arith::DivFOp::create(nb, nl, a[0], den);
        });
      }
      FailureOr<Value> p2 = product(narrow(h), w2, e);
      if (failed(p2))
        return failure();
      return addBias(*p2, b2);
    };

    Value out;
    for (int64_t e = 0; e < E; ++e) {
      FailureOr<Value> b1 = op.getFc1Bias() ? slice(b, loc, op.getFc1Bias(), e, false, op) : Value();
      FailureOr<Value> b2 = op.getFc2Bias() ? slice(b, loc, op.getFc2Bias(), e, false, op) : Value();
      FailureOr<Value> b3 = op.getFc3Bias() ? slice(b, loc, op.getFc3Bias(), e, false, op) : Value();
      if (failed(b1) || failed(b2) || failed(b3))
        return failure();
      FailureOr<Value> ffnOut = ffn(op.getFc1(), op.getFc3(), op.getFc2(), *b1, *b3, *b2, e);
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
      FailureOr<Value> sharedOut = ffn(*w1, *w3, *w2, Value(), Value(), Value(), std::nullopt);
      if (failed(sharedOut))
        return failure();
      Value shared = *sharedOut;
      if (Value g = op.getSharedGate()) {
        // sigmoid(x . gate) per token, a row sum on the vector unit.
        Value prod = d.map({T, H}, f32, {{op.getTokens(), d.all()}, {g, d.col()}},
                           [&](OpBuilder &nb, Location nl, ValueRange a) {
                             return arith::MulFOp::create(nb, nl, d.f32(nb, nl, a[0]),
                                                          d.f32(nb, nl, a[1]));
                           });
        Value dot = d.reduce(prod, /*max=*/false);
        shared = d.map({T, H}, f32, {{shared, d.all()}, {dot, d.row()}},
                       [&](OpBuilder &nb, Location nl, ValueRange a) {
                         Value one = d.constant(nb, nl, 1.0);
                         Value den = arith::AddFOp::create(
                             nb, nl, one,
                             math::ExpOp::create(nb, nl, arith::NegFOp::create(nb, nl, a[1])));
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
