// RUN: moe-opt %s --moe-convert-onnx-to-moe -split-input-file | FileCheck %s

// Parameters that arrive as run-time tensors instead of constants.

// Range of run-time scalars: ceil((limit - start) / delta) elements, at
// least none, each start + i * delta.
// CHECK-LABEL: func @range_runtime
// CHECK-DAG: %[[S:.*]] = tensor.extract %arg0[]
// CHECK-DAG: %[[D:.*]] = tensor.extract %arg2[]
// CHECK: %[[Q:.*]] = arith.divf
// CHECK: %[[C:.*]] = math.ceil %[[Q]] : f64
// CHECK: %[[N:.*]] = arith.maximumf %[[C]]
// CHECK: %[[NI:.*]] = arith.fptosi %[[N]]
// CHECK: %[[LEN:.*]] = arith.index_cast %[[NI]]
// CHECK: tensor.empty(%[[LEN]]) : tensor<?xf32>
// CHECK: linalg.index 0
// CHECK: %[[STEP:.*]] = arith.mulf %{{.*}}, %[[D]] : f32
// CHECK: arith.addf %[[S]], %[[STEP]] : f32
func.func @range_runtime(%s: tensor<f32>, %l: tensor<f32>, %d: tensor<f32>) -> tensor<*xf32> {
  %0 = onnx.node "Range"(%s, %l, %d) version 11 : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// A run-time CumSum axis switches between one scan per axis (negative axes
// count from the end; the last axis is the default case).
// CHECK-LABEL: func @cumsum_runtime_axis
// CHECK: %[[A:.*]] = arith.index_cast %{{.*}} : i32 to index
// CHECK: %[[NEG:.*]] = arith.cmpi slt, %[[A]]
// CHECK: %[[WRAP:.*]] = arith.addi %[[A]], %c2
// CHECK: %[[AXIS:.*]] = arith.select %[[NEG]], %[[WRAP]], %[[A]]
// CHECK: scf.index_switch %[[AXIS]] -> tensor<2x3xf32>
// CHECK: case 0 {
// CHECK:   linalg.index 0
// CHECK: default {
// CHECK:   linalg.index 1
func.func @cumsum_runtime_axis(%x: tensor<2x3xf32>, %a: tensor<i32>) -> tensor<2x3xf32> {
  %0 = onnx.node "CumSum"(%x, %a) version 14 : (tensor<2x3xf32>, tensor<i32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// A run-time reduction axis without keepdims: each case reduces its axis
// and yields the common dynamic type.
// CHECK-LABEL: func @reduce_runtime_axis
// CHECK: %[[R:.*]] = scf.index_switch %{{.*}} -> tensor<?x?xf32>
// CHECK: case 0 {
// CHECK:   iterator_types = ["reduction", "parallel", "parallel"]
// CHECK: case 1 {
// CHECK:   iterator_types = ["parallel", "reduction", "parallel"]
// CHECK: default {
// CHECK:   iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: tensor.cast %[[R]] : tensor<?x?xf32> to tensor<3x2xf32>
func.func @reduce_runtime_axis(%x: tensor<3x2x2xf32>, %a: tensor<1xi64>) -> tensor<3x2xf32> {
  %0 = onnx.node "ReduceSum"(%x, %a) version 13 attrs {keepdims = 0 : i64} : (tensor<3x2x2xf32>, tensor<1xi64>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// GatherND with batch_dims: the batch index is shared, the tuple addresses
// the next dims.
// CHECK-LABEL: func @gathernd_batch
// CHECK: %[[B:.*]] = linalg.index 0
// CHECK: %[[T:.*]] = tensor.extract %arg1[%[[B]], %{{.*}}] : tensor<2x1xi64>
// CHECK: %[[I:.*]] = arith.index_cast %[[T]]
// CHECK: %[[W:.*]] = arith.select %{{.*}}, %{{.*}}, %[[I]]
// CHECK: %[[J:.*]] = linalg.index 1
// CHECK: tensor.extract %arg0[%[[B]], %[[W]], %[[J]]] : tensor<2x2x2xf32>
func.func @gathernd_batch(%x: tensor<2x2x2xf32>, %i: tensor<2x1xi64>) -> tensor<*xf32> {
  %0 = onnx.node "GatherND"(%x, %i) version 12 attrs {batch_dims = 1 : i64} : (tensor<2x2x2xf32>, tensor<2x1xi64>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// Empty parts of an empty dim are empty tensors, not slices.
// CHECK-LABEL: func @split_empty
// CHECK-COUNT-2: tensor.empty() : tensor<0xf32>
// CHECK-NOT: tensor.extract_slice
func.func @split_empty(%x: tensor<0xf32>) -> (tensor<*xf32>, tensor<*xf32>) {
  %s = arith.constant dense<[0, 0]> : tensor<2xi64>
  %0:2 = onnx.node "Split"(%x, %s) version 13 : (tensor<0xf32>, tensor<2xi64>) -> (tensor<*xf32>, tensor<*xf32>)
  return %0#0, %0#1 : tensor<*xf32>, tensor<*xf32>
}
