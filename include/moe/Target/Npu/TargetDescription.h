//===- TargetDescription.h - #npu.target and its file form ------*- C++ -*-===//
//
// The description of an NPU lives in two forms: the #npu.target attribute
// passes read, and the JSON file (Program.h's TargetDesc) users write and
// programs carry. These convert between them.
//
//===----------------------------------------------------------------------===//

#ifndef MOE_TARGET_NPU_TARGETDESCRIPTION_H
#define MOE_TARGET_NPU_TARGETDESCRIPTION_H

#include "moe/Dialect/Npu/NpuOps.h"
#include "moe/Target/Npu/Program.h"

namespace mlir::npu {

/// The plain-data form of `target`.
moe_npu::TargetDesc toDescription(TargetAttr target);

/// The attribute of `desc`; null with `error` set when the attribute's
/// verifier refuses it (e.g. a cube type missing from dtypes).
TargetAttr toAttribute(MLIRContext *context, const moe_npu::TargetDesc &desc,
                       std::string &error);

/// Reads a description file into the attribute; null with `error` set.
TargetAttr loadTargetFile(MLIRContext *context, StringRef path, std::string &error);

} // namespace mlir::npu

#endif // MOE_TARGET_NPU_TARGETDESCRIPTION_H
