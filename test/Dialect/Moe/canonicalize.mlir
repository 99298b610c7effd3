// RUN: moe-opt %s -canonicalize -split-input-file | FileCheck %s

// Keeping every group is plain top-k (no expert is outside).
// CHECK-LABEL: func @route_all_groups_kept
// CHECK: moe.route sigmoid %{{.*}} {k = 4 : i64} :
func.func @route_all_groups_kept(%l: tensor<2x16xf32>) -> tensor<2x4xf32> {
  %w, %i = moe.route sigmoid %l {k = 4 : i64, n_group = 4 : i64, topk_group = 4 : i64, group_score = #moe.group_score<sum_top2>, outside_group_score = 0.0 : f64} : tensor<2x16xf32> -> tensor<2x4xf32>, tensor<2x4xi32>
  return %w : tensor<2x4xf32>
}

// -----

// CHECK-LABEL: func @route_group_score_single_group
// CHECK: moe.route softmax %{{.*}} {k = 2 : i64} :
func.func @route_group_score_single_group(%l: tensor<2x16xf32>) -> tensor<2x2xf32> {
  %w, %i = moe.route softmax %l {k = 2 : i64, group_score = #moe.group_score<sum_top2>} : tensor<2x16xf32> -> tensor<2x2xf32>, tensor<2x2xi32>
  return %w : tensor<2x2xf32>
}

// -----

// Real group limiting stays.
// CHECK-LABEL: func @route_group_limit_kept
// CHECK: moe.route sigmoid %{{.*}} {group_score = #moe.group_score<sum_top2>, k = 4 : i64, n_group = 4 : i64, topk_group = 2 : i64} :
func.func @route_group_limit_kept(%l: tensor<2x16xf32>) -> tensor<2x4xf32> {
  %w, %i = moe.route sigmoid %l {k = 4 : i64, n_group = 4 : i64, topk_group = 2 : i64, group_score = #moe.group_score<sum_top2>} : tensor<2x16xf32> -> tensor<2x4xf32>, tensor<2x4xi32>
  return %w : tensor<2x4xf32>
}

// -----

// Softmax over all experts already sums to one.
// CHECK-LABEL: func @route_renormalize_all
// CHECK: moe.route softmax %{{.*}} {k = 4 : i64} :
func.func @route_renormalize_all(%l: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w, %i = moe.route softmax %l {k = 4 : i64, renormalize} : tensor<2x4xf32> -> tensor<2x4xf32>, tensor<2x4xi32>
  return %w : tensor<2x4xf32>
}

// -----

// CHECK-LABEL: func @route_renormalize_kept
// CHECK-DAG: moe.route softmax %{{.*}} {k = 2 : i64, renormalize} : tensor<2x4xf32>
// CHECK-DAG: moe.route sigmoid %{{.*}} {k = 4 : i64, renormalize} : tensor<2x4xf32>
// CHECK-DAG: moe.route softmax %{{.*}} {k = 4 : i64, renormalize} : tensor<2x?xf32>
func.func @route_renormalize_kept(%l: tensor<2x4xf32>, %d: tensor<2x?xf32>) -> (tensor<2x2xf32>, tensor<2x4xf32>, tensor<2x4xf32>) {
  %w, %i = moe.route softmax %l {k = 2 : i64, renormalize} : tensor<2x4xf32> -> tensor<2x2xf32>, tensor<2x2xi32>
  %s, %j = moe.route sigmoid %l {k = 4 : i64, renormalize} : tensor<2x4xf32> -> tensor<2x4xf32>, tensor<2x4xi32>
  %t, %n = moe.route softmax %d {k = 4 : i64, renormalize} : tensor<2x?xf32> -> tensor<2x4xf32>, tensor<2x4xi32>
  return %w, %s, %t : tensor<2x2xf32>, tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

// CHECK-LABEL: func @attention_zero_right_window
// CHECK: moe.attention %{{.*}}, %{{.*}}, %{{.*}} {causal, window_left = 3 : i64} :
func.func @attention_zero_right_window(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = moe.attention %q, %q, %q {window_left = 3 : i64, window_right = 0 : i64} : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// CHECK-LABEL: func @attention_causal_zero_right
// CHECK: moe.attention %{{.*}}, %{{.*}}, %{{.*}} {causal} :
func.func @attention_causal_zero_right(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = moe.attention %q, %q, %q {causal, window_right = 0 : i64} : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// CHECK-LABEL: func @attention_right_window_kept
// CHECK: moe.attention %{{.*}}, %{{.*}}, %{{.*}} {window_left = 3 : i64, window_right = 1 : i64} :
func.func @attention_right_window_kept(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = moe.attention %q, %q, %q {window_left = 3 : i64, window_right = 1 : i64} : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// CHECK-LABEL: func @rope_full_rotary_dim
// CHECK: moe.rope %{{.*}}, %{{.*}}, %{{.*}} : (
// CHECK: moe.rope %{{.*}}, %{{.*}}, %{{.*}} {rotary_dim = 32 : i64} : (
func.func @rope_full_rotary_dim(%x: tensor<1x2x8x64xf32>, %c: tensor<8x32xf32>, %h: tensor<8x16xf32>) -> (tensor<1x2x8x64xf32>, tensor<1x2x8x64xf32>) {
  %y = moe.rope %x, %c, %c {rotary_dim = 64 : i64} : (tensor<1x2x8x64xf32>, tensor<8x32xf32>, tensor<8x32xf32>) -> tensor<1x2x8x64xf32>
  %z = moe.rope %x, %h, %h {rotary_dim = 32 : i64} : (tensor<1x2x8x64xf32>, tensor<8x16xf32>, tensor<8x16xf32>) -> tensor<1x2x8x64xf32>
  return %y, %z : tensor<1x2x8x64xf32>, tensor<1x2x8x64xf32>
}

// -----

// CHECK-LABEL: func @quantize_of_dequantize
// CHECK-SAME: (%[[Q:.*]]: tensor<8x64xi8>
// CHECK-NEXT: return %[[Q]]
func.func @quantize_of_dequantize(%q: tensor<8x64xi8>, %s: tensor<8xf32>, %z: tensor<8xi8>) -> tensor<8x64xi8> {
  %w = moe.dequantize %q, %s zero_point %z {axis = 0 : i64} : (tensor<8x64xi8>, tensor<8xf32>, tensor<8xi8>) -> tensor<8x64xf32>
  %r = moe.quantize %w, %s zero_point %z {axis = 0 : i64} : (tensor<8x64xf32>, tensor<8xf32>, tensor<8xi8>) -> tensor<8x64xi8>
  return %r : tensor<8x64xi8>
}

// -----

// Other parameters, another integer type, or bf16's short significand: kept.
// CHECK-LABEL: func @quantize_of_dequantize_kept
// CHECK-COUNT-3: moe.quantize
func.func @quantize_of_dequantize_kept(%q: tensor<8x64xi8>, %s: tensor<8xf32>, %t: tensor<8xf32>, %b: tensor<8xbf16>) -> (tensor<8x64xi8>, tensor<8x64xui8>, tensor<8x64xi8>) {
  %w = moe.dequantize %q, %s {axis = 0 : i64} : (tensor<8x64xi8>, tensor<8xf32>) -> tensor<8x64xf32>
  %r = moe.quantize %w, %t {axis = 0 : i64} : (tensor<8x64xf32>, tensor<8xf32>) -> tensor<8x64xi8>
  %u = moe.quantize %w, %s {axis = 0 : i64} : (tensor<8x64xf32>, tensor<8xf32>) -> tensor<8x64xui8>
  %wb = moe.dequantize %q, %b {axis = 0 : i64} : (tensor<8x64xi8>, tensor<8xbf16>) -> tensor<8x64xbf16>
  %rb = moe.quantize %wb, %b {axis = 0 : i64} : (tensor<8x64xbf16>, tensor<8xbf16>) -> tensor<8x64xi8>
  return %r, %u, %rb : tensor<8x64xi8>, tensor<8x64xui8>, tensor<8x64xi8>
}
