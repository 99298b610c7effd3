//===- QuantOps.td - Weight quantization ops ---------------*- tablegen -*-===//

#ifndef MOE_DIALECT_MOE_QUANTOPS_TD
#define MOE_DIALECT_MOE_QUANTOPS_TD

include "moe/Dialect/Moe/MoeDialect.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

// The scale layouts that quantize and dequantize share (ONNX's):
// - per tensor: `scale` has one element (rank 0 or [1]), no axis;
// - per channel: `scale` is [dim(axis)];
// - blocked: `scale` has the input's rank and dim(axis) is
//   ceil(dim(axis) / block_size), the other dims equal the input's.
// `zero_point` has the scale's shape and the quantized element type.
class Moe_QuantParamOp<string mnemonic, list<Trait> traits = []>
    : Moe_Op<mnemonic, !listconcat(traits, [Pure, AllShapesMatch<["input", "result"]>])> {
  let hasVerifier = 1;
}

def Moe_QuantizeOp : Moe_QuantParamOp<"quantize"> {
  let summary = "float to integer with scale and zero point";
  let description = [{
    `result = saturate(round_half_even(input / scale) + zero_point)` to the
    range of the result's integer type (signless is signed, `ui` unsigned).

    ```mlir
    %q = moe.quantize %w, %s {axis = 0 : i64}
        : (tensor<128x64xf32>, tensor<128xf32>) -> tensor<128x64xi8>
    ```
  }];
  let arguments = (ins Moe_FloatTensor:$input, Moe_FloatTensor:$scale,
                   Optional<Moe_QuantTensor>:$zero_point,
                   OptionalAttr<I64Attr>:$axis,
                   ConfinedAttr<DefaultValuedAttr<I64Attr, "0">, [IntNonNegative]>:$block_size);
  let results = (outs Moe_QuantTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale (`zero_point` $zero_point^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasFolder = 1;
}

def Moe_DequantizeOp : Moe_QuantParamOp<"dequantize", [InferTypeOpAdaptor]> {
  let summary = "integer to float with scale and zero point";
  let description = [{
    `result = (input - zero_point) * scale`, in the scale's element type.

    ```mlir
    %w = moe.dequantize %q, %s {axis = 1 : i64, block_size = 32 : i64}
        : (tensor<128x64xi4>, tensor<128x2xf32>) -> tensor<128x64xf32>
    ```
  }];
  let arguments = (ins Moe_QuantTensor:$input, Moe_FloatTensor:$scale,
                   Optional<Moe_QuantTensor>:$zero_point,
                   OptionalAttr<I64Attr>:$axis,
                   ConfinedAttr<DefaultValuedAttr<I64Attr, "0">, [IntNonNegative]>:$block_size);
  let results = (outs Moe_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale (`zero_point` $zero_point^)? attr-dict `:`
    functional-type(operands, results)
  }];
}

def Moe_QMatmulOp : Moe_Op<"qmatmul", [Pure, AttrSizedOperandSegments,
    InferTypeOpAdaptor]> {
  let summary = "float activations times quantized weights";
  let description = [{
    `result[..., n] = sum_k input[..., k] * dequant(weight)[n, k] + bias[n]`
    with `weight` [N, K] in linear-layer layout. `scale` (and `zero_point`,
    same shape, weight element type) is per tensor (one element), per output
    channel ([N]) or, with `group_size = G`, per group of G along K
    ([N, K / G]); G must divide K.

    ```mlir
    %y = moe.qmatmul %x, %q, %s {group_size = 32 : i64}
        : (tensor<?x64xf32>, tensor<128x64xi4>, tensor<128x2xf32>)
        -> tensor<?x128xf32>
    ```
  }];
  let arguments = (ins Moe_FloatTensor:$input,
                   RankedTensorOf<[I<8>, I<4>, UI<8>, UI<4>], [HasAnyRankOfPred<[2]>],
                                  "2-d tensor of 8- or 4-bit integers">:$weight,
                   Moe_FloatTensor:$scale,
                   Optional<Moe_QuantTensor>:$zero_point,
                   Optional<Moe_FloatTensor>:$bias,
                   ConfinedAttr<DefaultValuedAttr<I64Attr, "0">, [IntNonNegative]>:$group_size);
  let results = (outs Moe_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `,` $scale (`zero_point` $zero_point^)?
    (`bias` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // MOE_DIALECT_MOE_QUANTOPS_TD
