//===- EmitArtifact.cpp - LLVM IR, assembly, objects and shared libraries -===//
//
// The LLVM dialect goes through LLVM's optimisation pipeline and code
// generator for the chosen triple and CPU (the host's by default, with its
// vector extensions). A shared library is the object plus the generated C
// wrapper, linked by clang; every artifact is written to a temporary file
// and renamed into place only when all of it succeeded.
//
//===----------------------------------------------------------------------===//

#include "moe/Target/Cpu/Cpu.h"
#include "moe/Support/FileOutput.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"

#include <cstdlib>

using namespace mlir;
using namespace mlir::moe;

#ifndef MOE_DEFAULT_CC
#define MOE_DEFAULT_CC "clang"
#endif

namespace {

/// A temporary folder removed with everything in it.
struct TempDir {
  SmallString<128> path;
  ~TempDir() {
    if (!path.empty())
      llvm::sys::fs::remove_directories(path);
  }
};

std::unique_ptr<llvm::TargetMachine>
makeTargetMachine(const CpuCodegenOptions &options, std::string &error) {
  llvm::InitializeAllTargetInfos();
  llvm::InitializeAllTargets();
  llvm::InitializeAllTargetMCs();
  llvm::InitializeAllAsmPrinters();
  bool host = options.triple.empty();
  llvm::Triple triple(host ? llvm::sys::getDefaultTargetTriple() : options.triple);
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
  std::string cpu = options.cpu;
  std::string features = options.features;
  if (cpu.empty())
    cpu = host ? llvm::sys::getHostCPUName().str() : "generic";
  if (features.empty() && host && options.cpu.empty()) {
    SmallVector<std::string> enabled;
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      enabled.push_back((feature.second ? "+" : "-") + feature.first().str());
    features = llvm::join(enabled, ",");
  }
  llvm::CodeGenOptLevel level = options.optLevel <= 0 ? llvm::CodeGenOptLevel::None
                                : options.optLevel == 1 ? llvm::CodeGenOptLevel::Less
                                : options.optLevel == 2 ? llvm::CodeGenOptLevel::Default
                                                        : llvm::CodeGenOptLevel::Aggressive;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, cpu, features, llvm::TargetOptions(), llvm::Reloc::PIC_,
      std::nullopt, level));
  if (!machine)
    error = "cannot create a target machine for " + triple.str();
  return machine;
}

/// The optimised LLVM module of `module`, laid out for `machine`.
std::unique_ptr<llvm::Module> toLlvm(ModuleOp module, llvm::LLVMContext &context,
                                     llvm::TargetMachine &machine, int optLevel,
                                     std::string &error) {
  registerBuiltinDialectTranslation(*module.getContext());
  registerLLVMDialectTranslation(*module.getContext());
  registerOpenMPDialectTranslation(*module.getContext());
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, context, "model");
  if (!llvmModule) {
    error = "the lowered module does not translate to LLVM IR";
    return nullptr;
  }
  llvmModule->setTargetTriple(machine.getTargetTriple());
  llvmModule->setDataLayout(machine.createDataLayout());
  auto optimize = makeOptimizingTransformer(std::clamp(optLevel, 0, 3), 0, &machine);
  if (llvm::Error err = optimize(llvmModule.get())) {
    error = "LLVM optimisation failed: " + llvm::toString(std::move(err));
    return nullptr;
  }
  return llvmModule;
}

LogicalResult emitMachineCode(llvm::Module &module, llvm::TargetMachine &machine,
                              llvm::CodeGenFileType kind, raw_ostream &os,
                              std::string &error) {
  SmallString<0> buffer;
  llvm::raw_svector_ostream stream(buffer);
  llvm::legacy::PassManager passes;
  if (machine.addPassesToEmitFile(passes, stream, nullptr, kind)) {
    error = "the target cannot emit this file type";
    return failure();
  }
  passes.run(module);
  os << buffer;
  return success();
}

LogicalResult writeFile(StringRef path, StringRef contents, std::string &error) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec) {
    error = "cannot write '" + path.str() + "': " + ec.message();
    return failure();
  }
  os << contents;
  return success();
}

