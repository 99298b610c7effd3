//===- Attributes.cpp - ONNX node attributes to MLIR attributes -----------===//

#include "OnnxProto.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"

using namespace mlir;

FailureOr<Attribute> onnx_import::convertAttribute(
    Location loc, const ::onnx::AttributeProto &attr, StringRef modelDir,
    StringRef what) {
  Builder b(loc.getContext());
  if (!attr.ref_attr_name().empty())
    return emitError(loc) << what << " refers to a function attribute ('"
                          << attr.ref_attr_name()
                          << "'); ONNX functions are not supported";
  switch (attr.type()) {
  case ::onnx::AttributeProto::FLOAT:
    return Attribute(b.getF32FloatAttr(attr.f()));
  case ::onnx::AttributeProto::INT:
    return Attribute(b.getI64IntegerAttr(attr.i()));
  case ::onnx::AttributeProto::STRING:
    return Attribute(b.getStringAttr(attr.s()));
  case ::onnx::AttributeProto::TENSOR: {
    FailureOr<ElementsAttr> tensor =
        convertTensor(loc, attr.t(), modelDir, what);
    if (failed(tensor))
      return failure();
    return Attribute(*tensor);
  }
  case ::onnx::AttributeProto::FLOATS: {
    SmallVector<float> values(attr.floats().begin(), attr.floats().end());
    return Attribute(b.getDenseF32ArrayAttr(values));
  }
  case ::onnx::AttributeProto::INTS: {
    SmallVector<int64_t> values(attr.ints().begin(), attr.ints().end());
    return Attribute(b.getDenseI64ArrayAttr(values));
  }
  case ::onnx::AttributeProto::STRINGS: {
    SmallVector<Attribute> values;
    for (const std::string &s : attr.strings())
      values.push_back(b.getStringAttr(s));
    return Attribute(b.getArrayAttr(values));
  }
  case ::onnx::AttributeProto::GRAPH:
  case ::onnx::AttributeProto::GRAPHS:
    return emitError(loc) << what
                          << " is a subgraph; control flow (If, Loop, Scan) "
                             "is not supported";
  default:
    return emitError(loc) << what << " has attribute type "
                          << ::onnx::AttributeProto::AttributeType_Name(
                                 attr.type())
                          << ", which is not supported";
  }
}
