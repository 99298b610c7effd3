// RUN: moe-opt %s --moe-lower-to-linalg=weight-tiles | FileCheck %s
// RUN: moe-opt %s --moe-lower-to-linalg | FileCheck %s --check-prefix=DEFAULT

// 16 rows by constant int8 weights per channel with zero points: the
// weights transposed to k-major at compile time, dequantized by one
// elementwise generic along n, feeding a float matmul generic (which the
// CPU's TileAndVectorize computes a weight tile at a time).
// CHECK-LABEL: func.func @prefill
// CHECK:     %[[W:.*]] = arith.constant dense<{{\[\[}}1, 3], [2, 4]]> : tensor<2x2xi8>
// CHECK:     %[[DQ:.*]] = linalg.generic {{.*}} ins(%[[W]], %arg1, %arg2 : tensor<2x2xi8>, tensor<2xf32>, tensor<2xi8>) outs(%{{.*}} : tensor<2x2xf32>)
// CHECK:       arith.sitofp
// CHECK:       arith.subf
// CHECK:       arith.mulf
// CHECK:     linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0, %[[DQ]] : tensor<16x2xf32>, tensor<2x2xf32>)
// DEFAULT-LABEL: func.func @prefill
// DEFAULT-NOT: tensor<2x2xf32>
func.func @prefill(%x: tensor<16x2xf32>, %s: tensor<2xf32>, %zp: tensor<2xi8>) -> tensor<16x2xf32> {
  %w = arith.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi8>
  %y = moe.qmatmul %x, %w, %s zero_point %zp : (tensor<16x2xf32>, tensor<2x2xi8>, tensor<2xf32>, tensor<2xi8>) -> tensor<16x2xf32>
  return %y : tensor<16x2xf32>
}

// Fewer rows than the register tile (decode) keep the fused product, which
// reads each weight once per row.
// CHECK-LABEL: func.func @decode
// CHECK-NOT: tensor<2x2xf32>
func.func @decode(%x: tensor<4x2xf32>, %s: tensor<2xf32>) -> tensor<4x2xf32> {
  %w = arith.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi8>
  %y = moe.qmatmul %x, %w, %s : (tensor<4x2xf32>, tensor<2x2xi8>, tensor<2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}
