//===- Elementwise.cpp - ONNX elementwise ops -----------------------------===//
//
// Math, comparison, logic, Where, Cast and Clip: each a linalg.generic over
// the broadcast inputs whose body is the op on one element. Bodies see
// signless scalars; signedness comes from the node's input types.
//
//===----------------------------------------------------------------------===//

#include "Broadcast.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>

using namespace mlir;
using namespace mlir::moe;

namespace {

/// What an op's result element type is.
enum class Result { SameAsInput, Bool };
/// What element types an op takes.
enum class Accepts { Float, Numeric, Bool, Any };

/// The scalars of one element: one per ONNX input position, null when absent.
using Scalars = ArrayRef<Value>;
using Body = std::function<Value(OnnxNode &, OpBuilder &, Location, Scalars)>;

Type signlessElement(Type type) {
  Type element = cast<ShapedType>(type).getElementType();
  if (element.isUnsignedInteger())
    return IntegerType::get(type.getContext(), element.getIntOrFloatBitWidth());
  return element;
}

bool accepts(Accepts kind, Type element) {
  switch (kind) {
  case Accepts::Float:
    return isa<FloatType>(element);
  case Accepts::Numeric:
    return isa<FloatType>(element) ||
           (element.isIntOrIndex() && !element.isInteger(1));
  case Accepts::Bool:
    return element.isInteger(1);
  case Accepts::Any:
    return true;
  }
  llvm_unreachable("unknown kind");
}

StringRef describe(Accepts kind) {
  switch (kind) {
  case Accepts::Float:
    return "floating-point";
  case Accepts::Numeric:
    return "numeric";
  case Accepts::Bool:
    return "bool";
  case Accepts::Any:
    return "any";
  }
  llvm_unreachable("unknown kind");
}

/// Converts a node whose inputs all broadcast together.
LogicalResult convertElementwise(OnnxNode &node, Accepts kind, Result result,
                                 const Body &body) {
  SmallVector<Value> present;
  SmallVector<int> positions;
  for (unsigned i = 0; i < node.getNumInputs(); ++i)
    if (Value value = node.signlessInput(i)) {
      present.push_back(value);
      positions.push_back(i);
    }
  if (present.empty())
    return node.emitError() << "needs at least one input";
  Type element = signlessElement(present.front().getType());
  if (!accepts(kind, element))
    return node.emitError() << "takes " << describe(kind)
                            << " inputs, not " << element;
  Type resultElement =
      result == Result::Bool ? node.builder().getI1Type() : element;
  unsigned numInputs = node.getNumInputs();
  FailureOr<Value> value = buildBroadcastElementwise(
      node, present, resultElement,
      [&](OpBuilder &b, Location loc, ValueRange scalars) {
        SmallVector<Value> byPosition(numInputs);
        for (auto [position, scalar] : llvm::zip(positions, scalars))
          byPosition[position] = scalar;
        return body(node, b, loc, byPosition);
      });
  if (failed(value))
    return failure();
  node.replace(*value);
  return success();
}

void elementwise(OnnxOpTable &table, StringRef name, int64_t since,
                 Accepts kind, Body body, Result result = Result::SameAsInput) {
  table.on(name, since, [kind, result, body](OnnxNode &node) {
    return convertElementwise(node, kind, result, body);
  });
}

bool isFloat(Value v) { return isa<FloatType>(v.getType()); }

Value constant(OpBuilder &b, Location loc, Value like, double value) {
  return scalarConstant(b, loc, like.getType(), value);
}

// Float bodies built from math and arith.
Value sigmoid(OpBuilder &b, Location loc, Value x) {
  Value one = constant(b, loc, x, 1.0);
  Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
  return arith::DivFOp::create(b, loc, one, arith::AddFOp::create(b, loc, one, e));
}

Value clamp01(OpBuilder &b, Location loc, Value x) {
  Value zero = constant(b, loc, x, 0.0), one = constant(b, loc, x, 1.0);
  return arith::MaximumFOp::create(b, loc, zero,
                                   arith::MinimumFOp::create(b, loc, one, x));
}

Value maxOf(OpBuilder &b, Location loc, Value x, Value y, bool isUnsigned) {
  if (isFloat(x))
    return arith::MaximumFOp::create(b, loc, x, y);
  return isUnsigned ? Value(arith::MaxUIOp::create(b, loc, x, y))
                    : Value(arith::MaxSIOp::create(b, loc, x, y));
}

Value minOf(OpBuilder &b, Location loc, Value x, Value y, bool isUnsigned) {
  if (isFloat(x))
    return arith::MinimumFOp::create(b, loc, x, y);
  return isUnsigned ? Value(arith::MinUIOp::create(b, loc, x, y))
                    : Value(arith::MinSIOp::create(b, loc, x, y));
}

/// ONNX Cast of one scalar, between signless types with the given
/// signedness of the integer source and target.
Value castScalar(OpBuilder &b, Location loc, Value x, bool fromUnsigned,
                 Type to, bool toUnsigned) {
  Type from = x.getType();
  if (from == to)
    return x;
  if (to.isInteger(1)) {
    if (isa<FloatType>(from))
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, x,
                                   scalarConstant(b, loc, from, 0.0));
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, x,
                                 scalarConstant(b, loc, from, 0));
  }
  bool fromBool = from.isInteger(1);
  if (auto toFloat = dyn_cast<FloatType>(to)) {
    if (auto fromFloat = dyn_cast<FloatType>(from))
      return fromFloat.getWidth() < toFloat.getWidth()
                 ? Value(arith::ExtFOp::create(b, loc, to, x))
                 : Value(arith::TruncFOp::create(b, loc, to, x));
    return fromUnsigned || fromBool ? Value(arith::UIToFPOp::create(b, loc, to, x))
                                    : Value(arith::SIToFPOp::create(b, loc, to, x));
  }
  if (isa<FloatType>(from))
    return toUnsigned ? Value(arith::FPToUIOp::create(b, loc, to, x))
                      : Value(arith::FPToSIOp::create(b, loc, to, x));
  unsigned fromWidth = from.getIntOrFloatBitWidth();
  unsigned toWidth = to.getIntOrFloatBitWidth();
  if (fromWidth > toWidth)
    return arith::TruncIOp::create(b, loc, to, x);
  if (fromWidth == toWidth)
    return x;
  return fromUnsigned || fromBool ? Value(arith::ExtUIOp::create(b, loc, to, x))
                                  : Value(arith::ExtSIOp::create(b, loc, to, x));
}

