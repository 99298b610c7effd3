//===- LoadModel.cpp - Read, check and normalise an ONNX model ------------===//

#include "OnnxProto.h"
#include "moe/Frontend/Onnx/Import.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/MemoryBuffer.h"

#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <onnx/shape_inference/implementation.h>
#include <onnx/version_converter/convert.h>

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

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

/// Converts the default-domain opset to `normalizeTo` (when older) and runs
/// shape inference with data propagation, both best effort.
static void normalize(::onnx::ModelProto &model, int64_t defaultOpset,
                      int64_t normalizeTo) {
  if (defaultOpset > 0 && defaultOpset < normalizeTo) {
    // Adapters exist for most ops; a model the converter cannot take is
    // imported at its own opset, which the conversions also handle.
    try {
      model = ::onnx::version_conversion::ConvertVersion(
          model, static_cast<int>(normalizeTo));
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
}

/// Initializers larger than this come back from the child without their
/// data, which the parent still has.
static constexpr size_t kReturnedTensorBytes = 4096;
static constexpr const char *kStrippedMark = "moe-compile: data left in parent";

/// normalize() in a child process. libonnx 1.12's version converter and
/// shape inference index arrays by attribute values they do not check
/// (an axis of -2^31 is enough), and a crash there must not take the
/// compiler down: when the child dies, the model is imported as it is.
static ::onnx::ModelProto normalizeIsolated(const ::onnx::ModelProto &model,
                                            int64_t defaultOpset,
                                            int64_t normalizeTo) {
  int fds[2];
  if (pipe(fds) != 0)
    return model;
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return model;
  }
  if (pid == 0) {
    close(fds[0]);
    // A crash here is an answer, not a compiler crash: no stack dump.
    for (int sig : {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL})
      signal(sig, SIG_DFL);
    if (int null = open("/dev/null", O_WRONLY); null >= 0)
      dup2(null, STDERR_FILENO);
    ::onnx::ModelProto copy = model;
    normalize(copy, defaultOpset, normalizeTo);
    for (::onnx::TensorProto &tensor : *copy.mutable_graph()->mutable_initializer())
      if (tensor.ByteSizeLong() > kReturnedTensorBytes) {
        std::string name = tensor.name();
        tensor.Clear();
        tensor.set_name(name);
        tensor.set_doc_string(kStrippedMark);
      }
    std::string bytes;
    if (!copy.SerializeToString(&bytes))
      _exit(1);
    for (size_t done = 0; done < bytes.size();) {
      ssize_t n = write(fds[1], bytes.data() + done, bytes.size() - done);
      if (n <= 0)
        _exit(1);
      done += static_cast<size_t>(n);
    }
    _exit(0);
  }
  close(fds[1]);
  std::string bytes;
  char chunk[65536];
  for (ssize_t n; (n = read(fds[0], chunk, sizeof(chunk))) != 0;) {
    if (n < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    bytes.append(chunk, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  ::onnx::ModelProto result;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
      !result.ParseFromString(bytes))
    return model;
  llvm::StringMap<const ::onnx::TensorProto *> original;
  for (const ::onnx::TensorProto &tensor : model.graph().initializer())
    original[tensor.name()] = &tensor;
  for (::onnx::TensorProto &tensor : *result.mutable_graph()->mutable_initializer()) {
    if (tensor.doc_string() != kStrippedMark)
      continue;
    const ::onnx::TensorProto *source = original.lookup(tensor.name());
    if (!source)
      return model;
    tensor = *source;
  }
  return result;
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
  return normalizeIsolated(model, defaultOpset, options.normalizeOpsetTo);
}
