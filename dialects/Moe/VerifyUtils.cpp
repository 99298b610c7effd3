//===- VerifyUtils.cpp - Shape checks shared by the moe verifiers ---------===//

#include "VerifyUtils.h"

using namespace mlir;

LogicalResult moe::detail::verifyRank(Operation *op, StringRef name,
                                      ShapedType type, int64_t rank) {
  if (type.getRank() == rank)
    return success();
  return op->emitOpError() << name << " must have rank " << rank << ", got "
                           << type;
}

LogicalResult moe::detail::verifyDim(Operation *op, StringRef name,
                                     ShapedType type, unsigned i,
                                     int64_t expected, StringRef what) {
  if (compatibleDim(type.getDimSize(i), expected))
    return success();
  return op->emitOpError() << name << " dim " << i << " is "
                           << type.getDimSize(i) << " but must equal " << what
                           << " (" << expected << ")";
}
