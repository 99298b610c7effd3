// RUN: moe-opt %s -split-input-file -verify-diagnostics

func.func @route_rank(%l: tensor<8xf32>) {
  // expected-error @+1 {{operand #0 must be 2-d tensor of floats}}
  %w, %i = moe.route softmax %l {k = 2 : i64} : tensor<8xf32> -> tensor<2xf32>, tensor<2xi32>
  return
}

// -----

func.func @route_k_zero(%l: tensor<4x8xf32>) {
  // expected-error @+1 {{attribute 'k' failed to satisfy constraint}}
  %w, %i = moe.route softmax %l {k = 0 : i64} : tensor<4x8xf32> -> tensor<4x0xf32>, tensor<4x0xi32>
  return
}

// -----

func.func @route_k_too_big(%l: tensor<4x8xf32>) {
  // expected-error @+1 {{k (9) exceeds the number of experts (8)}}
  %w, %i = moe.route softmax %l {k = 9 : i64} : tensor<4x8xf32> -> tensor<4x9xf32>, tensor<4x9xi32>
  return
}

// -----

func.func @route_result_type(%l: tensor<4x8xf32>) {
  // expected-error @+2 {{failed to infer returned types}}
  // expected-error @+1 {{inferred type(s) 'tensor<4x2xf32>', 'tensor<4x2xi32>' are incompatible with return type(s) of operation 'tensor<4x3xf32>', 'tensor<4x3xi32>'}}
  %w, %i = moe.route softmax %l {k = 2 : i64} : tensor<4x8xf32> -> tensor<4x3xf32>, tensor<4x3xi32>
  return
}

// -----

func.func @route_bias_rank(%l: tensor<4x8xf32>, %b: tensor<1x8xf32>) {
  // expected-error @+1 {{operand #1 must be 1-d tensor of floats}}
  %w, %i = moe.route sigmoid %l bias %b {k = 2 : i64} : tensor<4x8xf32>, tensor<1x8xf32> -> tensor<4x2xf32>, tensor<4x2xi32>
  return
}

// -----

func.func @route_bias_dim(%l: tensor<4x8xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{bias dim 0 is 4 but must equal the number of experts (8)}}
  %w, %i = moe.route sigmoid %l bias %b {k = 2 : i64} : tensor<4x8xf32>, tensor<4xf32> -> tensor<4x2xf32>, tensor<4x2xi32>
  return
}

// -----

func.func @route_topk_group(%l: tensor<4x8xf32>) {
  // expected-error @+1 {{topk_group (3) exceeds n_group (2)}}
  %w, %i = moe.route softmax %l {k = 2 : i64, n_group = 2 : i64, topk_group = 3 : i64} : tensor<4x8xf32> -> tensor<4x2xf32>, tensor<4x2xi32>
  return
}

// -----

func.func @route_scaling(%l: tensor<4x8xf32>) {
  // expected-error @+1 {{routed_scaling_factor must be positive}}
  %w, %i = moe.route softmax %l {k = 2 : i64, routed_scaling_factor = 0.0 : f64} : tensor<4x8xf32> -> tensor<4x2xf32>, tensor<4x2xi32>
  return
}

// -----

func.func @route_group_divides(%l: tensor<4x8xf32>) {
  // expected-error @+1 {{n_group (3) does not divide the number of experts (8)}}
  %w, %i = moe.route softmax %l {k = 2 : i64, n_group = 3 : i64, topk_group = 1 : i64} : tensor<4x8xf32> -> tensor<4x2xf32>, tensor<4x2xi32>
  return
}

// -----

func.func @route_group_capacity(%l: tensor<4x8xf32>) {
  // expected-error @+1 {{k (3) exceeds the 2 experts of the topk_group selected groups}}
  %w, %i = moe.route softmax %l {k = 3 : i64, n_group = 4 : i64, topk_group = 1 : i64} : tensor<4x8xf32> -> tensor<4x3xf32>, tensor<4x3xi32>
  return
}

// -----

func.func @route_group_dynamic(%l: tensor<4x?xf32>) {
  // expected-error @+1 {{group-limited routing (n_group > 1) needs a static number of experts}}
  %w, %i = moe.route softmax %l {k = 2 : i64, n_group = 2 : i64, topk_group = 1 : i64} : tensor<4x?xf32> -> tensor<4x2xf32>, tensor<4x2xi32>
  return
}

// -----

