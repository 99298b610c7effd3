//===- KnownTargets.h - The table behind --target ---------------*- C++ -*-===//
//
// A target is data: an attribute the module carries and passes query. This
// table maps the names users pass to that attribute.
//
//===----------------------------------------------------------------------===//

#ifndef MOE_TARGET_KNOWNTARGETS_H
#define MOE_TARGET_KNOWNTARGETS_H

#include "mlir/IR/Attributes.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <optional>

namespace mlir {
class MLIRContext;
namespace moe {

/// Every name the table knows, in a stable order.
SmallVector<StringRef> getKnownTargetNames();

/// The module attribute (name and value) of the target called `name`, or
/// nothing when the table has no such target.
std::optional<NamedAttribute> lookupKnownTarget(MLIRContext *context,
                                                StringRef name);

namespace cuda_targets {
/// The CUDA rows: an #nvvm.target under the name moe.cuda_target.
SmallVector<StringRef> names();
std::optional<NamedAttribute> lookup(MLIRContext *context, StringRef name);
} // namespace cuda_targets

namespace npu_targets {
/// The NPU rows of the table.
SmallVector<StringRef> names();
std::optional<NamedAttribute> lookup(MLIRContext *context, StringRef name);
} // namespace npu_targets

} // namespace moe
} // namespace mlir

#endif // MOE_TARGET_KNOWNTARGETS_H
