//===- MatMul.cpp - ONNX MatMul and Gemm ----------------------------------===//
//
// Contractions as one linalg.generic each, with numpy's batch broadcasting
// in the indexing maps; later passes specialise them into named ops and
// tile them per target.
//
//===----------------------------------------------------------------------===//

#include "Broadcast.h"
#include "Helpers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "llvm/ADT/StringExtras.h"

#include <map>

using namespace mlir;
using namespace mlir::moe;

namespace {

/// A dim of the iteration space: its static size and where a dynamic size
/// can be read (operand, dim).
struct LoopDim {
  int64_t size;
  Value source;
  int64_t sourceDim;
};

void merge(LoopDim &dim, int64_t size, Value source, int64_t sourceDim) {
  if (size == 1)
    return;
  if (dim.size == 1 || (ShapedType::isDynamic(dim.size) && !ShapedType::isDynamic(size))) {
    dim = {size, source, sourceDim};
  }
}

/// One step of sum_k lhs * rhs: `args` are the elements of lhs, rhs, any
/// further inputs, and the accumulator last.
using MacBody = function_ref<Value(OpBuilder &, Location, ValueRange args)>;

/// acc + lhs * rhs in the element type (float or integer).
Value multiplyAdd(OpBuilder &b, Location loc, Value x, Value y, Value acc) {
  bool isFloat = isa<FloatType>(acc.getType());
  Value product = isFloat ? Value(arith::MulFOp::create(b, loc, x, y))
                          : Value(arith::MulIOp::create(b, loc, x, y));
  return isFloat ? Value(arith::AddFOp::create(b, loc, acc, product))
                 : Value(arith::AddIOp::create(b, loc, acc, product));
}

Value multiplyAddStep(OpBuilder &b, Location loc, ValueRange args) {
  return multiplyAdd(b, loc, args[0], args[1], args.back());
}

/// A further input of a contraction: an operand read through `map`.
struct ContractInput {
  Value value;
  AffineMap map;
};

/// sum_k lhs * rhs over the loop space `dims` (the last one k), with the
/// given maps from the loop space to each operand and to the result.
Value contract(OpBuilder &b, Location loc, Value lhs, Value rhs,
               ArrayRef<LoopDim> dims, AffineMap lhsMap, AffineMap rhsMap,
               AffineMap outMap, Type element, MacBody body = multiplyAddStep,
               ArrayRef<ContractInput> extras = {}) {
  SmallVector<int64_t> shape;
  SmallVector<Value> dynamic;
  for (AffineExpr expr : outMap.getResults()) {
    const LoopDim &dim = dims[cast<AffineDimExpr>(expr).getPosition()];
    shape.push_back(dim.size);
    if (ShapedType::isDynamic(dim.size))
      dynamic.push_back(tensor::DimOp::create(b, loc, dim.source, dim.sourceDim));
  }
  auto type = RankedTensorType::get(shape, element);
  Value zero = scalarConstant(b, loc, element, 0.0);
  Value init = linalg::FillOp::create(
                   b, loc, zero, tensor::EmptyOp::create(b, loc, type, dynamic).getResult())
                   .getResult(0);
  SmallVector<utils::IteratorType> iterators(dims.size(),
                                             utils::IteratorType::parallel);
  iterators.back() = utils::IteratorType::reduction;
  SmallVector<Value> inputs = {lhs, rhs};
  SmallVector<AffineMap> maps = {lhsMap, rhsMap};
  for (const ContractInput &extra : extras) {
    inputs.push_back(extra.value);
    maps.push_back(extra.map);
  }
  maps.push_back(outMap);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{type}, inputs, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        linalg::YieldOp::create(nb, nloc, body(nb, nloc, args));
      });
  return generic.getResult(0);
}

/// A further input of a matmul, one value per row of the lhs (`ofRows`) or
/// per column of the rhs: [M] or the lhs's shape with K as 1 ([N], or the
/// rhs's shape with K as 1); what ONNX's per-row and per-column zero points
/// are.
struct RowOrColumnInput {
  Value value;
  bool ofRows;
  StringRef name;
};

