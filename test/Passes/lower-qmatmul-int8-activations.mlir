// RUN: moe-opt %s --moe-lower-to-linalg=int8-activations -split-input-file | FileCheck %s

// Signed per-channel weights with a bias: each row's largest magnitude,
// the rows rounded to int8 (x / max * 127), the weights k-major, an i32
// matmul of sign-extended integers, then sum * max / 127 * scale + bias.
// CHECK-LABEL: func @per_channel
// CHECK: %[[MAX:.*]] = linalg.generic {{.*}} ins(%arg0 : tensor<?x64xf32>)
// CHECK:   math.absf
// CHECK:   arith.maximumf
// CHECK: %[[Q:.*]] = linalg.generic {{.*}} ins(%arg0, %[[MAX]] : tensor<?x64xf32>, tensor<?xf32>) outs(%{{.*}} : tensor<?x64xi8>)
// CHECK:   arith.divf
// CHECK:   arith.mulf
// CHECK:   math.roundeven
// CHECK:   arith.fptosi %{{.*}} : f32 to i8
// CHECK: %[[WK:.*]] = linalg.transpose ins(%arg1 : tensor<32x64xi8>) outs(%{{.*}} : tensor<64x32xi8>)
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]{{.*}} ins(%[[Q]], %[[WK]] : tensor<?x64xi8>, tensor<64x32xi8>) outs(%{{.*}} : tensor<?x32xi32>)
// CHECK:   arith.extsi %{{.*}} : i8 to i32
// CHECK:   arith.extsi %{{.*}} : i8 to i32
// CHECK:   arith.muli
// CHECK:   arith.addi
// CHECK: linalg.generic {{.*}} ins(%[[SUM]], %[[MAX]], %arg2, %arg3 : tensor<?x32xi32>, tensor<?xf32>, tensor<32xf32>, tensor<32xf32>)
// CHECK:   arith.sitofp %{{.*}} : i32 to f32
// CHECK:   arith.divf
// CHECK:   arith.mulf
// CHECK:   arith.mulf
// CHECK:   arith.addf
func.func @per_channel(%x: tensor<?x64xf32>, %w: tensor<32x64xi8>, %s: tensor<32xf32>, %b: tensor<32xf32>) -> tensor<?x32xf32> {
  %0 = moe.qmatmul %x, %w, %s bias %b : (tensor<?x64xf32>, tensor<32x64xi8>, tensor<32xf32>, tensor<32xf32>) -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

// Unsigned weights with zero points, one group of all of K (an expert's
// form), rows [2, 3, K]: the weights zero-extend, and zp times each row's
// integer sum comes off the sums.
// CHECK-LABEL: func @zero_points
// CHECK: tensor.collapse_shape %arg0 {{\[}}[0, 1], [2]] : tensor<2x3x64xf32> into tensor<6x64xf32>
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<6x32xi32>)
// CHECK:   arith.extsi %{{.*}} : i8 to i32
// CHECK:   arith.extui %{{.*}} : i8 to i32
// CHECK: %[[ROWSUM:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}} outs(%{{.*}} : tensor<6xi32>)
// CHECK: linalg.generic {{.*}} ins(%[[SUM]], %{{.*}}, %arg2, %{{.*}}, %[[ROWSUM]] : tensor<6x32xi32>, tensor<6xf32>, tensor<32x1xf32>, tensor<32x1xi8>, tensor<6xi32>)
// CHECK:   arith.extui
// CHECK:   arith.muli
// CHECK:   arith.subi
// CHECK:   arith.sitofp
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2]] output_shape [2, 3, 32] : tensor<6x32xf32> into tensor<2x3x32xf32>
func.func @zero_points(%x: tensor<2x3x64xf32>, %w: tensor<32x64xui8>, %s: tensor<32x1xf32>, %z: tensor<32x1xui8>) -> tensor<2x3x32xf32> {
  %0 = moe.qmatmul %x, %w, %s zero_point %z {group_size = 64 : i64} : (tensor<2x3x64xf32>, tensor<32x64xui8>, tensor<32x1xf32>, tensor<32x1xui8>) -> tensor<2x3x32xf32>
  return %0 : tensor<2x3x32xf32>
}

// -----

// Groups smaller than K (and 4-bit weights) keep the float-activation
// lowering: no i32 sums.
// CHECK-LABEL: func @groups_stay_float
// CHECK-NOT: i32
// CHECK: return
func.func @groups_stay_float(%x: tensor<4x64xf32>, %w: tensor<32x64xi8>, %s: tensor<32x2xf32>) -> tensor<4x32xf32> {
  %0 = moe.qmatmul %x, %w, %s {group_size = 32 : i64} : (tensor<4x64xf32>, tensor<32x64xi8>, tensor<32x2xf32>) -> tensor<4x32xf32>
  return %0 : tensor<4x32xf32>
}
