//===- RowBlocks.h - The loop over a panel's row blocks ---------*- C++ -*-===//
//
// moe-cpu-tile-and-vectorize multiplies each weight panel by the rows one
// register tile at a time, in a loop it marks with this attribute;
// moe-cpu-prefetch-panels spreads the fetch of the next panel over that
// loop's iterations.
//
//===----------------------------------------------------------------------===//

#ifndef MOE_TARGETS_CPU_ROWBLOCKS_H
#define MOE_TARGETS_CPU_ROWBLOCKS_H

#include "llvm/ADT/StringRef.h"

namespace mlir::moe {
inline constexpr llvm::StringLiteral kRowBlocksAttr = "moe.row_blocks";
} // namespace mlir::moe

#endif // MOE_TARGETS_CPU_ROWBLOCKS_H
