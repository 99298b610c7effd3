// RUN: moe-opt %s --moe-lower-quant-ops -split-input-file | FileCheck %s

// Blocked dequantize: scale and zero point read at [d0, d1 floordiv 32];
// unsigned storage zero-extends.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[BLK:.*]] = affine_map<(d0, d1) -> (d0, d1 floordiv 32)>
// CHECK-LABEL: func @dequantize_blocked
// CHECK: %[[Q:.*]] = tensor.bitcast %arg0 : tensor<8x64xui4> to tensor<8x64xi4>
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[BLK]], #[[BLK]], #[[ID]]]
// CHECK:   %[[X:.*]] = arith.uitofp %{{.*}} : i4 to f32
// CHECK:   %[[Z:.*]] = arith.uitofp %{{.*}} : i4 to f32
// CHECK:   %[[D:.*]] = arith.subf %[[X]], %[[Z]]
// CHECK:   arith.mulf %[[D]], %{{.*}}
func.func @dequantize_blocked(%q: tensor<8x64xui4>, %s: tensor<8x2xf32>, %z: tensor<8x2xui4>) -> tensor<8x64xf32> {
  %0 = moe.dequantize %q, %s zero_point %z {axis = 1 : i64, block_size = 32 : i64} : (tensor<8x64xui4>, tensor<8x2xf32>, tensor<8x2xui4>) -> tensor<8x64xf32>
  return %0 : tensor<8x64xf32>
}

// -----

// Per-tensor signed quantize: round half to even, shift, saturate to i8.
// CHECK-DAG: #[[SCALAR:.*]] = affine_map<(d0) -> ()>
// CHECK-LABEL: func @quantize_per_tensor
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[SCALAR]], #[[SCALAR]], #{{.*}}]
// CHECK:   %[[R:.*]] = math.roundeven
// CHECK:   %[[Z:.*]] = arith.sitofp %{{.*}} : i8 to f32
// CHECK:   %[[S:.*]] = arith.addf %[[R]], %[[Z]]
// CHECK:   %[[LO:.*]] = arith.maximumf %[[S]], %{{.*}}
// CHECK:   %[[HI:.*]] = arith.minimumf %[[LO]], %{{.*}}
// CHECK:   arith.fptosi %[[HI]] : f32 to i8
func.func @quantize_per_tensor(%x: tensor<6xf32>, %s: tensor<f32>, %z: tensor<i8>) -> tensor<6xi8> {
  %0 = moe.quantize %x, %s zero_point %z : (tensor<6xf32>, tensor<f32>, tensor<i8>) -> tensor<6xi8>
  return %0 : tensor<6xi8>
}

// -----

