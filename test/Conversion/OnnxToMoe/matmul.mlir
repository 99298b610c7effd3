// RUN: moe-opt %s --moe-convert-onnx-to-moe -split-input-file | FileCheck %s

// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func @matmul_2d
// CHECK: linalg.fill
// CHECK: linalg.generic {indexing_maps = [#[[A]], #[[B]], #[[C]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}}, %{{.*}} : tensor<4x8xf32>, tensor<8x3xf32>) outs(%{{.*}} : tensor<4x3xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @matmul_2d(%a: tensor<4x8xf32>, %b: tensor<8x3xf32>) -> tensor<4x3xf32> {
  %0 = onnx.node "MatMul"(%a, %b) version 13 : (tensor<4x8xf32>, tensor<8x3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// A size-1 batch dim broadcasts; a 2-d operand is shared by every batch.
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, 0, d2, d4)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d4, d3)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[B2:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d1, d4, d3)>
// CHECK-DAG: #[[A2:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
// CHECK-LABEL: func @matmul_batch
// CHECK: linalg.generic {indexing_maps = [#[[A]], #[[B2]], #[[C]]]{{.*}} outs(%{{.*}} : tensor<2x5x4x3xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[A2]], #[[B]], #[[C]]]{{.*}} outs(%{{.*}} : tensor<2x1x4x3xf32>)
func.func @matmul_batch(%a: tensor<2x1x4x8xf32>, %b: tensor<5x8x3xf32>, %w: tensor<8x3xf32>) -> (tensor<*xf32>, tensor<*xf32>) {
  %0 = onnx.node "MatMul"(%a, %b) version 13 : (tensor<2x1x4x8xf32>, tensor<5x8x3xf32>) -> tensor<*xf32>
  %1 = onnx.node "MatMul"(%a, %w) version 13 : (tensor<2x1x4x8xf32>, tensor<8x3xf32>) -> tensor<*xf32>
  return %0, %1 : tensor<*xf32>, tensor<*xf32>
}

// -----

