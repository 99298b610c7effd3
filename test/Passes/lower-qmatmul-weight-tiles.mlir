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
// DEFAULT-LABEL: func.func @decode
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

// A decode-sized matmul by a QDQ weight (moe.dequantize of constant int8
// [K, N], per output channel) becomes moe.qmatmul over the integers
// transposed to [N, K] and is lowered as one: no float weights at all.
// CHECK-LABEL: func.func @qdq_decode
// CHECK:     %[[W:.*]] = arith.constant dense<{{\[\[}}1, 3], [2, 4]]> : tensor<2x2xi8>
// CHECK-NOT: tensor<2x2xf32>
// CHECK:     linalg.generic {{.*}} ins(%arg0, %[[W]], %arg1, %{{.*}} : tensor<1x2xf32>, tensor<2x2xi8>, tensor<2xf32>, tensor<2xi8>)
// With many rows the dequantization stays, for the CPU to tile.
// CHECK-LABEL: func.func @qdq_prefill
// CHECK:     linalg.generic {{.*}} outs(%{{.*}} : tensor<2x2xf32>)
func.func @qdq_decode(%x: tensor<1x2xf32>, %s: tensor<2xf32>) -> tensor<1x2xf32> {
  %q = arith.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi8>
  %zp = arith.constant dense<[0, 1]> : tensor<2xi8>
  %w = moe.dequantize %q, %s zero_point %zp {axis = 1 : i64} : (tensor<2x2xi8>, tensor<2xf32>, tensor<2xi8>) -> tensor<2x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2xf32>) -> tensor<1x2xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : tensor<1x2xf32>, tensor<2x2xf32>) outs(%c : tensor<1x2xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  } -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
func.func @qdq_prefill(%x: tensor<16x2xf32>, %s: tensor<2xf32>) -> tensor<16x2xf32> {
  %q = arith.constant dense<[[1, 2], [3, 4]]> : tensor<2x2xi8>
  %w = moe.dequantize %q, %s {axis = 1 : i64} : (tensor<2x2xi8>, tensor<2xf32>) -> tensor<2x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16x2xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<16x2xf32>) -> tensor<16x2xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : tensor<16x2xf32>, tensor<2x2xf32>) outs(%c : tensor<16x2xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  } -> tensor<16x2xf32>
  return %y : tensor<16x2xf32>
}

