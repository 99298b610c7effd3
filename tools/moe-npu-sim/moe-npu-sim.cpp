//===- moe-npu-sim.cpp - Run an NPU program in the simulator --------------===//
//
// Loads a program moe-compile wrote for an NPU target, puts the inputs in
// global memory (from a folder of input_N.pb/.npy, else zeros), runs it on
// the simulated core and prints where the cycles went; --write-outputs keeps
// the outputs as .npy. To compare outputs with expected ones, use moe-run.
//
//===----------------------------------------------------------------------===//

#include "TensorFile.h"
#include "moe/Target/Npu/Simulator.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"

#include <cstring>

using namespace moe_npu;
namespace cl = llvm::cl;

static cl::OptionCategory category("moe-npu-sim options");
static cl::opt<std::string> programPath(cl::Positional, cl::Required,
                                        cl::desc("<program.npu>"), cl::cat(category));
static cl::opt<std::string> dataDir(
    "data", cl::desc("Folder with input_N.pb/.npy, one per program input in order "
                     "(default: inputs are zero)"),
    cl::value_desc("dir"), cl::cat(category));
static cl::opt<std::string> outputDir(
    "write-outputs", cl::desc("Write each output as output_N.npy into this folder"),
    cl::value_desc("dir"), cl::cat(category));
static cl::opt<bool> timingOnly(
    "timing-only",
    cl::desc("Run the cycle model and the synchronisation checks without computing "
             "values (fast, for big programs; a program whose scalar unit reads values, "
             "such as a dropless MoE layer's counts, then reads zeros and skips the work "
             "they predicate: its time is not the real one)"),
    cl::cat(category));
static cl::opt<bool> json("json", cl::desc("Print the report as one JSON object"),
                          cl::cat(category));

static int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "moe-npu-sim") << message << "\n";
  return 1;
}

/// The ONNX dtype code of a program type.
static int onnxCode(DType type) {
  switch (type) {
  case DType::F16: return 10;
  case DType::BF16: return 16;
  case DType::F32: return 1;
  case DType::I8: return 3;
  case DType::I32: return 6;
  }
  return 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "moe-npu-sim: run an NPU program on a simulated core\n");
  auto buffer = llvm::MemoryBuffer::getFile(programPath, /*IsText=*/false);
  if (!buffer)
    return fail("cannot read '" + programPath + "': " + buffer.getError().message());
  std::string error;
  std::optional<Program> program = parseProgram((*buffer)->getBuffer(), error);
  if (!program)
    return fail(programPath + ": " + error);

  SimOptions options;
  options.functional = !timingOnly;
  if (timingOnly && llvm::any_of(program->code, [](const Instr &in) {
        return in.op == Opcode::SLd;
      }))
    llvm::WithColor::warning(llvm::errs(), "moe-npu-sim")
        << "--timing-only: the scalar unit's loads read zeros, so work predicated on "
           "run-time counts is skipped and the cycles are not the program's\n";
  Simulator sim(*program, options);
  std::vector<const Tensor *> inputs, outputs;
  for (const Tensor &t : program->tensors)
    (t.kind == Tensor::Input ? inputs : t.kind == Tensor::Output ? outputs : inputs)
        .push_back(&t);
  llvm::erase_if(inputs, [](const Tensor *t) { return t->kind != Tensor::Input; });

  if (!dataDir.empty()) {
    for (size_t i = 0; i < inputs.size(); ++i) {
      const Tensor &t = *inputs[i];
      moe_run::HostTensor host;
      std::string path, why;
      for (const char *ext : {".pb", ".npy"}) {
        std::string candidate = dataDir + "/input_" + std::to_string(i) + ext;
        if (llvm::sys::fs::exists(candidate))
          path = candidate;
      }
      if (path.empty())
        return fail("'" + dataDir + "' has no input_" + llvm::Twine(i) + " for '" + t.name +
                    "'");
      if (!moe_run::readTensorFile(path, host, why))
        return fail(path + ": " + why);
      std::vector<int64_t> shape = t.shape;
      if (host.dtype != onnxCode(t.type) && !(t.type == DType::BF16 && host.dtype == 4))
        return fail(path + ": dtype " + llvm::Twine(host.dtype) + ", the program's input '" +
                    t.name + "' takes " + name(t.type));
      if (host.shape != shape || int64_t(host.data.size()) != t.numBytes())
        return fail(path + ": its shape is not the one '" + t.name + "' takes");
      std::memcpy(sim.globalMemory() + t.offset, host.data.data(), host.data.size());
    }
  }
  if (!sim.run(error))
    return fail(programPath + ": " + error);
  if (json)
    sim.report().printJson(program->target, llvm::outs());
  else
    sim.report().print(program->target, llvm::outs());

  if (!outputDir.empty()) {
    if (std::error_code ec = llvm::sys::fs::create_directories(outputDir))
      return fail("cannot create '" + outputDir + "': " + ec.message());
    for (size_t i = 0; i < outputs.size(); ++i) {
      const Tensor &t = *outputs[i];
      moe_run::HostTensor host;
      host.name = t.name;
      host.dtype = onnxCode(t.type);
      host.shape = t.shape;
      host.data.assign(sim.globalMemory() + t.offset,
                       sim.globalMemory() + t.offset + t.numBytes());
      std::string why;
      if (!moe_run::writeNpyFile(outputDir + "/output_" + std::to_string(i) + ".npy", host,
                                 why))
        return fail(why);
    }
  }
  return 0;
}