/// numpy matmul of inputs `lhsIndex` and `rhsIndex` into `element`, each
/// step `body` (given the elements of `extras` after lhs's and rhs's).
FailureOr<Value> buildMatMul(OnnxNode &node, Type element, MacBody body,
                             unsigned lhsIndex = 0, unsigned rhsIndex = 1,
                             ArrayRef<RowOrColumnInput> extras = {}) {
  FailureOr<RankedTensorType> lhsType = node.rankedInput(lhsIndex);
  FailureOr<RankedTensorType> rhsType = node.rankedInput(rhsIndex);
  if (failed(lhsType) || failed(rhsType))
    return failure();
  int64_t lr = lhsType->getRank(), rr = rhsType->getRank();
  if (lr == 0 || rr == 0)
    return node.emitError() << "inputs must not be scalars";
  Value lhs = node.signlessInput(lhsIndex), rhs = node.signlessInput(rhsIndex);
  int64_t kL = lhsType->getDimSize(lr - 1);
  int64_t kR = rhsType->getDimSize(rr >= 2 ? rr - 2 : 0);
  if (!ShapedType::isDynamic(kL) && !ShapedType::isDynamic(kR) && kL != kR)
    return node.emitError() << "the reduction dims differ: " << kL << " and "
                            << kR;

  // Loop space: batch..., [m], [n], k.
  int64_t lb = std::max<int64_t>(lr - 2, 0), rb = std::max<int64_t>(rr - 2, 0);
  int64_t batch = std::max(lb, rb);
  bool hasM = lr >= 2, hasN = rr >= 2;
  SmallVector<LoopDim> dims(batch, LoopDim{1, Value(), 0});
  for (int64_t i = 0; i < lb; ++i)
    merge(dims[batch - lb + i], lhsType->getDimSize(i), lhs, i);
  for (int64_t i = 0; i < rb; ++i) {
    LoopDim &dim = dims[batch - rb + i];
    int64_t size = rhsType->getDimSize(i);
    if (!ShapedType::isDynamic(dim.size) && !ShapedType::isDynamic(size) &&
        dim.size != 1 && size != 1 && dim.size != size)
      return node.emitError() << "batch dims do not broadcast: " << dim.size
                              << " and " << size;
    merge(dim, size, rhs, i);
  }
  int64_t mPos = dims.size();
  if (hasM)
    dims.push_back({lhsType->getDimSize(lr - 2), lhs, lr - 2});
  int64_t nPos = dims.size();
  if (hasN)
    dims.push_back({rhsType->getDimSize(rr - 1), rhs, rr - 1});
  int64_t kPos = dims.size();
  dims.push_back({ShapedType::isDynamic(kL) ? kR : kL, lhs, lr - 1});

  MLIRContext *ctx = node.builder().getContext();
  auto d = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  auto batchExprs = [&](RankedTensorType type, int64_t own) {
    SmallVector<AffineExpr> exprs;
    for (int64_t i = 0; i < own; ++i) {
      int64_t loop = batch - own + i;
      exprs.push_back(type.getDimSize(i) == 1 && dims[loop].size != 1
                          ? getAffineConstantExpr(0, ctx)
                          : d(loop));
    }
    return exprs;
  };
  SmallVector<AffineExpr> lhsExprs = batchExprs(*lhsType, lb);
  if (hasM)
    lhsExprs.push_back(d(mPos));
  lhsExprs.push_back(d(kPos));
  SmallVector<AffineExpr> rhsExprs = batchExprs(*rhsType, rb);
  rhsExprs.push_back(d(kPos));
  if (hasN)
    rhsExprs.push_back(d(nPos));
  SmallVector<AffineExpr> outExprs;
  for (int64_t i = 0; i < batch; ++i)
    outExprs.push_back(d(i));
  if (hasM)
    outExprs.push_back(d(mPos));
  if (hasN)
    outExprs.push_back(d(nPos));
  int64_t loops = dims.size();
  SmallVector<ContractInput> extraInputs;
  for (const RowOrColumnInput &extra : extras) {
    auto type = cast<RankedTensorType>(extra.value.getType());
    RankedTensorType of = extra.ofRows ? *lhsType : *rhsType;
    bool present = extra.ofRows ? hasM : hasN;
    int64_t pos = extra.ofRows ? mPos : nPos;
    int64_t size = of.getDimSize(extra.ofRows ? of.getRank() - 2 : of.getRank() - 1);
    auto sameSize = [](int64_t x, int64_t y) {
      return ShapedType::isDynamic(x) || ShapedType::isDynamic(y) || x == y;
    };
    SmallVector<AffineExpr> exprs;
    if (present && type.getRank() == 1 && sameSize(type.getDimSize(0), size)) {
      exprs.push_back(d(pos));
    } else if (present && type.getRank() == of.getRank()) {
      // [..., M, 1] for rows, [..., 1, N] for columns.
      int64_t r = type.getRank();
      bool fits = true;
      for (int64_t i = 0; i < r; ++i)
        fits &= i == (extra.ofRows ? r - 1 : r - 2)
                    ? type.getDimSize(i) == 1
                    : type.getDimSize(i) == 1 || sameSize(type.getDimSize(i), of.getDimSize(i));
      if (fits) {
        exprs = batchExprs(type, r - 2);
        AffineExpr zero = getAffineConstantExpr(0, ctx);
        exprs.append(extra.ofRows ? SmallVector<AffineExpr>{d(pos), zero}
                                  : SmallVector<AffineExpr>{zero, d(pos)});
      }
    }
    if (exprs.empty())
      return node.emitError() << extra.name << " must have one element, or one per "
                              << (extra.ofRows ? "row of A ([M] or A's shape with K as 1)"
                                               : "column of B ([N] or B's shape with K as 1)")
                              << ", not " << type;
    extraInputs.push_back({extra.value, AffineMap::get(loops, 0, exprs, ctx)});
  }
  return contract(node.builder(), node.getLoc(), lhs, rhs, dims,
                  AffineMap::get(loops, 0, lhsExprs, ctx),
                  AffineMap::get(loops, 0, rhsExprs, ctx),
                  AffineMap::get(loops, 0, outExprs, ctx), element, body, extraInputs);
}