func.func @route_sum_top2(%l: tensor<4x8xf32>) {
  // expected-error @+1 {{sum_top2 group scores need at least two experts per group}}
  %w, %i = moe.route softmax %l {k = 2 : i64, n_group = 8 : i64, topk_group = 4 : i64, group_score = #moe.group_score<sum_top2>} : tensor<4x8xf32> -> tensor<4x2xf32>, tensor<4x2xi32>
  return
}

// -----

func.func @experts_tokens_rank(%x: tensor<64xf32>, %w: tensor<4x2xf32>, %i: tensor<4x2xi32>, %f1: tensor<8x16x64xf32>, %f2: tensor<8x64x16xf32>) {
  // expected-error @+1 {{operand #0 must be 2-d tensor of floats}}
  %y = moe.experts relu %x, %w, %i fc1 %f1 fc2 %f2 : (tensor<64xf32>, tensor<4x2xf32>, tensor<4x2xi32>, tensor<8x16x64xf32>, tensor<8x64x16xf32>) -> tensor<64xf32>
  return
}

// -----

func.func @experts_fc1_rank(%x: tensor<4x64xf32>, %w: tensor<4x2xf32>, %i: tensor<4x2xi32>, %f1: tensor<16x64xf32>, %f2: tensor<8x64x16xf32>) {
  // expected-error @+1 {{operand #3 must be 3-d tensor of floats}}
  %y = moe.experts relu %x, %w, %i fc1 %f1 fc2 %f2 : (tensor<4x64xf32>, tensor<4x2xf32>, tensor<4x2xi32>, tensor<16x64xf32>, tensor<8x64x16xf32>) -> tensor<4x64xf32>
  return
}

// -----

func.func @experts_indices_shape(%x: tensor<4x64xf32>, %w: tensor<4x2xf32>, %i: tensor<4x3xi32>, %f1: tensor<8x16x64xf32>, %f2: tensor<8x64x16xf32>) {
  // expected-error @+1 {{must have the shape of weights}}
  %y = moe.experts relu %x, %w, %i fc1 %f1 fc2 %f2 : (tensor<4x64xf32>, tensor<4x2xf32>, tensor<4x3xi32>, tensor<8x16x64xf32>, tensor<8x64x16xf32>) -> tensor<4x64xf32>
  return
}

// -----

func.func @experts_token_count(%x: tensor<4x64xf32>, %w: tensor<5x2xf32>, %i: tensor<5x2xi32>, %f1: tensor<8x16x64xf32>, %f2: tensor<8x64x16xf32>) {
  // expected-error @+1 {{weights dim 0 is 5 but must equal the number of tokens (4)}}
  %y = moe.experts relu %x, %w, %i fc1 %f1 fc2 %f2 : (tensor<4x64xf32>, tensor<5x2xf32>, tensor<5x2xi32>, tensor<8x16x64xf32>, tensor<8x64x16xf32>) -> tensor<4x64xf32>
  return
}

// -----

func.func @experts_expert_count(%x: tensor<4x64xf32>, %w: tensor<4x2xf32>, %i: tensor<4x2xi32>, %f1: tensor<8x16x64xf32>, %f2: tensor<4x64x16xf32>) {
  // expected-error @+1 {{fc2 dim 0 is 4 but must equal the number of experts (8)}}
  %y = moe.experts relu %x, %w, %i fc1 %f1 fc2 %f2 : (tensor<4x64xf32>, tensor<4x2xf32>, tensor<4x2xi32>, tensor<8x16x64xf32>, tensor<4x64x16xf32>) -> tensor<4x64xf32>
  return
}

// -----

func.func @experts_fc1_hidden(%x: tensor<4x64xf32>, %w: tensor<4x2xf32>, %i: tensor<4x2xi32>, %f1: tensor<8x16x32xf32>, %f2: tensor<8x64x16xf32>) {
  // expected-error @+1 {{fc1 dim 2 is 32 but must equal the hidden size (64)}}
  %y = moe.experts relu %x, %w, %i fc1 %f1 fc2 %f2 : (tensor<4x64xf32>, tensor<4x2xf32>, tensor<4x2xi32>, tensor<8x16x32xf32>, tensor<8x64x16xf32>) -> tensor<4x64xf32>
  return
}

// -----

func.func @experts_fc2_hidden(%x: tensor<4x64xf32>, %w: tensor<4x2xf32>, %i: tensor<4x2xi32>, %f1: tensor<8x16x64xf32>, %f2: tensor<8x32x16xf32>) {
  // expected-error @+1 {{fc2 dim 1 is 32 but must equal the hidden size (64)}}
  %y = moe.experts relu %x, %w, %i fc1 %f1 fc2 %f2 : (tensor<4x64xf32>, tensor<4x2xf32>, tensor<4x2xi32>, tensor<8x16x64xf32>, tensor<8x32x16xf32>) -> tensor<4x64xf32>
  return
}

// -----

func.func @experts_fc2_width(%x: tensor<4x64xf32>, %w: tensor<4x2xf32>, %i: tensor<4x2xi32>, %f1: tensor<8x16x64xf32>, %f2: tensor<8x64x32xf32>) {
  // expected-error @+1 {{fc2 dim 2 is 32 but must equal fc1's width (16)}}
  %y = moe.experts relu %x, %w, %i fc1 %f1 fc2 %f2 : (tensor<4x64xf32>, tensor<4x2xf32>, tensor<4x2xi32>, tensor<8x16x64xf32>, tensor<8x64x32xf32>) -> tensor<4x64xf32>
  return
}

// -----

func.func @experts_swiglu_needs_fc3(%x: tensor<4x64xf32>, %w: tensor<4x2xf32>, %i: tensor<4x2xi32>, %f1: tensor<8x16x64xf32>, %f2: tensor<8x64x16xf32>) {
  // expected-error @+1 {{swiglu needs fc3 (the up projection)}}
  %y = moe.experts swiglu %x, %w, %i fc1 %f1 fc2 %f2 : (tensor<4x64xf32>, tensor<4x2xf32>, tensor<4x2xi32>, tensor<8x16x64xf32>, tensor<8x64x16xf32>) -> tensor<4x64xf32>
  return
}

// -----

func.func @experts_silu_no_fc3(%x: tensor<4x64xf32>, %w: tensor<4x2xf32>, %i: tensor<4x2xi32>, %f1: tensor<8x16x64xf32>, %f2: tensor<8x64x16xf32>) {
  // expected-error @+1 {{silu is not gated and takes no fc3}}
  %y = moe.experts silu %x, %w, %i fc1 %f1 fc2 %f2 fc3 %f1 : (tensor<4x64xf32>, tensor<4x2xf32>, tensor<4x2xi32>, tensor<8x16x64xf32>, tensor<8x64x16xf32>, tensor<8x16x64xf32>) -> tensor<4x64xf32>
  return
}

// -----

func.func @experts_fc3_shape(%x: tensor<4x64xf32>, %w: tensor<4x2xf32>, %i: tensor<4x2xi32>, %f1: tensor<8x16x64xf32>, %f2: tensor<8x64x16xf32>, %f3: tensor<8x32x64xf32>) {
  // expected-error @+1 {{must have the shape of fc1}}
  %y = moe.experts swiglu %x, %w, %i fc1 %f1 fc2 %f2 fc3 %f3 : (tensor<4x64xf32>, tensor<4x2xf32>, tensor<4x2xi32>, tensor<8x16x64xf32>, tensor<8x64x16xf32>, tensor<8x32x64xf32>) -> tensor<4x64xf32>
  return
}

// -----

func.func @experts_fc3_bias_alone(%x: tensor<4x64xf32>, %w: tensor<4x2xf32>, %i: tensor<4x2xi32>, %f1: tensor<8x16x64xf32>, %f2: tensor<8x64x16xf32>, %b: tensor<8x16xf32>) {
  // expected-error @+1 {{fc3_bias needs fc3}}
  %y = moe.experts relu %x, %w, %i fc1 %f1 fc2 %f2 fc3_bias %b : (tensor<4x64xf32>, tensor<4x2xf32>, tensor<4x2xi32>, tensor<8x16x64xf32>, tensor<8x64x16xf32>, tensor<8x16xf32>) -> tensor<4x64xf32>
  return
}

// -----

func.func @experts_bias_width(%x: tensor<4x64xf32>, %w: tensor<4x2xf32>, %i: tensor<4x2xi32>, %f1: tensor<8x16x64xf32>, %f2: tensor<8x64x16xf32>, %b: tensor<8x64xf32>) {
  // expected-error @+1 {{fc1_bias dim 1 is 64 but must equal fc1's width (16)}}
  %y = moe.experts relu %x, %w, %i fc1 %f1 fc2 %f2 fc1_bias %b : (tensor<4x64xf32>, tensor<4x2xf32>, tensor<4x2xi32>, tensor<8x16x64xf32>, tensor<8x64x16xf32>, tensor<8x64xf32>) -> tensor<4x64xf32>
  return
}

// -----

func.func @experts_bias_rank(%x: tensor<4x64xf32>, %w: tensor<4x2xf32>, %i: tensor<4x2xi32>, %f1: tensor<8x16x64xf32>, %f2: tensor<8x64x16xf32>, %b: tensor<64xf32>) {
  // expected-error @+1 {{operand #5 must be 2-d tensor of floats}}
  %y = moe.experts relu %x, %w, %i fc1 %f1 fc2 %f2 fc2_bias %b : (tensor<4x64xf32>, tensor<4x2xf32>, tensor<4x2xi32>, tensor<8x16x64xf32>, tensor<8x64x16xf32>, tensor<64xf32>) -> tensor<4x64xf32>
  return
}

// -----

func.func @experts_shared_gate_alone(%x: tensor<4x64xf32>, %w: tensor<4x2xf32>, %i: tensor<4x2xi32>, %f1: tensor<8x16x64xf32>, %f2: tensor<8x64x16xf32>, %g: tensor<64xf32>) {
  // expected-error @+1 {{shared_fc3 and shared_gate need shared_fc1 and shared_fc2}}
  %y = moe.experts relu %x, %w, %i fc1 %f1 fc2 %f2 shared_gate %g : (tensor<4x64xf32>, tensor<4x2xf32>, tensor<4x2xi32>, tensor<8x16x64xf32>, tensor<8x64x16xf32>, tensor<64xf32>) -> tensor<4x64xf32>
  return
}

// -----

func.func @experts_shared_pair(%x: tensor<4x64xf32>, %w: tensor<4x2xf32>, %i: tensor<4x2xi32>, %f1: tensor<8x16x64xf32>, %f2: tensor<8x64x16xf32>, %s1: tensor<32x64xf32>) {
  // expected-error @+1 {{shared_fc1 and shared_fc2 come together}}
  %y = moe.experts relu %x, %w, %i fc1 %f1 fc2 %f2 shared_fc1 %s1 : (tensor<4x64xf32>, tensor<4x2xf32>, tensor<4x2xi32>, tensor<8x16x64xf32>, tensor<8x64x16xf32>, tensor<32x64xf32>) -> tensor<4x64xf32>
  return
}

// -----

func.func @experts_shared_gated(%x: tensor<4x64xf32>, %w: tensor<4x2xf32>, %i: tensor<4x2xi32>, %f1: tensor<8x16x64xf32>, %f2: tensor<8x64x16xf32>, %s1: tensor<32x64xf32>, %s2: tensor<64x32xf32>) {
  // expected-error @+1 {{shared experts with swiglu need shared_fc3}}
  %y = moe.experts swiglu %x, %w, %i fc1 %f1 fc2 %f2 fc3 %f1 shared_fc1 %s1 shared_fc2 %s2 : (tensor<4x64xf32>, tensor<4x2xf32>, tensor<4x2xi32>, tensor<8x16x64xf32>, tensor<8x64x16xf32>, tensor<8x16x64xf32>, tensor<32x64xf32>, tensor<64x32xf32>) -> tensor<4x64xf32>
  return
}

// -----

func.func @experts_shared_ungated(%x: tensor<4x64xf32>, %w: tensor<4x2xf32>, %i: tensor<4x2xi32>, %f1: tensor<8x16x64xf32>, %f2: tensor<8x64x16xf32>, %s1: tensor<32x64xf32>, %s2: tensor<64x32xf32>) {
  // expected-error @+1 {{shared experts with gelu take no shared_fc3}}
  %y = moe.experts gelu %x, %w, %i fc1 %f1 fc2 %f2 shared_fc1 %s1 shared_fc2 %s2 shared_fc3 %s1 : (tensor<4x64xf32>, tensor<4x2xf32>, tensor<4x2xi32>, tensor<8x16x64xf32>, tensor<8x64x16xf32>, tensor<32x64xf32>, tensor<64x32xf32>, tensor<32x64xf32>) -> tensor<4x64xf32>
  return
}

// -----

func.func @experts_shared_rank(%x: tensor<4x64xf32>, %w: tensor<4x2xf32>, %i: tensor<4x2xi32>, %f1: tensor<8x16x64xf32>, %f2: tensor<8x64x16xf32>, %s1: tensor<1x32x64xf32>, %s2: tensor<64x32xf32>) {
  // expected-error @+1 {{operand #5 must be 2-d tensor of floats}}
  %y = moe.experts relu %x, %w, %i fc1 %f1 fc2 %f2 shared_fc1 %s1 shared_fc2 %s2 : (tensor<4x64xf32>, tensor<4x2xf32>, tensor<4x2xi32>, tensor<8x16x64xf32>, tensor<8x64x16xf32>, tensor<1x32x64xf32>, tensor<64x32xf32>) -> tensor<4x64xf32>
  return
}

// -----

func.func @experts_shared_width(%x: tensor<4x64xf32>, %w: tensor<4x2xf32>, %i: tensor<4x2xi32>, %f1: tensor<8x16x64xf32>, %f2: tensor<8x64x16xf32>, %s1: tensor<32x64xf32>, %s2: tensor<64x48xf32>) {
  // expected-error @+1 {{shared_fc2 dim 1 is 48 but must equal shared_fc1's width (32)}}
  %y = moe.experts relu %x, %w, %i fc1 %f1 fc2 %f2 shared_fc1 %s1 shared_fc2 %s2 : (tensor<4x64xf32>, tensor<4x2xf32>, tensor<4x2xi32>, tensor<8x16x64xf32>, tensor<8x64x16xf32>, tensor<32x64xf32>, tensor<64x48xf32>) -> tensor<4x64xf32>
  return
}

// -----

func.func @experts_shared_fc3_shape(%x: tensor<4x64xf32>, %w: tensor<4x2xf32>, %i: tensor<4x2xi32>, %f1: tensor<8x16x64xf32>, %f2: tensor<8x64x16xf32>, %s1: tensor<32x64xf32>, %s2: tensor<64x32xf32>, %s3: tensor<16x64xf32>) {
  // expected-error @+1 {{must have the shape of shared_fc1}}
  %y = moe.experts swiglu %x, %w, %i fc1 %f1 fc2 %f2 fc3 %f1 shared_fc1 %s1 shared_fc2 %s2 shared_fc3 %s3 : (tensor<4x64xf32>, tensor<4x2xf32>, tensor<4x2xi32>, tensor<8x16x64xf32>, tensor<8x64x16xf32>, tensor<8x16x64xf32>, tensor<32x64xf32>, tensor<64x32xf32>, tensor<16x64xf32>) -> tensor<4x64xf32>
  return
}

// -----

func.func @experts_shared_gate_dim(%x: tensor<4x64xf32>, %w: tensor<4x2xf32>, %i: tensor<4x2xi32>, %f1: tensor<8x16x64xf32>, %f2: tensor<8x64x16xf32>, %s1: tensor<32x64xf32>, %s2: tensor<64x32xf32>, %g: tensor<32xf32>) {
  // expected-error @+1 {{shared_gate dim 0 is 32 but must equal the hidden size (64)}}
  %y = moe.experts relu %x, %w, %i fc1 %f1 fc2 %f2 shared_fc1 %s1 shared_fc2 %s2 shared_gate %g : (tensor<4x64xf32>, tensor<4x2xf32>, tensor<4x2xi32>, tensor<8x16x64xf32>, tensor<8x64x16xf32>, tensor<32x64xf32>, tensor<64x32xf32>, tensor<32xf32>) -> tensor<4x64xf32>
  return
}

// -----

func.func @experts_element_type(%x: tensor<4x64xf32>, %w: tensor<4x2xf32>, %i: tensor<4x2xi32>, %f1: tensor<8x16x64xf16>, %f2: tensor<8x64x16xf16>) {
  // expected-error @+1 {{float operands must all have the element type of tokens}}
  %y = moe.experts relu %x, %w, %i fc1 %f1 fc2 %f2 : (tensor<4x64xf32>, tensor<4x2xf32>, tensor<4x2xi32>, tensor<8x16x64xf16>, tensor<8x64x16xf16>) -> tensor<4x64xf32>
  return
}

// -----

func.func @dispatch_rank(%x: tensor<64xf32>, %i: tensor<4x2xi32>) {
  // expected-error @+1 {{operand #0 must be 2-d tensor of floats}}
  %xs, %p, %o = moe.dispatch %x, %i {num_experts = 8 : i64} : tensor<64xf32>, tensor<4x2xi32> -> tensor<8x64xf32>, tensor<8xi32>, tensor<9xi32>
  return
}

// -----

func.func @dispatch_tokens(%x: tensor<3x64xf32>, %i: tensor<4x2xi32>) {
  // expected-error @+1 {{indices dim 0 is 4 but must equal the number of tokens (3)}}
  %xs, %p, %o = moe.dispatch %x, %i {num_experts = 8 : i64} : tensor<3x64xf32>, tensor<4x2xi32> -> tensor<8x64xf32>, tensor<8xi32>, tensor<9xi32>
  return
}

// -----

func.func @dispatch_offsets(%x: tensor<4x64xf32>, %i: tensor<4x2xi32>) {
  // expected-error @+2 {{failed to infer returned types}}
  // expected-error @+1 {{inferred type(s) 'tensor<8x64xf32>', 'tensor<8xi32>', 'tensor<9xi32>' are incompatible}}
  %xs, %p, %o = moe.dispatch %x, %i {num_experts = 8 : i64} : tensor<4x64xf32>, tensor<4x2xi32> -> tensor<8x64xf32>, tensor<8xi32>, tensor<8xi32>
  return
}

// -----

func.func @grouped_matmul_rank(%x: tensor<8x64xf32>, %w: tensor<128x64xf32>, %o: tensor<9xi32>) {
  // expected-error @+1 {{operand #1 must be 3-d tensor of floats}}
  %y = moe.grouped_matmul %x, %w, %o : (tensor<8x64xf32>, tensor<128x64xf32>, tensor<9xi32>) -> tensor<8x128xf32>
  return
}

// -----

func.func @grouped_matmul_types(%x: tensor<8x64xf16>, %w: tensor<8x128x64xf32>, %o: tensor<9xi32>) {
  // expected-error @+1 {{lhs and rhs element types differ}}
  %y = moe.grouped_matmul %x, %w, %o : (tensor<8x64xf16>, tensor<8x128x64xf32>, tensor<9xi32>) -> tensor<8x128xf16>
  return
}

// -----

func.func @grouped_matmul_reduction(%x: tensor<8x32xf32>, %w: tensor<8x128x64xf32>, %o: tensor<9xi32>) {
  // expected-error @+1 {{rhs dim 2 is 64 but must equal lhs's reduction dim (32)}}
  %y = moe.grouped_matmul %x, %w, %o : (tensor<8x32xf32>, tensor<8x128x64xf32>, tensor<9xi32>) -> tensor<8x128xf32>
  return
}

// -----

func.func @grouped_matmul_offsets(%x: tensor<8x64xf32>, %w: tensor<8x128x64xf32>, %o: tensor<8xi32>) {
  // expected-error @+1 {{offsets dim 0 is 8 but must equal the number of experts plus one (9)}}
  %y = moe.grouped_matmul %x, %w, %o : (tensor<8x64xf32>, tensor<8x128x64xf32>, tensor<8xi32>) -> tensor<8x128xf32>
  return
}

// -----

func.func @grouped_matmul_bias(%x: tensor<8x64xf32>, %w: tensor<8x128x64xf32>, %o: tensor<9xi32>, %b: tensor<128xf32>) {
  // expected-error @+1 {{operand #3 must be 2-d tensor of floats}}
  %y = moe.grouped_matmul %x, %w, %o bias %b : (tensor<8x64xf32>, tensor<8x128x64xf32>, tensor<9xi32>, tensor<128xf32>) -> tensor<8x128xf32>
  return
}

// -----

func.func @combine_rank(%y: tensor<8x64xf32>, %p: tensor<8x1xi32>, %w: tensor<4x2xf32>) {
  // expected-error @+1 {{operand #1 must be 1-d tensor of i32}}
  %r = moe.combine %y, %p, %w : (tensor<8x64xf32>, tensor<8x1xi32>, tensor<4x2xf32>) -> tensor<4x64xf32>
  return
}

// -----

func.func @combine_rows(%y: tensor<8x64xf32>, %p: tensor<6xi32>, %w: tensor<3x2xf32>) {
  // expected-error @+1 {{permutation dim 0 is 6 but must equal the expert output rows (8)}}
  %r = moe.combine %y, %p, %w : (tensor<8x64xf32>, tensor<6xi32>, tensor<3x2xf32>) -> tensor<3x64xf32>
  return
}

// -----

func.func @combine_slots(%y: tensor<8x64xf32>, %p: tensor<8xi32>, %w: tensor<3x2xf32>) {
  // expected-error @+1 {{permutation dim 0 is 8 but must equal the token slots of weights (6)}}
  %r = moe.combine %y, %p, %w : (tensor<8x64xf32>, tensor<8xi32>, tensor<3x2xf32>) -> tensor<3x64xf32>
  return
}

// -----

func.func @combine_types(%y: tensor<8x64xf32>, %p: tensor<8xi32>, %w: tensor<4x2xf16>) {
  // expected-error @+1 {{weights and expert_outputs element types differ}}
  %r = moe.combine %y, %p, %w : (tensor<8x64xf32>, tensor<8xi32>, tensor<4x2xf16>) -> tensor<4x64xf32>
  return
}

// -----

func.func @attention_rank(%q: tensor<16x128x64xf32>, %k: tensor<1x4x128x64xf32>) {
  // expected-error @+1 {{operand #0 must be 4-d tensor of floats}}
  %o = moe.attention %q, %k, %k : (tensor<16x128x64xf32>, tensor<1x4x128x64xf32>, tensor<1x4x128x64xf32>) -> tensor<1x16x128x64xf32>
  return
}

// -----

func.func @attention_heads(%q: tensor<1x6x8x64xf32>, %k: tensor<1x4x8x64xf32>) {
  // expected-error @+1 {{query heads (6) must be a multiple of kv heads (4)}}
  %o = moe.attention %q, %k, %k : (tensor<1x6x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>) -> tensor<1x6x8x64xf32>
  return
}

// -----

func.func @attention_no_kv_heads(%q: tensor<1x6x8x64xf32>, %k: tensor<1x0x8x64xf32>) {
  // expected-error @+1 {{needs at least one kv head}}
  %o = moe.attention %q, %k, %k : (tensor<1x6x8x64xf32>, tensor<1x0x8x64xf32>, tensor<1x0x8x64xf32>) -> tensor<1x6x8x64xf32>
  return
}

// -----

func.func @attention_head_dim(%q: tensor<1x4x8x64xf32>, %k: tensor<1x4x8x32xf32>) {
  // expected-error @+1 {{key dim 3 is 32 but must equal query's head dim (64)}}
  %o = moe.attention %q, %k, %k : (tensor<1x4x8x64xf32>, tensor<1x4x8x32xf32>, tensor<1x4x8x32xf32>) -> tensor<1x4x8x32xf32>
  return
}

// -----

func.func @attention_batch(%q: tensor<2x4x8x64xf32>, %k: tensor<1x4x8x64xf32>) {
  // expected-error @+1 {{key dim 0 is 1 but must equal the batch size (2)}}
  %o = moe.attention %q, %k, %k : (tensor<2x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>) -> tensor<2x4x8x64xf32>
  return
}

// -----

func.func @attention_value_len(%q: tensor<1x4x8x64xf32>, %k: tensor<1x4x8x64xf32>, %v: tensor<1x4x9x64xf32>) {
  // expected-error @+1 {{value dim 2 is 9 but must equal key's length (8)}}
  %o = moe.attention %q, %k, %v : (tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x9x64xf32>) -> tensor<1x4x8x64xf32>
  return
}

// -----

func.func @attention_value_heads(%q: tensor<1x4x8x64xf32>, %k: tensor<1x4x8x64xf32>, %v: tensor<1x2x8x64xf32>) {
  // expected-error @+1 {{value dim 1 is 2 but must equal key's heads (4)}}
  %o = moe.attention %q, %k, %v : (tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x2x8x64xf32>) -> tensor<1x4x8x64xf32>
  return
}

// -----

func.func @attention_types(%q: tensor<1x4x8x64xf32>, %k: tensor<1x4x8x64xf16>) {
  // expected-error @+1 {{query, key and value must have one element type}}
  %o = moe.attention %q, %k, %k : (tensor<1x4x8x64xf32>, tensor<1x4x8x64xf16>, tensor<1x4x8x64xf16>) -> tensor<1x4x8x64xf32>
  return
}

// -----

func.func @attention_past_pair(%q: tensor<1x4x1x64xf32>, %k: tensor<1x4x1x64xf32>, %p: tensor<1x4x7x64xf32>) {
  // expected-error @+1 {{past_key and past_value come together}}
  %o = "moe.attention"(%q, %k, %k, %p) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 1, 0, 0>}> : (tensor<1x4x1x64xf32>, tensor<1x4x1x64xf32>, tensor<1x4x1x64xf32>, tensor<1x4x7x64xf32>) -> tensor<1x4x1x64xf32>
  return
}

