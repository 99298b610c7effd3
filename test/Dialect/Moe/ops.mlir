// RUN: moe-opt %s | moe-opt | FileCheck %s
// RUN: moe-opt %s --mlir-print-op-generic | moe-opt | FileCheck %s

// CHECK-LABEL: func @route_softmax
func.func @route_softmax(%logits: tensor<?x8xf32>) -> (tensor<?x2xf32>, tensor<?x2xi32>) {
  // CHECK: moe.route softmax %{{.*}} {k = 2 : i64, renormalize} : tensor<?x8xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  %w, %i = moe.route softmax %logits {k = 2 : i64, renormalize} : tensor<?x8xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  return %w, %i : tensor<?x2xf32>, tensor<?x2xi32>
}

// CHECK-LABEL: func @route_grouped_sigmoid
func.func @route_grouped_sigmoid(%logits: tensor<4x256xf32>, %bias: tensor<256xf32>) -> tensor<4x8xf32> {
  // CHECK: moe.route sigmoid %{{.*}} bias %{{.*}} {group_score = #moe.group_score<sum_top2>, k = 8 : i64, n_group = 8 : i64, renormalize, routed_scaling_factor = 2.500000e+00 : f64, topk_group = 4 : i64} : tensor<4x256xf32>, tensor<256xf32> -> tensor<4x8xf32>, tensor<4x8xi32>
  %w, %i = moe.route sigmoid %logits bias %bias {k = 8 : i64, n_group = 8 : i64, topk_group = 4 : i64, group_score = #moe.group_score<sum_top2>, renormalize, routed_scaling_factor = 2.5 : f64} : tensor<4x256xf32>, tensor<256xf32> -> tensor<4x8xf32>, tensor<4x8xi32>
  return %w : tensor<4x8xf32>
}

// CHECK-LABEL: func @experts_swiglu
func.func @experts_swiglu(%x: tensor<?x64xf32>, %w: tensor<?x2xf32>, %i: tensor<?x2xi32>,
    %fc1: tensor<8x128x64xf32>, %fc2: tensor<8x64x128xf32>, %fc3: tensor<8x128x64xf32>) -> tensor<?x64xf32> {
  // CHECK: moe.experts swiglu %{{.*}}, %{{.*}}, %{{.*}} fc1 %{{.*}} fc2 %{{.*}} fc3 %{{.*}} : (tensor<?x64xf32>, tensor<?x2xf32>, tensor<?x2xi32>, tensor<8x128x64xf32>, tensor<8x64x128xf32>, tensor<8x128x64xf32>) -> tensor<?x64xf32>
  %y = moe.experts swiglu %x, %w, %i fc1 %fc1 fc2 %fc2 fc3 %fc3 : (tensor<?x64xf32>, tensor<?x2xf32>, tensor<?x2xi32>, tensor<8x128x64xf32>, tensor<8x64x128xf32>, tensor<8x128x64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// CHECK-LABEL: func @experts_everything
func.func @experts_everything(%x: tensor<4x64xf16>, %w: tensor<4x6xf16>, %i: tensor<4x6xi64>,
    %fc1: tensor<64x32x64xf16>, %fc2: tensor<64x64x32xf16>, %fc3: tensor<64x32x64xf16>,
    %b1: tensor<64x32xf16>, %b2: tensor<64x64xf16>, %b3: tensor<64x32xf16>,
    %s1: tensor<96x64xf16>, %s2: tensor<64x96xf16>, %s3: tensor<96x64xf16>, %g: tensor<64xf16>) -> tensor<4x64xf16> {
  // CHECK: moe.experts swiglu %{{.*}}, %{{.*}}, %{{.*}} fc1 %{{.*}} fc2 %{{.*}} fc3 %{{.*}} fc1_bias %{{.*}} fc2_bias %{{.*}} fc3_bias %{{.*}} shared_fc1 %{{.*}} shared_fc2 %{{.*}} shared_fc3 %{{.*}} shared_gate %{{.*}} :
  %y = moe.experts swiglu %x, %w, %i fc1 %fc1 fc2 %fc2 fc3 %fc3 fc1_bias %b1 fc2_bias %b2 fc3_bias %b3 shared_fc1 %s1 shared_fc2 %s2 shared_fc3 %s3 shared_gate %g
      : (tensor<4x64xf16>, tensor<4x6xf16>, tensor<4x6xi64>, tensor<64x32x64xf16>, tensor<64x64x32xf16>, tensor<64x32x64xf16>,
         tensor<64x32xf16>, tensor<64x64xf16>, tensor<64x32xf16>, tensor<96x64xf16>, tensor<64x96xf16>, tensor<96x64xf16>, tensor<64xf16>) -> tensor<4x64xf16>
  return %y : tensor<4x64xf16>
}

// CHECK-LABEL: func @experts_gelu
func.func @experts_gelu(%x: tensor<4x64xf32>, %w: tensor<4x1xf32>, %i: tensor<4x1xi32>,
    %fc1: tensor<?x256x64xf32>, %fc2: tensor<?x64x256xf32>) -> tensor<4x64xf32> {
  // CHECK: moe.experts gelu
  %y = moe.experts gelu %x, %w, %i fc1 %fc1 fc2 %fc2 : (tensor<4x64xf32>, tensor<4x1xf32>, tensor<4x1xi32>, tensor<?x256x64xf32>, tensor<?x64x256xf32>) -> tensor<4x64xf32>
  return %y : tensor<4x64xf32>
}

// CHECK-LABEL: func @decomposed
func.func @decomposed(%x: tensor<?x64xf32>, %w: tensor<?x2xf32>, %i: tensor<?x2xi32>,
    %fc1: tensor<8x128x64xf32>, %b1: tensor<8x128xf32>) -> tensor<?x128xf32> {
  // CHECK: moe.dispatch %{{.*}}, %{{.*}} {num_experts = 8 : i64} : tensor<?x64xf32>, tensor<?x2xi32> -> tensor<?x64xf32>, tensor<?xi32>, tensor<9xi32>
  %xs, %perm, %off = moe.dispatch %x, %i {num_experts = 8 : i64} : tensor<?x64xf32>, tensor<?x2xi32> -> tensor<?x64xf32>, tensor<?xi32>, tensor<9xi32>
  // CHECK: moe.grouped_matmul %{{.*}}, %{{.*}}, %{{.*}} bias %{{.*}} : (tensor<?x64xf32>, tensor<8x128x64xf32>, tensor<9xi32>, tensor<8x128xf32>) -> tensor<?x128xf32>
  %h = moe.grouped_matmul %xs, %fc1, %off bias %b1 : (tensor<?x64xf32>, tensor<8x128x64xf32>, tensor<9xi32>, tensor<8x128xf32>) -> tensor<?x128xf32>
  // CHECK: moe.combine %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x128xf32>, tensor<?xi32>, tensor<?x2xf32>) -> tensor<?x128xf32>
  %y = moe.combine %h, %perm, %w : (tensor<?x128xf32>, tensor<?xi32>, tensor<?x2xf32>) -> tensor<?x128xf32>
  return %y : tensor<?x128xf32>
}

// CHECK-LABEL: func @dispatch_static
func.func @dispatch_static(%x: tensor<5x16xf32>, %i: tensor<5x3xi32>) -> tensor<15xi32> {
  // CHECK: -> tensor<15x16xf32>, tensor<15xi32>, tensor<5xi32>
  %xs, %perm, %off = moe.dispatch %x, %i {num_experts = 4 : i64} : tensor<5x16xf32>, tensor<5x3xi32> -> tensor<15x16xf32>, tensor<15xi32>, tensor<5xi32>
  return %perm : tensor<15xi32>
}

// CHECK-LABEL: func @attention_gqa_window
func.func @attention_gqa_window(%q: tensor<1x16x128x64xf32>, %k: tensor<1x4x128x64xf32>, %v: tensor<1x4x128x64xf32>) -> tensor<1x16x128x64xf32> {
  // CHECK: moe.attention %{{.*}}, %{{.*}}, %{{.*}} {causal, scale = 1.250000e-01 : f64, softcap = 5.000000e+01 : f64, window_left = 255 : i64} : (tensor<1x16x128x64xf32>, tensor<1x4x128x64xf32>, tensor<1x4x128x64xf32>) -> tensor<1x16x128x64xf32>
  %o = moe.attention %q, %k, %v {causal, window_left = 255 : i64, scale = 0.125 : f64, softcap = 50.0 : f64} : (tensor<1x16x128x64xf32>, tensor<1x4x128x64xf32>, tensor<1x4x128x64xf32>) -> tensor<1x16x128x64xf32>
  return %o : tensor<1x16x128x64xf32>
}

// CHECK-LABEL: func @attention_kv_cache
func.func @attention_kv_cache(%q: tensor<2x8x1x64xf32>, %k: tensor<2x2x1x64xf32>, %v: tensor<2x2x1x32xf32>,
    %pk: tensor<2x2x?x64xf32>, %pv: tensor<2x2x?x32xf32>, %mask: tensor<2x1x1x?xi1>) -> (tensor<2x8x1x32xf32>, tensor<2x2x?x64xf32>) {
  // CHECK: %{{.*}}, %{{.*}}:2 = moe.attention %{{.*}}, %{{.*}}, %{{.*}} mask %{{.*}} past(%{{.*}}, %{{.*}}) {causal} : (tensor<2x8x1x64xf32>, tensor<2x2x1x64xf32>, tensor<2x2x1x32xf32>, tensor<2x1x1x?xi1>, tensor<2x2x?x64xf32>, tensor<2x2x?x32xf32>) -> (tensor<2x8x1x32xf32>, tensor<2x2x?x64xf32>, tensor<2x2x?x32xf32>)
  %o, %present:2 = moe.attention %q, %k, %v mask %mask past(%pk, %pv) {causal}
      : (tensor<2x8x1x64xf32>, tensor<2x2x1x64xf32>, tensor<2x2x1x32xf32>, tensor<2x1x1x?xi1>, tensor<2x2x?x64xf32>, tensor<2x2x?x32xf32>)
      -> (tensor<2x8x1x32xf32>, tensor<2x2x?x64xf32>, tensor<2x2x?x32xf32>)
  return %o, %present#0 : tensor<2x8x1x32xf32>, tensor<2x2x?x64xf32>
}

// CHECK-LABEL: func @attention_block_sparse
func.func @attention_block_sparse(%q: tensor<1x4x256x64xf16>, %k: tensor<1x4x256x64xf16>, %v: tensor<1x4x256x64xf16>,
    %layout: tensor<4x4x4xi1>, %bias: tensor<1x1x256x256xf16>) -> tensor<1x4x256x64xf16> {
  // CHECK: moe.attention %{{.*}}, %{{.*}}, %{{.*}} mask %{{.*}} layout %{{.*}} {block_size = 64 : i64, num_global_tokens = 16 : i64, window_left = 32 : i64, window_right = 32 : i64}
  %o = moe.attention %q, %k, %v mask %bias layout %layout {block_size = 64 : i64, window_left = 32 : i64, window_right = 32 : i64, num_global_tokens = 16 : i64}
      : (tensor<1x4x256x64xf16>, tensor<1x4x256x64xf16>, tensor<1x4x256x64xf16>, tensor<1x1x256x256xf16>, tensor<4x4x4xi1>) -> tensor<1x4x256x64xf16>
  return %o : tensor<1x4x256x64xf16>
}

// CHECK-LABEL: func @norm_and_rope
func.func @norm_and_rope(%x: tensor<1x16x8x64xf32>, %g: tensor<64xf32>, %cos: tensor<4096x16xf32>, %sin: tensor<4096x16xf32>, %pos: tensor<1x8xi64>) -> tensor<1x16x8x64xf32> {
  // CHECK: moe.rms_norm %{{.*}}, %{{.*}} {epsilon = 9.9999999999999995E-7 : f64} : tensor<1x16x8x64xf32>, tensor<64xf32>
  %n = moe.rms_norm %x, %g {epsilon = 1.0e-6 : f64} : tensor<1x16x8x64xf32>, tensor<64xf32>
  // CHECK: moe.rope %{{.*}}, %{{.*}}, %{{.*}} positions %{{.*}} {interleaved, rotary_dim = 32 : i64} : (tensor<1x16x8x64xf32>, tensor<4096x16xf32>, tensor<4096x16xf32>, tensor<1x8xi64>) -> tensor<1x16x8x64xf32>
  %r = moe.rope %n, %cos, %sin positions %pos {interleaved, rotary_dim = 32 : i64} : (tensor<1x16x8x64xf32>, tensor<4096x16xf32>, tensor<4096x16xf32>, tensor<1x8xi64>) -> tensor<1x16x8x64xf32>
  return %r : tensor<1x16x8x64xf32>
}

// CHECK-LABEL: func @rope_no_positions
func.func @rope_no_positions(%x: tensor<1x2x8x64xf32>, %cos: tensor<8x32xf32>, %sin: tensor<8x32xf32>) -> tensor<1x2x8x64xf32> {
  // CHECK: moe.rope %{{.*}}, %{{.*}}, %{{.*}} : (tensor<1x2x8x64xf32>, tensor<8x32xf32>, tensor<8x32xf32>) -> tensor<1x2x8x64xf32>
  %r = moe.rope %x, %cos, %sin : (tensor<1x2x8x64xf32>, tensor<8x32xf32>, tensor<8x32xf32>) -> tensor<1x2x8x64xf32>
  return %r : tensor<1x2x8x64xf32>
}

// CHECK-LABEL: func @quant
func.func @quant(%w: tensor<128x64xf32>, %sc: tensor<128xf32>, %sg: tensor<128x2xf32>, %zg: tensor<128x2xui4>, %st: tensor<f32>) -> tensor<128x64xf32> {
  // CHECK: moe.quantize %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<128x64xf32>, tensor<128xf32>) -> tensor<128x64xi8>
  %q8 = moe.quantize %w, %sc {axis = 0 : i64} : (tensor<128x64xf32>, tensor<128xf32>) -> tensor<128x64xi8>
  // CHECK: moe.quantize %{{.*}}, %{{.*}} zero_point %{{.*}} {axis = 1 : i64, block_size = 32 : i64} : (tensor<128x64xf32>, tensor<128x2xf32>, tensor<128x2xui4>) -> tensor<128x64xui4>
  %q4 = moe.quantize %w, %sg zero_point %zg {axis = 1 : i64, block_size = 32 : i64} : (tensor<128x64xf32>, tensor<128x2xf32>, tensor<128x2xui4>) -> tensor<128x64xui4>
  // CHECK: moe.quantize %{{.*}}, %{{.*}} : (tensor<128x64xf32>, tensor<f32>) -> tensor<128x64xi8>
  %qt = moe.quantize %w, %st : (tensor<128x64xf32>, tensor<f32>) -> tensor<128x64xi8>
  // CHECK: moe.dequantize %{{.*}}, %{{.*}} zero_point %{{.*}} {axis = 1 : i64, block_size = 32 : i64} : (tensor<128x64xui4>, tensor<128x2xf32>, tensor<128x2xui4>) -> tensor<128x64xf32>
  %d = moe.dequantize %q4, %sg zero_point %zg {axis = 1 : i64, block_size = 32 : i64} : (tensor<128x64xui4>, tensor<128x2xf32>, tensor<128x2xui4>) -> tensor<128x64xf32>
  return %d : tensor<128x64xf32>
}

// CHECK-LABEL: func @qmatmul
func.func @qmatmul(%x: tensor<?x64xf32>, %q4: tensor<128x64xi4>, %sg: tensor<128x2xf32>, %zg: tensor<128x2xi4>, %b: tensor<128xf32>,
    %q8: tensor<128x64xi8>, %sc: tensor<128xf32>) -> (tensor<?x128xf32>, tensor<?x128xf32>) {
  // CHECK: moe.qmatmul %{{.*}}, %{{.*}}, %{{.*}} zero_point %{{.*}} bias %{{.*}} {group_size = 32 : i64} : (tensor<?x64xf32>, tensor<128x64xi4>, tensor<128x2xf32>, tensor<128x2xi4>, tensor<128xf32>) -> tensor<?x128xf32>
  %y = moe.qmatmul %x, %q4, %sg zero_point %zg bias %b {group_size = 32 : i64} : (tensor<?x64xf32>, tensor<128x64xi4>, tensor<128x2xf32>, tensor<128x2xi4>, tensor<128xf32>) -> tensor<?x128xf32>
  // CHECK: moe.qmatmul %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x64xf32>, tensor<128x64xi8>, tensor<128xf32>) -> tensor<?x128xf32>
  %z = moe.qmatmul %x, %q8, %sc : (tensor<?x64xf32>, tensor<128x64xi8>, tensor<128xf32>) -> tensor<?x128xf32>
  return %y, %z : tensor<?x128xf32>, tensor<?x128xf32>
}