/// Links the object and the C wrapper into a shared library at `out`.
LogicalResult linkSharedLibrary(StringRef object, const ModelSignature &signature,
                                const CpuCodegenOptions &options, bool openmp,
                                const ExternalWeights *weights, StringRef weightsName,
                                StringRef out, std::string &error) {
  TempDir dir;
  if (std::error_code ec = llvm::sys::fs::createUniqueDirectory("moe-link", dir.path)) {
    error = "cannot create a temporary folder: " + ec.message();
    return failure();
  }
  SmallString<128> objectPath(dir.path), wrapperPath(dir.path);
  llvm::sys::path::append(objectPath, "model.o");
  llvm::sys::path::append(wrapperPath, "api.c");
  if (failed(writeFile(objectPath, object, error)) ||
      failed(writeFile(wrapperPath, generateCpuWrapper(signature, weights, weightsName,
                                                          options.wrapper),
                                       error)))
    return failure();
  const char *cc = std::getenv("MOE_CC");
  std::string compiler = cc && *cc ? cc : MOE_DEFAULT_CC;
  llvm::ErrorOr<std::string> program = llvm::sys::findProgramByName(compiler);
  if (!program) {
    error = "cannot find the C compiler '" + compiler +
            "' that links the library (set MOE_CC)";
    return failure();
  }
  SmallVector<std::string> args = {*program, "-shared", "-fPIC", "-O2",
                                   "-fvisibility=default", "-o", out.str(),
                                   wrapperPath.str().str(), objectPath.str().str(),
                                   "-lm"};
  // A device runtime finds its driver with dlopen.
  if (!options.wrapper.deviceRuntime.empty())
    args.push_back("-ldl");
  // Only models with parallel loops depend on the OpenMP runtime.
  if (openmp)
    args.push_back("-fopenmp=libomp");
  if (!options.triple.empty())
    args.insert(args.begin() + 1, "--target=" + options.triple);
  SmallVector<StringRef> argRefs(args.begin(), args.end());
  SmallString<128> logPath(dir.path);
  llvm::sys::path::append(logPath, "link.log");
  std::optional<StringRef> redirects[] = {std::nullopt, logPath.str(), logPath.str()};
  std::string execError;
  int status = llvm::sys::ExecuteAndWait(*program, argRefs, std::nullopt,
                                         redirects, 0, 0, &execError);
  if (status != 0) {
    auto log = llvm::MemoryBuffer::getFile(logPath);
    error = "linking the library with '" + compiler + "' failed" +
            (execError.empty() ? "" : ": " + execError) +
            (log ? "\n" + (*log)->getBuffer().str() : "");
    return failure();
  }
  return success();
}

} // namespace

bool moe::cpuHasFeature(const CpuCodegenOptions &options, StringRef feature) {
  std::string error;
  std::unique_ptr<llvm::TargetMachine> machine = makeTargetMachine(options, error);
  if (!machine || !machine->getTargetTriple().isX86())
    return false;
  return machine->getMCSubtargetInfo()->checkFeatures(("+" + feature).str());
}

LogicalResult moe::emitCpuArtifact(ModuleOp module, const ModelSignature &signature,
                                   CpuArtifact artifact, StringRef path,
                                   const CpuCodegenOptions &options,
                                   std::string &error) {
  std::unique_ptr<llvm::TargetMachine> machine = makeTargetMachine(options, error);
  if (!machine)
    return failure();
  std::optional<ExternalWeights> weights;
  if (options.externalWeights) {
    // Only the generated wrapper knows how to map the file.
    if (artifact != CpuArtifact::SharedLibrary) {
      error = "--weights=external needs a shared library (--emit=lib)";
      return failure();
    }
    FailureOr<ExternalWeights> moved =
        moveWeightsOut(module, options.externalWeightsMinBytes, error);
    if (failed(moved))
      return failure();
    weights = std::move(*moved);
  }
  llvm::LLVMContext context;
  std::unique_ptr<llvm::Module> llvmModule =
      toLlvm(module, context, *machine, options.optLevel, error);
  if (!llvmModule)
    return failure();

  if (artifact == CpuArtifact::LlvmIr)
    return writeFileAtomically(path, [&](raw_ostream &os) {
      llvmModule->print(os, nullptr);
      return success();
    }, error);
  if (artifact == CpuArtifact::Assembly || artifact == CpuArtifact::Object)
    return writeFileAtomically(path, [&](raw_ostream &os) {
      return emitMachineCode(*llvmModule, *machine,
                             artifact == CpuArtifact::Assembly
                                 ? llvm::CodeGenFileType::AssemblyFile
                                 : llvm::CodeGenFileType::ObjectFile,
                             os, error);
    }, error);

  std::string object;
  llvm::raw_string_ostream objectStream(object);
  if (failed(emitMachineCode(*llvmModule, *machine,
                             llvm::CodeGenFileType::ObjectFile, objectStream, error)))
    return failure();
  if (path == "-") {
    error = "a shared library needs an output file (-o model.so)";
    return failure();
  }
  // The library is linked to a temporary name; its header and weights file
  // are written whole, then the library is renamed into place.
  SmallString<128> temp(path);
  temp += ".tmp-link";
  SmallString<128> weightsPath(path);
  llvm::sys::path::replace_extension(weightsPath, "weights");
  StringRef weightsName = llvm::sys::path::filename(weightsPath);
  bool openmp = llvmModule->getFunction("__kmpc_fork_call") != nullptr;
  if (failed(linkSharedLibrary(object, signature, options, openmp,
                               weights ? &*weights : nullptr, weightsName, temp,
                               error))) {
    llvm::sys::fs::remove(temp);
    return failure();
  }
  if (weights && failed(writeFileAtomically(weightsPath, [&](raw_ostream &os) {
        os << weights->file;
        return success();
      }, error))) {
    llvm::sys::fs::remove(temp);
    return failure();
  }
  SmallString<128> header(path);
  llvm::sys::path::replace_extension(header, "h");
  if (failed(writeFileAtomically(header, [&](raw_ostream &os) {
        os << generateCpuHeader(signature);
        return success();
      }, error))) {
    llvm::sys::fs::remove(temp);
    if (weights)
      llvm::sys::fs::remove(weightsPath);
    return failure();
  }
  if (std::error_code ec = llvm::sys::fs::rename(temp, path)) {
    llvm::sys::fs::remove(temp);
    if (weights)
      llvm::sys::fs::remove(weightsPath);
    error = "cannot write '" + path.str() + "': " + ec.message();
    return failure();
  }
  return success();
}
