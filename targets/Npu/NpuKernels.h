//===- NpuKernels.h - Straight-line npu kernels of linalg ops ---*- C++ -*-===//
//
// What moe-npu-lower emits for one op: npu.dma/mmad/vec ops on views of the
// core's buffers, loops unrolled, no flags (moe-npu-insert-sync adds them).
// Operands and results are static memrefs in global memory.
//
//===----------------------------------------------------------------------===//

#ifndef MOE_TARGETS_NPU_NPUKERNELS_H
#define MOE_TARGETS_NPU_NPUKERNELS_H

#include "moe/Dialect/Npu/NpuOps.h"
#include "moe/Target/Npu/MatmulTiling.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"

namespace mlir::npu {

/// Typed views of the core's buffers, each buffer one i8 allocation at the
/// top of the kernel's function.
class Buffers {
public:
  Buffers(OpBuilder &b, Location loc, Block *entry, TargetAttr target)
      : b(b), loc(loc), entry(entry), target(target) {}

  /// The [shape] view of `element`s at `offset` bytes into `space`.
  Value view(MemSpace space, int64_t offset, ArrayRef<int64_t> shape, Type element);
  /// `base` seen with other sizes and element strides (0: broadcast).
  Value restride(Value base, ArrayRef<int64_t> shape, ArrayRef<int64_t> strides);
  int64_t size(MemSpace space) const { return target.getBuffer(space).getSize(); }
  TargetAttr getTarget() const { return target; }

private:
  Value whole(MemSpace space);
  OpBuilder &b;
  Location loc;
  Block *entry;
  TargetAttr target;
  std::array<Value, 6> buffers;
  SmallVector<std::pair<std::tuple<int, int64_t, SmallVector<int64_t>, Type>, Value>> cache;
};

/// "ONNX node 'name': " when the op came from one, for diagnostics.
std::string nodeOf(Operation *op);

/// The A, B and C init of a matmul: A [batch..., M, K] times a shared
/// B [K, N] into C [batch..., M, N] (batch dims fold into M).
struct MatmulParts {
  Value a, b, init;
};
FailureOr<MatmulParts> matchMatmul(linalg::LinalgOp op);

/// The matmul matchMatmul takes, built: x [batch..., K] times w [K, N] into
/// a zero fill, floats summed in f32 (narrower ones widened), integers in
/// i32.
Value buildMatmul(OpBuilder &b, Location loc, Value x, Value w);

/// Steps `index` (a prefix of `bounds`' dims) to the next index in row-major
/// order; false after the last.
bool nextIndex(MutableArrayRef<int64_t> index, ArrayRef<int64_t> bounds);

/// Packed row-major strides of a static shape.
SmallVector<int64_t> packed(ArrayRef<int64_t> shape);

/// Every moe.experts of `func` (with the moe.route feeding it) as linalg
/// in which each expert runs over only the tokens that chose it: rows
/// grouped by expert at positions computed on the cube and vector unit,
/// each expert's FFN in scf.ifs on its run-time row count
/// (ExpertsToLinalg.cpp says how). With `dense` (and above 2048 tokens),
/// every expert over every token, weighted by a [tokens, experts] gate.
LogicalResult decomposeExperts(func::FuncOp func, bool dense = false);

/// The value whose bytes `v` holds in the same order: through reshapes
/// (MatMulNBits' scales come flat and are reshaped to [N, K / G]).
Value throughReshapes(Value v);

/// moe.qmatmul over constant 4- or 8-bit weights on the cube: the integers
/// stay integers in global memory (transposed [K, N] at compile time), the
/// vector unit dequantizes them into the cube's type each call, the cube
/// multiplies. Others are left for the generic lowering.
/// With `int8Activations` the activations are quantized too (per row,
/// symmetric, at run time), the cube multiplies int8 by int8 into i32 and
/// the vector unit dequantizes by both scales.
LogicalResult rewriteQMatmulsForCube(func::FuncOp func, Type cubeType, bool int8Activations);

/// With `cubeType` (f16 or bf16): every f32 matmul and attention of `func`
/// computes in that type, its operands converted (constants at compile
/// time), its result still f32; a null type changes nothing.
LogicalResult convertForCube(func::FuncOp func, Type cubeType);

/// C = A B for static row-major [M,K] x [K,N] memrefs in global memory,
/// with the given tiles.
void emitMatmul(OpBuilder &b, Location loc, Buffers &buffers,
                const moe_npu::MatmulTiles &tiles, Value A, Value B, Value C);

/// An elementwise generic (inputs broadcast along dims their maps leave
/// out) or one reducing its innermost dim, on the vector unit: chunks of
/// rows stream into the unified buffer, the body runs as vector
/// instructions, the result streams back. Fails with a diagnostic on a body
/// or map it cannot take.
LogicalResult emitVectorGeneric(OpBuilder &b, Buffers &buffers, linalg::GenericOp op,
                                ArrayRef<Value> inputs, Value output);

/// dst = src for two global-memory views of one shape, through the unified
/// buffer (any strides: transposes are views of the source).
void emitCopy(OpBuilder &b, Location loc, Buffers &buffers, Value src, Value dst);

/// Every element of a 2-d global-memory view set to `value` (a float).
void emitFill(OpBuilder &b, Location loc, Buffers &buffers, Value dst, double value);

/// The shape and mask of an attention the NPU computes.
struct AttentionShape {
  int64_t batch, heads, kvHeads, queries, keys, dim;
  double scale;
  bool causal;
  int64_t windowLeft, windowRight; // -1: unbounded
  int64_t past = 0;                // query i sits at position past + i
  int64_t realKeys = 0;            // keys beyond this are padding (masked)
  int64_t globalTokens = 0;        // seen by and seeing every position
  double softcap = 0;              // > 0: scores become c tanh(s / c)
  Value mask;                      // additive, [B or 1, H or 1, S or 1, keys] in gm
};

/// out[B,H,S,D] = softmax(scale Q K^T + mask) V for f16/bf16 memrefs in
/// global memory, flash-style (see AttentionKernel.cpp). Fails with a
/// diagnostic when no tile fits.
LogicalResult emitAttention(OpBuilder &b, Buffers &buffers, const AttentionShape &shape,
                            Operation *op, Value q, Value k, Value v, Value out,
                            ModuleOp module);

} // namespace mlir::npu

#endif // MOE_TARGETS_NPU_NPUKERNELS_H
