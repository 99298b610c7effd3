//===- moe-compile.cpp - The compiler driver ------------------------------===//
//
// The only place with command-line options: it parses them, imports the
// model, runs what the phase asks for, and writes the output whole or not
// at all.
//
//===----------------------------------------------------------------------===//

#include "moe/Frontend/Onnx/Import.h"
#include "moe/InitAll.h"
#include "moe/Pipelines/Pipelines.h"
#include "moe/Support/Diagnostics.h"
#include "moe/Support/FileOutput.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"

using namespace mlir;
namespace cl = llvm::cl;

namespace {
enum class Emit { Mlir };
enum class Phase { Import, Moe };
} // namespace

static cl::OptionCategory category("moe-compile options");

static cl::opt<std::string> inputPath(cl::Positional, cl::Required,
                                      cl::desc("<model.onnx>"),
                                      cl::cat(category));
static cl::opt<std::string> outputPath("o", cl::init("-"),
                                       cl::desc("Output file ('-' for stdout)"),
                                       cl::value_desc("file"),
                                       cl::cat(category));
static cl::opt<Emit> emit("emit", cl::init(Emit::Mlir),
                          cl::desc("What to write"),
                          cl::values(clEnumValN(Emit::Mlir, "mlir",
                                                "MLIR text of the last phase "
                                                "(default; libraries come with "
                                                "the CPU backend)")),
                          cl::cat(category));
static cl::opt<Phase> compileTo(
    "compile-to", cl::init(Phase::Moe), cl::desc("The last phase to run"),
    cl::values(clEnumValN(Phase::Import, "import",
                          "the onnx dialect: one onnx.node per ONNX node"),
               clEnumValN(Phase::Moe, "moe",
                          "linalg/tensor/arith/math and moe ops, after "
                          "moe-onnx-to-moe-pipeline (default)")),
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
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "moe-compile: an ahead-of-time compiler for MoE and attention models\n\n"
      "Reads an ONNX model and writes it at the requested phase.\n");

  onnx_import::ImportOptions options;
  if (failed(parseShapes(options)))
    return 1;

  DialectRegistry registry;
  moe::registerAllDialects(registry);
  MLIRContext context(registry);
  moe::ToolDiagnosticHandler diagnostics(&context, llvm::errs());

  OwningOpRef<ModuleOp> module =
      onnx_import::importOnnxFile(&context, inputPath, options);
  if (!module)
    return 1;

  if (compileTo >= Phase::Moe) {
    PassManager pm(&context);
    if (failed(applyPassManagerCLOptions(pm)))
      return 1;
    moe::buildOnnxToMoePipeline(pm);
    if (failed(pm.run(*module)))
      return 1;
  }

  std::string error;
  if (failed(moe::writeFileAtomically(
          outputPath,
          [&](raw_ostream &os) {
            module->print(os);
            return success();
          },
          error))) {
    llvm::WithColor::error(llvm::errs(), "moe-compile") << error << "\n";
    return 1;
  }
  return 0;
}
