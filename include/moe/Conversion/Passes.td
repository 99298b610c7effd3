//===- Passes.td - Conversion passes -----------------------*- tablegen -*-===//

#ifndef MOE_CONVERSION_PASSES_TD
#define MOE_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertOnnxToMoe : Pass<"moe-convert-onnx-to-moe", "::mlir::ModuleOp"> {
  let summary = "Convert onnx.node ops to linalg, tensor, arith, math and moe";
  let description = [{
    Each onnx.node is rewritten by the handler registered for its op type,
    domain and opset version. Elementwise ops become linalg.generic with
    numpy-style broadcasting (a dynamic dim is assumed not to broadcast).
    Results may come out more precisely typed than the node declared;
    non-onnx users get a tensor.cast back. An op without a handler, or a node
    its handler rejects, is an error naming the node, and the pass fails.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::moe::MoeDialect"];
}

#endif // MOE_CONVERSION_PASSES_TD
