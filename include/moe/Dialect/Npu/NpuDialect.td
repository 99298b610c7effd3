//===- NpuDialect.td - The npu dialect ---------------------*- tablegen -*-===//

#ifndef MOE_DIALECT_NPU_NPUDIALECT_TD
#define MOE_DIALECT_NPU_NPUDIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def Npu_Dialect : Dialect {
  let name = "npu";
  let cppNamespace = "::mlir::npu";
  let summary = "machine model of an Ascend-class NPU core";
  let description = [{
    Buffers are memrefs in the memory spaces `#npu.mem<gm|l1|l0a|l0b|l0c|ub>`.
    Ops are the work of the core's pipes: DMA between buffers (MTE1/2/3 and
    fixpipe), the cube's matrix multiply-accumulate, vector instructions on
    the unified buffer, and the flags and barriers that order the pipes.
    `#npu.target<...>`, on the module as `npu.target`, describes the chip.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasOperationAttrVerify = 1;
  let extraClassDeclaration = [{
    /// The module attribute that holds the target description.
    static constexpr ::llvm::StringLiteral kTargetAttrName = "npu.target";
  }];
}

class Npu_Op<string mnemonic, list<Trait> traits = []>
    : Op<Npu_Dialect, mnemonic, traits>;

#endif // MOE_DIALECT_NPU_NPUDIALECT_TD