/// Registers a comparison: float predicate, and signed/unsigned integer
/// predicates.
void comparison(OnnxOpTable &table, StringRef name, int64_t since,
                arith::CmpFPredicate fp, arith::CmpIPredicate si,
                arith::CmpIPredicate ui) {
  elementwise(
      table, name, since, Accepts::Any,
      [=](OnnxNode &node, OpBuilder &b, Location loc, Scalars s) -> Value {
        if (isFloat(s[0]))
          return arith::CmpFOp::create(b, loc, fp, s[0], s[1]);
        return arith::CmpIOp::create(b, loc, node.isUnsigned(0) ? ui : si,
                                     s[0], s[1]);
      },
      Result::Bool);
}

/// Registers a variadic op that folds its inputs pairwise.
void variadic(OnnxOpTable &table, StringRef name, int64_t since,
              std::function<Value(OnnxNode &, OpBuilder &, Location, Value, Value)>
                  combine,
              bool mean = false) {
  Body body = [=](OnnxNode &node, OpBuilder &b, Location loc, Scalars s) {
    Value acc = s[0];
    for (Value x : s.drop_front())
      acc = combine(node, b, loc, acc, x);
    if (mean)
      acc = arith::DivFOp::create(b, loc, acc,
                                  constant(b, loc, acc, double(s.size())));
    return acc;
  };
  table.on(name, since, [body](OnnxNode &node) -> LogicalResult {
    // Every input of a variadic op is an operand: none may be left out.
    for (unsigned i = 0; i < node.getNumInputs(); ++i)
      if (!node.input(i))
        return node.emitError() << "input " << i << " is empty";
    return convertElementwise(node, Accepts::Numeric, Result::SameAsInput, body);
  });
}