// -----

func.func @attention_present_results(%q: tensor<1x4x1x64xf32>, %k: tensor<1x4x1x64xf32>, %p: tensor<1x4x7x64xf32>) {
  // expected-error @+2 {{failed to infer returned types}}
  // expected-error @+1 {{are incompatible with return type(s)}}
  %o = moe.attention %q, %k, %k past(%p, %p) : (tensor<1x4x1x64xf32>, tensor<1x4x1x64xf32>, tensor<1x4x1x64xf32>, tensor<1x4x7x64xf32>, tensor<1x4x7x64xf32>) -> tensor<1x4x1x64xf32>
  return
}

// -----

func.func @attention_past_heads(%q: tensor<1x4x1x64xf32>, %k: tensor<1x4x1x64xf32>, %p: tensor<1x2x7x64xf32>) {
  // expected-error @+1 {{past_key dim 1 is 2 but must equal key's heads (4)}}
  %o, %pk, %pv = moe.attention %q, %k, %k past(%p, %p) : (tensor<1x4x1x64xf32>, tensor<1x4x1x64xf32>, tensor<1x4x1x64xf32>, tensor<1x2x7x64xf32>, tensor<1x2x7x64xf32>) -> (tensor<1x4x1x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>)
  return
}

// -----

func.func @attention_past_length(%q: tensor<1x4x1x64xf32>, %k: tensor<1x4x1x64xf32>, %pk: tensor<1x4x7x64xf32>, %pv: tensor<1x4x6x64xf32>) {
  // expected-error @+1 {{past_value dim 2 is 6 but must equal the past length (7)}}
  %o, %a, %b = moe.attention %q, %k, %k past(%pk, %pv) : (tensor<1x4x1x64xf32>, tensor<1x4x1x64xf32>, tensor<1x4x1x64xf32>, tensor<1x4x7x64xf32>, tensor<1x4x6x64xf32>) -> (tensor<1x4x1x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x7x64xf32>)
  return
}