// A 1-d operand drops its dim from the result.
// CHECK-LABEL: func @matvec
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} {{.*}} outs(%{{.*}} : tensor<4xf32>)
func.func @matvec(%a: tensor<4x8xf32>, %v: tensor<8xf32>) -> tensor<*xf32> {
  %0 = onnx.node "MatMul"(%a, %v) version 13 : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// Gemm: transposed operands in the maps, alpha and beta * C after.
// CHECK-DAG: #[[AT:.*]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG: #[[BT:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func @gemm
// CHECK: linalg.generic {indexing_maps = [#[[AT]], #[[BT]], {{.*}}]{{.*}} ins(%{{.*}}, %{{.*}} : tensor<8x4xf32>, tensor<3x8xf32>) outs(%{{.*}} : tensor<4x3xf32>)
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<4x3xf32>, tensor<3xf32>)
// CHECK: arith.constant 5.000000e-01 : f32
// CHECK: arith.constant 2.000000e+00 : f32
// CHECK: arith.addf
func.func @gemm(%a: tensor<8x4xf32>, %b: tensor<3x8xf32>, %c: tensor<3xf32>) -> tensor<4x3xf32> {
  %0 = onnx.node "Gemm"(%a, %b, %c) version 13 attrs {transA = 1 : i64, transB = 1 : i64, alpha = 0.5 : f32, beta = 2.0 : f32} : (tensor<8x4xf32>, tensor<3x8xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// Einsum: one generic; summed letters are reduction loops.
// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[Y:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>
// CHECK-DAG: #[[Z:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func @einsum_batch_matmul
// CHECK: linalg.generic {indexing_maps = [#[[X]], #[[Y]], #[[Z]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}{{.*}} outs(%{{.*}} : tensor<2x3x5xf32>)
func.func @einsum_batch_matmul(%x: tensor<2x3x4xf32>, %y: tensor<2x4x5xf32>) -> tensor<*xf32> {
  %0 = onnx.node "Einsum"(%x, %y) version 12 attrs {equation = "bij, bjk -> bik"} : (tensor<2x3x4xf32>, tensor<2x4x5xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// A repeated letter reads the diagonal; "..." keeps leading dims.
// CHECK-DAG: #[[D:.*]] = affine_map<(d0, d1) -> (d0, d1, d1)>
// CHECK-LABEL: func @einsum_diagonal
// CHECK: linalg.generic {indexing_maps = [#[[D]], {{.*}}], iterator_types = ["parallel", "parallel"]}{{.*}} outs(%{{.*}} : tensor<2x3xf32>)
func.func @einsum_diagonal(%x: tensor<2x3x3xf32>) -> tensor<*xf32> {
  %0 = onnx.node "Einsum"(%x) version 12 attrs {equation = "...ii->...i"} : (tensor<2x3x3xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// MatMulInteger: 8-bit operands widened to i32 less their zero points.
// CHECK-LABEL: func @matmul_integer
// CHECK: %[[AZ:.*]] = tensor.extract %{{.*}}[] : tensor<i8>
// CHECK: %[[AZW:.*]] = arith.extui %[[AZ]] : i8 to i32
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<4x3xi32>)
// CHECK: ^bb0(%[[A:.*]]: i8, %[[B:.*]]: i8, %[[ACC:.*]]: i32):
// CHECK:   %[[AW:.*]] = arith.extui %[[A]] : i8 to i32
// CHECK:   arith.subi %[[AW]], %[[AZW]]
// CHECK:   %[[BW:.*]] = arith.extsi %[[B]] : i8 to i32
// CHECK:   arith.muli
// CHECK:   arith.addi %[[ACC]]
func.func @matmul_integer(%a: tensor<4x8xui8>, %b: tensor<8x3xi8>, %az: tensor<ui8>) -> tensor<4x3xi32> {
  %0 = onnx.node "MatMulInteger"(%a, %b, %az) version 10 : (tensor<4x8xui8>, tensor<8x3xi8>, tensor<ui8>) -> tensor<4x3xi32>
  return %0 : tensor<4x3xi32>
}

// -----

// MatMulInteger with a zero point per row of A and one per column of B:
// further inputs of the product, read at (batch, m, 0) and (n).
// CHECK-DAG: #[[ZA:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0)>
// CHECK-DAG: #[[ZB:.*]] = affine_map<(d0, d1, d2, d3) -> (d2)>
// CHECK-LABEL: func @matmul_integer_per_axis
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #[[ZA]], #[[ZB]], #{{.*}}]
// CHECK-SAME: outs(%{{.*}} : tensor<2x4x3xi32>)
// CHECK: ^bb0(%[[A:.*]]: i8, %[[B:.*]]: i8, %[[AZ:.*]]: i8, %[[BZ:.*]]: i8, %[[ACC:.*]]: i32):
// CHECK:   %[[AZW:.*]] = arith.extui %[[AZ]] : i8 to i32
// CHECK:   %[[AW:.*]] = arith.extui %[[A]] : i8 to i32
// CHECK:   %[[AS:.*]] = arith.subi %[[AW]], %[[AZW]]
// CHECK:   %[[BZW:.*]] = arith.extsi %[[BZ]] : i8 to i32
// CHECK:   %[[BW:.*]] = arith.extsi %[[B]] : i8 to i32
// CHECK:   %[[BS:.*]] = arith.subi %[[BW]], %[[BZW]]
// CHECK:   %[[P:.*]] = arith.muli %[[AS]], %[[BS]]
// CHECK:   arith.addi %[[ACC]], %[[P]]
func.func @matmul_integer_per_axis(%a: tensor<2x4x8xui8>, %b: tensor<8x3xi8>, %az: tensor<2x4x1xui8>, %bz: tensor<3xi8>) -> tensor<2x4x3xi32> {
  %0 = onnx.node "MatMulInteger"(%a, %b, %az, %bz) version 10 : (tensor<2x4x8xui8>, tensor<8x3xi8>, tensor<2x4x1xui8>, tensor<3xi8>) -> tensor<2x4x3xi32>
  return %0 : tensor<2x4x3xi32>
}

// -----

// QLinearMatMul: the integer product requantized by a_scale * b_scale /
// y_scale, rounded half to even, shifted by y_zero_point, saturated.
// CHECK-LABEL: func @qlinear_matmul
// CHECK: %[[ACC:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<2x3xi32>)
// CHECK: %[[AS:.*]] = tensor.extract %{{.*}}[] : tensor<f32>
// CHECK: %[[BS:.*]] = tensor.extract %{{.*}}[] : tensor<f32>
// CHECK: %[[YS:.*]] = tensor.extract %{{.*}}[] : tensor<f32>
// CHECK: %[[YZ:.*]] = tensor.extract %{{.*}}[] : tensor<i8>
// CHECK: %[[AB:.*]] = arith.mulf %[[AS]], %[[BS]]
// CHECK: %[[M:.*]] = arith.divf %[[AB]], %[[YS]]
// CHECK: %[[Z:.*]] = arith.uitofp %[[YZ]] : i8 to f32
// CHECK: linalg.generic {{.*}} ins(%[[ACC]] : tensor<2x3xi32>)
// CHECK:   %[[F:.*]] = arith.sitofp
// CHECK:   %[[S:.*]] = arith.mulf %[[F]], %[[M]]
// CHECK:   %[[R:.*]] = math.roundeven %[[S]]
// CHECK:   arith.addf %[[R]], %[[Z]]
// CHECK:   arith.maximumf
// CHECK:   arith.minimumf
// CHECK:   arith.fptoui {{.*}} : f32 to i8
// CHECK: tensor.bitcast {{.*}} : tensor<2x3xi8> to tensor<2x3xui8>
func.func @qlinear_matmul(%a: tensor<2x4xui8>, %as: tensor<f32>, %az: tensor<ui8>, %b: tensor<4x3xui8>, %bs: tensor<f32>, %bz: tensor<ui8>, %ys: tensor<f32>, %yz: tensor<ui8>) -> tensor<2x3xui8> {
  %0 = onnx.node "QLinearMatMul"(%a, %as, %az, %b, %bs, %bz, %ys, %yz) version 10 : (tensor<2x4xui8>, tensor<f32>, tensor<ui8>, tensor<4x3xui8>, tensor<f32>, tensor<ui8>, tensor<f32>, tensor<ui8>) -> tensor<2x3xui8>
  return %0 : tensor<2x3xui8>
}

// -----

// QLinearMatMul with a_scale, y_scale and y_zero_point per row of A (read
// as [M, 1]) and b_scale per column: the multiplier per element.
// CHECK-LABEL: func @qlinear_matmul_per_axis
// CHECK: %[[ACC:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<2x3xi32>)
// CHECK: %[[AS:.*]] = tensor.expand_shape %arg1 {{\[}}[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
// CHECK: %[[YS:.*]] = tensor.expand_shape %arg3 {{\[}}[0, 1]] output_shape [2, 1] : tensor<2xf32> into tensor<2x1xf32>
// CHECK: linalg.generic {{.*}} ins(%[[ACC]], %[[AS]], %arg2, %[[YS]], %{{.*}} : tensor<2x3xi32>, tensor<2x1xf32>, tensor<3xf32>, tensor<2x1xf32>, tensor<2x1xi8>)
// CHECK:   ^bb0(%[[C:.*]]: i32, %[[A:.*]]: f32, %[[B:.*]]: f32, %[[Y:.*]]: f32, %[[Z:.*]]: i8, %{{.*}}: i8):
// CHECK:   %[[AB:.*]] = arith.mulf %[[A]], %[[B]]
// CHECK:   %[[M:.*]] = arith.divf %[[AB]], %[[Y]]
// CHECK:   %[[ZF:.*]] = arith.sitofp %[[Z]] : i8 to f32
// CHECK:   %[[F:.*]] = arith.sitofp %[[C]]
// CHECK:   arith.mulf %[[F]], %[[M]]
// CHECK:   math.roundeven
// CHECK:   arith.addf %{{.*}}, %[[ZF]]
func.func @qlinear_matmul_per_axis(%a: tensor<2x4xi8>, %as: tensor<2xf32>, %bs: tensor<3xf32>, %ys: tensor<2xf32>, %yz: tensor<2xi8>, %b: tensor<4x3xi8>, %az: tensor<i8>, %bz: tensor<3xi8>) -> tensor<2x3xi8> {
  %0 = onnx.node "QLinearMatMul"(%a, %as, %az, %b, %bs, %bz, %ys, %yz) version 10 : (tensor<2x4xi8>, tensor<2xf32>, tensor<i8>, tensor<4x3xi8>, tensor<3xf32>, tensor<3xi8>, tensor<2xf32>, tensor<2xi8>) -> tensor<2x3xi8>
  return %0 : tensor<2x3xi8>
}