LogicalResult convertMatMul(OnnxNode &node) {
  if (node.isUnsigned(0) || node.isUnsigned(1))
    return node.emitError() << "unsigned inputs are not supported";
  Value lhs = node.input(0), rhs = node.input(1);
  if (!lhs || !rhs)
    return node.emitError() << "needs two inputs";
  Type element = cast<ShapedType>(lhs.getType()).getElementType();
  if (cast<ShapedType>(rhs.getType()).getElementType() != element)
    return node.emitError() << "inputs must have one element type";
  FailureOr<Value> result = buildMatMul(node, element, multiplyAddStep);
  if (failed(result))
    return failure();
  node.replace(*result);
  return success();
}

/// (A - a_zero_point)(B - b_zero_point) summed in i32, for 8-bit A and B
/// at inputs `a` and `b` with their zero points (optional) at `aZp` and
/// `bZp`: one per tensor, one per row of A, one per column of B.
FailureOr<Value> integerMatMul(OnnxNode &node, unsigned a, unsigned b,
                               unsigned aZp, unsigned bZp) {
  OpBuilder &builder = node.builder();
  Location loc = node.getLoc();
  Type i32 = builder.getI32Type();
  // A zero point per tensor is a scalar from outside the product; one per
  // row or column is a further input of it, at `inputIndex`.
  struct ZeroPoint {
    Value scalar;
    int64_t inputIndex = -1;
  };
  SmallVector<ZeroPoint> zeroPoints;
  SmallVector<bool> isUnsigned;
  SmallVector<RowOrColumnInput> extras;
  for (auto [in, zpIndex] : {std::pair{a, aZp}, {b, bZp}}) {
    Value input = node.input(in);
    if (!input || !cast<ShapedType>(input.getType()).getElementType().isInteger(8))
      return node.emitError() << "the matrices must be 8-bit integers";
    isUnsigned.push_back(node.isUnsigned(in));
    ZeroPoint zeroPoint;
    zeroPoint.scalar = arith::ConstantOp::create(builder, loc, builder.getI32IntegerAttr(0));
    Value zp = node.signlessInput(zpIndex);
    auto zpType = zp ? dyn_cast<RankedTensorType>(zp.getType()) : RankedTensorType();
    if (zp && (!zpType || !zpType.getElementType().isInteger(8)))
      return node.emitError() << "zero points must be ranked 8-bit integers";
    if (zp && zpType.getNumElements() == 1) {
      Value value = scalarOf(builder, loc, zp);
      zeroPoint.scalar = isUnsigned.back() ? Value(arith::ExtUIOp::create(builder, loc, i32, value))
                                           : Value(arith::ExtSIOp::create(builder, loc, i32, value));
    } else if (zp) {
      zeroPoint.inputIndex = 2 + static_cast<int64_t>(extras.size());
      extras.push_back({zp, /*ofRows=*/in == a, in == a ? "a_zero_point" : "b_zero_point"});
    }
    zeroPoints.push_back(zeroPoint);
  }
  return buildMatMul(
      node, i32,
      [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
        auto widen = [&](Value v, bool isUnsignedInput) -> Value {
          return isUnsignedInput ? Value(arith::ExtUIOp::create(nb, nl, i32, v))
                                 : Value(arith::ExtSIOp::create(nb, nl, i32, v));
        };
        auto shifted = [&](unsigned side) -> Value {
          const ZeroPoint &zp = zeroPoints[side];
          Value zpValue = zp.inputIndex < 0 ? zp.scalar
                                            : widen(args[zp.inputIndex], isUnsigned[side]);
          return arith::SubIOp::create(nb, nl, widen(args[side], isUnsigned[side]), zpValue);
        };
        return multiplyAdd(nb, nl, shifted(0), shifted(1), args.back());
      },
      a, b, extras);
}

