// RUN: moe-opt %s --moe-convert-onnx-to-moe --canonicalize -split-input-file | FileCheck %s

// CHECK-LABEL: func @transpose
// CHECK: linalg.transpose ins(%{{.*}} : tensor<2x3x4xf32>) outs(%{{.*}} : tensor<4x2x3xf32>) permutation = [2, 0, 1]
// CHECK: linalg.transpose ins(%{{.*}} : tensor<2x3x4xf32>) outs(%{{.*}} : tensor<4x3x2xf32>) permutation = [2, 1, 0]
func.func @transpose(%x: tensor<2x3x4xf32>) -> (tensor<*xf32>, tensor<*xf32>) {
  %0 = onnx.node "Transpose"(%x) version 13 attrs {perm = array<i64: 2, 0, 1>} : (tensor<2x3x4xf32>) -> tensor<*xf32>
  %1 = onnx.node "Transpose"(%x) version 13 : (tensor<2x3x4xf32>) -> tensor<*xf32>
  return %0, %1 : tensor<*xf32>, tensor<*xf32>
}

// -----

// Shape arithmetic on constants folds: Shape -> Gather -> Concat.
// CHECK-LABEL: func @shape_chain
// CHECK-NEXT: %[[C:.*]] = arith.constant dense<[3, -1]> : tensor<2xi64>
// CHECK-NEXT: return %[[C]]
func.func @shape_chain(%x: tensor<2x3x4xf32>) -> tensor<2xi64> {
  %one = arith.constant dense<1> : tensor<i64>
  %minus = arith.constant dense<[-1]> : tensor<1xi64>
  %axes = arith.constant dense<[0]> : tensor<1xi64>
  %s = onnx.node "Shape"(%x) version 15 : (tensor<2x3x4xf32>) -> tensor<3xi64>
  %d = onnx.node "Gather"(%s, %one) version 13 : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %v = onnx.node "Unsqueeze"(%d, %axes) version 13 : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %c = onnx.node "Concat"(%v, %minus) version 13 attrs {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  return %c : tensor<2xi64>
}

// -----

// CHECK-LABEL: func @concat
// CHECK: tensor.concat dim(1) %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<2x5xf32>) -> tensor<2x8xf32>
func.func @concat(%a: tensor<2x3xf32>, %b: tensor<2x5xf32>) -> tensor<*xf32> {
  %0 = onnx.node "Concat"(%a, %b) version 13 attrs {axis = -1 : i64} : (tensor<2x3xf32>, tensor<2x5xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// Negative starts count from the end; ends clamp; steps stride.
// CHECK-LABEL: func @slice
// CHECK: tensor.extract_slice %{{.*}}[0, 1] [10, 2] [1, 2] : tensor<10x6xf32> to tensor<10x2xf32>
// CHECK: tensor.extract_slice %{{.*}}[8, 0] [2, 6] [1, 1] : tensor<10x6xf32> to tensor<2x6xf32>
func.func @slice(%x: tensor<10x6xf32>) -> (tensor<*xf32>, tensor<*xf32>) {
  %s = arith.constant dense<[1]> : tensor<1xi64>
  %e = arith.constant dense<[5]> : tensor<1xi64>
  %a = arith.constant dense<[1]> : tensor<1xi64>
  %st = arith.constant dense<[2]> : tensor<1xi64>
  %0 = onnx.node "Slice"(%x, %s, %e, %a, %st) version 13 : (tensor<10x6xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %neg = arith.constant dense<[-2]> : tensor<1xi64>
  %big = arith.constant dense<[1000]> : tensor<1xi64>
  %1 = onnx.node "Slice"(%x, %neg, %big) version 13 : (tensor<10x6xf32>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  return %0, %1 : tensor<*xf32>, tensor<*xf32>
}

// -----

// Gather reads data with tensor.extract at the (wrapped) index.
// CHECK-LABEL: func @gather
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<2x3xi64>) outs(%{{.*}} : tensor<5x2x3xf32>)
// CHECK: ^bb0(%[[I:.*]]: i64, %{{.*}}: f32):
// CHECK:   %[[R:.*]] = linalg.index 0 : index
// CHECK:   %[[IDX:.*]] = arith.index_cast %[[I]] : i64 to index
// CHECK:   arith.cmpi slt, %[[IDX]]
// CHECK:   %[[W:.*]] = arith.select
// CHECK:   tensor.extract %{{.*}}[%[[R]], %[[W]]] : tensor<5x7xf32>
func.func @gather(%x: tensor<5x7xf32>, %i: tensor<2x3xi64>) -> tensor<*xf32> {
  %0 = onnx.node "Gather"(%x, %i) version 13 attrs {axis = 1 : i64} : (tensor<5x7xf32>, tensor<2x3xi64>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// CHECK-LABEL: func @split
// CHECK: tensor.extract_slice %{{.*}}[0, 0] [2, 2] [1, 1]
// CHECK: tensor.extract_slice %{{.*}}[0, 2] [2, 4] [1, 1]
func.func @split(%x: tensor<2x6xf32>) -> (tensor<*xf32>, tensor<*xf32>) {
  %parts = arith.constant dense<[2, 4]> : tensor<2xi64>
  %0:2 = onnx.node "Split"(%x, %parts) version 13 attrs {axis = 1 : i64} : (tensor<2x6xf32>, tensor<2xi64>) -> (tensor<*xf32>, tensor<*xf32>)
  return %0#0, %0#1 : tensor<*xf32>, tensor<*xf32>
}

// -----

// CHECK-LABEL: func @trilu_lower
// CHECK: linalg.index 0
// CHECK: linalg.index 1
// CHECK: arith.cmpi sle, %{{.*}}, %c-1_i64
// CHECK: arith.select
func.func @trilu_lower(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %k = arith.constant dense<-1> : tensor<i64>
  %0 = onnx.node "Trilu"(%x, %k) version 14 attrs {upper = 0 : i64} : (tensor<4x4xf32>, tensor<i64>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

// CHECK-LABEL: func @range
// CHECK: arith.constant dense<[1.000000e+00, 1.500000e+00, 2.000000e+00, 2.500000e+00]> : tensor<4xf32>
func.func @range() -> tensor<*xf32> {
  %s = arith.constant dense<1.0> : tensor<f32>
  %l = arith.constant dense<3.0> : tensor<f32>
  %d = arith.constant dense<0.5> : tensor<f32>
  %0 = onnx.node "Range"(%s, %l, %d) version 11 : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// CHECK-LABEL: func @gather_elements
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<2x2xi64>) outs(%{{.*}} : tensor<2x2xf32>)
// CHECK: %[[R:.*]] = linalg.index 0 : index
// CHECK: tensor.extract %{{.*}}[%[[R]], %{{.*}}] : tensor<2x3xf32>
func.func @gather_elements(%x: tensor<2x3xf32>, %i: tensor<2x2xi64>) -> tensor<2x2xf32> {
  %0 = onnx.node "GatherElements"(%x, %i) version 13 attrs {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x2xi64>) -> tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// -----

// k computed at run time is read from its tensor.
// CHECK-LABEL: func @trilu_runtime_k
// CHECK-SAME: %[[K:[^:]*]]: tensor<i64>
// CHECK: %[[KV:.*]] = tensor.extract %[[K]][] : tensor<i64>
// CHECK: arith.cmpi sge, %{{.*}}, %[[KV]]
func.func @trilu_runtime_k(%x: tensor<3x3xf32>, %k: tensor<i64>) -> tensor<3x3xf32> {
  %0 = onnx.node "Trilu"(%x, %k) version 14 : (tensor<3x3xf32>, tensor<i64>) -> tensor<3x3xf32>
  return %0 : tensor<3x3xf32>
}

// -----

// Split sizes computed at run time come from the declared result shapes.
// CHECK-LABEL: func @split_runtime
// CHECK: tensor.extract_slice %{{.*}}[0, 0] [2, 1] [1, 1]
// CHECK: tensor.extract_slice %{{.*}}[0, 1] [2, 5] [1, 1]
func.func @split_runtime(%x: tensor<2x6xf32>, %parts: tensor<2xi64>) -> (tensor<2x1xf32>, tensor<2x5xf32>) {
  %0:2 = onnx.node "Split"(%x, %parts) version 13 attrs {axis = 1 : i64} : (tensor<2x6xf32>, tensor<2xi64>) -> (tensor<2x1xf32>, tensor<2x5xf32>)
  return %0#0, %0#1 : tensor<2x1xf32>, tensor<2x5xf32>
}

// -----

// CHECK-DAG: #[[MOD:.*]] = affine_map<(d0, d1) -> (d0, d1 mod 3)>
// CHECK-LABEL: func @tile
// CHECK: linalg.generic {indexing_maps = [#[[MOD]], {{.*}}]{{.*}} ins(%{{.*}} : tensor<2x3xf32>) outs(%{{.*}} : tensor<2x6xf32>)
func.func @tile(%x: tensor<2x3xf32>) -> tensor<*xf32> {
  %r = arith.constant dense<[1, 2]> : tensor<2xi64>
  %0 = onnx.node "Tile"(%x, %r) version 13 : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// CHECK-LABEL: func @one_hot
// CHECK-DAG: %[[OFF:.*]] = tensor.extract %{{.*}}[%c0{{.*}}] : tensor<2xf32>
// CHECK-DAG: %[[ON:.*]] = tensor.extract %{{.*}}[%c1{{.*}}] : tensor<2xf32>
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<3xi64>) outs(%{{.*}} : tensor<3x5xf32>)
// CHECK: %[[P:.*]] = arith.index_cast %{{.*}} : index to i64
// CHECK: %[[HOT:.*]] = arith.cmpi eq, %[[P]]
// CHECK: arith.select %[[HOT]], %[[ON]], %[[OFF]]
func.func @one_hot(%i: tensor<3xi64>, %v: tensor<2xf32>) -> tensor<*xf32> {
  %depth = arith.constant dense<5> : tensor<i64>
  %0 = onnx.node "OneHot"(%i, %depth, %v) version 11 : (tensor<3xi64>, tensor<i64>, tensor<2xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// CumSum sums x[j] over j <= i along the axis (j < i exclusive).
// CHECK-LABEL: func @cumsum_exclusive
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}} : tensor<2x4xf32>) outs(%{{.*}} : tensor<2x4xf32>)
// CHECK: %[[I:.*]] = linalg.index 1 : index
// CHECK: %[[J:.*]] = linalg.index 2 : index
// CHECK: arith.cmpi ult, %[[J]], %[[I]]
func.func @cumsum_exclusive(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %axis = arith.constant dense<1> : tensor<i64>
  %0 = onnx.node "CumSum"(%x, %axis) version 14 attrs {exclusive = 1 : i64} : (tensor<2x4xf32>, tensor<i64>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// Slice parameters known only at run time: clamped in index arithmetic and
// gathered at start + i * step.
// CHECK-LABEL: func @slice_runtime
// CHECK: arith.ceildivsi
// CHECK: tensor.empty(%{{.*}}, %{{.*}}, %{{.*}}) : tensor<?x?x?xf32>
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<?x?x?xf32>)
// CHECK: %[[I:.*]] = linalg.index 0 : index
// CHECK: arith.muli
// CHECK: tensor.extract %{{.*}}[{{.*}}] : tensor<20x10x5xf32>
func.func @slice_runtime(%x: tensor<20x10x5xf32>, %s: tensor<2xi64>, %e: tensor<2xi64>, %a: tensor<2xi64>, %st: tensor<2xi64>) -> tensor<?x?x?xf32> {
  %0 = onnx.node "Slice"(%x, %s, %e, %a, %st) version 13 : (tensor<20x10x5xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x?x?xf32>
  return %0 : tensor<?x?x?xf32>
}