// -----

func.func @attention_past_type(%q: tensor<1x4x1x64xf32>, %k: tensor<1x4x1x64xf32>, %p: tensor<1x4x7x64xf16>) {
  // expected-error @+1 {{past_key must have query's element type}}
  %o, %a, %b = moe.attention %q, %k, %k past(%p, %p) : (tensor<1x4x1x64xf32>, tensor<1x4x1x64xf32>, tensor<1x4x1x64xf32>, tensor<1x4x7x64xf16>, tensor<1x4x7x64xf16>) -> (tensor<1x4x1x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>)
  return
}

// -----

func.func @attention_mask_shape(%q: tensor<1x4x8x64xf32>, %k: tensor<1x4x8x64xf32>, %m: tensor<1x1x8x7xi1>) {
  // expected-error @+1 {{must broadcast to the scores [batch, query heads, query length, key length]}}
  %o = moe.attention %q, %k, %k mask %m : (tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x1x8x7xi1>) -> tensor<1x4x8x64xf32>
  return
}

// -----

func.func @attention_mask_type(%q: tensor<1x4x8x64xf32>, %k: tensor<1x4x8x64xf32>, %m: tensor<1x1x8x8xf16>) {
  // expected-error @+1 {{a float mask must have query's element type}}
  %o = moe.attention %q, %k, %k mask %m : (tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x1x8x8xf16>) -> tensor<1x4x8x64xf32>
  return
}