// qmatmul dequantizes each weight inside the contraction (no float copy).
// Groups of K split K into (group, index in the group): maps the CPU
// vectoriser takes (a floordiv of K is not one).
// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d2, d3)>
// CHECK-DAG: #[[G:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d2)>
// CHECK-DAG: #[[O:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1)>
// CHECK-LABEL: func @qmatmul_grouped
// CHECK: %[[XG:.*]] = tensor.expand_shape %arg0 {{\[\[}}0], [1, 2]] output_shape [%{{.*}}, 2, 16] : tensor<?x32xf32> into tensor<?x2x16xf32>
// CHECK: %[[WG:.*]] = tensor.expand_shape %arg1 {{\[\[}}0], [1, 2]] output_shape [4, 2, 16] : tensor<4x32xi8> into tensor<4x2x16xi8>
// CHECK: linalg.generic {indexing_maps = [#[[X]], #[[W]], #[[G]], #[[O]]], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%[[XG]], %[[WG]], %arg2
// CHECK:   %[[WF:.*]] = arith.sitofp %{{.*}} : i8 to f32
// CHECK:   %[[WS:.*]] = arith.mulf %[[WF]], %{{.*}}
// CHECK:   %[[P:.*]] = arith.mulf %{{.*}}, %[[WS]]
// CHECK:   arith.addf %{{.*}}, %[[P]]
// CHECK-NOT: linalg.generic
func.func @qmatmul_grouped(%x: tensor<?x32xf32>, %w: tensor<4x32xi8>, %s: tensor<4x2xf32>) -> tensor<?x4xf32> {
  %0 = moe.qmatmul %x, %w, %s {group_size = 16 : i64} : (tensor<?x32xf32>, tensor<4x32xi8>, tensor<4x2xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// One group of all K (per channel, as the quantizer stores int8 experts):
// the scale's column 0, one reduction loop.
// CHECK-DAG: #[[S1:.*]] = affine_map<(d0, d1, d2) -> (d1, 0)>
// CHECK-LABEL: func @qmatmul_one_group
// CHECK-NOT: tensor.expand_shape
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #[[S1]], #{{.*}}], iterator_types = ["parallel", "parallel", "reduction"]}
func.func @qmatmul_one_group(%x: tensor<?x32xf32>, %w: tensor<4x32xi8>, %s: tensor<4x1xf32>) -> tensor<?x4xf32> {
  %0 = moe.qmatmul %x, %w, %s {group_size = 32 : i64} : (tensor<?x32xf32>, tensor<4x32xi8>, tensor<4x1xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// rms_norm: a sum of squares over the normalised dims, then
// x * rsqrt(sum / n + epsilon) * scale.
// CHECK-LABEL: func @rms_norm
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%arg0 : tensor<?x8xf32>) outs(%{{.*}} : tensor<?xf32>)
// CHECK:   arith.mulf
// CHECK:   arith.addf
// CHECK: linalg.generic {{.*}} ins(%arg0, %[[SUM]], %arg1 : tensor<?x8xf32>, tensor<?xf32>, tensor<8xf32>)
// CHECK:   %[[MEAN:.*]] = arith.divf
// CHECK:   %[[EPS:.*]] = arith.addf %[[MEAN]]
// CHECK:   %[[INV:.*]] = math.rsqrt %[[EPS]]
// CHECK:   %[[N:.*]] = arith.mulf %{{.*}}, %[[INV]]
// CHECK:   arith.mulf %[[N]], %{{.*}}
func.func @rms_norm(%x: tensor<?x8xf32>, %g: tensor<8xf32>) -> tensor<?x8xf32> {
  %0 = moe.rms_norm %x, %g {epsilon = 1.0e-06 : f64} : tensor<?x8xf32>, tensor<8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// Constant int4 weights stay packed, two to a byte, low nibble first
// ([N, K/G, G/2] bytes); the product unpacks them in its body (signed:
// shift left then arithmetic right for the low nibble), per group, then
// scales the group sums and subtracts zero point times the group's x sum.
// CHECK-LABEL: func @qmatmul_int4_packed
// CHECK-DAG: arith.constant dense<{{\[\[\[}}33, 67], [-85, -17]]{{.*}} : tensor<2x2x2xi8>
// CHECK-DAG: arith.constant dense<{{\[\[}}1.000000e+00, -1.000000e+00], [2.000000e+00, -8.000000e+00]]> : tensor<2x2xf32>
// CHECK: tensor.expand_shape {{.*}} into tensor<3x2x2x2xf32>
// CHECK: linalg.generic
// CHECK: linalg.generic
// CHECK: arith.shli
// CHECK: arith.shrsi
// CHECK: arith.shrsi
// CHECK: arith.sitofp
// CHECK: arith.sitofp
// CHECK: linalg.generic
// CHECK: linalg.generic
// CHECK: arith.subf
// CHECK-NOT: i4
func.func @qmatmul_int4_packed(%x: tensor<3x8xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[1, 2, 3, 4, -5, -6, -1, -2], [0, 1, 2, 3, 4, 5, 6, 7]]> : tensor<2x8xi4>
  %s = arith.constant dense<[[0.5, 0.25], [1.0, 2.0]]> : tensor<2x2xf32>
  %z = arith.constant dense<[[1, -1], [2, -8]]> : tensor<2x2xi4>
  %0 = moe.qmatmul %x, %w, %s zero_point %z {group_size = 4 : i64} : (tensor<3x8xf32>, tensor<2x8xi4>, tensor<2x2xf32>, tensor<2x2xi4>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// A constant int4 tensor that is dequantized (QMoE's experts) stays packed
// two to a byte; each element reads its byte at [.., k floordiv 2] and
// takes the nibble its parity selects. 4-bit zero points are widened.
// CHECK-DAG: #[[BYTE:.*]] = affine_map<(d0, d1) -> (d0, d1 floordiv 2)>
// CHECK-LABEL: func @dequantize_int4_packed
// CHECK-DAG: %[[B:.*]] = arith.constant dense<{{\[\[}}33, 67], [-2, 1]]> : tensor<2x2xi8>
// CHECK-DAG: %[[Z:.*]] = arith.constant dense<[8, 3]> : tensor<2xui8>
// CHECK: linalg.generic {indexing_maps = [#[[BYTE]], {{.*}}]{{.*}} ins(%[[B]], %{{.*}}, %{{.*}} : tensor<2x2xi8>, tensor<2xf32>, tensor<2xi8>)
// CHECK: linalg.index 1
// CHECK: arith.select
// CHECK: arith.uitofp
// CHECK-NOT: i4
func.func @dequantize_int4_packed() -> tensor<2x4xf32> {
  %q = arith.constant dense<[[1, 2, 3, 4], [14, 15, 1, 0]]> : tensor<2x4xui4>
  %s = arith.constant dense<[0.5, 0.25]> : tensor<2xf32>
  %z = arith.constant dense<[8, 3]> : tensor<2xui4>
  %0 = moe.dequantize %q, %s zero_point %z {axis = 0 : i64} : (tensor<2x4xui4>, tensor<2xf32>, tensor<2xui4>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// 16 output channels or more with per-group scales: the bytes are stored
// k-major ([K/G, G/2, N]: byte (g, j, n) holds weights k = g*G + 2j, 2j+1 of
// channel n) and the per-group product runs with the channels innermost,
// so it is vectorised along them with no horizontal sums; the scales are
// transposed at compile time to [K/G, N].
// CHECK-LABEL: func @qmatmul_int4_channels_inner
// CHECK-DAG: arith.constant dense<{{.*}}> : tensor<2x1x16xi8>
// CHECK-DAG: arith.constant dense<{{.*}}> : tensor<2x16xf32>
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}, #{{.*}}], iterator_types = ["parallel", "parallel", "reduction", "parallel"]}
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}], iterator_types = ["parallel", "reduction", "parallel"]}
func.func @qmatmul_int4_channels_inner(%x: tensor<?x4xf32>) -> tensor<?x16xf32> {
  %w = arith.constant dense<3> : tensor<16x4xi4>
  %s = arith.constant dense<0.5> : tensor<16x2xf32>
  %0 = moe.qmatmul %x, %w, %s {group_size = 2 : i64} : (tensor<?x4xf32>, tensor<16x4xi4>, tensor<16x2xf32>) -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}
