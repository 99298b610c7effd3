//===- OnnxOps.td - Ops of the onnx import dialect ---------*- tablegen -*-===//

#ifndef MOE_DIALECT_ONNX_ONNXOPS_TD
#define MOE_DIALECT_ONNX_ONNXOPS_TD

include "moe/Dialect/Onnx/OnnxDialect.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Onnx_ValueType : AnyTypeOf<[AnyTensor, NoneType]>;

def Onnx_NodeOp : Onnx_Op<"node"> {
  let summary = "one ONNX node, generic";
  let description = [{
    An ONNX node as it stands in the graph: `op_type` in `domain` ("" is the
    default ai.onnx domain) at opset `version`, with its ONNX attributes in
    `attrs`. An absent optional input is a value of type `none`
    (`onnx.none`); an output the graph does not name has type `none`. The
    node's name is its location.

    ```mlir
    %y = onnx.node "Softmax"(%x) version 13 attrs {axis = -1 : i64}
        : (tensor<2x8xf32>) -> tensor<2x8xf32>
    %m = onnx.node "MoE"(%x, %r, %w1, %n, %w2) domain "com.microsoft"
        version 1 attrs {k = 2 : i64, activation_type = "silu"}
        : (tensor<4x64xf32>, tensor<4x8xf32>, tensor<8x128x64xf32>, none,
           tensor<8x64x128xf32>) -> tensor<4x64xf32>
    ```
  }];
  let arguments = (ins Variadic<Onnx_ValueType>:$inputs,
                   StrAttr:$op_type,
                   DefaultValuedStrAttr<StrAttr, "">:$domain,
                   ConfinedAttr<I64Attr, [IntPositive]>:$version,
                   DefaultValuedAttr<DictionaryAttr, "{}">:$attrs);
  let results = (outs Variadic<Onnx_ValueType>:$outputs);
  let assemblyFormat = [{
    $op_type `(` $inputs `)` (`domain` $domain^)? `version` $version
    (`attrs` $attrs^)? attr-dict `:` functional-type($inputs, $outputs)
  }];
  let hasVerifier = 1;
}

def Onnx_NoneOp : Onnx_Op<"none", [Pure]> {
  let summary = "the absent optional input";
  let description = [{
    Stands for an optional ONNX input the node does not have (an empty input
    name), so inputs keep their positions.

    ```mlir
    %none = onnx.none
    ```
  }];
  let results = (outs NoneType:$result);
  let assemblyFormat = "attr-dict";
  let builders = [
    OpBuilder<(ins), [{ build($_builder, $_state, $_builder.getNoneType()); }]>
  ];
}

#endif // MOE_DIALECT_ONNX_ONNXOPS_TD