/// MatMulInteger: the i32 product of the zero-point-shifted 8-bit inputs.
LogicalResult convertMatMulInteger(OnnxNode &node) {
  FailureOr<Value> result = integerMatMul(node, 0, 1, 2, 3);
  if (failed(result))
    return failure();
  node.replace(*result);
  return success();
}

/// QLinearMatMul: the integer product requantized as the ONNX reference
/// does, round_half_even(acc * a_scale * b_scale / y_scale) + y_zero_point
/// saturated to the output's 8-bit type; a_scale, y_scale and y_zero_point
/// per tensor or per row of A ([M]), b_scale per tensor or per column of B
/// ([N]).
LogicalResult convertQLinearMatMul(OnnxNode &node) {
  FailureOr<Value> acc = integerMatMul(node, 0, 3, 2, 5);
  if (failed(acc))
    return failure();
  Value yZpTensor = node.signlessInput(7);
  if (!node.input(1) || !node.input(4) || !node.input(6) || !yZpTensor)
    return node.emitError() << "needs a_scale, b_scale, y_scale and y_zero_point";
  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  Type f32 = b.getF32Type();
  auto accType = cast<RankedTensorType>(acc->getType());
  int64_t rank = accType.getRank();
  // A parameter: a scalar from outside the requantization, or one per row
  // ([M], read as [M, 1]) or per column ([N]) as one of its inputs.
  struct Param {
    Value scalar;
    int64_t input = -1;
  };
  SmallVector<Value> inputs = {*acc};
  auto param = [&](Value tensor, StringRef name, bool perRow) -> FailureOr<Param> {
    auto type = dyn_cast<RankedTensorType>(tensor.getType());
    if (!type)
      return node.emitError() << name << " must be a tensor of known rank, not "
                              << tensor.getType();
    Param p;
    if (type.getNumElements() == 1) {
      p.scalar = scalarOf(b, loc, tensor);
      return p;
    }
    int64_t dim = perRow ? (rank >= 2 ? accType.getDimSize(rank - 2) : 1)
                         : accType.getDimSize(rank - 1);
    if (type.getRank() != 1 || (perRow && rank < 2) ||
        (!ShapedType::isDynamic(dim) && !ShapedType::isDynamic(type.getDimSize(0)) &&
         type.getDimSize(0) != dim))
      return node.emitError() << name << " must have one element or one per "
                              << (perRow ? "row of A" : "column of B") << ", not " << type;
    if (perRow)
      tensor = tensor::ExpandShapeOp::create(
          b, loc, RankedTensorType::get({type.getDimSize(0), 1}, type.getElementType()), tensor,
          SmallVector<ReassociationIndices>{{0, 1}});
    p.input = static_cast<int64_t>(inputs.size());
    inputs.push_back(tensor);
    return p;
  };
  FailureOr<Param> aScale = param(node.input(1), "a_scale", true);
  if (failed(aScale))
    return failure();
  FailureOr<Param> bScale = param(node.input(4), "b_scale", false);
  if (failed(bScale))
    return failure();
  FailureOr<Param> yScale = param(node.input(6), "y_scale", true);
  if (failed(yScale))
    return failure();
  FailureOr<Param> yZp = param(yZpTensor, "y_zero_point", true);
  if (failed(yZp))
    return failure();
  bool isUnsigned = node.isUnsigned(7);
  double lo = isUnsigned ? 0.0 : -128.0, hi = isUnsigned ? 255.0 : 127.0;
  Type i8 = b.getI8Type();
  auto toF32 = [&](OpBuilder &nb, Location nl, Value v) -> Value {
    return v.getType() == f32 ? v : Value(arith::ExtFOp::create(nb, nl, f32, v));
  };
  auto zpToF32 = [&](OpBuilder &nb, Location nl, Value v) -> Value {
    return isUnsigned ? Value(arith::UIToFPOp::create(nb, nl, f32, v))
                      : Value(arith::SIToFPOp::create(nb, nl, f32, v));
  };
  // Per tensor, the multiplier and zero point are computed once, outside.
  auto multiplier = [&](OpBuilder &nb, Location nl, ValueRange args) -> Value {
    auto at = [&](const Param &p) { return toF32(nb, nl, p.input < 0 ? p.scalar : args[p.input]); };
    return arith::DivFOp::create(nb, nl, arith::MulFOp::create(nb, nl, at(*aScale), at(*bScale)),
                                 at(*yScale));
  };
  bool perTensor = aScale->input < 0 && bScale->input < 0 && yScale->input < 0;
  Value outsideMultiplier = perTensor ? multiplier(b, loc, {}) : Value();
  Value outsideZp = yZp->input < 0 ? zpToF32(b, loc, yZp->scalar) : Value();
  FailureOr<Value> result = buildBroadcastElementwise(
      node, inputs, i8, [&](OpBuilder &nb, Location nl, ValueRange s) -> Value {
        Value m = perTensor ? outsideMultiplier : multiplier(nb, nl, s);
        Value zp = outsideZp ? outsideZp : zpToF32(nb, nl, s[yZp->input]);
        Value x = arith::MulFOp::create(nb, nl, arith::SIToFPOp::create(nb, nl, f32, s[0]), m);
        x = arith::AddFOp::create(nb, nl, math::RoundEvenOp::create(nb, nl, x), zp);
        x = arith::MinimumFOp::create(
            nb, nl, arith::MaximumFOp::create(nb, nl, x, scalarConstant(nb, nl, f32, lo)),
            scalarConstant(nb, nl, f32, hi));
        return isUnsigned ? Value(arith::FPToUIOp::create(nb, nl, i8, x))
                          : Value(arith::FPToSIOp::create(nb, nl, i8, x));
      });
  if (failed(result))
    return failure();
  node.replace(*result);
  return success();
}