// Packed int4 weights (scales per group of 4, 16 output channels) times a
// run-time row count: 8 rows or more multiply float weights that one
// generic dequantizes from the same packed bytes (row g*4 + 2j + p of W is
// nibble p of byte [g, j, n]), collapsed to [K, N] for the CPU tiler to
// make a panel at a time; fewer rows keep the fused product over the
// bytes. Without weight tiles, only the fused product.
// CHECK-LABEL: func.func @int4_rows
// CHECK:     %[[ROWS:.*]] = tensor.dim %arg0, %c0
// CHECK:     %[[MANY:.*]] = arith.cmpi sge, %[[ROWS]], %c8
// CHECK:     scf.if %[[MANY]] -> (tensor<?x16xf32>)
// CHECK:       %[[UNPACKED:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<2x2x16xi8>, tensor<2x16xf32>) outs(%{{.*}} : tensor<2x2x2x16xf32>)
// CHECK:         linalg.index 2
// CHECK:         arith.select
// CHECK:         arith.sitofp
// CHECK:         arith.mulf
// CHECK:       %[[W:.*]] = tensor.collapse_shape %[[UNPACKED]] {{\[}}[0, 1, 2], [3]] : tensor<2x2x2x16xf32> into tensor<8x16xf32>
// CHECK:       linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0, %[[W]] : tensor<?x8xf32>, tensor<8x16xf32>)
// CHECK:     } else {
// CHECK-NOT:   tensor<8x16xf32>
// CHECK:       linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<?x2x2xf32>, tensor<?x2x2xf32>, tensor<2x2x16xi8>)
// DEFAULT-LABEL: func.func @int4_rows
// DEFAULT-NOT: scf.if
// DEFAULT-NOT: tensor<8x16xf32>
// DEFAULT: return
func.func @int4_rows(%x: tensor<?x8xf32>, %s: tensor<16x2xf32>) -> tensor<?x16xf32> {
  %w = arith.constant dense<[[1, 2, 3, 4, -5, -6, -1, -2], [0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 4, -5, -6, -1, -2], [0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 4, -5, -6, -1, -2], [0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 4, -5, -6, -1, -2], [0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 4, -5, -6, -1, -2], [0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 4, -5, -6, -1, -2], [0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 4, -5, -6, -1, -2], [0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 4, -5, -6, -1, -2], [0, 1, 2, 3, 4, 5, 6, 7]]> : tensor<16x8xi4>
  %y = moe.qmatmul %x, %w, %s {group_size = 4 : i64} : (tensor<?x8xf32>, tensor<16x8xi4>, tensor<16x2xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// The same weights times a static [2, 6, K] of rows (12: prefill): the
// rows, collapsed, multiply the dequantized float weights as run-time rows
// (the CPU tiler's 8-row tiles and their rest), no test at run time; 6
// rows keep the fused product over the bytes.
// CHECK-LABEL: func.func @int4_static_rows
// CHECK-NOT: scf.if
// CHECK:     %[[X:.*]] = tensor.collapse_shape %arg0 {{\[}}[0, 1], [2]] : tensor<2x6x8xf32> into tensor<12x8xf32>
// CHECK:     %[[XD:.*]] = tensor.cast %[[X]] : tensor<12x8xf32> to tensor<?x8xf32>
// CHECK:     %[[W:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1, 2], [3]] : tensor<2x2x2x16xf32> into tensor<8x16xf32>
// CHECK:     %[[P:.*]] = linalg.generic {{.*}} ins(%[[XD]], %[[W]] : tensor<?x8xf32>, tensor<8x16xf32>)
// CHECK:     %[[PS:.*]] = tensor.cast %[[P]] : tensor<?x16xf32> to tensor<12x16xf32>
// CHECK:     tensor.expand_shape %[[PS]] {{\[}}[0, 1], [2]] output_shape [2, 6, 16] : tensor<12x16xf32> into tensor<2x6x16xf32>
// CHECK-LABEL: func.func @int4_few_static_rows
// CHECK-NOT: tensor<8x16xf32>
// CHECK:     linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<6x2x2xf32>, tensor<6x2x2xf32>, tensor<2x2x16xi8>)
func.func @int4_static_rows(%x: tensor<2x6x8xf32>, %s: tensor<16x2xf32>) -> tensor<2x6x16xf32> {
  %w = arith.constant dense<[[1, 2, 3, 4, -5, -6, -1, -2], [0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 4, -5, -6, -1, -2], [0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 4, -5, -6, -1, -2], [0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 4, -5, -6, -1, -2], [0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 4, -5, -6, -1, -2], [0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 4, -5, -6, -1, -2], [0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 4, -5, -6, -1, -2], [0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 4, -5, -6, -1, -2], [0, 1, 2, 3, 4, 5, 6, 7]]> : tensor<16x8xi4>
  %y = moe.qmatmul %x, %w, %s {group_size = 4 : i64} : (tensor<2x6x8xf32>, tensor<16x8xi4>, tensor<16x2xf32>) -> tensor<2x6x16xf32>
  return %y : tensor<2x6x16xf32>
}

func.func @int4_few_static_rows(%x: tensor<6x8xf32>, %s: tensor<16x2xf32>) -> tensor<6x16xf32> {
  %w = arith.constant dense<[[1, 2, 3, 4, -5, -6, -1, -2], [0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 4, -5, -6, -1, -2], [0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 4, -5, -6, -1, -2], [0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 4, -5, -6, -1, -2], [0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 4, -5, -6, -1, -2], [0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 4, -5, -6, -1, -2], [0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 4, -5, -6, -1, -2], [0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 4, -5, -6, -1, -2], [0, 1, 2, 3, 4, 5, 6, 7]]> : tensor<16x8xi4>
  %y = moe.qmatmul %x, %w, %s {group_size = 4 : i64} : (tensor<6x8xf32>, tensor<16x8xi4>, tensor<16x2xf32>) -> tensor<6x16xf32>
  return %y : tensor<6x16xf32>
}

// A GEMV by a million or more packed weights computes its groups' partial
// products in parallel (a forall per group of 128: its 64 x N bytes are
// one contiguous stretch), then scales and sums them once. Without weight
// tiles (the GPU's lowering) it stays one op.
// CHECK-LABEL: func.func @int4_decode_threads
// CHECK:     %[[DOT:.*]] = scf.forall (%[[G:.*]]) in (8) shared_outs(%[[ACC:.*]] = %{{.*}}) -> (tensor<1x8x1024xf32>)
// CHECK:       tensor.extract_slice %{{.*}}[%[[G]], 0, 0] [1, 64, 1024] [1, 1, 1] : tensor<8x64x1024xi8> to tensor<1x64x1024xi8>
// CHECK:       linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "parallel"]
// CHECK:         math.fma
// CHECK:       tensor.parallel_insert_slice
// CHECK:     linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel"]} ins(%[[DOT]], %{{.*}} : tensor<1x8x1024xf32>, tensor<8x1024xf32>)
// DEFAULT-LABEL: func.func @int4_decode_threads
// DEFAULT-NOT: scf.forall
// DEFAULT: return
func.func @int4_decode_threads(%x: tensor<1x1024xf32>, %s: tensor<1024x8xf32>) -> tensor<1x1024xf32> {
  %w = arith.constant dense<3> : tensor<1024x1024xi4>
  %y = moe.qmatmul %x, %w, %s {group_size = 128 : i64} : (tensor<1x1024xf32>, tensor<1024x1024xi4>, tensor<1024x8xf32>) -> tensor<1x1024xf32>
  return %y : tensor<1x1024xf32>
}
