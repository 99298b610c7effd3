//===- moe-run.cpp - Run a compiled model, check it, time it --------------===//
//
// Loads a library moe-compile built, feeds it input_N.pb / input_N.npy from
// a folder (ONNX test-data layout), compares with output_N.* when present
// and times repeated runs. Exits 1 on a mismatch or any error.
//
//===----------------------------------------------------------------------===//

#include "NpuModel.h"
#include "TensorFile.h"
#include "moe/Runtime/moe_model.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <map>

using namespace moe_run;
namespace cl = llvm::cl;

static cl::OptionCategory category("moe-run options");
static cl::opt<std::string> libraryPath(cl::Positional, cl::Required,
                                        cl::desc("<model.so | program.npu>"), cl::cat(category));
static cl::opt<std::string> dataDir("data", cl::Required,
                                    cl::desc("Folder with input_N.pb/.npy "
                                             "(and output_N.* to compare)"),
                                    cl::value_desc("dir"), cl::cat(category));
static cl::opt<double> relTol("rtol", cl::init(1e-3),
                            cl::desc("Relative tolerance (default 1e-3)"),
                            cl::cat(category));
static cl::opt<double> absTol("atol", cl::init(1e-5),
                            cl::desc("Absolute tolerance (default 1e-5)"),
                            cl::cat(category));
static cl::opt<unsigned> benchRuns("bench", cl::init(0),
                                   cl::desc("Time N runs after warm-ups and "
                                            "print min/median/max (an NPU program "
                                            "prints its simulated time instead)"),
                                   cl::cat(category));
static cl::opt<unsigned> warmups("warmup", cl::init(3),
                                 cl::desc("Warm-up runs before --bench (default 3)"),
                                 cl::cat(category));
static cl::opt<int> device(
    "device", cl::init(-1),
    cl::desc("The GPU a CUDA model runs on (default: $MOE_CUDA_DEVICE, else 0); CPU "
             "models have device 0 only"),
    cl::cat(category));
static cl::opt<bool> json("json", cl::desc("Print one JSON object"),
                          cl::cat(category));
static cl::opt<std::string> referencePath(
    "reference",
    cl::desc("Another library of the same model (the float build of a quantized one, "
             "say): its outputs on the same inputs are the expected ones, in place of "
             "--data's output_N files"),
    cl::value_desc("library.so"), cl::cat(category));

namespace {

struct Api {
  decltype(&moe_model_num_inputs) numInputs;
  decltype(&moe_model_num_outputs) numOutputs;
  decltype(&moe_model_input) input;
  decltype(&moe_model_output) output;
  decltype(&moe_model_run) run;
  decltype(&moe_model_release) release;
  decltype(&moe_model_set_threads) setThreads;
  void *handle = nullptr;  // the library's; null for an NPU program
};

/// Loads a library moe-compile built and its moe_model API.
bool loadLibrary(const std::string &library, Api &api, std::string &error) {
  std::string path = library;
  if (path.find('/') == std::string::npos)
    path = "./" + path;
  void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    error = "cannot load '" + library + "': " + dlerror();
    return false;
  }
  api.handle = handle;
  auto get = [&](const char *name) { return dlsym(handle, name); };
  api.numInputs = reinterpret_cast<decltype(api.numInputs)>(get("moe_model_num_inputs"));
  api.numOutputs = reinterpret_cast<decltype(api.numOutputs)>(get("moe_model_num_outputs"));
  api.input = reinterpret_cast<decltype(api.input)>(get("moe_model_input"));
  api.output = reinterpret_cast<decltype(api.output)>(get("moe_model_output"));
  api.run = reinterpret_cast<decltype(api.run)>(get("moe_model_run"));
  api.release = reinterpret_cast<decltype(api.release)>(get("moe_model_release"));
  api.setThreads = reinterpret_cast<decltype(api.setThreads)>(get("moe_model_set_threads"));
  if (!api.numInputs || !api.numOutputs || !api.input || !api.output || !api.run ||
      !api.release || !api.setThreads) {
    error = "'" + library + "' does not export the moe_model API";
    return false;
  }
  return true;
}

int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "moe-run") << message << "\n";
  return 1;
}

/// The files "<prefix>_N.pb" or ".npy" in `dir`, by N.
std::vector<std::string> numbered(const std::string &dir, llvm::StringRef prefix) {
  std::map<int, std::string> found;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec)) {
    llvm::StringRef name = llvm::sys::path::filename(it->path());
    llvm::StringRef stem = llvm::sys::path::stem(name);
    llvm::StringRef ext = llvm::sys::path::extension(name);
    int index;
    if ((ext == ".pb" || ext == ".npy") && stem.consume_front(prefix) &&
        stem.consume_front("_") && !stem.getAsInteger(10, index))
      found[index] = it->path();
  }
  std::vector<std::string> paths;
  for (int i = 0; found.count(i); ++i)
    paths.push_back(found[i]);
  return paths;
}

