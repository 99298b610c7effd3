//===- OnnxDialect.td - The onnx import dialect ------------*- tablegen -*-===//

#ifndef MOE_DIALECT_ONNX_ONNXDIALECT_TD
#define MOE_DIALECT_ONNX_ONNXDIALECT_TD

include "mlir/IR/OpBase.td"

def Onnx_Dialect : Dialect {
  let name = "onnx";
  let cppNamespace = "::mlir::onnx";
  let summary = "ONNX graphs as imported, one generic op per node";
  let description = [{
    The importer writes each ONNX node as one `onnx.node` carrying its
    op_type, domain, opset version and attributes. The semantics of each ONNX
    op live in exactly one conversion pattern (OnnxToMoe), not in a hand
    written zoo of op definitions here.
  }];
}

class Onnx_Op<string mnemonic, list<Trait> traits = []>
    : Op<Onnx_Dialect, mnemonic, traits>;

#endif // MOE_DIALECT_ONNX_ONNXDIALECT_TD
