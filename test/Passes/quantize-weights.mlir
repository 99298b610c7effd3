// RUN: moe-opt %s --moe-quantize-weights="clip-search=false min-columns=1" -split-input-file | FileCheck %s
// RUN: moe-opt %s --moe-quantize-weights="bits=4 group-size=2 symmetric=false clip-search=false min-columns=1" -split-input-file | FileCheck %s --check-prefix=ASYM
// RUN: moe-opt %s --moe-quantize-weights="layers=all min-columns=1" -split-input-file | FileCheck %s --check-prefix=ALL
// By default, matmuls of fewer than 64 output columns (routers of exports
// not raised to moe.route) stay float.
// RUN: moe-opt %s --moe-quantize-weights -split-input-file | FileCheck %s --check-prefix=SMALL
// SMALL-NOT: moe.qmatmul
// RUN: not moe-opt %s --moe-quantize-weights="bits=3" -split-input-file 2>&1 | FileCheck %s --check-prefix=BITS

#a = affine_map<(m, n, k) -> (m, k)>
#b = affine_map<(m, n, k) -> (k, n)>
#c = affine_map<(m, n, k) -> (m, n)>

// int8 per output channel, symmetric, round to nearest: W^T [N, K],
// scale = max |w| / 127 per channel (1 for an all-zero one).
// CHECK-LABEL: func @matmul
// CHECK: %[[Q:.*]] = arith.constant dense<{{\[\[}}64, -127, 32, 16], [0, 0, 0, 0]]> : tensor<2x4xi8>
// CHECK: %[[S:.*]] = arith.constant dense<[0.0157480314, 1.000000e+00]> : tensor<2xf32>
// CHECK: moe.qmatmul %arg0, %[[Q]], %[[S]] : (tensor<3x4xf32>, tensor<2x4xi8>, tensor<2xf32>) -> tensor<3x2xf32>
// CHECK-NOT: linalg.generic
// Asymmetric int4 in groups of 2: unsigned weights and zero points.
// ASYM-LABEL: func @matmul
// ASYM: moe.qmatmul %arg0, %{{.*}}, %{{.*}} zero_point %{{.*}} {group_size = 2 : i64} : (tensor<3x4xf32>, tensor<2x4xui4>, tensor<2x2xf32>, tensor<2x2xui4>) -> tensor<3x2xf32>
// BITS: moe-quantize-weights: bits must be 8 or 4, not 3
func.func @matmul(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[1.0, 0.0], [-2.0, 0.0], [0.5, 0.0], [0.25, 0.0]]> : tensor<4x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x2xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<3x2xf32>) -> tensor<3x2xf32>
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : tensor<3x4xf32>, tensor<4x2xf32>) outs(%f : tensor<3x2xf32>) {
  ^bb0(%in: f32, %wt: f32, %acc: f32):
    %p = arith.mulf %in, %wt : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<3x2xf32>
  return %r : tensor<3x2xf32>
}

// -----

#a = affine_map<(m, n, k) -> (m, k)>
#b = affine_map<(m, n, k) -> (k, n)>
#c = affine_map<(m, n, k) -> (m, n)>

// The router (its logits feed moe.route) stays float unless layers=all.
// CHECK-LABEL: func @router
// CHECK: linalg.generic
// CHECK-NOT: moe.qmatmul
// ALL-LABEL: func @router
// ALL: moe.qmatmul
func.func @router(%x: tensor<3x4xf32>) -> (tensor<3x1xf32>, tensor<3x1xi32>) {
  %w = arith.constant dense<[[1.0, 0.0], [-2.0, 1.0], [0.5, 0.0], [0.25, 3.0]]> : tensor<4x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x2xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<3x2xf32>) -> tensor<3x2xf32>
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : tensor<3x4xf32>, tensor<4x2xf32>) outs(%f : tensor<3x2xf32>) {
  ^bb0(%in: f32, %wt: f32, %acc: f32):
    %p = arith.mulf %in, %wt : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<3x2xf32>
  %weights, %ids = moe.route softmax %r {k = 1 : i64} : tensor<3x2xf32> -> tensor<3x1xf32>, tensor<3x1xi32>
  return %weights, %ids : tensor<3x1xf32>, tensor<3x1xi32>
}


// -----

// Routed experts' stacked weights [E, N, K]: each expert row quantized
// (per channel, or per group of K), the grouped matmul then reads
// moe.dequantize of the integers along the last axis in blocks, which its
// lowering fuses into the product. Expert 0 row 0 is [1, -2, 4, 8]: max 8,
// scale 8/127; row 1 [0.5, 0.5, 0.5, 0.5]: scale 0.5/127.
// CHECK-LABEL: func @experts
// CHECK-DAG: %[[Q:.*]] = arith.constant dense<{{\[\[\[}}16, -32, 64, 127], [127, 127, 127, 127]], {{.*}}> : tensor<2x2x4xi8>
// CHECK-DAG: %[[S:.*]] = arith.constant dense<{{\[\[\[}}0.0629{{[0-9]*}}], [0.00393{{[0-9]*}}]], {{.*}}> : tensor<2x2x1xf32>
// CHECK:     %[[W:.*]] = moe.dequantize %[[Q]], %[[S]] {axis = 2 : i64, block_size = 4 : i64} : (tensor<2x2x4xi8>, tensor<2x2x1xf32>) -> tensor<2x2x4xf32>
// CHECK:     moe.grouped_matmul %{{.*}}, %[[W]], %{{.*}}
// ASYM-LABEL: func @experts
// ASYM:     moe.dequantize %{{.*}}, %{{.*}} zero_point %{{.*}} {axis = 2 : i64, block_size = 2 : i64} : (tensor<2x2x4xui4>, tensor<2x2x2xf32>, tensor<2x2x2xui4>) -> tensor<2x2x4xf32>
func.func @experts(%x: tensor<?x4xf32>, %offsets: tensor<3xi32>) -> tensor<?x2xf32> {
  %w = arith.constant dense<[[[1.0, -2.0, 4.0, 8.0], [0.5, 0.5, 0.5, 0.5]], [[1.0, 1.0, 1.0, 1.0], [-1.0, 2.0, -3.0, 4.0]]]> : tensor<2x2x4xf32>
  %y = moe.grouped_matmul %x, %w, %offsets : (tensor<?x4xf32>, tensor<2x2x4xf32>, tensor<3xi32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}
