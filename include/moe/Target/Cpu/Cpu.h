//===- Cpu.h - The CPU backend: lowering, objects and libraries -*- C++ -*-===//

#ifndef MOE_TARGET_CPU_CPU_H
#define MOE_TARGET_CPU_CPU_H

#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

#include <string>

namespace mlir {
class OpPassManager;
class Pass;
namespace moe {

/// One input or output of a compiled model, as its C API describes it.
struct TensorSignature {
  std::string name;
  int onnxType = 0;             // ONNX TensorProto.DataType code
  SmallVector<int64_t> shape;   // -1: dynamic
  SmallVector<std::string> dimNames;
};

struct ModelSignature {
  SmallVector<TensorSignature> inputs, outputs;
};

/// The symbol of the compiled entry function (the model's graph).
constexpr const char *kCpuEntryName = "moe_model_main";

/// Makes the module's public entry function (`main`) the one the C API
/// calls: renamed to kCpuEntryName, result casts to unranked types
/// dropped, and its signature read. Fails with a diagnostic when an input
/// or output type has no C API form.
FailureOr<ModelSignature> prepareCpuEntry(ModuleOp module);

/// The moe ops the CPU takes in portable form, as linalg (quantization
/// ops so far); runs before prepareCpuEntry. With `int8Activations`,
/// products by 8-bit weights quantize their rows to int8 at run time.
void buildCpuMoeLoweringPipeline(OpPassManager &pm, bool int8Activations = false);

/// Fails, naming the op, when the module holds an op the CPU lowering does
/// not take yet.
LogicalResult checkCpuLowerable(ModuleOp module);

/// From the moe/linalg level to the LLVM dialect: bufferization with
/// owned results, loops, and the upstream conversions to LLVM.
struct CpuLoweringOptions {
  /// The target CPU has AVX512-VNNI (int8 matmuls use vpdpbusd).
  bool vnni = false;
  /// f32 matmuls by constant weights computed in bf16 (moe-cpu-bf16-dot).
  bool bf16Matmuls = false;
  /// The target CPU has AVX512-BF16 (bf16 matmuls use vdpbf16ps).
  bool avx512bf16 = false;
};
void buildCpuLoweringPipeline(OpPassManager &pm, const CpuLoweringOptions &options = {});


/// Where a model's buffers live, as its wrapper sees it.
struct WrapperTarget {
  std::string name = "cpu";   // what moe_model_target() returns
  /// Empty: host memory. Else the C source of the device's runtime
  /// (lib/Runtime), which the wrapper carries: it allocates the buffers and
  /// moves inputs and outputs (moe_cuda_begin/upload/download/end).
  std::string deviceRuntime;
};

/// What to produce from the LLVM dialect.
enum class CpuArtifact { LlvmIr, Assembly, Object, SharedLibrary };

struct CpuCodegenOptions {
  int optLevel = 2;           // 0..3
  std::string triple;         // empty: the host
  std::string cpu;            // empty: the host CPU ("generic" for none)
  std::string features;       // empty: the host CPU's features
  bool externalWeights = false;  // constants in a file next to the library
  size_t externalWeightsMinBytes = 1024;  // smaller ones stay in the code
  WrapperTarget wrapper;      // a shared library's C API
};
/// Whether the CPU `options` compile for has `feature` ("avx512vnni"):
/// the host's unless a triple, CPU or features were given.
bool cpuHasFeature(const CpuCodegenOptions &options, StringRef feature);

/// The global the library sets to the mapped weights' payload.
constexpr const char *kWeightsBaseName = "moe_weights_base";

/// The weights file of a library compiled with external weights.
struct ExternalWeights {
  std::string file;         // header and payload, as written
  uint64_t id = 0;          // the payload's FNV-1a, also in the library
  size_t payloadBytes = 0;
  size_t count = 0;         // constants moved out
};

/// Moves the constant globals of `module` (LLVM dialect) of at least
/// `minBytes` into the returned file image; their uses read the base
/// pointer kWeightsBaseName plus an offset.
FailureOr<ExternalWeights> moveWeightsOut(ModuleOp module, size_t minBytes,
                                          std::string &error);

/// Writes `artifact` for `module` (LLVM dialect) to `path` atomically; a
/// shared library also gets a C header next to it (path with ".h").
/// On failure `error` says why.
LogicalResult emitCpuArtifact(ModuleOp module, const ModelSignature &signature,
                              CpuArtifact artifact, StringRef path,
                              const CpuCodegenOptions &options,
                              std::string &error);

/// The C source of the wrapper that implements moe_model.h's API for
/// `signature` over the compiled entry function; with `weights`, it maps the
/// weights file `weightsName` (found next to the library) at the first run.
std::string generateCpuWrapper(const ModelSignature &signature,
                               const ExternalWeights *weights = nullptr,
                               StringRef weightsName = "",
                               const WrapperTarget &target = {});

/// The model's header: moe_model.h plus its inputs and outputs in comments.
std::string generateCpuHeader(const ModelSignature &signature);

void registerCpuPipelines();

/// moe-cpu-tile-and-vectorize: matmuls into register-tiled FMA loops.
std::unique_ptr<Pass> createCpuTileAndVectorizePass();
void registerCpuTileAndVectorizePass();


/// moe-cpu-int8-dot: i32 matmuls of int8 rows by constant 8-bit weights as
/// register tiles of 4-byte dot products in portable vector ops.
std::unique_ptr<Pass> createCpuInt8DotPass();
void registerCpuInt8DotPass();

/// moe-cpu-int8-dot-products: those dot products as AVX512-VNNI vpdpbusd
/// with `vnni`, else as vector adds (after bufferization).
std::unique_ptr<Pass> createCpuInt8DotProductsPass(bool vnni);
void registerCpuInt8DotProductsPass();

/// One 4-byte dot product of moe-cpu-int8-dot: acc + the sums over groups
/// of 4 of extui(unsignedBytes) * extsi(signedBytes), both 64 x i8 (other
/// passes leave these to moe-cpu-int8-dot-products).
struct Int8DotOperands {
  Value unsignedBytes, signedBytes;
};
std::optional<Int8DotOperands> matchInt8DotProduct(vector::MultiDimReductionOp op);

/// moe-cpu-bf16-dot: f32 matmuls by constant weights as register tiles of
/// bf16 pair dot products in portable vector ops (rows and weights rounded
/// to bf16, sums f32).
std::unique_ptr<Pass> createCpuBf16DotPass();
void registerCpuBf16DotPass();

/// moe-cpu-bf16-dot-products: those dot products as AVX512-BF16 vdpbf16ps
/// with `avx512bf16`, else as f32 multiplies and adds (after bufferization).
std::unique_ptr<Pass> createCpuBf16DotProductsPass(bool avx512bf16);
void registerCpuBf16DotProductsPass();

/// One pair dot product of moe-cpu-bf16-dot: acc + the sums over pairs of
/// extf(lhs) * extf(rhs), both 32 x bf16 (other passes leave these to
/// moe-cpu-bf16-dot-products).
struct Bf16DotOperands {
  Value lhs, rhs;
};
std::optional<Bf16DotOperands> matchBf16DotProduct(vector::MultiDimReductionOp op);

/// moe-cpu-vectorize-generics: elementwise ops and reductions as vectors.
std::unique_ptr<Pass> createCpuVectorizeGenericsPass();
void registerCpuVectorizeGenericsPass();

/// moe-cpu-plan-memory: static intermediates in one arena per call.
std::unique_ptr<Pass> createCpuPlanMemoryPass();
void registerCpuPlanMemoryPass();

/// moe-cpu-strided-copies: copies between strided views as loops.
std::unique_ptr<Pass> createCpuStridedCopiesPass();
void registerCpuStridedCopiesPass();

/// moe-cpu-reshapes-as-views: static reshapes that split or merge dims as
/// expand_shape / collapse_shape.
std::unique_ptr<Pass> createCpuReshapesAsViewsPass();
void registerCpuReshapesAsViewsPass();

/// moe-cpu-prefetch-panels: reads of packed weight panels prefetch the
/// next panel into L2.
std::unique_ptr<Pass> createCpuPrefetchPanelsPass();
void registerCpuPrefetchPanelsPass();

/// The resource name of the constant weights that moe-cpu-tile-and-vectorize
/// packs into [.., n/32, k, 32] panels (moe-cpu-prefetch-panels finds them
/// by it).
inline constexpr llvm::StringLiteral kPackedPanelsResource = "moe_packed_panels";
/// The resource names of the weights moe-cpu-int8-dot and moe-cpu-bf16-dot
/// pack for their dot-product tiles (DotTiles.h), which
/// moe-cpu-prefetch-panels recognises.
inline constexpr llvm::StringLiteral kInt8DotWeightsResource = "int8_dot_weights";
inline constexpr llvm::StringLiteral kBf16DotWeightsResource = "bf16_dot_weights";

/// moe-cpu-fma-to-fmuladd: math.fma fused only where the CPU has FMA.
std::unique_ptr<Pass> createCpuFmaToFmulAddPass();
void registerCpuFmaToFmulAddPass();

} // namespace moe
} // namespace mlir

#endif // MOE_TARGET_CPU_CPU_H
