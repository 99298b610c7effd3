//===- SampleOutputError.cpp - A quantized model's error on sample inputs -===//
//
// The output error a quantization causes can only be measured by running
// the model, float and quantized, on inputs like the ones it will see.
// The compiler builds the float library with itself and runs both through
// moe-run's --reference, whose comparison is the one users read elsewhere.
//
//===----------------------------------------------------------------------===//

#include "SampleOutputError.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>

using namespace llvm;

namespace {

/// A temporary file removed when it goes out of scope.
struct TempFile {
  SmallString<128> path;
  ~TempFile() {
    if (path.empty())
      return;
    // A library's header and external weights sit next to it.
    SmallString<128> header = path;
    sys::path::replace_extension(header, "h");
    sys::fs::remove(header);
    sys::fs::remove(path + ".weights");
    sys::fs::remove(path);
  }
};

/// The command line without its quantization and matmul-type options and
/// output: what builds the f32 model the quantized one is measured against.
std::vector<std::string> floatCommandLine(ArrayRef<std::string> commandLine) {
  std::vector<std::string> args;
  for (size_t i = 1; i < commandLine.size(); ++i) {
    StringRef arg = commandLine[i];
    StringRef name = arg.ltrim('-');
    if (arg.starts_with("-") && (name.starts_with("quantize") || name.starts_with("matmul-type") ||
                                 name.starts_with("npu-matmul-type"))) {
      // "--option value": the value goes too (the one flag takes none).
      if (!name.contains('=') && name != "quantize-asymmetric")
        ++i;
      continue;
    }
    if (arg == "-o" || arg == "--o") {
      ++i;
      continue;
    }
    if (arg.starts_with("-o=") || arg.starts_with("--o="))
      continue;
    args.push_back(arg.str());
  }
  return args;
}

/// Runs `program` with `args`, its standard output into `outputPath` (when
/// given); false with `error` set when it does not exit with 0.
bool run(StringRef program, ArrayRef<std::string> args, std::optional<StringRef> outputPath,
         std::string &error) {
  SmallVector<StringRef> argRefs = {program};
  for (const std::string &arg : args)
    argRefs.push_back(arg);
  SmallVector<std::optional<StringRef>, 3> redirects = {std::nullopt, outputPath, std::nullopt};
  std::string message;
  int status = sys::ExecuteAndWait(program, argRefs, std::nullopt, redirects, 0, 0, &message);
  if (status != 0) {
    error = formatv("{0} failed{1}{2}", sys::path::filename(program), message.empty() ? "" : ": ",
                    message)
                .str();
    return false;
  }
  return true;
}

} // namespace

bool mlir::moe::reportSampleOutputError(ArrayRef<std::string> commandLine,
                                        StringRef quantizedLibrary, StringRef sampleDir,
                                        StringRef reportPath, std::string &error) {
  std::string self = sys::fs::getMainExecutable(
      commandLine.front().c_str(), reinterpret_cast<void *>(&mlir::moe::reportSampleOutputError));
  SmallString<128> moeRun = sys::path::parent_path(self);
  sys::path::append(moeRun, "moe-run");
  if (!sys::fs::can_execute(moeRun)) {
    error = "--quantize-sample needs moe-run next to moe-compile (" + moeRun.str().str() + ")";
    return false;
  }
  TempFile floatLibrary, json;
  if (sys::fs::createTemporaryFile("moe-float", "so", floatLibrary.path) ||
      sys::fs::createTemporaryFile("moe-sample", "json", json.path)) {
    error = "cannot create temporary files for --quantize-sample";
    return false;
  }
  std::vector<std::string> floatArgs = floatCommandLine(commandLine);
  floatArgs.insert(floatArgs.end(), {"-o", floatLibrary.path.str().str()});
  if (!run(self, floatArgs, std::nullopt, error))
    return false;
  // A huge tolerance: the errors are reported, not judged.
  std::vector<std::string> runArgs = {
      quantizedLibrary.str(),        "--data", sampleDir.str(), "--reference",
      floatLibrary.path.str().str(), "--json", "--atol",        "1e30"};
  if (!run(moeRun, runArgs, StringRef(json.path), error))
    return false;
  ErrorOr<std::unique_ptr<MemoryBuffer>> text = MemoryBuffer::getFile(json.path);
  Expected<json::Value> parsed = text ? json::parse((*text)->getBuffer())
                                      : Expected<json::Value>(createStringError("no output"));
  const json::Array *outputs =
      parsed && parsed->getAsObject() ? parsed->getAsObject()->getArray("outputs") : nullptr;
  if (!outputs) {
    if (!parsed)
      consumeError(parsed.takeError());
    error = "moe-run's report of the sample run does not parse";
    return false;
  }
  std::string lines = formatv("\noutput error on the inputs in {0}, against the float model:\n"
                              "{1,-30} {2,11} {3,11} {4,11}\n",
                              sampleDir, "output", "max abs", "max rel", "rms rel")
                          .str();
  for (const json::Value &value : *outputs) {
    const json::Object *entry = value.getAsObject();
    if (!entry)
      continue;
    auto number = [&](StringRef key) { return entry->getNumber(key).value_or(0.0); };
    lines +=
        formatv("{0,-30} {1,11:e3} {2,11:e3} {3,11:e3}\n", entry->getString("name").value_or("?"),
                number("max_abs_error"), number("max_rel_error"), number("rms_rel_error"))
            .str();
  }
  if (reportPath == "-") {
    errs() << lines;
    return true;
  }
  std::error_code ec;
  raw_fd_ostream report(reportPath, ec, sys::fs::OF_Append | sys::fs::OF_Text);
  if (ec) {
    error = "cannot append to '" + reportPath.str() + "': " + ec.message();
    return false;
  }
  report << lines;
  return true;
}
