//===- OutputTypes.cpp - Element types of untyped node outputs ------------===//
//
// ONNX's shape inference in libonnx 1.12 stops at opset 17 and knows no
// com.microsoft op. For their outputs the element type still follows from
// the op's definition; the shapes are left to the conversion patterns.
//
//===----------------------------------------------------------------------===//

#include "OnnxProto.h"

#include "mlir/IR/Builders.h"

using namespace mlir;

static Type elementTypeOf(Value value) {
  if (auto shaped = dyn_cast_or_null<ShapedType>(value ? value.getType() : Type()))
    return shaped.getElementType();
  return {};
}

static Type inputElementType(ValueRange inputs, unsigned index) {
  return index < inputs.size() ? elementTypeOf(inputs[index]) : Type();
}

static const ::onnx::AttributeProto *findAttr(const ::onnx::NodeProto &node,
                                            StringRef name) {
  for (const ::onnx::AttributeProto &attr : node.attribute())
    if (attr.name() == name)
      return &attr;
  return nullptr;
}

Type onnx_import::outputElementType(const ::onnx::NodeProto &node,
                                    unsigned index, ValueRange inputs,
                                    Location loc) {
  Builder b(loc.getContext());
  StringRef op = node.op_type();
  auto dtypeAttr = [&](StringRef name) -> Type {
    const ::onnx::AttributeProto *attr = findAttr(node, name);
    if (!attr || attr->type() != ::onnx::AttributeProto::INT || attr->i() == 0)
      return {};
    FailureOr<Type> type = convertElementType(loc, attr->i(), "attribute " + name.str());
    return succeeded(type) ? *type : Type();
  };

  if (op == "Cast")
    return dtypeAttr("to");
  if (op == "CastLike")
    return inputElementType(inputs, 1);
  if (llvm::is_contained({"Shape", "Size", "NonZero", "ArgMax", "ArgMin"}, op) ||
      (op == "TopK" && index == 1) || (op == "Unique" && index > 0))
    return b.getI64Type();
  if (llvm::is_contained({"Equal", "Less", "LessOrEqual", "Greater",
                          "GreaterOrEqual", "Not", "And", "Or", "Xor", "IsNaN",
                          "IsInf"},
                         op))
    return b.getI1Type();
  if (op == "ConstantOfShape" || op == "Constant") {
    if (const ::onnx::AttributeProto *value = findAttr(node, "value")) {
      FailureOr<Type> type =
          convertElementType(loc, value->t().data_type(), "attribute value");
      return succeeded(type) ? *type : Type();
    }
    if (findAttr(node, "value_int") || findAttr(node, "value_ints"))
      return b.getI64Type();
    return b.getF32Type();
  }
  if (op == "QuantizeLinear") {
    if (Type type = dtypeAttr("output_dtype"))
      return type;
    if (Type type = inputElementType(inputs, 2))
      return type;
    return IntegerType::get(b.getContext(), 8, IntegerType::Unsigned);
  }
  if (op == "DequantizeLinear")
    return inputElementType(inputs, 1);
  if (op == "DynamicQuantizeLinear")
    return index == 1 ? Type(b.getF32Type())
                      : IntegerType::get(b.getContext(), 8, IntegerType::Unsigned);
  if (op == "MatMulInteger")
    return b.getI32Type();
  if (op == "QLinearMatMul")
    return inputElementType(inputs, 7);
  // Normalisation statistics are kept in float.
  if (index > 0 && llvm::is_contained({"LayerNormalization",
                                       "SimplifiedLayerNormalization",
                                       "SkipSimplifiedLayerNormalization",
                                       "SkipLayerNormalization",
                                       "RMSNormalization"},
                                      op) &&
      !(op.starts_with("Skip") && index == 3))
    return b.getF32Type();
  // Everything else in scope (elementwise math, data movement, attention,
  // MoE, MatMulNBits, norms) computes in the type of its first tensor input.
  for (Value input : inputs)
    if (Type type = elementTypeOf(input))
      return type;
  return {};
}
