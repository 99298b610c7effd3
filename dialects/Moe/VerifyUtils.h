//===- VerifyUtils.h - Shape checks shared by the moe verifiers -*- C++ -*-===//
//
// Dynamic dimensions match anything: the verifiers check what is known
// statically and leave the rest to the runtime checks of the lowering.
//
//===----------------------------------------------------------------------===//

#ifndef MOE_DIALECTS_MOE_VERIFYUTILS_H
#define MOE_DIALECTS_MOE_VERIFYUTILS_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Operation.h"

namespace mlir::moe::detail {

inline bool compatibleDim(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

/// Fails with "<name> must have rank <rank>" unless `type` has that rank.
LogicalResult verifyRank(Operation *op, StringRef name, ShapedType type,
                         int64_t rank);

/// Fails with "<name> dim <i> is <d> but must equal <what> (<expected>)".
LogicalResult verifyDim(Operation *op, StringRef name, ShapedType type,
                        unsigned i, int64_t expected, StringRef what);

/// The integer value of a dimension that is not known statically.
inline int64_t dynamicOr(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) ? b : a;
}

} // namespace mlir::moe::detail

#endif // MOE_DIALECTS_MOE_VERIFYUTILS_H
