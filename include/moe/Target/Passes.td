//===- Passes.td - Passes about targets --------------------*- tablegen -*-===//

#ifndef MOE_TARGET_PASSES_TD
#define MOE_TARGET_PASSES_TD

include "mlir/Pass/PassBase.td"

def MoeAttachTarget : Pass<"moe-attach-target", "::mlir::ModuleOp"> {
  let summary = "Put a known target's description on the module";
  let description = [{
    Looks `target` up in the known-targets table and sets the module
    attribute that the target's passes and verifiers read (for NPUs,
    `npu.target = #npu.target<...>`), replacing one already there. An unknown
    name is an error that lists the known ones.
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"",
           "name from the known-targets table, e.g. npu-910b-like">
  ];
  let dependentDialects = ["::mlir::npu::NpuDialect"];
}

#endif // MOE_TARGET_PASSES_TD
