//===- LoadModel.cpp - Read, check and normalise an ONNX model ------------===//

#include "OnnxProto.h"
#include "moe/Frontend/Onnx/Import.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/MemoryBuffer.h"

#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <onnx/shape_inference/implementation.h>
#include <onnx/version_converter/convert.h>

using namespace mlir;

/// The newest IR version and default-domain opset libonnx 1.12 understands.
static constexpr int64_t kKnownIrVersion = 8;
static constexpr int64_t kKnownOpset = 17;

static bool hasExternalData(const ::onnx::ModelProto &model) {
  return llvm::any_of(model.graph().initializer(), [](const auto &tensor) {
    return tensor.data_location() == ::onnx::TensorProto::EXTERNAL;
  });
}

/// libonnx's checker looks for external data files relative to the working
/// directory; the importer reads and confines them itself (Tensors.cpp), so
/// the checker gets a copy whose external tensors are inline scalars.
static ::onnx::ModelProto withoutExternalData(const ::onnx::ModelProto &model) {
  ::onnx::ModelProto copy = model;
  for (::onnx::TensorProto &tensor : *copy.mutable_graph()->mutable_initializer())
    if (tensor.data_location() == ::onnx::TensorProto::EXTERNAL) {
      tensor.clear_external_data();
      tensor.clear_data_location();
      tensor.clear_dims();
      tensor.set_raw_data(std::string(8, '\0'));
    }
  return copy;
}

llvm::StringMap<int64_t>
onnx_import::importedOpsets(const ::onnx::ModelProto &model) {
  llvm::StringMap<int64_t> opsets;
  for (const ::onnx::OperatorSetIdProto &opset : model.opset_import()) {
    StringRef domain = opset.domain();
    opsets[domain == "ai.onnx" ? "" : domain] = opset.version();
  }
  // Before IR 3 a model without imports used opset 1 of the default domain.
  if (opsets.empty() && model.ir_version() < 3)
    opsets[""] = 1;
  return opsets;
}

FailureOr<::onnx::ModelProto>
onnx_import::loadModel(Location loc, StringRef path,
                       const ImportOptions &options) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return emitError(loc) << "cannot read '" << path
                          << "': " << buffer.getError().message();
  ::onnx::ModelProto model;
  StringRef bytes = (*buffer)->getBuffer();
  if (bytes.size() > static_cast<size_t>(INT32_MAX) ||
      !model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return emitError(loc) << "'" << path
                          << "' is not an ONNX model (protobuf parsing "
                             "failed: truncated or not a ModelProto)";
  if (!model.has_graph())
    return emitError(loc) << "'" << path << "' is not an ONNX model (no graph)";
  if (failed(sortNodes(loc, *model.mutable_graph())))
    return failure();
  llvm::StringMap<int64_t> opsets = importedOpsets(model);
  // A model of other domains only (ai.onnx.ml, training) imports as well;
  // its ops are for the conversions to accept or refuse.
  int64_t defaultOpset = opsets.lookup("");
  if (model.ir_version() > kKnownIrVersion || defaultOpset > kKnownOpset)
    return model;

  try {
    if (hasExternalData(model))
      ::onnx::checker::check_model(withoutExternalData(model));
    else
      ::onnx::checker::check_model(model);
  } catch (const std::exception &e) {
    return emitError(loc) << "the model fails ONNX's checker: " << e.what();
  }
  if (defaultOpset > 0 && defaultOpset < options.normalizeOpsetTo) {
    // Adapters exist for most ops; a model the converter cannot take is
    // imported at its own opset, which the conversions also handle.
    try {
      model = ::onnx::version_conversion::ConvertVersion(
          model, static_cast<int>(options.normalizeOpsetTo));
    } catch (const std::exception &) {
    }
  }
  try {
    ::onnx::ShapeInferenceOptions inference{/*check_type=*/false,
                                          /*error_mode=*/0,
                                          /*enable_data_propagation=*/true};
    ::onnx::shape_inference::InferShapes(model, ::onnx::OpSchemaRegistry::Instance(),
                                       inference);
  } catch (const std::exception &) {
    // Inference is best effort: what it cannot type, the importer does.
  }
  return model;
}
