//===- moe-compile.cpp - The compiler driver ------------------------------===//
//
// The only place with command-line options: it parses them, imports the
// model, runs what the phase asks for, and writes the output whole or not
// at all.
//
//===----------------------------------------------------------------------===//

#include "SampleOutputError.h"

#include "moe/Frontend/Onnx/Import.h"
#include "moe/InitAll.h"
#include "moe/Passes/Moe/Passes.h"
#include "moe/Pipelines/Pipelines.h"
#include "moe/Support/Diagnostics.h"
#include "moe/Support/FileOutput.h"
#include "moe/Target/Cpu/Cpu.h"
#include "moe/Target/Cuda/Cuda.h"
#include "moe/Target/KnownTargets.h"
#include "moe/Target/Npu/EmitProgram.h"
#include "moe/Target/Npu/TargetDescription.h"
#include "moe/Target/Passes.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"

using namespace mlir;
namespace cl = llvm::cl;

namespace {
enum class Emit { Default, Mlir, Llvm, Asm, Obj, Lib, Npu, Ptx, Cubin };
enum class Phase { Import, Moe, Llvm, Npu };
} // namespace

static cl::OptionCategory category("moe-compile options");

static cl::opt<std::string> inputPath(cl::Positional,
                                      cl::desc("<model.onnx | module.mlir (moe level)>"),
                                      cl::cat(category));
static cl::opt<std::string> outputPath("o", cl::init("-"),
                                       cl::desc("Output file ('-' for stdout)"),
                                       cl::value_desc("file"),
                                       cl::cat(category));
static cl::opt<Emit> emit(
    "emit", cl::init(Emit::Default),
    cl::desc("What to write (default: from -o's extension: .so lib, .o obj, "
             ".s asm, .ll llvm, .npu npu, .ptx ptx, .cubin cubin, else mlir)"),
    cl::values(clEnumValN(Emit::Mlir, "mlir", "MLIR text after --compile-to"),
               clEnumValN(Emit::Llvm, "llvm", "LLVM IR text, optimised"),
               clEnumValN(Emit::Asm, "asm", "assembly for the target CPU"),
               clEnumValN(Emit::Obj, "obj", "an object file"),
               clEnumValN(Emit::Lib, "lib",
                          "a shared library with the C API of moe_model.h, "
                          "and its header next to it (model.h)"),
               clEnumValN(Emit::Ptx, "ptx",
                          "the kernels as PTX text; needs a CUDA --target"),
               clEnumValN(Emit::Cubin, "cubin",
                          "the kernels as a cubin for the target's GPU (runs "
                          "ptxas, which must be on PATH); needs a CUDA --target"),
               clEnumValN(Emit::Npu, "npu",
                          "an NPU program (docs/npu-formats.md) for moe-npu-sim and "
                          "moe-run; needs an NPU --target")),
    cl::cat(category));
static cl::opt<Phase> compileTo(
    "compile-to", cl::init(Phase::Moe),
    cl::desc("The last phase to run for --emit=mlir"),
    cl::values(clEnumValN(Phase::Import, "import",
                          "the onnx dialect: one onnx.node per ONNX node"),
               clEnumValN(Phase::Moe, "moe",
                          "linalg/tensor/arith/math and moe ops, after "
                          "moe-onnx-to-moe-pipeline (default)"),
               clEnumValN(Phase::Llvm, "llvm",
                          "the LLVM dialect, after moe-cpu-lowering-pipeline "
                          "(CUDA targets: moe-cuda-lowering-pipeline, the kernels "
                          "as PTX in a gpu.binary)"),
               clEnumValN(Phase::Npu, "npu",
                          "npu ops with their flags, after moe-npu-lower and "
                          "moe-npu-insert-sync (NPU targets)")),
    cl::cat(category));
