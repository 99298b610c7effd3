//===- Heads.h - Moving attention heads in and out of the hidden dim -*- C++ -*-===//
//
// ONNX attention ops take (batch, seq, heads * head_dim) or packed forms;
// moe.attention and moe.rope take [batch, heads, seq, head_dim].
//
//===----------------------------------------------------------------------===//

#ifndef MOE_PASSES_CONVERSION_ONNXTOMOE_HEADS_H
#define MOE_PASSES_CONVERSION_ONNXTOMOE_HEADS_H

#include "moe/Conversion/OnnxToMoe/OnnxToMoe.h"

namespace mlir::moe {

/// (B, S, heads * D) to (B, heads, S, D); `what` names the input in errors.
FailureOr<Value> splitHeads(OnnxNode &node, Value v, int64_t heads,
                            StringRef what);

/// splitHeads of 3-d query, key and value (in place), the key and value
/// with `kvHeads` heads.
LogicalResult splitHeadsQkv(OnnxNode &node, Value &q, Value &k, Value &v,
                            int64_t heads, int64_t kvHeads);

/// (B, heads, S, D) back to (B, S, heads * D).
Value mergeHeads(OpBuilder &b, Location loc, Value v);

/// Columns [offset, offset + size) of the last dim of a 3-d tensor.
Value sliceColumns(OpBuilder &b, Location loc, Value v, int64_t offset,
                   int64_t size);

/// Entry `index` of dim 3 of a packed (B, S, heads, n, D) tensor, as
/// (B, heads, S, D).
Value unpackHeads(OpBuilder &b, Location loc, Value packed, int64_t index);

/// Prepends size-1 dims up to rank 4 (masks broadcast from the right).
Value toRank4(OpBuilder &b, Location loc, Value v);

/// Positions offset + 0 .. S-1 as a [1, S] i64 tensor, `offset` an index
/// value and S the size of dim 2 of `like` ([B, H, S, D]).
Value positionsFrom(OpBuilder &b, Location loc, Value offset, Value like);

} // namespace mlir::moe

#endif // MOE_PASSES_CONVERSION_ONNXTOMOE_HEADS_H
