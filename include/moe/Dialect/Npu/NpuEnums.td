//===- NpuEnums.td - Enumerations of the npu dialect -------*- tablegen -*-===//

#ifndef MOE_DIALECT_NPU_NPUENUMS_TD
#define MOE_DIALECT_NPU_NPUENUMS_TD

include "mlir/IR/EnumAttr.td"
include "moe/Dialect/Npu/NpuDialect.td"

def Npu_MemSpace : I32EnumAttr<"MemSpace", "NPU memory space", [
    I32EnumAttrCase<"GM", 0, "gm">,
    I32EnumAttrCase<"L1", 1, "l1">,
    I32EnumAttrCase<"L0A", 2, "l0a">,
    I32EnumAttrCase<"L0B", 3, "l0b">,
    I32EnumAttrCase<"L0C", 4, "l0c">,
    I32EnumAttrCase<"UB", 5, "ub">]> {
  let cppNamespace = "::mlir::npu";
  let genSpecializedAttr = 0;
}
def Npu_MemSpaceAttr : EnumAttr<Npu_Dialect, Npu_MemSpace, "mem"> {
  let assemblyFormat = "`<` $value `>`";
}

def Npu_PipeAttr : I32EnumAttr<"Pipe", "NPU pipe", [
    I32EnumAttrCase<"Scalar", 0, "scalar">,
    I32EnumAttrCase<"Vector", 1, "vector">,
    I32EnumAttrCase<"Cube", 2, "cube">,
    I32EnumAttrCase<"MTE1", 3, "mte1">,
    I32EnumAttrCase<"MTE2", 4, "mte2">,
    I32EnumAttrCase<"MTE3", 5, "mte3">,
    I32EnumAttrCase<"Fixpipe", 6, "fixpipe">,
    I32EnumAttrCase<"All", 7, "all">]> {
  let cppNamespace = "::mlir::npu";
}

def Npu_DmaLayout : I32EnumAttr<"DmaLayout", "layout change made by a DMA", [
    I32EnumAttrCase<"None", 0, "none">,
    I32EnumAttrCase<"NdToNz", 1, "nd_to_nz">,
    I32EnumAttrCase<"NzToNd", 2, "nz_to_nd">]> {
  let cppNamespace = "::mlir::npu";
  let genSpecializedAttr = 0;
}
def Npu_DmaLayoutAttr : EnumAttr<Npu_Dialect, Npu_DmaLayout, "layout"> {
  let assemblyFormat = "`<` $value `>`";
}

#endif // MOE_DIALECT_NPU_NPUENUMS_TD