/// Y = alpha * A' B' + beta * C, A' and B' optionally transposed.
LogicalResult convertGemm(OnnxNode &node) {
  FailureOr<RankedTensorType> aType = node.rankedInput(0);
  FailureOr<RankedTensorType> bType = node.rankedInput(1);
  if (failed(aType) || failed(bType))
    return failure();
  if (aType->getRank() != 2 || bType->getRank() != 2)
    return node.emitError() << "A and B must be 2-d";
  Type element = aType->getElementType();
  if (bType->getElementType() != element || node.isUnsigned(0))
    return node.emitError() << "A and B must have one signed element type";
  bool transA = node.intAttr("transA", 0) != 0;
  bool transB = node.intAttr("transB", 0) != 0;
  Value a = node.input(0), bv = node.input(1);
  int64_t m = aType->getDimSize(transA ? 1 : 0), k = aType->getDimSize(transA ? 0 : 1);
  int64_t kB = bType->getDimSize(transB ? 1 : 0), n = bType->getDimSize(transB ? 0 : 1);
  if (!ShapedType::isDynamic(k) && !ShapedType::isDynamic(kB) && k != kB)
    return node.emitError() << "the reduction dims differ: " << k << " and " << kB;
  SmallVector<LoopDim> dims = {{m, a, transA ? 1 : 0},
                               {n, bv, transB ? 0 : 1},
                               {ShapedType::isDynamic(k) ? kB : k, a, transA ? 0 : 1}};
  MLIRContext *ctx = node.builder().getContext();
  AffineExpr dm = getAffineDimExpr(0, ctx), dn = getAffineDimExpr(1, ctx),
             dk = getAffineDimExpr(2, ctx);
  AffineMap aMap = AffineMap::get(3, 0, transA ? ArrayRef{dk, dm} : ArrayRef{dm, dk}, ctx);
  AffineMap bMap = AffineMap::get(3, 0, transB ? ArrayRef{dn, dk} : ArrayRef{dk, dn}, ctx);
  AffineMap outMap = AffineMap::get(3, 0, {dm, dn}, ctx);
  Value product = contract(node.builder(), node.getLoc(), a, bv, dims, aMap,
                           bMap, outMap, element);
  double alpha = node.floatAttr("alpha", 1.0f), beta = node.floatAttr("beta", 1.0f);
  Value c = node.input(2);
  if (alpha == 1.0 && (!c || beta == 0.0)) {
    node.replace(product);
    return success();
  }
  SmallVector<Value> inputs = {product};
  if (c && beta != 0.0)
    inputs.push_back(c);
  bool isFloat = isa<FloatType>(element);
  FailureOr<Value> y = buildBroadcastElementwise(
      node, inputs, element, [&](OpBuilder &b, Location loc, ValueRange s) -> Value {
        auto mulBy = [&](Value x, double f) -> Value {
          if (f == 1.0)
            return x;
          Value factor = scalarConstant(b, loc, element, f);
          return isFloat ? Value(arith::MulFOp::create(b, loc, x, factor))
                         : Value(arith::MulIOp::create(b, loc, x, factor));
        };
        Value result = mulBy(s[0], alpha);
        if (s.size() > 1) {
          Value term = mulBy(s[1], beta);
          result = isFloat ? Value(arith::AddFOp::create(b, loc, result, term))
                           : Value(arith::AddIOp::create(b, loc, result, term));
        }
        return result;
      });
  if (failed(y))
    return failure();
  node.replace(*y);
  return success();
}

