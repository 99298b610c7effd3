//===- NpuModel.cpp - The model API over an NPU program -------------------===//

#include "NpuModel.h"

#include "moe/Target/Npu/Simulator.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdlib>
#include <cstring>
#include <deque>

using namespace moe_npu;

namespace {
struct Loaded {
  Program program;
  std::vector<const Tensor *> inputs, outputs;
  std::deque<moe_signature> inputSigs, outputSigs;
  std::deque<std::vector<const char *>> dimNames;
  std::string summary;
  double milliseconds = 0;
};
Loaded *loaded = nullptr;

int32_t onnxCode(DType type) {
  switch (type) {
  case DType::F16: return MOE_FLOAT16;
  case DType::BF16: return MOE_BFLOAT16;
  case DType::F32: return MOE_FLOAT;
  case DType::I8: return MOE_INT8;
  case DType::I32: return MOE_INT32;
  }
  return 0;
}

moe_signature signatureOf(const Tensor &t, Loaded &l) {
  l.dimNames.emplace_back(t.shape.size(), "");
  return moe_signature{t.name.c_str(), onnxCode(t.type), int32_t(t.shape.size()),
                       t.shape.data(), l.dimNames.back().data()};
}

int refuse(char *error, size_t size, const std::string &message) {
  if (error && size)
    std::snprintf(error, size, "%s", message.c_str());
  return MOE_ERROR_ARGUMENT;
}
} // namespace

bool moe_run::loadNpuProgram(const std::string &path, std::string &error) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false);
  if (!buffer) {
    error = "cannot read '" + path + "': " + buffer.getError().message();
    return false;
  }
  std::optional<Program> program = parseProgram((*buffer)->getBuffer(), error);
  if (!program) {
    error = path + ": " + error;
    return false;
  }
  loaded = new Loaded;
  loaded->program = std::move(*program);
  for (const Tensor &t : loaded->program.tensors) {
    if (t.kind == Tensor::Input) {
      loaded->inputs.push_back(&t);
      loaded->inputSigs.push_back(signatureOf(t, *loaded));
    } else if (t.kind == Tensor::Output) {
      loaded->outputs.push_back(&t);
      loaded->outputSigs.push_back(signatureOf(t, *loaded));
    }
  }
  return true;
}

int moe_run::npuNumInputs() { return loaded->inputs.size(); }
int moe_run::npuNumOutputs() { return loaded->outputs.size(); }
const moe_signature *moe_run::npuInput(int i) {
  return i >= 0 && i < npuNumInputs() ? &loaded->inputSigs[i] : nullptr;
}
const moe_signature *moe_run::npuOutput(int i) {
  return i >= 0 && i < npuNumOutputs() ? &loaded->outputSigs[i] : nullptr;
}
int moe_run::npuSetThreads(int) { return 1; }
void moe_run::npuRelease(moe_tensor *output) {
  std::free(output->owner);
  output->owner = output->data = nullptr;
}

int moe_run::npuRun(const moe_tensor *inputs, int numInputs, moe_tensor *outputs,
                    int numOutputs, char *error, size_t errorSize) {
  if (numInputs != npuNumInputs() || numOutputs != npuNumOutputs())
    return refuse(error, errorSize, "wrong number of inputs or outputs");
  Simulator sim(loaded->program);
  for (int i = 0; i < numInputs; ++i) {
    const Tensor &t = *loaded->inputs[i];
    const moe_tensor &in = inputs[i];
    bool sameShape = in.rank == int32_t(t.shape.size()) &&
                     std::equal(t.shape.begin(), t.shape.end(), in.shape);
    if (in.dtype != onnxCode(t.type) || !sameShape)
      return refuse(error, errorSize,
                    llvm::formatv("input {0} '{1}': the program takes {2} of its compiled "
                                  "shape",
                                  i, t.name, name(t.type)));
    std::memcpy(sim.globalMemory() + t.offset, in.data, t.numBytes());
  }
  std::string why;
  if (!sim.run(why))
    return refuse(error, errorSize, "the simulator stopped: " + why);
  for (int i = 0; i < numOutputs; ++i) {
    const Tensor &t = *loaded->outputs[i];
    moe_tensor &out = outputs[i];
    std::memset(&out, 0, sizeof(out));
    out.dtype = onnxCode(t.type);
    out.rank = t.shape.size();
    std::copy(t.shape.begin(), t.shape.end(), out.shape);
    out.data = out.owner = std::malloc(std::max<int64_t>(t.numBytes(), 1));
    if (!out.data)
      return MOE_ERROR_MEMORY;
    std::memcpy(out.data, sim.globalMemory() + t.offset, t.numBytes());
  }
  const SimReport &r = sim.report();
  const TargetDesc &target = loaded->program.target;
  loaded->milliseconds = double(r.cycles) / target.clockMhz / 1000.0;
  loaded->summary = llvm::formatv(
      "simulated on one core of {0}: {1} cycles ({2:f3} ms at {3} MHz), cube {4:f1}% busy",
      target.name, r.cycles, loaded->milliseconds, target.clockMhz,
      r.cycles ? 100.0 * r.cubeSteps / r.cycles : 0.0);
  return MOE_OK;
}

std::string moe_run::npuLastRunSummary() { return loaded->summary; }
double moe_run::npuLastRunMilliseconds() { return loaded->milliseconds; }