double toDouble(const char *p, int dtype) {
  switch (dtype) {
  case 1: { float v; std::memcpy(&v, p, 4); return v; }
  case 11: { double v; std::memcpy(&v, p, 8); return v; }
  case 2: return *reinterpret_cast<const uint8_t *>(p);
  case 3: return *reinterpret_cast<const int8_t *>(p);
  case 9: return *p != 0;
  case 4: { uint16_t v; std::memcpy(&v, p, 2); return v; }
  case 5: { int16_t v; std::memcpy(&v, p, 2); return v; }
  case 6: { int32_t v; std::memcpy(&v, p, 4); return v; }
  case 12: { uint32_t v; std::memcpy(&v, p, 4); return v; }
  case 7: { int64_t v; std::memcpy(&v, p, 8); return static_cast<double>(v); }
  case 13: { uint64_t v; std::memcpy(&v, p, 8); return static_cast<double>(v); }
  case 10: { // IEEE half
    uint16_t h; std::memcpy(&h, p, 2);
    int exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    double v = exp == 0 ? std::ldexp(mant, -24)
               : exp == 31 ? (mant ? NAN : INFINITY)
                           : std::ldexp(mant + 1024, exp - 25);
    return (h & 0x8000) ? -v : v;
  }
  case 16: { uint16_t b; std::memcpy(&b, p, 2); uint32_t f = uint32_t(b) << 16;
             float v; std::memcpy(&v, &f, 4); return v; }
  default: return NAN;
  }
}

struct Comparison {
  std::string error;   // shape or dtype mismatch
  double maxAbs = 0, maxRel = 0;
  // sqrt(sum of squared differences / sum of squared expected values): the
  // figure quantized models are judged by.
  double rmsRel = 0;
  int64_t mismatches = 0;
};