/// Einsum: the product of all inputs summed over the letters missing from
/// the output, as one linalg.generic. Repeated letters in an input read a
/// diagonal; "..." stands for the same leading dims in every term.
LogicalResult convertEinsum(OnnxNode &node) {
  StringRef equation = node.stringAttr("equation", "");
  std::string eq;
  for (char c : equation)
    if (c != ' ')
      eq.push_back(c);
  size_t arrow = eq.find("->");
  SmallVector<StringRef> terms;
  StringRef(eq).substr(0, arrow).split(terms, ',');
  unsigned numInputs = node.getNumInputs();
  if (terms.size() != numInputs || numInputs == 0)
    return node.emitError() << "equation '" << equation << "' does not have "
                            << numInputs << " input terms";
  SmallVector<RankedTensorType> types;
  for (unsigned i = 0; i < numInputs; ++i) {
    FailureOr<RankedTensorType> t = node.rankedInput(i);
    if (failed(t))
      return failure();
    types.push_back(*t);
  }
  Type element = types[0].getElementType();
  if (node.isUnsigned(0) || llvm::any_of(types, [&](RankedTensorType t) {
        return t.getElementType() != element;
      }))
    return node.emitError() << "inputs must have one signed element type";

  // "..." becomes digits, which are not einsum letters.
  int64_t ellipsisRank = 0;
  SmallVector<std::string> inputs;
  for (auto [term, type] : llvm::zip(terms, types)) {
    size_t dots = term.find("...");
    int64_t named = term.size() - (dots == StringRef::npos ? 0 : 3);
    if (dots != StringRef::npos)
      ellipsisRank = std::max(ellipsisRank, type.getRank() - named);
    if (dots == StringRef::npos && named != type.getRank())
      return node.emitError() << "term '" << term << "' does not match rank "
                              << type.getRank();
  }
  for (auto [term, type] : llvm::zip(terms, types)) {
    size_t dots = term.find("...");
    std::string letters = term.str();
    if (dots != StringRef::npos) {
      int64_t own = type.getRank() - (static_cast<int64_t>(term.size()) - 3);
      std::string ellipsis;
      for (int64_t i = ellipsisRank - own; i < ellipsisRank; ++i)
        ellipsis.push_back('0' + i);
      letters = term.substr(0, dots).str() + ellipsis + term.substr(dots + 3).str();
    }
    inputs.push_back(letters);
  }
  std::string output;
  if (arrow != std::string::npos) {
    std::string out = eq.substr(arrow + 2);
    size_t dots = out.find("...");
    if (dots != std::string::npos) {
      std::string ellipsis;
      for (int64_t i = 0; i < ellipsisRank; ++i)
        ellipsis.push_back('0' + i);
      out = out.substr(0, dots) + ellipsis + out.substr(dots + 3);
    }
    output = out;
  } else {
    // Implicit output: the ellipsis, then letters seen once, sorted.
    std::map<char, int> counts;
    for (const std::string &in : inputs)
      for (char c : in)
        ++counts[c];
    for (int64_t i = 0; i < ellipsisRank; ++i)
      output.push_back('0' + i);
    for (auto [c, n] : counts)
      if (n == 1 && llvm::isAlpha(c))
        output.push_back(c);
  }

  // Loops: output letters first, then the summed ones.
  std::string loops = output;
  for (const std::string &in : inputs)
    for (char c : in)
      if (loops.find(c) == std::string::npos)
        loops.push_back(c);
  SmallVector<LoopDim> dims(loops.size(), LoopDim{1, Value(), 0});
  for (unsigned i = 0; i < numInputs; ++i)
    for (auto [pos, c] : llvm::enumerate(inputs[i])) {
      LoopDim &dim = dims[loops.find(c)];
      int64_t size = types[i].getDimSize(pos);
      if (!ShapedType::isDynamic(dim.size) && !ShapedType::isDynamic(size) &&
          dim.size != 1 && size != 1 && dim.size != size)
        return node.emitError() << "letter '" << c << "' has sizes " << dim.size
                                << " and " << size;
      merge(dim, size, node.input(i), pos);
    }
  MLIRContext *ctx = node.builder().getContext();
  int64_t numLoops = loops.size();
  auto mapOf = [&](StringRef letters, RankedTensorType type) {
    SmallVector<AffineExpr> exprs;
    for (auto [pos, c] : llvm::enumerate(letters)) {
      int64_t loop = loops.find(c);
      exprs.push_back(type && type.getDimSize(pos) == 1 && dims[loop].size != 1
                          ? getAffineConstantExpr(0, ctx)
                          : getAffineDimExpr(loop, ctx));
    }
    return AffineMap::get(numLoops, 0, exprs, ctx);
  };
  SmallVector<AffineMap> maps;
  for (unsigned i = 0; i < numInputs; ++i)
    maps.push_back(mapOf(inputs[i], types[i]));
  AffineMap outMap = mapOf(output, RankedTensorType());
  maps.push_back(outMap);

  OpBuilder &b = node.builder();
  Location loc = node.getLoc();
  SmallVector<int64_t> shape;
  SmallVector<Value> dynamic;
  for (char c : output) {
    const LoopDim &dim = dims[loops.find(c)];
    shape.push_back(dim.size);
    if (ShapedType::isDynamic(dim.size))
      dynamic.push_back(tensor::DimOp::create(b, loc, dim.source, dim.sourceDim));
  }
  auto type = RankedTensorType::get(shape, element);
  Value init = linalg::FillOp::create(
                   b, loc, scalarConstant(b, loc, element, 0.0),
                   tensor::EmptyOp::create(b, loc, type, dynamic).getResult())
                   .getResult(0);
  SmallVector<utils::IteratorType> iterators;
  for (int64_t i = 0; i < numLoops; ++i)
    iterators.push_back(i < static_cast<int64_t>(output.size())
                            ? utils::IteratorType::parallel
                            : utils::IteratorType::reduction);
  bool isFloat = isa<FloatType>(element);
  SmallVector<Value> operands;
  for (unsigned i = 0; i < numInputs; ++i)
    operands.push_back(node.input(i));
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{type}, operands, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value product = args[0];
        for (Value v : args.drop_front().drop_back())
          product = isFloat ? Value(arith::MulFOp::create(nb, nl, product, v))
                            : Value(arith::MulIOp::create(nb, nl, product, v));
        Value sum = isFloat ? Value(arith::AddFOp::create(nb, nl, args.back(), product))
                            : Value(arith::AddIOp::create(nb, nl, args.back(), product));
        linalg::YieldOp::create(nb, nl, sum);
      });
  node.replace(generic.getResult(0));
  return success();
}

} // namespace

void moe::populateOnnxMatMulHandlers(OnnxOpTable &table) {
  table.on("MatMul", 1, convertMatMul);
  table.on("Gemm", 1, convertGemm);
  table.on("Einsum", 12, convertEinsum);
  table.on("MatMulInteger", 10, convertMatMulInteger);
  table.on("QLinearMatMul", 10, convertQLinearMatMul);
}
