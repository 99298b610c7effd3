// RUN: moe-opt %s | moe-opt | FileCheck %s
// RUN: moe-opt %s --mlir-print-op-generic | moe-opt | FileCheck %s

// CHECK-LABEL: func @nodes
func.func @nodes(%x: tensor<2x8xf32>, %r: tensor<2x4xf32>, %w1: tensor<4x16x8xf32>, %w2: tensor<4x8x16xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  // CHECK: %[[NONE:.*]] = onnx.none
  %none = onnx.none
  // CHECK: onnx.node "Softmax"(%{{.*}}) version 13 attrs {axis = -1 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %s = onnx.node "Softmax"(%x) version 13 attrs {axis = -1 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  // CHECK: onnx.node "MoE"(%{{.*}}, %{{.*}}, %{{.*}}, %[[NONE]], %{{.*}}) domain "com.microsoft" version 1 attrs {activation_type = "silu", k = 2 : i64} : (tensor<2x8xf32>, tensor<2x4xf32>, tensor<4x16x8xf32>, none, tensor<4x8x16xf32>) -> tensor<2x8xf32>
  %m = onnx.node "MoE"(%s, %r, %w1, %none, %w2) domain "com.microsoft" version 1 attrs {k = 2 : i64, activation_type = "silu"}
      : (tensor<2x8xf32>, tensor<2x4xf32>, tensor<4x16x8xf32>, none, tensor<4x8x16xf32>) -> tensor<2x8xf32>
  // Unknown dims, several outputs, and an output the graph does not name.
  // CHECK: onnx.node "TopK"(%{{.*}}, %{{.*}}) version 11 : (tensor<2x8xf32>, tensor<1xi64>) -> (tensor<?x?xf32>, none)
  %k = arith.constant dense<2> : tensor<1xi64>
  %v, %i = onnx.node "TopK"(%m, %k) version 11 : (tensor<2x8xf32>, tensor<1xi64>) -> (tensor<?x?xf32>, none)
  // CHECK: onnx.node "RandomNormal"() version 1 attrs {shape = [2, 8]} : () -> tensor<*xf32>
  %n = onnx.node "RandomNormal"() version 1 attrs {shape = [2, 8]} : () -> tensor<*xf32>
  return %s, %m : tensor<2x8xf32>, tensor<2x8xf32>
}