static cl::opt<bool> noRaise(
    "no-raise", cl::init(false),
    cl::desc("Convert exported MoE layers, attention and RMSNorm node by "
             "node instead of raising them to moe.route + moe.experts, "
             "moe.attention and moe.rms_norm (to compare, or to work around "
             "a raising that goes wrong)"),
    cl::cat(category));
static cl::opt<std::string>
    targetName("target", cl::init("cpu"),
               cl::desc("The target: cpu (default), a CUDA GPU (cuda-sm80, "
                        "cuda-sm86, cuda-sm89, cuda-sm90), a known NPU "
                        "(npu-910b-like, npu-edge-like), or an NPU description "
                        "file (.json, docs/npu-formats.md)"),
               cl::cat(category));
static cl::opt<unsigned> optLevel("O", cl::init(2), cl::Prefix,
                                  cl::desc("Optimisation level 0-3 (default 2)"),
                                  cl::cat(category));
static cl::opt<std::string>
    triple("triple", cl::desc("Target triple (default: the host's), e.g. "
                              "aarch64-linux-gnu"),
           cl::cat(category));
static cl::opt<std::string>
    cpuName("cpu", cl::desc("Target CPU (default: the host's, with its "
                            "vector extensions; 'generic' for none)"),
            cl::cat(category));
static cl::opt<std::string>
    cpuFeatures("cpu-features",
                cl::desc("Target features, e.g. +avx2,+fma (default: the "
                         "host CPU's)"),
                cl::cat(category));
enum class Weights { Embedded, External };
static cl::opt<Weights> weightsMode(
    "weights", cl::init(Weights::Embedded),
    cl::desc("Where a shared library keeps constant weights"),
    cl::values(clEnumValN(Weights::Embedded, "embedded",
                          "in the library itself (default)"),
               clEnumValN(Weights::External, "external",
                          "those of 1 KiB or more in <output>.weights next to "
                          "the library, which maps it at its first run (keep "
                          "the two together, under the names given at compile "
                          "time)")),
    cl::cat(category));
enum class Quantize { None, Int8, Int4 };
static cl::opt<Quantize> quantize(
    "quantize", cl::init(Quantize::None),
    cl::desc("Quantize constant matmul weights (weight-only, data-free)"),
    cl::values(clEnumValN(Quantize::None, "none", "keep them as they are (default)"),
               clEnumValN(Quantize::Int8, "int8", "8-bit, one scale per output channel"),
               clEnumValN(Quantize::Int4, "int4",
                          "4-bit, one scale per group of --quantize-group weights along K")),
    cl::cat(category));
static cl::opt<int64_t> quantizeGroup(
    "quantize-group",
    cl::desc("Weights per scale along K (default: 128 for int4, 0 = per channel for int8)"),
    cl::init(-1), cl::cat(category));
static cl::opt<bool> quantizeAsymmetric(
    "quantize-asymmetric",
    cl::desc("Unsigned weights with zero points (default: signed, symmetric)"),
    cl::cat(category));
static cl::opt<std::string> quantizeMethod(
    "quantize-method", cl::init("clip"),
    cl::desc("rtn: round to nearest over the full range; clip (default): the "
             "clipping of each channel or group that least distorts its weights"),
    cl::cat(category));
static cl::opt<std::string> quantizeLayers(
    "quantize-layers", cl::init("non-router"),
    cl::desc("all, or non-router (default: routers stay float, and so do matmuls of "
             "fewer than 64 output columns: the routers of exports not raised to moe.route)"),
    cl::cat(category));
static cl::opt<std::string> quantizeReport(
    "quantize-report",
    cl::desc("Write each quantized layer's weight error (max and RMS, relative to the "
             "float weights) to this file ('-': stderr); with --quantize-sample, also "
             "each output's error on sample inputs against the float model"),
    cl::cat(category));
