// RUN: moe-opt %s --moe-convert-onnx-to-moe -split-input-file | FileCheck %s

// NonZero: a counting loop sizes the [rank, count] result; a second loop
// writes each non-zero element's row-major coordinates (last dim first).
// CHECK-LABEL: func @nonzero
// CHECK-SAME: (%[[X:.*]]: tensor<3x?xf32>)
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[X]] {{\[\[}}0, 1]] : tensor<3x?xf32> into tensor<?xf32>
// CHECK: tensor.dim %[[X]]
// CHECK: %[[D1:.*]] = tensor.dim %[[X]]
// CHECK: %[[N:.*]] = tensor.dim %[[FLAT]]
// CHECK: %[[COUNT:.*]] = scf.for %{{.*}} = %{{.*}} to %[[N]] step %{{.*}} iter_args(%{{.*}}) -> (index)
// CHECK:   arith.cmpf une
// CHECK:   arith.select
// CHECK: %[[INIT:.*]] = tensor.empty(%[[COUNT]]) : tensor<2x?xi64>
// CHECK: %[[R:.*]]:2 = scf.for %[[I:.*]] = %{{.*}} to %[[N]] step %{{.*}} iter_args(%[[T:.*]] = %[[INIT]], %[[P:.*]] = %{{.*}})
// CHECK:   scf.if
// CHECK:     %[[COL:.*]] = arith.remui %[[I]], %[[D1]]
// CHECK:     %[[ROWS:.*]] = arith.divui %[[I]], %[[D1]]
// CHECK:     tensor.insert %{{.*}} into %[[T]][%{{.*}}, %[[P]]]
// CHECK:     arith.remui %[[ROWS]]
// CHECK:     tensor.insert %{{.*}}[%{{.*}}, %[[P]]]
// CHECK:     arith.addi %[[P]]
// CHECK:   } else {
// CHECK:     scf.yield %[[T]], %[[P]]
// CHECK: return %[[R]]#0
func.func @nonzero(%x: tensor<3x?xf32>) -> tensor<2x?xi64> {
  %0 = onnx.node "NonZero"(%x) version 13 : (tensor<3x?xf32>) -> tensor<2x?xi64>
  return %0 : tensor<2x?xi64>
}