// -----

func.func @attention_causal_right(%q: tensor<1x4x8x64xf32>, %k: tensor<1x4x8x64xf32>) {
  // expected-error @+1 {{causal attention cannot see window_right (2) keys ahead}}
  %o = moe.attention %q, %k, %k {causal, window_right = 2 : i64} : (tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>) -> tensor<1x4x8x64xf32>
  return
}

// -----

func.func @attention_left_only(%q: tensor<1x4x8x64xf32>, %k: tensor<1x4x8x64xf32>) {
  // expected-error @+1 {{window_left without causal needs a window_right bound}}
  %o = moe.attention %q, %k, %k {window_left = 4 : i64} : (tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>) -> tensor<1x4x8x64xf32>
  return
}

// -----

func.func @attention_window_range(%q: tensor<1x4x8x64xf32>, %k: tensor<1x4x8x64xf32>) {
  // expected-error @+1 {{attribute 'window_left' failed to satisfy constraint}}
  %o = moe.attention %q, %k, %k {causal, window_left = -2 : i64} : (tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>) -> tensor<1x4x8x64xf32>
  return
}

// -----

func.func @attention_global_no_window(%q: tensor<1x4x8x64xf32>, %k: tensor<1x4x8x64xf32>) {
  // expected-error @+1 {{num_global_tokens needs a sliding window to widen}}
  %o = moe.attention %q, %k, %k {causal, num_global_tokens = 2 : i64} : (tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>) -> tensor<1x4x8x64xf32>
  return
}