static cl::opt<std::string> quantizeSample(
    "quantize-sample",
    cl::desc("A folder of sample inputs (input_N.npy or .pb, as moe-run --data takes): "
             "the report gets the quantized library's output error on them against the "
             "f32 build of the same model (no --quantize or --matmul-type; CPU libraries, built "
             "and run once each)"),
    cl::value_desc("dir"), cl::cat(category));
static cl::opt<std::string> matmulType(
    "matmul-type",
    cl::desc("Compute f32 matmuls with narrower operands (rounded to nearest even; sums and "
             "results f32). CPU: bf16, for matmuls by constant weights (AVX512-BF16 "
             "vdpbf16ps where the CPU has it; logits that a max or top-k compares, such as "
             "a router's, stay f32). NPU targets: f16 or bf16 on the cube, for matmuls and "
             "attention (default there: refuse f32)"),
    cl::value_desc("bf16|f16"), cl::cat(category));
static cl::alias npuMatmulType("npu-matmul-type", cl::desc("Alias for --matmul-type"),
                               cl::aliasopt(matmulType), cl::cat(category));
static cl::opt<bool> int8Activations(
    "int8-activations",
    cl::desc("With 8-bit weights (--quantize=int8, or an imported int8 model): quantize "
             "each such matmul's input rows to int8 at run time too (one scale per row) "
             "and multiply integers with i32 sums: the CPU's VNNI dot products where it has "
             "them, the NPU's int8 cube (not for CUDA targets)"),
    cl::cat(category));
static cl::alias npuInt8Activations("npu-int8-activations",
                                    cl::desc("Alias for --int8-activations"),
                                    cl::aliasopt(int8Activations), cl::cat(category));
static cl::opt<bool> npuDenseExperts(
    "npu-dense-experts",
    cl::desc("NPU targets: compute every routed expert over every token, weighted by a gate "
             "matrix, instead of each expert over only its tokens (for comparison; the "
             "default above 2048 tokens)"),
    cl::cat(category));
static cl::opt<bool> printTarget(
    "print-target-description",
    cl::desc("Print the --target NPU's description as a description file (a start "
             "for one of your own) and exit"),
    cl::cat(category));
static cl::opt<bool> emulateGpu(
    "emulate-gpu-on-cpu",
    cl::desc("CUDA targets: build a CPU library whose loops run the kernels' blocks and "
             "threads one after another (a check of the CUDA lowering's numerics on a "
             "machine without a GPU; not fast)"),
    cl::cat(category));
static cl::list<std::string>
    shapes("shape",
           cl::desc("Pin the dims of a graph input, e.g. input_ids=1,128 "
                    "('?' keeps a dim as the model has it); repeatable"),
           cl::value_desc("name=dims"), cl::cat(category));

