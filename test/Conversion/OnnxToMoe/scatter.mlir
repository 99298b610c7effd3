// RUN: moe-opt %s --moe-convert-onnx-to-moe -split-input-file | FileCheck %s

// ScatterElements with add (torch's index_add_): a loop nest over the
// indices carries the result, adding each update at its wrapped index.
// CHECK-LABEL: func @scatter_elements_add
// CHECK-SAME: (%[[D:[^:]*]]: tensor<4x3xf32>, %[[I:[^:]*]]: tensor<2x3xi64>, %[[U:[^:]*]]: tensor<2x3xf32>)
// CHECK: scf.for %[[R:.*]] = {{.*}} iter_args(%[[T0:.*]] = %[[D]])
// CHECK:   scf.for %[[C:.*]] = {{.*}} iter_args(%[[T1:.*]] = %[[T0]])
// CHECK:     %[[IDX:.*]] = tensor.extract %[[I]][%[[R]], %[[C]]]
// CHECK:     %[[ROW:.*]] = arith.select
// CHECK:     %[[UPD:.*]] = tensor.extract %[[U]][%[[R]], %[[C]]]
// CHECK:     %[[OLD:.*]] = tensor.extract %[[T1]][%[[ROW]], %[[C]]]
// CHECK:     %[[SUM:.*]] = arith.addf %[[OLD]], %[[UPD]]
// CHECK:     tensor.insert %[[SUM]] into %[[T1]][%[[ROW]], %[[C]]]
func.func @scatter_elements_add(%d: tensor<4x3xf32>, %i: tensor<2x3xi64>, %u: tensor<2x3xf32>) -> tensor<4x3xf32> {
  %0 = onnx.node "ScatterElements"(%d, %i, %u) version 16 attrs {reduction = "add"} : (tensor<4x3xf32>, tensor<2x3xi64>, tensor<2x3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// CHECK-LABEL: func @gather_nd
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<2x5xf32>)
// CHECK: %[[P:.*]] = linalg.index 0 : index
// CHECK: tensor.extract %{{.*}}[%[[P]], %c0] : tensor<2x2xi64>
// CHECK: tensor.extract %{{.*}}[%[[P]], %c1] : tensor<2x2xi64>
// CHECK: %[[R:.*]] = linalg.index 1 : index
// CHECK: tensor.extract %{{.*}}[%{{.*}}, %{{.*}}, %[[R]]] : tensor<3x4x5xf32>
func.func @gather_nd(%d: tensor<3x4x5xf32>, %i: tensor<2x2xi64>) -> tensor<*xf32> {
  %0 = onnx.node "GatherND"(%d, %i) version 13 : (tensor<3x4x5xf32>, tensor<2x2xi64>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// ScatterND: a loop nest over the updates; the first q coordinates come
// from the index tuple, the rest from the update's own position.
// CHECK-LABEL: func @scatter_nd_mul
// CHECK-SAME: (%[[D:[^:]*]]: tensor<4x4xf32>, %[[I:[^:]*]]: tensor<2x1xi64>, %[[U:[^:]*]]: tensor<2x4xf32>)
// CHECK: scf.for %[[P:.*]] = {{.*}} iter_args(%[[T0:.*]] = %[[D]])
// CHECK:   scf.for %[[R:.*]] = {{.*}} iter_args(%[[T1:.*]] = %[[T0]])
// CHECK:     tensor.extract %[[I]][%[[P]], %c0{{.*}}] : tensor<2x1xi64>
// CHECK:     %[[ROW:.*]] = arith.select
// CHECK:     %[[UPD:.*]] = tensor.extract %[[U]][%[[P]], %[[R]]]
// CHECK:     %[[OLD:.*]] = tensor.extract %[[T1]][%[[ROW]], %[[R]]]
// CHECK:     %[[PROD:.*]] = arith.mulf %[[OLD]], %[[UPD]]
// CHECK:     tensor.insert %[[PROD]] into %[[T1]][%[[ROW]], %[[R]]]
func.func @scatter_nd_mul(%d: tensor<4x4xf32>, %i: tensor<2x1xi64>, %u: tensor<2x4xf32>) -> tensor<4x4xf32> {
  %0 = onnx.node "ScatterND"(%d, %i, %u) version 16 attrs {reduction = "mul"} : (tensor<4x4xf32>, tensor<2x1xi64>, tensor<2x4xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}
