//===- MoeEnums.td - Enumerations of the moe dialect -------*- tablegen -*-===//

#ifndef MOE_DIALECT_MOE_MOEENUMS_TD
#define MOE_DIALECT_MOE_MOEENUMS_TD

include "mlir/IR/EnumAttr.td"
include "moe/Dialect/Moe/MoeDialect.td"

// Scoring and activation are keywords in op formats: as plain integer enum
// attributes they print there without the padding of a dialect EnumAttr.
def Moe_ScoringAttr : I32EnumAttr<"Scoring", "router scoring function", [
    I32EnumAttrCase<"Softmax", 0, "softmax">,
    I32EnumAttrCase<"Sigmoid", 1, "sigmoid">]> {
  let cppNamespace = "::mlir::moe";
}

def Moe_GroupScore : I32EnumAttr<"GroupScore", "score of an expert group", [
    I32EnumAttrCase<"Max", 0, "max">,
    I32EnumAttrCase<"SumTop2", 1, "sum_top2">]> {
  let cppNamespace = "::mlir::moe";
  let genSpecializedAttr = 0;
}
def Moe_GroupScoreAttr : EnumAttr<Moe_Dialect, Moe_GroupScore, "group_score"> {
  // Spelled in the attribute dictionary, where the bare keyword would not parse.
  let assemblyFormat = "`<` $value `>`";
}

// swiglu is the gated form: silu(x fc1^T) * (x fc3^T). The others are ungated.
def Moe_ActivationAttr : I32EnumAttr<"Activation", "expert FFN activation", [
    I32EnumAttrCase<"Relu", 0, "relu">,
    I32EnumAttrCase<"Gelu", 1, "gelu">,
    I32EnumAttrCase<"Silu", 2, "silu">,
    I32EnumAttrCase<"Swiglu", 3, "swiglu">]> {
  let cppNamespace = "::mlir::moe";
}

#endif // MOE_DIALECT_MOE_MOEENUMS_TD
