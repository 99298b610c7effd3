// RUN: moe-opt %s --moe-convert-onnx-to-moe -split-input-file | FileCheck %s

// k passes; each takes the best untaken element of every row (first index
// on ties) into column j, then marks it taken.
// CHECK-LABEL: func @topk_last_axis
// CHECK: %[[FREE:.*]] = linalg.fill ins(%false : i1) outs(%{{.*}} : tensor<3x8xi1>)
// CHECK: scf.for %[[J:.*]] = %c0 to %c2 step %c1 iter_args(%[[T:.*]] = %[[FREE]], %[[V:.*]] = %{{.*}}, %[[I:.*]] = %{{.*}}) -> (tensor<3x8xi1>, tensor<3x2xf32>, tensor<3x2xi64>)
// CHECK:   %[[BEST:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%{{.*}}, %[[T]] : tensor<3x8xf32>, tensor<3x8xi1>)
// CHECK:     arith.cmpf ogt
// CHECK:   tensor.insert_slice %[[BEST]]#0 into %[[V]][0, %[[J]]] [3, 1] [1, 1]
// CHECK:   tensor.insert_slice %[[BEST]]#1 into %[[I]][0, %[[J]]] [3, 1] [1, 1]
// CHECK:   arith.ori
func.func @topk_last_axis(%x: tensor<3x8xf32>) -> (tensor<*xf32>, tensor<*xi64>) {
  %k = arith.constant dense<2> : tensor<1xi64>
  %0:2 = onnx.node "TopK"(%x, %k) version 11 : (tensor<3x8xf32>, tensor<1xi64>) -> (tensor<*xf32>, tensor<*xi64>)
  return %0#0, %0#1 : tensor<*xf32>, tensor<*xi64>
}

// -----

// Another axis is moved last and back; smallest uses olt.
// CHECK-LABEL: func @topk_smallest_axis0
// CHECK: linalg.transpose ins(%{{.*}} : tensor<6x4xf32>) outs(%{{.*}} : tensor<4x6xf32>)
// CHECK: arith.cmpf olt
// CHECK: linalg.transpose ins(%{{.*}} : tensor<4x3xf32>) outs(%{{.*}} : tensor<3x4xf32>)
func.func @topk_smallest_axis0(%x: tensor<6x4xf32>) -> (tensor<*xf32>, tensor<*xi64>) {
  %k = arith.constant dense<3> : tensor<1xi64>
  %0:2 = onnx.node "TopK"(%x, %k) version 11 attrs {axis = 0 : i64, largest = 0 : i64} : (tensor<6x4xf32>, tensor<1xi64>) -> (tensor<*xf32>, tensor<*xi64>)
  return %0#0, %0#1 : tensor<*xf32>, tensor<*xi64>
}
