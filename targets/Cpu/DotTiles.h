//===- DotTiles.h - Register tiles of packed dot products -------*- C++ -*-===//
//
// What the CPU's narrow-type matmuls share (int8 in Int8Dot.cpp, bf16 in
// Bf16Dot.cpp): each step multiplies a 32-bit word of a row (4 int8 or 2
// bf16 values, broadcast) with 16 columns' words and adds each word's
// products into the column's lane (vpdpbusd, vdpbf16ps), over weights
// packed at compile time so that a step reads 64 contiguous bytes per 16
// columns:
//   packed[n / 16][k / group][n % 16][k % group] = w[k, n]
//
//===----------------------------------------------------------------------===//

#ifndef MOE_TARGETS_CPU_DOTTILES_H
#define MOE_TARGETS_CPU_DOTTILES_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::moe {

/// Whether `op` is C[m, n] += f(A[m, k], B[k, n]) on tensors; with
/// `furtherInputs`, f may also read inputs after A and B (any maps).
bool isMatmulGeneric(linalg::GenericOp op, bool furtherInputs = false);

/// A product of batched rows by one matrix, C[b, m, n] += f(A[b, m, k],
/// B[k, n], ...) (an attention block's projections), as the 2-d product of
/// its [b * m] rows, expanded back; further inputs may be read per row
/// ([b, m, ...] leading) or not per row at all (per column: zero points).
/// False, changing nothing, for other generics.
bool collapseRowBatch(linalg::GenericOp op);

/// One matmul as dot-product tiles.
struct DotTiles {
  /// The matmul replaced: its block gets the index constants.
  Operation *anchor = nullptr;
  /// [M, K] of `group` values per 32 bits.
  Value rows;
  /// [N / 16, K * 16] of the rows' element type, packed as above.
  Value weights;
  int64_t group = 4, k = 0, n = 0;
  /// [M, N] of i32 or f32, the sums' start; with `fromZero` only its sizes
  /// are read.
  Value init;
  bool fromZero = false;
  /// Rows per tile, largest first: full tiles of the first, then at most
  /// one of each smaller height.
  ArrayRef<int64_t> heights;
  /// acc (16 lanes) + the products of each lane's word of `weights`
  /// (16 x i32) with the row's word (`row`, broadcast to 16 x i32).
  function_ref<Value(OpBuilder &, Location, Value acc, Value weights, Value row)> dot;
  /// Optional: a tile's sums (16 lanes) of row `rowIndex`, finished.
  function_ref<Value(OpBuilder &, Location, Value sums, Value rowIndex)> finish;
};

/// The product as scf.forall loops over (column tiles, row tiles) with
/// the K loop in registers inside.
Value emitDotTiles(OpBuilder &b, Location loc, const DotTiles &tiles);

/// Matrix `expert` of packed weights stacked [E, N / 16, K * 16] when
/// `expert` is set, else `packed` itself.
Value packedMatrix(OpBuilder &b, Location loc, Value packed, std::optional<OpFoldResult> expert);

/// Rewrites the dot products `isDot` accepts in `module` by `patterns`
/// (an intrinsic call, or upstream's lowering to lane-wise adds).
LogicalResult rewriteDotProducts(ModuleOp module,
                                 function_ref<bool(vector::MultiDimReductionOp)> isDot,
                                 RewritePatternSet &&patterns);

} // namespace mlir::moe

#endif // MOE_TARGETS_CPU_DOTTILES_H
