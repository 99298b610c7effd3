//===- Passes.h - Passes on the moe dialect ---------------------*- C++ -*-===//

#ifndef MOE_PASSES_MOE_PASSES_H
#define MOE_PASSES_MOE_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class OpBuilder;
class RewritePatternSet;
class RewriterBase;
namespace moe {

#define GEN_PASS_DECL
#include "moe/Passes/Moe/Passes.h.inc"

/// moe.experts -> moe.dispatch + moe.grouped_matmul + moe.combine.
void populateDecomposeExpertsPatterns(RewritePatternSet &patterns);

/// moe.quantize/dequantize/qmatmul -> linalg.generic; `weightTiles` (the
/// CPU): int4 products of many run-time rows over float weight panels.
void populateLowerQuantOpsPatterns(RewritePatternSet &patterns, bool weightTiles = false);

/// A matmul by a weight dequantized from constant 8-bit integers [K, N]
/// (QDQ imports: per output channel or per tensor) as moe.qmatmul over the
/// transposed integers; with `anyRows` false, only for fewer rows than the
/// CPU's register tile (a decode step); with `blocked`, weights blocked
/// along K with constant scales too, as a grouped qmatmul.
void populateDequantizedWeightAsQMatmulPatterns(RewritePatternSet &patterns, bool anyRows,
                                                bool blocked = false);

/// moe.qmatmul of 8-bit weights (per channel or per tensor) with its
/// input rows quantized to int8 at run time: an i32 matmul generic of the
/// integers and one pass back to floats (Int8Activations.cpp); preferred
/// over the other qmatmul lowerings.
void populateLowerQMatmulInt8ActivationsPatterns(RewritePatternSet &patterns);

/// Rows x [..., K] quantized to int8 at run time: `absMax` [...] holds each
/// row's largest magnitude and `values` [..., K] (i8) round_half_even(x /
/// max(absMax, 1e-12) * 127); x ~ values * absMax / 127.
struct QuantizedRows {
  Value absMax, values;
};
QuantizedRows quantizeRows(OpBuilder &b, Location loc, Value x);

/// moe.rms_norm -> linalg.generic.
void populateLowerNormOpsPatterns(RewritePatternSet &patterns);
/// moe.rope and moe.attention -> linalg.generic (the direct form).
void populateLowerAttentionOpsPatterns(RewritePatternSet &patterns);
/// moe.attention -> tiled online softmax (flash form) where its shape
/// suits; preferred over the direct form (part of the patterns above).
void populateLowerAttentionTiledPatterns(RewritePatternSet &patterns);
/// Elementwise producers fused into the consumers that read them element
/// for element (FuseElementwiseChains.cpp); into reductions too when
/// `intoReductions`.
void populateFuseElementwiseChainsPatterns(RewritePatternSet &patterns,
                                           bool intoReductions);
/// moe.route, dispatch, grouped_matmul and combine -> linalg and scf.
/// grouped_matmul is a loop over experts with a matmul over each one's
/// rows, or with `groupedByRow` one op over all rows, each reading its
/// expert's weights (for GPUs: no loop whose bounds are data). With
/// `weightTiles` (the CPU), per-channel 8-bit experts are float products
/// over weights dequantized from a k-major copy of the integers.
void populateLowerRoutingOpsPatterns(RewritePatternSet &patterns,
                                     bool groupedByRow = false, bool weightTiles = false);

/// Raises the exported expert loop whose output sum is `root` (an onnx
/// Add or ScatterElements) into moe.route + moe.experts and returns the
/// value that replaced the sum; fails, changing nothing, when the sum is
/// not a routed-experts layer.
FailureOr<Value> raiseRoutedExperts(RewriterBase &rewriter, Operation *root);

/// Raises the scaled dot-product attention whose output is `root` (the
/// onnx MatMul of the softmax by V) into moe.attention and returns its
/// output; fails, changing nothing, when it is not attention.
FailureOr<Value> raiseAttention(RewriterBase &rewriter, Operation *root);

/// Raises the rotary embedding x * cos + rotate_half(x) * sin whose sum is
/// `root` into moe.rope when cos and sin are computed half-split tables.
FailureOr<Value> raiseRope(RewriterBase &rewriter, Operation *root);

/// Raises the RMSNorm whose last step is `root` (the onnx Mul by the
/// weight) into moe.rms_norm; fails, changing nothing, otherwise.
FailureOr<Value> raiseRmsNorm(RewriterBase &rewriter, Operation *root);

/// The LayerNorm (without its bias when `root` is the Mul by the weight)
/// ending at `root`, as an opset-17 onnx LayerNormalization node.
FailureOr<Value> raiseLayerNorm(RewriterBase &rewriter, Operation *root);

#define GEN_PASS_REGISTRATION
#include "moe/Passes/Moe/Passes.h.inc"

} // namespace moe
} // namespace mlir

#endif // MOE_PASSES_MOE_PASSES_H