/// "name=1,128" or "name=1x128"; "?" keeps a dim.
static LogicalResult parseShapes(onnx_import::ImportOptions &options) {
  for (StringRef spec : shapes) {
    auto [name, dims] = spec.split('=');
    if (name.empty() || dims.empty()) {
      llvm::WithColor::error(llvm::errs(), "moe-compile")
          << "--shape '" << spec << "': expected name=dims, e.g. x=1,128\n";
      return failure();
    }
    SmallVector<StringRef> parts;
    dims.split(parts, dims.contains('x') ? 'x' : ',');
    SmallVector<int64_t> values;
    for (StringRef part : parts) {
      int64_t value;
      if (part.trim() == "?") {
        values.push_back(-1);
      } else if (part.trim().getAsInteger(10, value) || value < 0) {
        llvm::WithColor::error(llvm::errs(), "moe-compile")
            << "--shape '" << spec << "': '" << part
            << "' is not a dimension (a non-negative integer or '?')\n";
        return failure();
      } else {
        values.push_back(value);
      }
    }
    options.inputShapes[name] = values;
  }
  return success();
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // --quantize-sample reruns the compiler with this command line.
  std::vector<std::string> commandLine(argv, argv + argc);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "moe-compile: an ahead-of-time compiler for MoE and attention models\n\n"
      "Reads an ONNX model (or a moe-level MLIR module) and writes it at the\n"
      "requested phase: MLIR; LLVM IR, assembly, an object or a shared library\n"
      "for a CPU; PTX, a cubin or a shared library for a CUDA GPU; or a program\n"
      "for an NPU target (run by moe-npu-sim or moe-run).\n");

  moe::registerAllPasses();
  bool cudaTarget = StringRef(targetName).starts_with("cuda-");
  bool npuTarget = targetName != "cpu" && !cudaTarget;
  DialectRegistry registry;
  moe::registerAllDialects(registry);
  MLIRContext context(registry);
  // Diagnostics name the ONNX node; a dump of the op after it says nothing
  // to a user.
  context.printOpOnDiagnostic(false);
  // The NPU's description, read before anything else so that a bad one
  // stops the compiler with its own message.
  npu::TargetAttr npuDescription;
  if (npuTarget || (printTarget && !cudaTarget)) {
    std::string error;
    if (StringRef(targetName).ends_with(".json")) {
      npuDescription = npu::loadTargetFile(&context, targetName, error);
      if (!npuDescription)
        error = "target description " + error;
    } else if (auto known = moe::lookupKnownTarget(&context, targetName)) {
      npuDescription = dyn_cast<npu::TargetAttr>(known->getValue());
    } else {
      error = "unknown --target '" + targetName + "'; the targets are cpu, " +
              llvm::join(moe::getKnownTargetNames(), ", ") +
              " and NPU description files (.json)";
    }
    if (!npuDescription) {
      llvm::WithColor::error(llvm::errs(), "moe-compile") << error << "\n";
      return 1;
    }
  }
  NamedAttribute cudaDescription(StringAttr::get(&context, "none"), UnitAttr::get(&context));
  if (cudaTarget) {
    std::optional<NamedAttribute> known = moe::lookupKnownTarget(&context, targetName);
    if (!known) {
      llvm::WithColor::error(llvm::errs(), "moe-compile")
          << "unknown --target '" << targetName << "'; the targets are cpu, "
          << llvm::join(moe::getKnownTargetNames(), ", ")
          << " and NPU description files (.json)\n";
      return 1;
    }
    cudaDescription = *known;
  }
  if (printTarget && cudaTarget) {
    llvm::WithColor::error(llvm::errs(), "moe-compile")
        << "--print-target-description prints NPU descriptions; " << targetName
        << " is " << cudaDescription.getValue() << "\n";
    return 1;
  }
  if (printTarget) {
    moe_npu::printTargetJson(npu::toDescription(npuDescription), llvm::outs());
    return 0;
  }
  if (inputPath.empty()) {
    llvm::WithColor::error(llvm::errs(), "moe-compile") << "no model given (moe-compile model.onnx ...)\n";
    return 1;
  }
  onnx_import::ImportOptions options;
  if (failed(parseShapes(options)))
    return 1;

  moe::ToolDiagnosticHandler diagnostics(&context, llvm::errs());

  // An .mlir file is a module at the moe level (tests write what ONNX
  // cannot say that way); everything else is an ONNX model.
  OwningOpRef<ModuleOp> module =
      StringRef(inputPath).ends_with(".mlir")
          ? parseSourceFile<ModuleOp>(inputPath, &context)
          : onnx_import::importOnnxFile(&context, inputPath, options);
  if (!module)
    return 1;
  // First, so that every pass sees what the chip supports.
  if (npuDescription)
    (*module)->setAttr(npu::NpuDialect::kTargetAttrName, npuDescription);
  if (cudaTarget)
    (*module)->setAttr(cudaDescription.getName(), cudaDescription.getValue());

  Emit kind = emit;
  if (kind == Emit::Default) {
    StringRef out = outputPath;
    kind = out.ends_with(".so")   ? Emit::Lib
           : out.ends_with(".o")  ? Emit::Obj
           : out.ends_with(".s")  ? Emit::Asm
           : out.ends_with(".ll") ? Emit::Llvm
           : out.ends_with(".npu") ? Emit::Npu
           : out.ends_with(".ptx") ? Emit::Ptx
           : out.ends_with(".cubin") ? Emit::Cubin
                                  : Emit::Mlir;
  }
  if (npuTarget && kind != Emit::Npu && kind != Emit::Mlir) {
    llvm::WithColor::error(llvm::errs(), "moe-compile")
        << "--target=" << targetName
        << " writes an NPU program (-o model.npu or --emit=npu) or MLIR\n";
    return 1;
  }
  if (!npuTarget && (kind == Emit::Npu || compileTo == Phase::Npu)) {
    llvm::WithColor::error(llvm::errs(), "moe-compile")
        << "an NPU program needs an NPU --target (e.g. npu-910b-like)\n";
    return 1;
  }
  if (!cudaTarget && (kind == Emit::Ptx || kind == Emit::Cubin)) {
    llvm::WithColor::error(llvm::errs(), "moe-compile")
        << "PTX and cubin need a CUDA --target (e.g. cuda-sm90)\n";
    return 1;
  }
  if (emulateGpu && (!cudaTarget || kind != Emit::Lib)) {
    llvm::WithColor::error(llvm::errs(), "moe-compile")
        << "--emulate-gpu-on-cpu builds a library (-o model.so) for a CUDA --target\n";
    return 1;
  }
  if (cudaTarget && (kind == Emit::Asm || kind == Emit::Obj || kind == Emit::Llvm)) {
    llvm::WithColor::error(llvm::errs(), "moe-compile")
        << "--target=" << targetName
        << " writes PTX (.ptx), a cubin (.cubin), a shared library (.so) or MLIR\n";
    return 1;
  }
  if (npuTarget && compileTo == Phase::Llvm) {
    llvm::WithColor::error(llvm::errs(), "moe-compile")
        << "--compile-to=llvm is a CPU phase; NPU targets stop at npu\n";
    return 1;
  }
  if (!quantizeSample.empty() &&
      (quantize == Quantize::None || quantizeReport.empty() || kind != Emit::Lib ||
       cudaTarget || npuTarget)) {
    llvm::WithColor::error(llvm::errs(), "moe-compile")
        << "--quantize-sample measures a quantized CPU library: it needs --quantize, "
           "--quantize-report and -o model.so\n";
    return 1;
  }
  // Before compiling: a folder that is not there would otherwise be found
  // only after the quantized library is written.
  if (!quantizeSample.empty() && !llvm::sys::fs::is_directory(quantizeSample)) {
    llvm::WithColor::error(llvm::errs(), "moe-compile")
        << "--quantize-sample: '" << quantizeSample
        << "' is not a folder of inputs (input_N.pb or .npy files, as moe-run --data takes)\n";
    return 1;
  }
  if (!matmulType.empty() && !npuTarget && (cudaTarget || matmulType != "bf16")) {
    llvm::WithColor::error(llvm::errs(), "moe-compile")
        << "--matmul-type=" << matmulType
        << (cudaTarget ? ": CUDA targets compute f32 matmuls in f32 for now\n"
                       : ": the CPU computes matmuls in f32 or, with --matmul-type=bf16, bf16\n");
    return 1;
  }
  if (int8Activations && cudaTarget) {
    llvm::WithColor::error(llvm::errs(), "moe-compile")
        << "--int8-activations: CUDA targets do not take int8 activations yet\n";
    return 1;
  }
  if (quantizeMethod != "clip" && quantizeMethod != "rtn") {
    llvm::WithColor::error(llvm::errs(), "moe-compile")
        << "--quantize-method=" << quantizeMethod << ": the methods are rtn and clip\n";
    return 1;
  }
  if (quantizeGroup < -1 ||
      (quantize == Quantize::Int4 && quantizeGroup > 0 && quantizeGroup % 2 != 0)) {
    llvm::WithColor::error(llvm::errs(), "moe-compile")
        << "--quantize-group=" << quantizeGroup
        << ": a group is 0 (one scale per channel) or a positive number of weights, even for "
           "int4 (two to a byte)\n";
    return 1;
  }
  if (quantizeLayers != "all" && quantizeLayers != "non-router") {
    llvm::WithColor::error(llvm::errs(), "moe-compile")
        << "--quantize-layers=" << quantizeLayers << ": the choices are all and non-router\n";
    return 1;
  }
  if (optLevel > 3) {
    llvm::WithColor::error(llvm::errs(), "moe-compile")
        << "-O" << optLevel << ": the levels are 0 to 3\n";
    return 1;
  }
  Phase last = kind == Emit::Mlir ? compileTo.getValue()
               : npuTarget        ? Phase::Npu
                                  : Phase::Llvm;

  if (last >= Phase::Moe) {
    PassManager pm(&context);
    if (failed(applyPassManagerCLOptions(pm)))
      return 1;
    // The NPU takes moe.experts whole (its program cannot size a loop by
    // the tokens an expert got); the CPU wants it decomposed.
    moe::buildOnnxToMoePipeline(pm, /*raise=*/!noRaise, /*decomposeExperts=*/!npuTarget);
    if (quantize != Quantize::None) {
      moe::MoeQuantizeWeightsOptions options;
      options.bits = quantize == Quantize::Int8 ? 8 : 4;
      options.groupSize = quantizeGroup >= 0 ? quantizeGroup.getValue()
                          : quantize == Quantize::Int4 ? 128 : 0;
      options.symmetric = !quantizeAsymmetric;
      options.clipSearch = quantizeMethod == "clip";
      options.layers = quantizeLayers;
      // "all" means every matmul, the small ones too.
      if (quantizeLayers == "all")
        options.minColumns = 1;
      options.report = quantizeReport;
      pm.addPass(moe::createMoeQuantizeWeights(options));
    }
    if (failed(pm.run(*module)))
      return 1;
  }
  if (last == Phase::Npu) {
    PassManager pm(&context);
    if (failed(applyPassManagerCLOptions(pm)))
      return 1;
    moe::MoeNpuLowerOptions lowerOptions;
    lowerOptions.matmulType = matmulType;
    lowerOptions.int8Activations = int8Activations;
    lowerOptions.denseExperts = npuDenseExperts;
    pm.addPass(moe::createMoeNpuLower(lowerOptions));
    pm.addNestedPass<func::FuncOp>(moe::createMoeNpuInsertSync());
    if (failed(pm.run(*module)))
      return 1;
  }
  FailureOr<moe::ModelSignature> signature;
  if (last == Phase::Llvm) {
    PassManager moeLowering(&context);
    if (failed(applyPassManagerCLOptions(moeLowering)))
      return 1;
    if (cudaTarget)
      moe::buildCudaMoeLoweringPipeline(moeLowering);
    else
      moe::buildCpuMoeLoweringPipeline(moeLowering, int8Activations);
    if (failed(moeLowering.run(*module)))
      return 1;
    signature = moe::prepareCpuEntry(*module);
    if (failed(signature) || failed(moe::checkCpuLowerable(*module)))
      return 1;
    PassManager pm(&context);
    if (failed(applyPassManagerCLOptions(pm)))
      return 1;
    if (cudaTarget && emulateGpu)
      moe::buildCudaEmulationPipeline(pm);
    else if (cudaTarget)
      moe::buildCudaLoweringPipeline(pm, kind == Emit::Cubin ? moe::CudaBinary::Cubin
                                                             : moe::CudaBinary::Ptx);
    else {
      moe::CpuCodegenOptions machine;
      machine.triple = triple;
      machine.cpu = cpuName;
      machine.features = cpuFeatures;
      moe::CpuLoweringOptions lowering;
      lowering.vnni = moe::cpuHasFeature(machine, "avx512vnni");
      lowering.bf16Matmuls = matmulType == "bf16";
      lowering.avx512bf16 = moe::cpuHasFeature(machine, "avx512bf16");
      moe::buildCpuLoweringPipeline(pm, lowering);
    }
    if (failed(pm.run(*module)))
      return 1;
  }

  std::string error;
  LogicalResult written = success();
  if (kind == Emit::Npu) {
    FailureOr<moe_npu::Program> program = npu::buildNpuProgram(*module);
    if (failed(program))
      return 1;
    written = moe::writeFileAtomically(
        outputPath,
        [&](raw_ostream &os) {
          moe_npu::printProgram(*program, os);
          return success();
        },
        error);
  } else if (kind == Emit::Ptx || kind == Emit::Cubin) {
    FailureOr<std::string> binary = moe::getCudaBinary(*module, error);
    // A model without kernels is still a PTX module, with nothing in it.
    if (succeeded(binary) && binary->empty() && kind == Emit::Ptx) {
      NVVM::NVVMTargetAttr target = moe::getCudaTarget(*module);
      // "+ptx80" is PTX ISA 8.0.
      StringRef isa = target.getFeatures();
      isa = isa.substr(std::min(isa.find("+ptx"), isa.size())).drop_front(4).take_while(llvm::isDigit);
      std::string version = isa.size() >= 2 ? (isa.drop_back() + "." + isa.take_back()).str() : "8.0";
      *binary = ".version " + version + "\n.target " + target.getChip().str() + "\n.address_size 64\n";
    } else if (succeeded(binary) && binary->empty()) {
      error = "the model has no kernels (it folds to constants and views): there is "
              "no cubin to write; --emit=ptx or a library work";
      binary = failure();
    }
    if (succeeded(binary))
      written = moe::writeFileAtomically(
          outputPath,
          [&](raw_ostream &os) {
            os << *binary;
            return success();
          },
          error);
    else
      written = failure();
  } else if (kind == Emit::Mlir) {
    written = moe::writeFileAtomically(
        outputPath,
        [&](raw_ostream &os) {
          module->print(os);
          return success();
        },
        error);
  } else {
    moe::CpuCodegenOptions codegen;
    codegen.optLevel = optLevel;
    codegen.triple = triple;
    codegen.cpu = cpuName;
    codegen.features = cpuFeatures;
    codegen.externalWeights = weightsMode == Weights::External;
    if (cudaTarget && emulateGpu) {
      codegen.wrapper.name = targetName + " emulated on the CPU";
    } else if (cudaTarget) {
      codegen.wrapper.name = targetName;
      codegen.wrapper.deviceRuntime = moe::getCudaRuntimeSource().str();
    }
    moe::CpuArtifact artifact = kind == Emit::Llvm  ? moe::CpuArtifact::LlvmIr
                                : kind == Emit::Asm ? moe::CpuArtifact::Assembly
                                : kind == Emit::Obj ? moe::CpuArtifact::Object
                                                    : moe::CpuArtifact::SharedLibrary;
    if (cudaTarget && !emulateGpu && failed(moe::getCudaBinary(*module, error)))
      written = failure();
    else
      written = moe::emitCpuArtifact(*module, *signature, artifact, outputPath,
                                     codegen, error);
  }
  if (failed(written)) {
    if (!error.empty())
      llvm::WithColor::error(llvm::errs(), "moe-compile") << error << "\n";
    return 1;
  }
  if (!quantizeSample.empty() &&
      !moe::reportSampleOutputError(commandLine, outputPath, quantizeSample, quantizeReport,
                                    error)) {
    llvm::WithColor::error(llvm::errs(), "moe-compile") << "--quantize-sample: " << error << "\n";
    return 1;
  }
  return 0;
}