// -----

func.func @attention_softcap(%q: tensor<1x4x8x64xf32>, %k: tensor<1x4x8x64xf32>) {
  // expected-error @+1 {{softcap must be non-negative}}
  %o = moe.attention %q, %k, %k {softcap = -1.0 : f64} : (tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>) -> tensor<1x4x8x64xf32>
  return
}

// -----

func.func @attention_scale(%q: tensor<1x4x8x64xf32>, %k: tensor<1x4x8x64xf32>) {
  // expected-error @+1 {{scale must be positive}}
  %o = moe.attention %q, %k, %k {scale = 0.0 : f64} : (tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>) -> tensor<1x4x8x64xf32>
  return
}

// -----

func.func @attention_block_size_alone(%q: tensor<1x4x8x64xf32>, %k: tensor<1x4x8x64xf32>) {
  // expected-error @+1 {{layout and block_size come together}}
  %o = moe.attention %q, %k, %k {block_size = 4 : i64} : (tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>) -> tensor<1x4x8x64xf32>
  return
}

// -----

func.func @attention_layout_heads(%q: tensor<1x4x8x64xf32>, %k: tensor<1x4x8x64xf32>, %l: tensor<2x2x2xi1>) {
  // expected-error @+1 {{layout dim 0 is 2 but must equal the query heads (4)}}
  %o = moe.attention %q, %k, %k layout %l {block_size = 4 : i64} : (tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<2x2x2xi1>) -> tensor<1x4x8x64xf32>
  return
}

// -----

func.func @attention_layout_blocks(%q: tensor<1x4x8x64xf32>, %k: tensor<1x4x10x64xf32>, %l: tensor<1x2x2xi1>) {
  // expected-error @+1 {{layout dim 2 is 2 but must equal the key blocks (3)}}
  %o = moe.attention %q, %k, %k layout %l {block_size = 4 : i64} : (tensor<1x4x8x64xf32>, tensor<1x4x10x64xf32>, tensor<1x4x10x64xf32>, tensor<1x2x2xi1>) -> tensor<1x4x8x64xf32>
  return
}

// -----

// With a cache, layout rows index absolute query positions: past + Sq.
func.func @attention_layout_query_positions(%q: tensor<1x4x1x64xf32>, %k: tensor<1x4x1x64xf32>, %p: tensor<1x4x8x64xf32>, %l: tensor<1x1x3xi1>) {
  // expected-error @+1 {{layout dim 1 is 1 but must equal the query position blocks (3)}}
  %o:3 = moe.attention %q, %k, %k past(%p, %p) layout %l {block_size = 4 : i64, causal} : (tensor<1x4x1x64xf32>, tensor<1x4x1x64xf32>, tensor<1x4x1x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x1x3xi1>) -> (tensor<1x4x1x64xf32>, tensor<1x4x9x64xf32>, tensor<1x4x9x64xf32>)
  return
}

// -----

func.func @rms_norm_axis(%x: tensor<4x64xf32>, %g: tensor<64xf32>) {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %y = moe.rms_norm %x, %g {axis = 2 : i64} : tensor<4x64xf32>, tensor<64xf32>
  return
}

// -----

func.func @rms_norm_scale(%x: tensor<4x64xf32>, %g: tensor<32xf32>) {
  // expected-error @+1 {{must broadcast to the normalised dims of}}
  %y = moe.rms_norm %x, %g : tensor<4x64xf32>, tensor<32xf32>
  return
}

// -----

func.func @rms_norm_scale_rank(%x: tensor<4x64xf32>, %g: tensor<4x64xf32>) {
  // expected-error @+1 {{must broadcast to the normalised dims of}}
  %y = moe.rms_norm %x, %g : tensor<4x64xf32>, tensor<4x64xf32>
  return
}

// -----

func.func @rms_norm_type(%x: tensor<4x64xf32>, %g: tensor<64xf16>) {
  // expected-error @+1 {{scale must have the input's element type}}
  %y = moe.rms_norm %x, %g : tensor<4x64xf32>, tensor<64xf16>
  return
}

// -----

func.func @rms_norm_epsilon(%x: tensor<4x64xf32>, %g: tensor<64xf32>) {
  // expected-error @+1 {{epsilon must be non-negative}}
  %y = moe.rms_norm %x, %g {epsilon = -1.0 : f64} : tensor<4x64xf32>, tensor<64xf32>
  return
}

// -----

func.func @rope_rank(%x: tensor<2x8x64xf32>, %c: tensor<8x32xf32>) {
  // expected-error @+1 {{operand #0 must be 4-d tensor of floats}}
  %y = moe.rope %x, %c, %c : (tensor<2x8x64xf32>, tensor<8x32xf32>, tensor<8x32xf32>) -> tensor<2x8x64xf32>
  return
}

// -----

func.func @rope_sin(%x: tensor<1x2x8x64xf32>, %c: tensor<8x32xf32>, %s: tensor<9x32xf32>) {
  // expected-error @+1 {{must have the type of cos}}
  %y = moe.rope %x, %c, %s : (tensor<1x2x8x64xf32>, tensor<8x32xf32>, tensor<9x32xf32>) -> tensor<1x2x8x64xf32>
  return
}

// -----

func.func @rope_type(%x: tensor<1x2x8x64xf32>, %c: tensor<8x32xf16>) {
  // expected-error @+1 {{cos and sin must have the input's element type}}
  %y = moe.rope %x, %c, %c : (tensor<1x2x8x64xf32>, tensor<8x32xf16>, tensor<8x32xf16>) -> tensor<1x2x8x64xf32>
  return
}

