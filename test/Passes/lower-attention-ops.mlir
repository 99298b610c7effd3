// RUN: moe-opt %s --moe-lower-to-linalg -split-input-file | FileCheck %s

// Rotary: one elementwise generic that reads each feature's partner and
// the cos/sin entries at the token's (clamped) position.
// CHECK-LABEL: func @rope
// CHECK-NOT: moe.rope
// CHECK: linalg.generic
// CHECK:   arith.minsi
// CHECK:   arith.maxsi
// CHECK:   tensor.extract %arg1
// CHECK:   tensor.extract %arg2
// CHECK:   tensor.extract %arg0
func.func @rope(%x: tensor<1x2x4x8xf32>, %cos: tensor<16x4xf32>, %sin: tensor<16x4xf32>, %pos: tensor<1x4xi64>) -> tensor<1x2x4x8xf32> {
  %0 = moe.rope %x, %cos, %sin positions %pos : (tensor<1x2x4x8xf32>, tensor<16x4xf32>, tensor<16x4xf32>, tensor<1x4xi64>) -> tensor<1x2x4x8xf32>
  return %0 : tensor<1x2x4x8xf32>
}

// -----

// GQA: K is repeated over the query heads (head h reads kv head h floordiv 4)
// and transposed, so Q K^T and P V are plain batched matmuls; the causal
// mask compares key and query positions; the softmax is a max, a sum of
// shifted exponentials, and a division.
// CHECK-DAG: #[[KT:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1 floordiv 4, d3, d2)>
// CHECK-DAG: #[[V:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1 floordiv 4, d2, d3)>
// CHECK-LABEL: func @gqa
// CHECK-NOT: moe.attention
// CHECK: linalg.generic {indexing_maps = [#[[KT]],
// CHECK: linalg.generic {indexing_maps = [#[[V]],
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: linalg.index 3
// CHECK: arith.cmpi sle
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: arith.divf
func.func @gqa(%q: tensor<1x8x4x16xf32>, %k: tensor<1x2x4x16xf32>, %v: tensor<1x2x4x16xf32>) -> tensor<1x8x4x16xf32> {
  %0 = moe.attention %q, %k, %v {causal} : (tensor<1x8x4x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x4x16xf32>) -> tensor<1x8x4x16xf32>
  return %0 : tensor<1x8x4x16xf32>
}
