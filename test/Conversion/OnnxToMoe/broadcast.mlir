// RUN: moe-opt %s --moe-convert-onnx-to-moe -split-input-file | FileCheck %s

// Trailing-aligned broadcasting: a size-1 dim reads index 0, a missing one
// is not indexed at all.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-DAG: #[[ONE:.*]] = affine_map<(d0, d1, d2) -> (d0, 0, d2)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1, d2) -> (d1, 0)>
// CHECK-LABEL: func @shapes
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]], {{.*}} ins(%{{.*}}, %{{.*}} : tensor<4x1x5xf32>, tensor<5xf32>) outs(%{{.*}} : tensor<4x1x5xf32>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x3x5xf32>
// CHECK: linalg.generic {indexing_maps = [#[[ONE]], #[[COL]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%{{.*}}, %{{.*}} : tensor<4x1x5xf32>, tensor<3x1xf32>) outs(%[[E]] : tensor<4x3x5xf32>)
func.func @shapes(%a: tensor<4x1x5xf32>, %b: tensor<5xf32>, %c: tensor<3x1xf32>) -> tensor<4x3x5xf32> {
  %0 = onnx.node "Add"(%a, %b) version 14 : (tensor<4x1x5xf32>, tensor<5xf32>) -> tensor<4x1x5xf32>
  %1 = onnx.node "Mul"(%0, %c) version 14 : (tensor<4x1x5xf32>, tensor<3x1xf32>) -> tensor<4x3x5xf32>
  return %1 : tensor<4x3x5xf32>
}

// -----

// A dynamic dim takes its size from the input that has it.
// CHECK-LABEL: func @dynamic
// CHECK-SAME: (%[[A:[^:]*]]: tensor<?x8xf32>, %[[B:[^:]*]]: tensor<8xf32>)
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[N:.*]] = tensor.dim %[[A]], %[[C0]]
// CHECK: tensor.empty(%[[N]]) : tensor<?x8xf32>
func.func @dynamic(%a: tensor<?x8xf32>, %b: tensor<8xf32>) -> tensor<?x8xf32> {
  %0 = onnx.node "Sub"(%a, %b) version 14 : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// Results come out as precise as the inputs allow; other users than
// onnx.node see the declared type through a cast.
// CHECK-LABEL: func @refined
// CHECK: %[[G:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<2x3xf32>)
// CHECK: %[[H:.*]] = linalg.generic {{.*}} ins(%[[G]] : tensor<2x3xf32>)
// CHECK: %[[CAST:.*]] = tensor.cast %[[H]] : tensor<2x3xf32> to tensor<*xf32>
// CHECK: return %[[CAST]]
func.func @refined(%a: tensor<2x3xf32>) -> tensor<*xf32> {
  %0 = onnx.node "Exp"(%a) version 13 : (tensor<2x3xf32>) -> tensor<*xf32>
  %1 = onnx.node "Log"(%0) version 13 : (tensor<*xf32>) -> tensor<*xf32>
  return %1 : tensor<*xf32>
}

// -----

// Unsigned inputs compute on signless values; results keep the unsigned type.
// CHECK-LABEL: func @unsigned
// CHECK-SAME: (%[[A:[^:]*]]: tensor<4xui8>
// CHECK: %[[S:.*]] = tensor.bitcast %[[A]] : tensor<4xui8> to tensor<4xi8>
// CHECK: %[[R:.*]] = linalg.generic {{.*}} ins(%[[S]]
// CHECK: arith.maxui
// CHECK: %[[U:.*]] = tensor.bitcast %[[R]] : tensor<4xi8> to tensor<4xui8>
// CHECK: return %[[U]]
func.func @unsigned(%a: tensor<4xui8>, %b: tensor<4xui8>) -> tensor<4xui8> {
  %0 = onnx.node "Max"(%a, %b) version 13 : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  return %0 : tensor<4xui8>
}

// -----

// An absent Clip bound is not an input of the generic.
// CHECK-LABEL: func @clip_max_only
// CHECK-NOT: onnx.none
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<3xf32>, tensor<f32>)
// CHECK: arith.minimumf
// CHECK-NOT: arith.maximumf
func.func @clip_max_only(%x: tensor<3xf32>, %hi: tensor<f32>) -> tensor<3xf32> {
  %none = onnx.none
  %0 = onnx.node "Clip"(%x, %none, %hi) version 13 : (tensor<3xf32>, none, tensor<f32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Elementwise ops on small constants are evaluated (torch's Expand writes
// its shape this way); Where folds to one of its operands' elements.
// CHECK-LABEL: func @shape_arithmetic
// CHECK-NOT: linalg.generic
// CHECK: %[[C:.*]] = arith.constant dense<[1, 2, 2, 8, 16]> : tensor<5xi64>
// CHECK-NOT: linalg.generic
// CHECK: return %[[C]]
func.func @shape_arithmetic() -> tensor<5xi64> {
  %shape = arith.constant dense<[1, 2, -1, 8, 16]> : tensor<5xi64>
  %ones = arith.constant dense<1> : tensor<5xi64>
  %minus = arith.constant dense<-1> : tensor<i64>
  %two = arith.constant dense<2> : tensor<5xi64>
  %m = onnx.node "Mul"(%ones, %minus) version 14 : (tensor<5xi64>, tensor<i64>) -> tensor<5xi64>
  %e = onnx.node "Equal"(%shape, %m) version 13 : (tensor<5xi64>, tensor<5xi64>) -> tensor<5xi1>
  %w = onnx.node "Where"(%e, %two, %shape) version 16 : (tensor<5xi1>, tensor<5xi64>, tensor<5xi64>) -> tensor<5xi64>
  return %w : tensor<5xi64>
}
