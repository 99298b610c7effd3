//===- Types.cpp - ONNX data types and value types ------------------------===//

#include "OnnxProto.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"

using namespace mlir;

FailureOr<Type> onnx_import::convertElementType(Location loc, int32_t dataType,
                                                StringRef what) {
  MLIRContext *ctx = loc.getContext();
  Builder b(ctx);
  auto unsignedInt = [&](unsigned width) {
    return IntegerType::get(ctx, width, IntegerType::Unsigned);
  };
  switch (dataType) {
  case ::onnx::TensorProto::FLOAT:
    return b.getF32Type();
  case ::onnx::TensorProto::DOUBLE:
    return b.getF64Type();
  case ::onnx::TensorProto::FLOAT16:
    return b.getF16Type();
  case ::onnx::TensorProto::BFLOAT16:
    return b.getBF16Type();
  case ::onnx::TensorProto::BOOL:
    return b.getI1Type();
  case ::onnx::TensorProto::INT8:
    return b.getI8Type();
  case ::onnx::TensorProto::INT16:
    return b.getI16Type();
  case ::onnx::TensorProto::INT32:
    return b.getI32Type();
  case ::onnx::TensorProto::INT64:
    return b.getI64Type();
  case ::onnx::TensorProto::UINT8:
    return unsignedInt(8);
  case ::onnx::TensorProto::UINT16:
    return unsignedInt(16);
  case ::onnx::TensorProto::UINT32:
    return unsignedInt(32);
  case ::onnx::TensorProto::UINT64:
    return unsignedInt(64);
  // ONNX IR 10 adds these; libonnx 1.12 has no enumerators for them.
  case 21:
    return unsignedInt(4);
  case 22:
    return b.getIntegerType(4);
  default:
    break;
  }
  StringRef name;
  switch (dataType) {
  case ::onnx::TensorProto::STRING:
    name = "string";
    break;
  case ::onnx::TensorProto::COMPLEX64:
    name = "complex64";
    break;
  case ::onnx::TensorProto::COMPLEX128:
    name = "complex128";
    break;
  case 17:
  case 18:
  case 19:
  case 20:
    name = "float8";
    break;
  case 23:
    name = "float4e2m1";
    break;
  case ::onnx::TensorProto::UNDEFINED:
    name = "undefined";
    break;
  default:
    name = "unknown";
  }
  return emitError(loc) << what << " has data type " << name << " ("
                        << dataType
                        << "), which the compiler does not support; supported: "
                           "float, double, float16, bfloat16, bool, int4/8/16/"
                           "32/64, uint4/8/16/32/64";
}

FailureOr<Type> onnx_import::convertType(Location loc,
                                         const ::onnx::TypeProto &type,
                                         StringRef what,
                                         SmallVectorImpl<std::string> *dimParams) {
  if (!type.has_tensor_type()) {
    StringRef kind = type.has_sequence_type() ? "a sequence"
                     : type.has_map_type()    ? "a map"
                     : type.has_optional_type() ? "an optional"
                     : type.has_sparse_tensor_type() ? "a sparse tensor"
                                                      : "of no known type";
    return emitError(loc) << what << " is " << kind
                          << "; only dense tensors are supported";
  }
  const ::onnx::TypeProto::Tensor &tensor = type.tensor_type();
  FailureOr<Type> element = convertElementType(loc, tensor.elem_type(), what);
  if (failed(element))
    return failure();
  if (!tensor.has_shape())
    return Type(UnrankedTensorType::get(*element));
  SmallVector<int64_t> shape;
  for (const ::onnx::TensorShapeProto::Dimension &dim : tensor.shape().dim()) {
    if (dim.has_dim_value() && dim.dim_value() >= 0) {
      shape.push_back(dim.dim_value());
    } else if (dim.has_dim_value()) {
      return emitError(loc) << what << " has a negative dimension "
                            << dim.dim_value();
    } else {
      shape.push_back(ShapedType::kDynamic);
    }
    if (dimParams)
      dimParams->push_back(dim.has_dim_param() ? dim.dim_param() : "");
  }
  return Type(RankedTensorType::get(shape, *element));
}