// -----

func.func @rope_odd(%x: tensor<1x2x8x64xf32>, %c: tensor<8x16xf32>) {
  // expected-error @+1 {{the rotary dim (33) must be even}}
  %y = moe.rope %x, %c, %c {rotary_dim = 33 : i64} : (tensor<1x2x8x64xf32>, tensor<8x16xf32>, tensor<8x16xf32>) -> tensor<1x2x8x64xf32>
  return
}

// -----

func.func @rope_too_wide(%x: tensor<1x2x8x64xf32>, %c: tensor<8x64xf32>) {
  // expected-error @+1 {{rotary_dim (128) exceeds the head dim (64)}}
  %y = moe.rope %x, %c, %c {rotary_dim = 128 : i64} : (tensor<1x2x8x64xf32>, tensor<8x64xf32>, tensor<8x64xf32>) -> tensor<1x2x8x64xf32>
  return
}

// -----

func.func @rope_cos_width(%x: tensor<1x2x8x64xf32>, %c: tensor<8x16xf32>) {
  // expected-error @+1 {{cos dim 1 is 16 but must equal half the rotary dim (32)}}
  %y = moe.rope %x, %c, %c : (tensor<1x2x8x64xf32>, tensor<8x16xf32>, tensor<8x16xf32>) -> tensor<1x2x8x64xf32>
  return
}

// -----

func.func @rope_positions(%x: tensor<1x2x8x64xf32>, %c: tensor<100x32xf32>, %p: tensor<1x7xi64>) {
  // expected-error @+1 {{position_ids dim 1 is 7 but must equal the sequence length (8)}}
  %y = moe.rope %x, %c, %c positions %p : (tensor<1x2x8x64xf32>, tensor<100x32xf32>, tensor<100x32xf32>, tensor<1x7xi64>) -> tensor<1x2x8x64xf32>
  return
}

// -----

func.func @rope_positions_batch(%x: tensor<2x2x8x64xf32>, %c: tensor<100x32xf32>, %p: tensor<3x8xi64>) {
  // expected-error @+1 {{position_ids dim 0 is 3 but must equal the batch size (2)}}
  %y = moe.rope %x, %c, %c positions %p : (tensor<2x2x8x64xf32>, tensor<100x32xf32>, tensor<100x32xf32>, tensor<3x8xi64>) -> tensor<2x2x8x64xf32>
  return
}

// -----

func.func @rope_short_cache(%x: tensor<1x2x8x64xf32>, %c: tensor<4x32xf32>) {
  // expected-error @+1 {{cos holds 4 positions but the sequence has 8}}
  %y = moe.rope %x, %c, %c : (tensor<1x2x8x64xf32>, tensor<4x32xf32>, tensor<4x32xf32>) -> tensor<1x2x8x64xf32>
  return
}

// -----

func.func @quantize_scale_type(%w: tensor<8x4xf32>, %s: tensor<f16>) {
  // expected-error @+1 {{scale must have the input's element type}}
  %q = moe.quantize %w, %s : (tensor<8x4xf32>, tensor<f16>) -> tensor<8x4xi8>
  return
}

// -----

func.func @quantize_result_type(%w: tensor<8x4xf32>, %s: tensor<f32>) {
  // expected-error @+1 {{result #0 must be ranked tensor of 8-bit signless integer or 4-bit signless integer or 8-bit unsigned integer or 4-bit unsigned integer values}}
  %q = moe.quantize %w, %s : (tensor<8x4xf32>, tensor<f32>) -> tensor<8x4xi16>
  return
}

// -----

func.func @quantize_shape(%w: tensor<8x4xf32>, %s: tensor<f32>) {
  // expected-error @+1 {{all of {input, result} have same shape}}
  %q = moe.quantize %w, %s : (tensor<8x4xf32>, tensor<f32>) -> tensor<4x8xi8>
  return
}

// -----

func.func @quantize_zero_point(%w: tensor<8x4xf32>, %s: tensor<8xf32>, %z: tensor<8xui8>) {
  // expected-error @+1 {{zero_point 'tensor<8xui8>' must have the scale's shape and element type 'i8'}}
  %q = moe.quantize %w, %s zero_point %z {axis = 0 : i64} : (tensor<8x4xf32>, tensor<8xf32>, tensor<8xui8>) -> tensor<8x4xi8>
  return
}

// -----

func.func @quantize_block_no_axis(%w: tensor<8x4xf32>, %s: tensor<f32>) {
  // expected-error @+1 {{block_size needs an axis}}
  %q = moe.quantize %w, %s {block_size = 2 : i64} : (tensor<8x4xf32>, tensor<f32>) -> tensor<8x4xi8>
  return
}

// -----

func.func @quantize_per_tensor(%w: tensor<8x4xf32>, %s: tensor<8xf32>) {
  // expected-error @+1 {{without an axis must have one element}}
  %q = moe.quantize %w, %s : (tensor<8x4xf32>, tensor<8xf32>) -> tensor<8x4xi8>
  return
}

// -----

func.func @quantize_axis(%w: tensor<8x4xf32>, %s: tensor<8xf32>) {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %q = moe.quantize %w, %s {axis = 2 : i64} : (tensor<8x4xf32>, tensor<8xf32>) -> tensor<8x4xi8>
  return
}

// -----

func.func @quantize_per_axis_rank(%w: tensor<8x4xf32>, %s: tensor<8x1xf32>) {
  // expected-error @+1 {{per-axis scale must have rank 1}}
  %q = moe.quantize %w, %s {axis = 0 : i64} : (tensor<8x4xf32>, tensor<8x1xf32>) -> tensor<8x4xi8>
  return
}

// -----

func.func @dequantize_per_axis_dim(%q: tensor<8x4xi8>, %s: tensor<8xf32>) {
  // expected-error @+1 {{scale dim 0 is 8 but must equal the quantized axis (4)}}
  %w = moe.dequantize %q, %s {axis = -1 : i64} : (tensor<8x4xi8>, tensor<8xf32>) -> tensor<8x4xf32>
  return
}

// -----

func.func @dequantize_blocked_rank(%q: tensor<8x64xi4>, %s: tensor<16xf32>) {
  // expected-error @+1 {{blocked scale must have rank 2}}
  %w = moe.dequantize %q, %s {axis = 1 : i64, block_size = 32 : i64} : (tensor<8x64xi4>, tensor<16xf32>) -> tensor<8x64xf32>
  return
}

// -----

func.func @dequantize_blocked_dims(%q: tensor<8x64xi4>, %s: tensor<8x3xf32>) {
  // expected-error @+1 {{scale dim 1 is 3 but must equal the number of blocks (2)}}
  %w = moe.dequantize %q, %s {axis = 1 : i64, block_size = 32 : i64} : (tensor<8x64xi4>, tensor<8x3xf32>) -> tensor<8x64xf32>
  return
}