Comparison compare(const moe_tensor &got, const HostTensor &want) {
  Comparison c;
  if (got.dtype != want.dtype) {
    c.error = "dtype " + std::to_string(got.dtype) + ", expected " +
              std::to_string(want.dtype);
    return c;
  }
  std::vector<int64_t> shape(got.shape, got.shape + got.rank);
  if (shape != want.shape) {
    c.error = "shape [" + llvm::join(llvm::map_range(shape, [](int64_t d) { return std::to_string(d); }), ",") +
              "], expected [" +
              llvm::join(llvm::map_range(want.shape, [](int64_t d) { return std::to_string(d); }), ",") + "]";
    return c;
  }
  size_t es = elementSize(got.dtype);
  int64_t count = 1;
  for (int64_t d : shape)
    count *= d;
  bool exact = got.dtype != 1 && got.dtype != 10 && got.dtype != 11 && got.dtype != 16;
  // Element strides of the output: its own, or row-major when all are 0.
  std::vector<int64_t> strides(got.strides, got.strides + got.rank);
  if (std::all_of(strides.begin(), strides.end(), [](int64_t s) { return s == 0; }))
    for (int64_t d = got.rank - 1, stride = 1; d >= 0; --d) {
      strides[d] = stride;
      stride *= got.shape[d];
    }
  std::vector<int64_t> index(got.rank, 0);
  double squaredDiff = 0, squaredExpected = 0;
  for (int64_t i = 0; i < count; ++i) {
    int64_t at = 0;
    for (int d = 0; d < got.rank; ++d)
      at += index[d] * strides[d];
    double a = toDouble(static_cast<const char *>(got.data) + at * es, got.dtype);
    double b = toDouble(want.data.data() + i * es, want.dtype);
    bool same = (std::isnan(a) && std::isnan(b)) || a == b;
    double diff = same ? 0.0 : std::fabs(a - b);
    if (std::isnan(diff))
      diff = INFINITY;
    c.maxAbs = std::max(c.maxAbs, diff);
    squaredDiff += diff * diff;
    squaredExpected += b * b;
    if (b != 0)
      c.maxRel = std::max(c.maxRel, diff / std::fabs(b));
    if (!same && (exact || diff > absTol + relTol * std::fabs(b)))
      ++c.mismatches;
    for (int d = got.rank - 1; d >= 0; --d) {
      if (++index[d] < got.shape[d])
        break;
      index[d] = 0;
    }
  }
  c.rmsRel = squaredExpected > 0 ? std::sqrt(squaredDiff / squaredExpected)
                                 : (squaredDiff > 0 ? INFINITY : 0.0);
  return c;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // libLLVM owns a "threads" option already: --threads is taken out here.
  std::vector<char *> rest;
  std::string threads;
  for (int i = 0; i < argc; ++i) {
    llvm::StringRef arg = argv[i];
    if (arg.consume_front("--threads=") || arg.consume_front("-threads="))
      threads = arg.str();
    else if ((arg == "--threads" || arg == "-threads") && i + 1 < argc)
      threads = argv[++i];
    else
      rest.push_back(argv[i]);
  }
  unsigned threadCount = 0;
  if (!threads.empty() && llvm::StringRef(threads).getAsInteger(10, threadCount))
    return fail("--threads '" + threads + "' is not a number");
  argc = static_cast<int>(rest.size());
  argv = rest.data();
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "moe-run: run a model moe-compile built (a library, "
                              "or an NPU program in the simulator), check its outputs, "
                              "time it\n\n"
                              "  --threads=<T>  threads the model may use (0: "
                              "its default: OMP_NUM_THREADS, else one per "
                              "core)\n");

  Api api;
  bool npu = llvm::StringRef(libraryPath).ends_with(".npu");
  if (npu) {
    // An NPU program runs in the simulator behind the same API.
    std::string error;
    if (!loadNpuProgram(libraryPath, error))
      return fail(error);
    api = {npuNumInputs, npuNumOutputs, npuInput, npuOutput, npuRun, npuRelease,
           npuSetThreads};
  } else {
    std::string error;
    if (!loadLibrary(libraryPath, api, error))
      return fail(error);
  }
  int threadsInEffect = api.setThreads(static_cast<int>(threadCount));
  if (device >= 0) {
    // Libraries from before the device functions lack them: device 0 only.
    auto setDevice = reinterpret_cast<decltype(&moe_model_set_device)>(
        api.handle ? dlsym(api.handle, "moe_model_set_device") : nullptr);
    // MOE_ERROR_DEVICE: no driver or GPU at all; the run says which.
    int status = setDevice ? setDevice(device) : device == 0 ? MOE_OK : MOE_ERROR_ARGUMENT;
    if (status == MOE_ERROR_ARGUMENT)
      return fail("--device=" + llvm::Twine(device.getValue()) +
                  ": the model has no such device (a CPU model has device 0; a CUDA "
                  "model the machine's GPUs)");
  }

  std::vector<HostTensor> inputs, expected;
  for (const std::string &file : numbered(dataDir, "input")) {
    HostTensor t;
    std::string error;
    if (!readTensorFile(file, t, error))
      return fail(error);
    inputs.push_back(std::move(t));
  }
  if (referencePath.empty()) {
    for (const std::string &file : numbered(dataDir, "output")) {
      HostTensor t;
      std::string error;
      if (!readTensorFile(file, t, error))
        return fail(error);
      expected.push_back(std::move(t));
    }
  }
  int numIn = api.numInputs(), numOut = api.numOutputs();
  if (static_cast<int>(inputs.size()) != numIn)
    return fail("the model takes " + llvm::Twine(numIn) + " inputs; '" + dataDir +
                "' has " + llvm::Twine(inputs.size()) + " (input_0 ...)");
  std::vector<moe_tensor> args(numIn);
  for (int i = 0; i < numIn; ++i) {
    moe_tensor &t = args[i];
    std::memset(&t, 0, sizeof(t));
    if (inputs[i].shape.size() > MOE_MAX_RANK)
      return fail("input " + llvm::Twine(i) + " has more than 8 dims");
    // ONNX's test data stores bfloat16 tensors as uint16.
    const moe_signature *sig = api.input(i);
    if (sig && sig->dtype == MOE_BFLOAT16 && inputs[i].dtype == MOE_UINT16)
      inputs[i].dtype = MOE_BFLOAT16;
    t.dtype = inputs[i].dtype;
    t.rank = inputs[i].shape.size();
    std::copy(inputs[i].shape.begin(), inputs[i].shape.end(), t.shape);
    t.data = inputs[i].data.data();
  }
  char error[1024] = "";
  if (!referencePath.empty()) {
    Api reference;
    std::string loadError;
    if (!loadLibrary(referencePath, reference, loadError))
      return fail(loadError);
    if (reference.numInputs() != numIn || reference.numOutputs() != numOut)
      return fail("the reference '" + referencePath + "' has " +
                  llvm::Twine(reference.numInputs()) + " inputs and " +
                  llvm::Twine(reference.numOutputs()) + " outputs; the model " +
                  llvm::Twine(numIn) + " and " + llvm::Twine(numOut));
    reference.setThreads(static_cast<int>(threadCount));
    std::vector<moe_tensor> outs(numOut);
    if (reference.run(args.data(), numIn, outs.data(), numOut, error, sizeof(error)) != MOE_OK)
      return fail(llvm::Twine("the reference cannot run: ") + error);
    for (moe_tensor &out : outs) {
      HostTensor t;
      t.dtype = out.dtype;
      t.shape.assign(out.shape, out.shape + out.rank);
      size_t bytes = elementSize(out.dtype);
      for (int64_t d : t.shape)
        bytes *= static_cast<size_t>(d);
      const char *data = static_cast<const char *>(out.data);
      t.data.assign(data, data + bytes);
      expected.push_back(std::move(t));
      reference.release(&out);
    }
  }
  std::vector<moe_tensor> results(numOut);
  auto runOnce = [&](bool keep) -> int {
    int status = api.run(args.data(), numIn, results.data(), numOut, error, sizeof(error));
    if (status == MOE_OK && !keep)
      for (moe_tensor &r : results)
        api.release(&r);
    return status;
  };
  switch (runOnce(true)) {
  case MOE_OK:
    break;
  case MOE_ERROR_ARGUMENT:
    return fail(llvm::Twine("the model refused the inputs: ") + error);
  case MOE_ERROR_MEMORY:
    return fail("the model ran out of memory");
  default:
    return fail(llvm::Twine("the model cannot run: ") + error);
  }

  llvm::json::Array outputsJson;
  bool allOk = true;
  for (int i = 0; i < numOut; ++i) {
    const moe_signature *sig = api.output(i);
    llvm::json::Object entry{{"name", sig ? sig->name : ""}};
    std::vector<int64_t> shape(results[i].shape, results[i].shape + results[i].rank);
    entry["shape"] = llvm::json::Array(shape);
    std::string line = "output " + std::to_string(i) + " '" + (sig ? sig->name : "") + "'";
    if (i < static_cast<int>(expected.size())) {
      if (results[i].dtype == MOE_BFLOAT16 && expected[i].dtype == MOE_UINT16)
        expected[i].dtype = MOE_BFLOAT16;
      Comparison c = compare(results[i], expected[i]);
      bool ok = c.error.empty() && c.mismatches == 0;
      allOk &= ok;
      entry["ok"] = ok;
      if (!c.error.empty()) {
        entry["error"] = c.error;
        line += ": " + c.error;
      } else {
        entry["max_abs_error"] = c.maxAbs;
        entry["max_rel_error"] = c.maxRel;
        entry["rms_rel_error"] = c.rmsRel;
        entry["mismatches"] = c.mismatches;
        line += llvm::formatv(": max abs error {0:e3}, max rel error {1:e3}, rms rel error "
                              "{2:e3}, {3} outside tolerance",
                              c.maxAbs, c.maxRel, c.rmsRel, c.mismatches).str();
      }
      line += ok ? " ok" : " MISMATCH";
    }
    if (!json)
      llvm::outs() << line << "\n";
    outputsJson.push_back(std::move(entry));
    api.release(&results[i]);
  }

  llvm::json::Object report{{"outputs", std::move(outputsJson)}};
  if (npu) {
    // Host time of a simulation says nothing about the chip: report the
    // simulated time instead of timing runs.
    report["simulated_ms"] = npuLastRunMilliseconds();
    if (!json)
      llvm::outs() << npuLastRunSummary() << "\n";
  } else if (benchRuns > 0) {
    for (unsigned i = 0; i < warmups; ++i)
      if (runOnce(false) != MOE_OK)
        return fail(llvm::Twine("run failed: ") + error);
    std::vector<double> times;
    for (unsigned i = 0; i < benchRuns; ++i) {
      auto start = std::chrono::steady_clock::now();
      if (runOnce(false) != MOE_OK)
        return fail(llvm::Twine("run failed: ") + error);
      times.push_back(std::chrono::duration<double, std::milli>(
                          std::chrono::steady_clock::now() - start).count());
    }
    std::sort(times.begin(), times.end());
    double median = times[times.size() / 2];
    report["bench"] = llvm::json::Object{{"runs", static_cast<int64_t>(benchRuns)},
                                         {"threads", threadsInEffect},
                                         {"min_ms", times.front()},
                                         {"median_ms", median},
                                         {"max_ms", times.back()}};
    if (!json)
      llvm::outs() << llvm::formatv("latency over {0} runs on {4} thread(s): "
                                    "min {1:f3} ms, median {2:f3} ms, max {3:f3} ms\n",
                                    benchRuns, times.front(), median, times.back(),
                                    threadsInEffect);
  }
  if (json) {
    report["ok"] = allOk;
    llvm::outs() << llvm::json::Value(std::move(report)) << "\n";
  }
  return allOk ? 0 : 1;
}
