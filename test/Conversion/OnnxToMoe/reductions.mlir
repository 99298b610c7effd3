// RUN: moe-opt %s --moe-convert-onnx-to-moe -split-input-file | FileCheck %s

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[KEEP:.*]] = affine_map<(d0, d1, d2) -> (d0, 0, d2)>
// CHECK-LABEL: func @reduce_sum_keepdims
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[INIT:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<2x1x4xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[KEEP]]], iterator_types = ["parallel", "reduction", "parallel"]} ins(%{{.*}} : tensor<2x3x4xf32>) outs(%[[INIT]] : tensor<2x1x4xf32>)
// CHECK: arith.addf
func.func @reduce_sum_keepdims(%x: tensor<2x3x4xf32>) -> tensor<*xf32> {
  %axes = arith.constant dense<[1]> : tensor<1xi64>
  %0 = onnx.node "ReduceSum"(%x, %axes) version 13 : (tensor<2x3x4xf32>, tensor<1xi64>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// Before opset 18 the other reductions take axes as an attribute.
// CHECK-LABEL: func @reduce_max_attr
// CHECK: arith.constant 0xFF800000 : f32
// CHECK: iterator_types = ["reduction", "parallel"]} {{.*}} outs(%{{.*}} : tensor<4xf32>)
// CHECK: arith.maximumf
func.func @reduce_max_attr(%x: tensor<3x4xf32>) -> tensor<*xf32> {
  %0 = onnx.node "ReduceMax"(%x) version 13 attrs {axes = array<i64: 0>, keepdims = 0 : i64} : (tensor<3x4xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// ReduceMean divides the sum by the reduced count; no axes reduce all.
// CHECK-LABEL: func @reduce_mean_all
// CHECK: iterator_types = ["reduction", "reduction"]
// CHECK: %[[N:.*]] = arith.constant 1.200000e+01 : f32
// CHECK: linalg.generic
// CHECK: arith.divf %{{.*}}, %[[N]]
func.func @reduce_mean_all(%x: tensor<3x4xf32>) -> tensor<*xf32> {
  %0 = onnx.node "ReduceMean"(%x) version 18 : (tensor<3x4xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// CHECK-LABEL: func @reduce_l2
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: math.sqrt
func.func @reduce_l2(%x: tensor<3x4xf32>) -> tensor<*xf32> {
  %0 = onnx.node "ReduceL2"(%x) version 13 attrs {axes = array<i64: 1>} : (tensor<3x4xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// CHECK-LABEL: func @argmax
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%{{.*}} : tensor<3x4xf32>) outs(%{{.*}}, %{{.*}} : tensor<3x1xf32>, tensor<3x1xi64>)
// CHECK: arith.cmpf ogt
// CHECK: arith.select
// CHECK: arith.select
func.func @argmax(%x: tensor<3x4xf32>) -> tensor<*xi64> {
  %0 = onnx.node "ArgMax"(%x) version 13 attrs {axis = 1 : i64} : (tensor<3x4xf32>) -> tensor<*xi64>
  return %0 : tensor<*xi64>
}

// -----

// Softmax: max, exp(x - max), sum, divide; all along the last axis.
// CHECK-LABEL: func @softmax
// CHECK: arith.maximumf
// CHECK: arith.subf
// CHECK: math.exp
// CHECK: arith.addf
// CHECK: arith.divf
func.func @softmax(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %0 = onnx.node "Softmax"(%x) version 13 : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// CHECK-LABEL: func @log_softmax
// CHECK: math.exp
// CHECK: math.log
// CHECK: arith.subf
func.func @log_softmax(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %0 = onnx.node "LogSoftmax"(%x) version 13 : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// LayerNorm: mean, centred, variance, rsqrt(var + eps), scale and bias.
// CHECK-LABEL: func @layer_norm
// CHECK: arith.constant 9.99999974E-6 : f32
// CHECK: math.rsqrt
// CHECK: ^bb0(%[[C:.*]]: f32, %[[R:.*]]: f32, %[[G:.*]]: f32, %[[B:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[T:.*]] = arith.mulf %[[C]], %[[R]]
// CHECK: %[[S:.*]] = arith.mulf %[[T]], %[[G]]
// CHECK: arith.addf %[[S]], %[[B]]
func.func @layer_norm(%x: tensor<2x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<2x8xf32> {
  %0 = onnx.node "LayerNormalization"(%x, %g, %b) version 17 : (tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// Axes computed at run time, with keepdims: the declared result shape says
// which dims are reduced.
// CHECK-LABEL: func @reduce_runtime_axes
// CHECK: iterator_types = ["parallel", "reduction", "parallel"]
func.func @reduce_runtime_axes(%x: tensor<2x3x4xf32>, %axes: tensor<1xi64>) -> tensor<2x1x4xf32> {
  %0 = onnx.node "ReduceSum"(%x, %axes) version 13 : (tensor<2x3x4xf32>, tensor<1xi64>) -> tensor<2x1x4xf32>
  return %0 : tensor<2x1x4xf32>
}