// -----

func.func @dequantize_blocked_other(%q: tensor<8x64xi4>, %s: tensor<4x2xf32>) {
  // expected-error @+1 {{scale dim 0 is 4 but must equal the input's (8)}}
  %w = moe.dequantize %q, %s {axis = 1 : i64, block_size = 32 : i64} : (tensor<8x64xi4>, tensor<4x2xf32>) -> tensor<8x64xf32>
  return
}

// -----

func.func @dequantize_result(%q: tensor<8x64xi8>, %s: tensor<f32>) {
  // expected-error @+2 {{failed to infer returned types}}
  // expected-error @+1 {{inferred type(s) 'tensor<8x64xf32>' are incompatible}}
  %w = moe.dequantize %q, %s : (tensor<8x64xi8>, tensor<f32>) -> tensor<8x64xf16>
  return
}

// -----

func.func @qmatmul_weight_rank(%x: tensor<4x64xf32>, %q: tensor<64xi8>, %s: tensor<f32>) {
  // expected-error @+1 {{operand #1 must be 2-d tensor of 8- or 4-bit integers}}
  %y = moe.qmatmul %x, %q, %s : (tensor<4x64xf32>, tensor<64xi8>, tensor<f32>) -> tensor<4x64xf32>
  return
}

// -----

func.func @qmatmul_scalar_input(%x: tensor<f32>, %q: tensor<8x64xi8>, %s: tensor<f32>) {
  // expected-error @+1 {{input must not be a scalar}}
  %y = moe.qmatmul %x, %q, %s : (tensor<f32>, tensor<8x64xi8>, tensor<f32>) -> tensor<f32>
  return
}

// -----

func.func @qmatmul_reduction(%x: tensor<4x32xf32>, %q: tensor<8x64xi8>, %s: tensor<f32>) {
  // expected-error @+1 {{input dim 1 is 32 but must equal the weight's reduction dim (64)}}
  %y = moe.qmatmul %x, %q, %s : (tensor<4x32xf32>, tensor<8x64xi8>, tensor<f32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @qmatmul_scale_type(%x: tensor<4x64xf32>, %q: tensor<8x64xi8>, %s: tensor<8xf16>) {
  // expected-error @+1 {{scale must have the input's element type}}
  %y = moe.qmatmul %x, %q, %s : (tensor<4x64xf32>, tensor<8x64xi8>, tensor<8xf16>) -> tensor<4x8xf32>
  return
}

// -----

func.func @qmatmul_zero_point(%x: tensor<4x64xf32>, %q: tensor<8x64xi4>, %s: tensor<8x2xf32>, %z: tensor<8x2xi8>) {
  // expected-error @+1 {{must have the scale's shape and element type 'i4'}}
  %y = moe.qmatmul %x, %q, %s zero_point %z {group_size = 32 : i64} : (tensor<4x64xf32>, tensor<8x64xi4>, tensor<8x2xf32>, tensor<8x2xi8>) -> tensor<4x8xf32>
  return
}

// -----

func.func @qmatmul_bias(%x: tensor<4x64xf32>, %q: tensor<8x64xi8>, %s: tensor<8xf32>, %b: tensor<64xf32>) {
  // expected-error @+1 {{bias dim 0 is 64 but must equal the output channels (8)}}
  %y = moe.qmatmul %x, %q, %s bias %b : (tensor<4x64xf32>, tensor<8x64xi8>, tensor<8xf32>, tensor<64xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @qmatmul_bias_rank(%x: tensor<4x64xf32>, %q: tensor<8x64xi8>, %s: tensor<8xf32>, %b: tensor<1x8xf32>) {
  // expected-error @+1 {{bias must have rank 1}}
  %y = moe.qmatmul %x, %q, %s bias %b : (tensor<4x64xf32>, tensor<8x64xi8>, tensor<8xf32>, tensor<1x8xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @qmatmul_bias_type(%x: tensor<4x64xf32>, %q: tensor<8x64xi8>, %s: tensor<8xf32>, %b: tensor<8xf16>) {
  // expected-error @+1 {{bias must have the input's element type}}
  %y = moe.qmatmul %x, %q, %s bias %b : (tensor<4x64xf32>, tensor<8x64xi8>, tensor<8xf32>, tensor<8xf16>) -> tensor<4x8xf32>
  return
}

// -----

func.func @qmatmul_channel_rank(%x: tensor<4x64xf32>, %q: tensor<8x64xi8>, %s: tensor<8x1xf32>) {
  // expected-error @+1 {{per-channel scale must have rank 1}}
  %y = moe.qmatmul %x, %q, %s : (tensor<4x64xf32>, tensor<8x64xi8>, tensor<8x1xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @qmatmul_channel_dim(%x: tensor<4x64xf32>, %q: tensor<8x64xi8>, %s: tensor<4xf32>) {
  // expected-error @+1 {{scale dim 0 is 4 but must equal the output channels (8)}}
  %y = moe.qmatmul %x, %q, %s : (tensor<4x64xf32>, tensor<8x64xi8>, tensor<4xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @qmatmul_group_divides(%x: tensor<4x64xf32>, %q: tensor<8x64xi4>, %s: tensor<8x2xf32>) {
  // expected-error @+1 {{group_size (48) does not divide the reduction dim (64)}}
  %y = moe.qmatmul %x, %q, %s {group_size = 48 : i64} : (tensor<4x64xf32>, tensor<8x64xi4>, tensor<8x2xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @qmatmul_group_rank(%x: tensor<4x64xf32>, %q: tensor<8x64xi4>, %s: tensor<8xf32>) {
  // expected-error @+1 {{per-group scale must have rank 2}}
  %y = moe.qmatmul %x, %q, %s {group_size = 32 : i64} : (tensor<4x64xf32>, tensor<8x64xi4>, tensor<8xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @qmatmul_group_count(%x: tensor<4x64xf32>, %q: tensor<8x64xi4>, %s: tensor<8x4xf32>) {
  // expected-error @+1 {{scale dim 1 is 4 but must equal the groups per row (2)}}
  %y = moe.qmatmul %x, %q, %s {group_size = 32 : i64} : (tensor<4x64xf32>, tensor<8x64xi4>, tensor<8x4xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @qmatmul_group_channels(%x: tensor<4x64xf32>, %q: tensor<8x64xi4>, %s: tensor<4x2xf32>) {
  // expected-error @+1 {{scale dim 0 is 4 but must equal the output channels (8)}}
  %y = moe.qmatmul %x, %q, %s {group_size = 32 : i64} : (tensor<4x64xf32>, tensor<8x64xi4>, tensor<4x2xf32>) -> tensor<4x8xf32>
  return
}
