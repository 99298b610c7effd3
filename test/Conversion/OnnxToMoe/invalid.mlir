// RUN: moe-opt %s --moe-convert-onnx-to-moe -split-input-file -verify-diagnostics

// Every unsupported node is reported, not only the first.
func.func @unsupported(%a: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{node (Foo): op 'Foo' of domain 'ai.onnx' at opset 17 is not supported; supported in that domain: Abs, Add,}}
  %0 = onnx.node "Foo"(%a) version 17 : (tensor<2xf32>) -> tensor<2xf32>
  // expected-error @+1 {{node (com.example::Bar): op 'Bar' of domain 'com.example' at opset 1 is not supported; the compiler supports no op of that domain}}
  %1 = onnx.node "Bar"(%0) domain "com.example" version 1 : (tensor<2xf32>) -> tensor<2xf32>
  return %1 : tensor<2xf32>
}

// -----

// Gelu exists from opset 20 on.
func.func @too_old(%a: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{op 'Gelu' of domain 'ai.onnx' at opset 17 is not supported}}
  %0 = onnx.node "Gelu"(%a) version 17 : (tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @broadcast(%a: tensor<2x3xf32>, %b: tensor<4xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{node (Add): inputs do not broadcast: dim 1 is 3 in one and 4 in another}}
  %0 = onnx.node "Add"(%a, %b) version 14 : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @float_only(%a: tensor<2xi32>) -> tensor<2xi32> {
  // expected-error @+1 {{node (Sqrt): takes floating-point inputs, not 'i32'}}
  %0 = onnx.node "Sqrt"(%a) version 13 : (tensor<2xi32>) -> tensor<2xi32>
  return %0 : tensor<2xi32>
}

// -----

func.func @bool_only(%a: tensor<2xf32>) -> tensor<2xi1> {
  // expected-error @+1 {{takes bool inputs, not 'f32'}}
  %0 = onnx.node "Not"(%a) version 1 : (tensor<2xf32>) -> tensor<2xi1>
  return %0 : tensor<2xi1>
}

// -----

func.func @unranked(%a: tensor<*xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{input of unknown rank ('tensor<*xf32>') cannot be broadcast}}
  %0 = onnx.node "Exp"(%a) version 13 : (tensor<*xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @where_missing(%c: tensor<2xi1>, %a: tensor<2xf32>) -> tensor<2xf32> {
  %none = onnx.none
  // expected-error @+1 {{needs a condition and two values}}
  %0 = onnx.node "Where"(%c, %a, %none) version 16 : (tensor<2xi1>, tensor<2xf32>, none) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @matmul_mismatch(%a: tensor<4x8xf32>, %b: tensor<7x3xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{node (MatMul): the reduction dims differ: 8 and 7}}
  %0 = onnx.node "MatMul"(%a, %b) version 13 : (tensor<4x8xf32>, tensor<7x3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @reshape_runtime_rank(%x: tensor<2x3xf32>, %s: tensor<?xi64>) -> tensor<*xf32> {
  // expected-error @+1 {{the shape must be a 1-d integer tensor of static length}}
  %0 = onnx.node "Reshape"(%x, %s) version 14 : (tensor<2x3xf32>, tensor<?xi64>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @transpose_perm(%x: tensor<2x3xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{perm is not a permutation of 0..1}}
  %0 = onnx.node "Transpose"(%x) version 13 attrs {perm = array<i64: 0, 0>} : (tensor<2x3xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @axis_range(%x: tensor<2x3xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %0 = onnx.node "Softmax"(%x) version 13 attrs {axis = 2 : i64} : (tensor<2x3xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @dropout_training(%x: tensor<2xf32>) -> tensor<2xf32> {
  %ratio = arith.constant dense<0.5> : tensor<f32>
  %training = arith.constant dense<true> : tensor<i1>
  // expected-error @+1 {{training mode is not supported}}
  %0 = onnx.node "Dropout"(%x, %ratio, %training) version 13 : (tensor<2xf32>, tensor<f32>, tensor<i1>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @split_uneven(%x: tensor<2x5xf32>) -> (tensor<*xf32>, tensor<*xf32>) {
  // expected-error @+1 {{dim 5 does not split into 2 equal parts}}
  %0:2 = onnx.node "Split"(%x) version 13 attrs {axis = 1 : i64} : (tensor<2x5xf32>) -> (tensor<*xf32>, tensor<*xf32>)
  return %0#0, %0#1 : tensor<*xf32>, tensor<*xf32>
}

// -----

func.func @moe_identity(%x: tensor<5x16xf32>, %r: tensor<5x4xf32>, %fc1: tensor<4x32x16xf32>, %fc2: tensor<4x16x32xf32>) -> tensor<5x16xf32> {
  %none = onnx.none
  // expected-error @+1 {{activation_type 'identity' is not supported (relu, gelu, silu, swiglu)}}
  %0 = onnx.node "MoE"(%x, %r, %fc1, %none, %fc2) domain "com.microsoft" version 1 attrs {activation_type = "identity"} : (tensor<5x16xf32>, tensor<5x4xf32>, tensor<4x32x16xf32>, none, tensor<4x16x32xf32>) -> tensor<5x16xf32>
  return %0 : tensor<5x16xf32>
}

// -----

func.func @moe_k(%x: tensor<5x16xf32>, %r: tensor<5x4xf32>, %fc1: tensor<4x32x16xf32>, %fc2: tensor<4x16x32xf32>) -> tensor<5x16xf32> {
  %none = onnx.none
  // expected-error @+1 {{k = 5 must be in [1, 4]}}
  %0 = onnx.node "MoE"(%x, %r, %fc1, %none, %fc2) domain "com.microsoft" version 1 attrs {k = 5 : i64} : (tensor<5x16xf32>, tensor<5x4xf32>, tensor<4x32x16xf32>, none, tensor<4x16x32xf32>) -> tensor<5x16xf32>
  return %0 : tensor<5x16xf32>
}

// -----

func.func @moe_shapes(%x: tensor<5x16xf32>, %r: tensor<5x4xf32>, %fc1: tensor<4x32x8xf32>, %fc2: tensor<4x16x32xf32>) -> tensor<5x16xf32> {
  %none = onnx.none
  // expected-error @+2 {{fc1 dim 2 is 8 but must equal the hidden size (16)}}
  // expected-error @+1 {{expert weights do not fit the input (the previous error says how)}}
  %0 = onnx.node "MoE"(%x, %r, %fc1, %none, %fc2) domain "com.microsoft" version 1 : (tensor<5x16xf32>, tensor<5x4xf32>, tensor<4x32x8xf32>, none, tensor<4x16x32xf32>) -> tensor<5x16xf32>
  return %0 : tensor<5x16xf32>
}

// -----

func.func @attention_heads(%q: tensor<1x8x60xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{query hidden size 60 must be a static multiple of 8 heads}}
  %0 = onnx.node "Attention"(%q, %q, %q) version 23 attrs {q_num_heads = 8 : i64, kv_num_heads = 8 : i64} : (tensor<1x8x60xf32>, tensor<1x8x60xf32>, tensor<1x8x60xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @topk_too_many(%x: tensor<3x4xf32>) -> (tensor<*xf32>, tensor<*xi64>) {
  %k = arith.constant dense<5> : tensor<1xi64>
  // expected-error @+1 {{k (5) exceeds the axis size (4)}}
  %0:2 = onnx.node "TopK"(%x, %k) version 11 : (tensor<3x4xf32>, tensor<1xi64>) -> (tensor<*xf32>, tensor<*xi64>)
  return %0#0, %0#1 : tensor<*xf32>, tensor<*xi64>
}

// -----

func.func @matmul_integer_zero_points_along_k(%a: tensor<4x8xi8>, %b: tensor<8x3xi8>, %az: tensor<8xi8>) -> tensor<4x3xi32> {
  // expected-error @+1 {{node (MatMulInteger): a_zero_point must have one element, or one per row of A ([M] or A's shape with K as 1), not 'tensor<8xi8>'}}
  %0 = onnx.node "MatMulInteger"(%a, %b, %az) version 10 : (tensor<4x8xi8>, tensor<8x3xi8>, tensor<8xi8>) -> tensor<4x3xi32>
  return %0 : tensor<4x3xi32>
}

// -----

func.func @qlinear_matmul_scale_per_k(%a: tensor<4x8xi8>, %s: tensor<f32>, %z: tensor<i8>, %b: tensor<8x3xi8>, %bs: tensor<8xf32>) -> tensor<4x3xi8> {
  // expected-error @+1 {{node (QLinearMatMul): b_scale must have one element or one per column of B, not 'tensor<8xf32>'}}
  %0 = onnx.node "QLinearMatMul"(%a, %s, %z, %b, %bs, %z, %s, %z) version 10 : (tensor<4x8xi8>, tensor<f32>, tensor<i8>, tensor<8x3xi8>, tensor<8xf32>, tensor<i8>, tensor<f32>, tensor<i8>) -> tensor<4x3xi8>
  return %0 : tensor<4x3xi8>
}

// -----

// Inputs left out ('' in ONNX) are reported, not dereferenced.
func.func @matmul_nbits_without_scales(%a: tensor<2x32xf32>) -> tensor<2x4xf32> {
  %b = arith.constant dense<0> : tensor<4x2x8xui8>
  %none = onnx.none
  // expected-error @+1 {{node (com.microsoft::MatMulNBits): scales must hold N * k_blocks values}}
  %0 = onnx.node "MatMulNBits"(%a, %b, %none) domain "com.microsoft" version 1 attrs {K = 32 : i64, N = 4 : i64, bits = 4 : i64, block_size = 16 : i64} : (tensor<2x32xf32>, tensor<4x2x8xui8>, none) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @matmul_nbits_without_b(%a: tensor<2x32xf32>, %s: tensor<8xf32>) -> tensor<2x4xf32> {
  %none = onnx.none
  // expected-error @+1 {{node (com.microsoft::MatMulNBits): B must be a constant of N * k_blocks * block_size * bits / 8 bytes}}
  %0 = onnx.node "MatMulNBits"(%a, %none, %s) domain "com.microsoft" version 1 attrs {K = 32 : i64, N = 4 : i64, bits = 4 : i64, block_size = 16 : i64} : (tensor<2x32xf32>, none, tensor<8xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @qlinear_matmul_unranked_scale(%a: tensor<4x8xi8>, %s: tensor<f32>, %z: tensor<i8>, %b: tensor<8x3xi8>, %bs: tensor<*xf32>) -> tensor<4x3xi8> {
  // expected-error @+1 {{node (QLinearMatMul): b_scale must be a tensor of known rank, not 'tensor<*xf32>'}}
  %0 = onnx.node "QLinearMatMul"(%a, %s, %z, %b, %bs, %z, %s, %z) version 10 : (tensor<4x8xi8>, tensor<f32>, tensor<i8>, tensor<8x3xi8>, tensor<*xf32>, tensor<i8>, tensor<f32>, tensor<i8>) -> tensor<4x3xi8>
  return %0 : tensor<4x3xi8>
}