/// A float op that is one math op on the element.
template <typename MathOp>
void unaryMath(OnnxOpTable &table, StringRef name, int64_t since) {
  elementwise(table, name, since, Accepts::Float,
              [](OnnxNode &, OpBuilder &b, Location loc, Scalars s) -> Value {
                return MathOp::create(b, loc, s[0]);
              });
}

} // namespace

void moe::populateOnnxElementwiseHandlers(OnnxOpTable &table) {
  using B = OpBuilder;
  using L = Location;

  // Arithmetic on floats and integers.
  elementwise(table, "Add", 1, Accepts::Numeric,
              [](OnnxNode &, B &b, L loc, Scalars s) -> Value {
                if (isFloat(s[0]))
                  return arith::AddFOp::create(b, loc, s[0], s[1]);
                return arith::AddIOp::create(b, loc, s[0], s[1]);
              });
  elementwise(table, "Sub", 1, Accepts::Numeric,
              [](OnnxNode &, B &b, L loc, Scalars s) -> Value {
                if (isFloat(s[0]))
                  return arith::SubFOp::create(b, loc, s[0], s[1]);
                return arith::SubIOp::create(b, loc, s[0], s[1]);
              });
  elementwise(table, "Mul", 1, Accepts::Numeric,
              [](OnnxNode &, B &b, L loc, Scalars s) -> Value {
                if (isFloat(s[0]))
                  return arith::MulFOp::create(b, loc, s[0], s[1]);
                return arith::MulIOp::create(b, loc, s[0], s[1]);
              });
  elementwise(table, "Div", 1, Accepts::Numeric,
              [](OnnxNode &node, B &b, L loc, Scalars s) -> Value {
                if (isFloat(s[0]))
                  return arith::DivFOp::create(b, loc, s[0], s[1]);
                if (node.isUnsigned(0))
                  return arith::DivUIOp::create(b, loc, s[0], s[1]);
                return arith::DivSIOp::create(b, loc, s[0], s[1]);
              });
  elementwise(table, "Mod", 10, Accepts::Numeric,
              [](OnnxNode &node, B &b, L loc, Scalars s) -> Value {
                // fmod=1 is C's fmod (sign of the dividend); fmod=0, for
                // integers only, takes the sign of the divisor like Python.
                if (isFloat(s[0]))
                  return arith::RemFOp::create(b, loc, s[0], s[1]);
                if (node.isUnsigned(0))
                  return arith::RemUIOp::create(b, loc, s[0], s[1]);
                Value rem = arith::RemSIOp::create(b, loc, s[0], s[1]);
                if (node.intAttr("fmod", 0) == 1)
                  return rem;
                Value zero = constant(b, loc, rem, 0);
                Value remNegative = arith::CmpIOp::create(
                    b, loc, arith::CmpIPredicate::slt, rem, zero);
                Value divisorNegative = arith::CmpIOp::create(
                    b, loc, arith::CmpIPredicate::slt, s[1], zero);
                Value nonZero = arith::CmpIOp::create(
                    b, loc, arith::CmpIPredicate::ne, rem, zero);
                Value signsDiffer = arith::XOrIOp::create(
                    b, loc, remNegative, divisorNegative);
                Value fix = arith::AndIOp::create(b, loc, nonZero, signsDiffer);
                return arith::SelectOp::create(
                    b, loc, fix, arith::AddIOp::create(b, loc, rem, s[1]), rem);
              });
  table.on("Pow", 1, [](OnnxNode &node) {
    Type base = node.input(0) ? signlessElement(node.input(0).getType()) : Type();
    bool unsignedExponent = node.isUnsigned(1);
    return convertElementwise(
        node, Accepts::Numeric, Result::SameAsInput,
        [base, unsignedExponent](OnnxNode &, B &b, L loc, Scalars s) -> Value {
          Value x = s[0], y = s[1];
          if (isa<FloatType>(base)) {
            y = castScalar(b, loc, y, unsignedExponent, base, false);
            return math::PowFOp::create(b, loc, x, y);
          }
          if (!isFloat(y)) {
            y = castScalar(b, loc, y, unsignedExponent, base, false);
            return math::IPowIOp::create(b, loc, x, y);
          }
          // An integer base to a float power is computed in that float.
          Value xf = castScalar(b, loc, x, false, y.getType(), false);
          Value r = math::PowFOp::create(b, loc, xf, y);
          return castScalar(b, loc, r, false, base, false);
        });
  });
  variadic(table, "Sum", 1,
           [](OnnxNode &, B &b, L loc, Value x, Value y) -> Value {
             if (isFloat(x))
               return arith::AddFOp::create(b, loc, x, y);
             return arith::AddIOp::create(b, loc, x, y);
           });
  variadic(
      table, "Mean", 1,
      [](OnnxNode &, B &b, L loc, Value x, Value y) -> Value {
        return arith::AddFOp::create(b, loc, x, y);
      },
      /*mean=*/true);
  variadic(table, "Max", 1, [](OnnxNode &node, B &b, L loc, Value x, Value y) {
    return maxOf(b, loc, x, y, node.isUnsigned(0));
  });
  variadic(table, "Min", 1, [](OnnxNode &node, B &b, L loc, Value x, Value y) {
    return minOf(b, loc, x, y, node.isUnsigned(0));
  });

  // Unary on floats and integers.
  elementwise(table, "Neg", 1, Accepts::Numeric,
              [](OnnxNode &, B &b, L loc, Scalars s) -> Value {
                if (isFloat(s[0]))
                  return arith::NegFOp::create(b, loc, s[0]);
                return arith::SubIOp::create(b, loc, constant(b, loc, s[0], 0),
                                             s[0]);
              });
  elementwise(table, "Abs", 1, Accepts::Numeric,
              [](OnnxNode &node, B &b, L loc, Scalars s) -> Value {
                if (isFloat(s[0]))
                  return math::AbsFOp::create(b, loc, s[0]);
                if (node.isUnsigned(0))
                  return s[0];
                return math::AbsIOp::create(b, loc, s[0]);
              });
  elementwise(table, "Sign", 9, Accepts::Numeric,
              [](OnnxNode &node, B &b, L loc, Scalars s) -> Value {
                Value x = s[0];
                Value zero = constant(b, loc, x, 0), one = constant(b, loc, x, 1);
                Value minusOne = constant(b, loc, x, -1);
                Value positive, negative;
                if (isFloat(x)) {
                  positive = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, zero);
                  negative = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, zero);
                } else {
                  positive = arith::CmpIOp::create(
                      b, loc,
                      node.isUnsigned(0) ? arith::CmpIPredicate::ugt
                                         : arith::CmpIPredicate::sgt,
                      x, zero);
                  negative = arith::CmpIOp::create(
                      b, loc,
                      node.isUnsigned(0) ? arith::CmpIPredicate::ult
                                         : arith::CmpIPredicate::slt,
                      x, zero);
                }
                // NaN stays NaN: x itself when neither side holds.
                Value rest = isFloat(x) ? x : zero;
                Value sign = arith::SelectOp::create(b, loc, negative, minusOne, rest);
                return arith::SelectOp::create(b, loc, positive, one, sign);
              });
  elementwise(table, "Relu", 1, Accepts::Numeric,
              [](OnnxNode &node, B &b, L loc, Scalars s) {
                return maxOf(b, loc, s[0], constant(b, loc, s[0], 0),
                             node.isUnsigned(0));
              });

  // Unary on floats.
  auto unary = [&](StringRef name, int64_t since,
                   std::function<Value(OnnxNode &, B &, L, Value)> fn) {
    elementwise(table, name, since, Accepts::Float,
                [fn](OnnxNode &node, B &b, L loc, Scalars s) {
                  return fn(node, b, loc, s[0]);
                });
  };
  unaryMath<math::SqrtOp>(table, "Sqrt", 1);
  unary("Reciprocal", 1, [](OnnxNode &, B &b, L loc, Value x) -> Value {
    return arith::DivFOp::create(b, loc, constant(b, loc, x, 1.0), x);
  });
  unaryMath<math::ExpOp>(table, "Exp", 1);
  unaryMath<math::LogOp>(table, "Log", 1);
  unaryMath<math::ErfOp>(table, "Erf", 9);
  unaryMath<math::TanhOp>(table, "Tanh", 1);
  unaryMath<math::CosOp>(table, "Cos", 7);
  unaryMath<math::SinOp>(table, "Sin", 7);
  unaryMath<math::FloorOp>(table, "Floor", 1);
  unaryMath<math::CeilOp>(table, "Ceil", 1);
  unaryMath<math::RoundEvenOp>(table, "Round", 11);
  unary("Sigmoid", 1, [](OnnxNode &, B &b, L loc, Value x) {
    return sigmoid(b, loc, x);
  });
  unary("LeakyRelu", 1, [](OnnxNode &node, B &b, L loc, Value x) -> Value {
    Value alpha = constant(b, loc, x, node.floatAttr("alpha", 0.01f));
    Value negative = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT,
                                           x, constant(b, loc, x, 0.0));
    return arith::SelectOp::create(b, loc, negative,
                                   arith::MulFOp::create(b, loc, alpha, x), x);
  });
  unary("Elu", 1, [](OnnxNode &node, B &b, L loc, Value x) -> Value {
    Value alpha = constant(b, loc, x, node.floatAttr("alpha", 1.0f));
    Value expm1 = math::ExpM1Op::create(b, loc, x);
    Value negative = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT,
                                           x, constant(b, loc, x, 0.0));
    return arith::SelectOp::create(
        b, loc, negative, arith::MulFOp::create(b, loc, alpha, expm1), x);
  });
  unary("Selu", 1, [](OnnxNode &node, B &b, L loc, Value x) -> Value {
    Value alpha = constant(b, loc, x, node.floatAttr("alpha", 1.67326319217681884765625f));
    Value gamma = constant(b, loc, x, node.floatAttr("gamma", 1.05070102214813232421875f));
    Value negative = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLE,
                                           x, constant(b, loc, x, 0.0));
    Value below = arith::SubFOp::create(
        b, loc, arith::MulFOp::create(b, loc, alpha, math::ExpOp::create(b, loc, x)),
        alpha);
    Value inner = arith::SelectOp::create(b, loc, negative, below, x);
    return arith::MulFOp::create(b, loc, gamma, inner);
  });
  unary("Celu", 12, [](OnnxNode &node, B &b, L loc, Value x) -> Value {
    Value alpha = constant(b, loc, x, node.floatAttr("alpha", 1.0f));
    Value zero = constant(b, loc, x, 0.0);
    Value expm1 = math::ExpM1Op::create(b, loc, arith::DivFOp::create(b, loc, x, alpha));
    Value negativePart = arith::MinimumFOp::create(
        b, loc, zero, arith::MulFOp::create(b, loc, alpha, expm1));
    return arith::AddFOp::create(
        b, loc, arith::MaximumFOp::create(b, loc, zero, x), negativePart);
  });
  unary("Softplus", 1, [](OnnxNode &, B &b, L loc, Value x) -> Value {
    // log(1 + e^x) = max(x, 0) + log1p(e^-|x|), without overflow.
    Value zero = constant(b, loc, x, 0.0);
    Value tail = math::Log1pOp::create(
        b, loc, math::ExpOp::create(
                    b, loc, arith::NegFOp::create(b, loc, math::AbsFOp::create(b, loc, x))));
    return arith::AddFOp::create(b, loc, arith::MaximumFOp::create(b, loc, x, zero),
                                 tail);
  });
  unary("HardSigmoid", 1, [](OnnxNode &node, B &b, L loc, Value x) -> Value {
    Value alpha = constant(b, loc, x, node.floatAttr("alpha", 0.2f));
    Value beta = constant(b, loc, x, node.floatAttr("beta", 0.5f));
    return clamp01(b, loc,
                   arith::AddFOp::create(b, loc, arith::MulFOp::create(b, loc, alpha, x),
                                         beta));
  });
  unary("HardSwish", 14, [](OnnxNode &, B &b, L loc, Value x) -> Value {
    Value scaled = arith::AddFOp::create(
        b, loc, arith::MulFOp::create(b, loc, x, constant(b, loc, x, 1.0 / 6.0)),
        constant(b, loc, x, 0.5));
    return arith::MulFOp::create(b, loc, x, clamp01(b, loc, scaled));
  });
  unary("Gelu", 20, [](OnnxNode &node, B &b, L loc, Value x) -> Value {
    Value half = constant(b, loc, x, 0.5), one = constant(b, loc, x, 1.0);
    Value inner;
    if (node.stringAttr("approximate", "none") == "tanh") {
      Value cube = arith::MulFOp::create(b, loc, x, arith::MulFOp::create(b, loc, x, x));
      Value poly = arith::AddFOp::create(
          b, loc, x, arith::MulFOp::create(b, loc, constant(b, loc, x, 0.044715), cube));
      inner = math::TanhOp::create(
          b, loc, arith::MulFOp::create(b, loc, constant(b, loc, x, std::sqrt(2.0 / M_PI)), poly));
    } else {
      inner = math::ErfOp::create(
          b, loc, arith::MulFOp::create(b, loc, x, constant(b, loc, x, M_SQRT1_2)));
    }
    return arith::MulFOp::create(
        b, loc, arith::MulFOp::create(b, loc, half, x),
        arith::AddFOp::create(b, loc, one, inner));
  });

  // Comparison and logic.
  comparison(table, "Equal", 1, arith::CmpFPredicate::OEQ,
             arith::CmpIPredicate::eq, arith::CmpIPredicate::eq);
  comparison(table, "Less", 1, arith::CmpFPredicate::OLT,
             arith::CmpIPredicate::slt, arith::CmpIPredicate::ult);
  comparison(table, "LessOrEqual", 12, arith::CmpFPredicate::OLE,
             arith::CmpIPredicate::sle, arith::CmpIPredicate::ule);
  comparison(table, "Greater", 1, arith::CmpFPredicate::OGT,
             arith::CmpIPredicate::sgt, arith::CmpIPredicate::ugt);
  comparison(table, "GreaterOrEqual", 12, arith::CmpFPredicate::OGE,
             arith::CmpIPredicate::sge, arith::CmpIPredicate::uge);
  elementwise(table, "Not", 1, Accepts::Bool,
              [](OnnxNode &, B &b, L loc, Scalars s) -> Value {
                return arith::XOrIOp::create(b, loc, s[0],
                                             constant(b, loc, s[0], 1));
              });
  elementwise(table, "And", 1, Accepts::Bool,
              [](OnnxNode &, B &b, L loc, Scalars s) -> Value {
                return arith::AndIOp::create(b, loc, s[0], s[1]);
              });
  elementwise(table, "Or", 1, Accepts::Bool,
              [](OnnxNode &, B &b, L loc, Scalars s) -> Value {
                return arith::OrIOp::create(b, loc, s[0], s[1]);
              });
  elementwise(table, "Xor", 1, Accepts::Bool,
              [](OnnxNode &, B &b, L loc, Scalars s) -> Value {
                return arith::XOrIOp::create(b, loc, s[0], s[1]);
              });
  elementwise(
      table, "IsNaN", 9, Accepts::Float,
      [](OnnxNode &, B &b, L loc, Scalars s) -> Value {
        return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, s[0], s[0]);
      },
      Result::Bool);
  elementwise(
      table, "IsInf", 10, Accepts::Float,
      [](OnnxNode &node, B &b, L loc, Scalars s) -> Value {
        Value x = s[0];
        Value inf = constant(b, loc, x, INFINITY);
        Value ninf = constant(b, loc, x, -INFINITY);
        Value pos = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, x, inf);
        Value neg = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, x, ninf);
        Value no = arith::ConstantOp::create(b, loc, b.getBoolAttr(false));
        if (!node.intAttr("detect_positive", 1))
          pos = no;
        if (!node.intAttr("detect_negative", 1))
          neg = no;
        return arith::OrIOp::create(b, loc, pos, neg);
      },
      Result::Bool);

  // Where: the condition is input 0, the result takes the type of input 1.
  table.on("Where", 9, [](OnnxNode &node) -> LogicalResult {
    Value cond = node.input(0), x = node.signlessInput(1), y = node.signlessInput(2);
    if (!cond || !x || !y)
      return node.emitError() << "needs a condition and two values";
    FailureOr<Value> value = buildBroadcastElementwise(
        node, {cond, x, y}, signlessElement(x.getType()),
        [](B &b, L loc, ValueRange s) -> Value {
          return arith::SelectOp::create(b, loc, s[0], s[1], s[2]);
        });
    if (failed(value))
      return failure();
    node.replace(*value);
    return success();
  });

  auto castTo = [](OnnxNode &node, Type target) -> LogicalResult {
    Value x = node.signlessInput(0);
    if (!x)
      return node.emitError() << "needs an input";
    bool fromUnsigned = node.isUnsigned(0);
    bool toUnsigned = target.isUnsignedInteger();
    Type to = target;
    if (toUnsigned)
      to = IntegerType::get(target.getContext(), target.getIntOrFloatBitWidth());
    FailureOr<Value> value = buildBroadcastElementwise(
        node, {x}, to, [&](B &b, L loc, ValueRange s) {
          return castScalar(b, loc, s[0], fromUnsigned, to, toUnsigned);
        });
    if (failed(value))
      return failure();
    node.replace(*value);
    return success();
  };
  table.on("Cast", 6, [castTo](OnnxNode &node) -> LogicalResult {
    // The importer typed the result with the `to` element type.
    auto result = dyn_cast<ShapedType>(node.getOp().getResult(0).getType());
    if (!result)
      return node.emitError() << "has no tensor result type";
    return castTo(node, result.getElementType());
  });
  table.on("CastLike", 15, [castTo](OnnxNode &node) -> LogicalResult {
    Value like = node.input(1);
    if (!like)
      return node.emitError() << "needs the target_type input";
    return castTo(node, cast<ShapedType>(like.getType()).getElementType());
  });

  // Clip: bounds are attributes before opset 11 and optional inputs after.
  table.on("Clip", 6, [](OnnxNode &node) {
    float lo = node.floatAttr("min", -INFINITY), hi = node.floatAttr("max", INFINITY);
    return convertElementwise(node, Accepts::Float, Result::SameAsInput,
                              [lo, hi](OnnxNode &, B &b, L loc, Scalars s) -> Value {
                                Value x = s[0];
                                x = arith::MaximumFOp::create(b, loc, x, constant(b, loc, x, lo));
                                return arith::MinimumFOp::create(b, loc, x, constant(b, loc, x, hi));
                              });
  });
  table.on("Clip", 11, [](OnnxNode &node) {
    bool isUnsigned = node.isUnsigned(0);
    return convertElementwise(node, Accepts::Numeric, Result::SameAsInput,
                              [isUnsigned](OnnxNode &, B &b, L loc, Scalars s) {
                                Value x = s[0];
                                if (s.size() > 1 && s[1])
                                  x = maxOf(b, loc, x, s[1], isUnsigned);
                                if (s.size() > 2 && s[2])
                                  x = minOf(b, loc, x, s[2], isUnsigned);
                                return x;
                              });
  });
}
