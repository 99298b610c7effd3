// RUN: moe-opt %s --moe-convert-onnx-to-moe -split-input-file | FileCheck %s

// CHECK-LABEL: func @rms_norm
// CHECK: moe.rms_norm %{{.*}}, %{{.*}} {epsilon = 9.9999999747524271E-7 : f64} : tensor<?x8xf32>, tensor<8xf32>
func.func @rms_norm(%x: tensor<?x8xf32>, %g: tensor<8xf32>) -> tensor<*xf32> {
  %0 = onnx.node "RMSNormalization"(%x, %g) version 23 attrs {epsilon = 1.0e-6 : f32} : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// CHECK-LABEL: func @simplified_layer_norm
// CHECK: moe.rms_norm %{{.*}}, %{{.*}} : tensor<2x8xf32>, tensor<8xf32>
func.func @simplified_layer_norm(%x: tensor<2x8xf32>, %g: tensor<8xf32>) -> tensor<2x8xf32> {
  %0 = onnx.node "SimplifiedLayerNormalization"(%x, %g) version 1 : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// ONNX Runtime's MoE: softmax top-k routing, interleaved swiglu rows split
// into gate (even rows) and up (odd rows).
// CHECK-LABEL: func @moe_swiglu_interleaved
// CHECK-SAME: (%[[X:[^:]*]]: tensor<5x16xf32>, %[[R:[^:]*]]: tensor<5x4xf32>, %[[FC1:[^:]*]]: tensor<4x64x16xf32>, %[[FC2:[^:]*]]: tensor<4x16x32xf32>)
// CHECK-DAG: %[[UP:.*]] = tensor.extract_slice %[[FC1]][0, 1, 0] [4, 32, 16] [1, 2, 1]
// CHECK-DAG: %[[GATE:.*]] = tensor.extract_slice %[[FC1]][0, 0, 0] [4, 32, 16] [1, 2, 1]
// CHECK: %[[W:.*]], %[[I:.*]] = moe.route softmax %[[R]] {k = 2 : i64, renormalize} : tensor<5x4xf32> -> tensor<5x2xf32>, tensor<5x2xi32>
// CHECK: moe.experts swiglu %[[X]], %[[W]], %[[I]] fc1 %[[GATE]] fc2 %[[FC2]] fc3 %[[UP]]
func.func @moe_swiglu_interleaved(%x: tensor<5x16xf32>, %r: tensor<5x4xf32>, %fc1: tensor<4x64x16xf32>, %fc2: tensor<4x16x32xf32>) -> tensor<5x16xf32> {
  %none = onnx.none
  %0 = onnx.node "MoE"(%x, %r, %fc1, %none, %fc2) domain "com.microsoft" version 1 attrs {activation_type = "swiglu", k = 2 : i64, normalize_routing_weights = 1 : i64, swiglu_fusion = 1 : i64} : (tensor<5x16xf32>, tensor<5x4xf32>, tensor<4x64x16xf32>, none, tensor<4x16x32xf32>) -> tensor<5x16xf32>
  return %0 : tensor<5x16xf32>
}

// -----

// A (batch, seq, hidden) input runs as tokens and is reshaped back.
// CHECK-LABEL: func @moe_3d_relu
// CHECK: %[[T:.*]] = tensor.reshape %{{.*}}(%{{.*}}) : (tensor<2x3x16xf32>, tensor<2xi64>) -> tensor<6x16xf32>
// CHECK: moe.route softmax %{{.*}} {k = 1 : i64}
// CHECK: %[[Y:.*]] = moe.experts relu %[[T]], %{{.*}}, %{{.*}} fc1 %{{.*}} fc2 %{{.*}} fc1_bias %{{.*}} :
// CHECK: tensor.reshape %[[Y]](%{{.*}}) : (tensor<6x16xf32>, tensor<3xi64>) -> tensor<2x3x16xf32>
func.func @moe_3d_relu(%x: tensor<2x3x16xf32>, %r: tensor<6x4xf32>, %fc1: tensor<4x32x16xf32>, %b1: tensor<4x32xf32>, %fc2: tensor<4x16x32xf32>) -> tensor<2x3x16xf32> {
  %0 = onnx.node "MoE"(%x, %r, %fc1, %b1, %fc2) domain "com.microsoft" version 1 attrs {k = 1 : i64} : (tensor<2x3x16xf32>, tensor<6x4xf32>, tensor<4x32x16xf32>, tensor<4x32xf32>, tensor<4x16x32xf32>) -> tensor<2x3x16xf32>
  return %0 : tensor<2x3x16xf32>
}

// -----

// 3-d GQA attention: heads split out, causal, and merged back.
// CHECK-LABEL: func @attention_3d
// CHECK: linalg.transpose ins(%{{.*}} : tensor<1x8x4x16xf32>) outs(%{{.*}} : tensor<1x4x8x16xf32>)
// CHECK: linalg.transpose ins(%{{.*}} : tensor<1x8x2x16xf32>) outs(%{{.*}} : tensor<1x2x8x16xf32>)
// CHECK: %[[O:.*]] = moe.attention %{{.*}}, %{{.*}}, %{{.*}} {causal, scale = 2.500000e-01 : f64} : (tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x4x8x16xf32>
// CHECK: linalg.transpose ins(%[[O]] : tensor<1x4x8x16xf32>) outs(%{{.*}} : tensor<1x8x4x16xf32>)
// CHECK: tensor.reshape {{.*}} -> tensor<1x8x64xf32>
func.func @attention_3d(%q: tensor<1x8x64xf32>, %k: tensor<1x8x32xf32>, %v: tensor<1x8x32xf32>) -> tensor<*xf32> {
  %0 = onnx.node "Attention"(%q, %k, %v) version 23 attrs {is_causal = 1 : i64, q_num_heads = 4 : i64, kv_num_heads = 2 : i64, scale = 0.25 : f32} : (tensor<1x8x64xf32>, tensor<1x8x32xf32>, tensor<1x8x32xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// 4-d attention with a KV cache returns the present cache; a 2-d boolean
// mask gains leading dims.
// CHECK-LABEL: func @attention_cache
// CHECK: %[[M:.*]] = tensor.reshape %{{.*}}(%{{.*}}) : (tensor<1x5xi1>, tensor<4xi64>) -> tensor<1x1x1x5xi1>
// CHECK: %[[O:.*]], %[[P:.*]]:2 = moe.attention %{{.*}}, %{{.*}}, %{{.*}} mask %[[M]] past(%{{.*}}, %{{.*}}) :
// CHECK-DAG: %[[C0:.*]] = tensor.cast %[[O]]
// CHECK-DAG: %[[C1:.*]] = tensor.cast %[[P]]#0
// CHECK-DAG: %[[C2:.*]] = tensor.cast %[[P]]#1
// CHECK: return %[[C0]], %[[C1]], %[[C2]]
func.func @attention_cache(%q: tensor<1x4x1x16xf32>, %k: tensor<1x4x1x16xf32>, %v: tensor<1x4x1x16xf32>, %m: tensor<1x5xi1>, %pk: tensor<1x4x4x16xf32>, %pv: tensor<1x4x4x16xf32>) -> (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>) {
  %0:3 = onnx.node "Attention"(%q, %k, %v, %m, %pk, %pv) version 23 : (tensor<1x4x1x16xf32>, tensor<1x4x1x16xf32>, tensor<1x4x1x16xf32>, tensor<1x5xi1>, tensor<1x4x4x16xf32>, tensor<1x4x4x16xf32>) -> (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>)
  return %0#0, %0#1, %0#2 : tensor<*xf32>, tensor<*xf32>, tensor<*xf32>
}

// -----

// CHECK-LABEL: func @rotary_3d
// CHECK: %[[R:.*]] = moe.rope %{{.*}}, %{{.*}}, %{{.*}} positions %{{.*}} {interleaved} : (tensor<1x2x6x8xf32>, tensor<32x4xf32>, tensor<32x4xf32>, tensor<1x6xi64>) -> tensor<1x2x6x8xf32>
func.func @rotary_3d(%x: tensor<1x6x16xf32>, %cos: tensor<32x4xf32>, %sin: tensor<32x4xf32>, %pos: tensor<1x6xi64>) -> tensor<*xf32> {
  %0 = onnx.node "RotaryEmbedding"(%x, %cos, %sin, %pos) version 23 attrs {interleaved = 1 : i64, num_heads = 2 : i64} : (tensor<1x6x16xf32>, tensor<32x4xf32>, tensor<32x4xf32>, tensor<1x6xi64>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// SkipSimplifiedLayerNormalization: RMSNorm of input + skip; output 3 is
// the sum.
// CHECK-LABEL: func @skip_rms_norm
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<2x8xf32>, tensor<2x8xf32>)
// CHECK: arith.addf
// CHECK: %[[N:.*]] = moe.rms_norm %[[SUM]], %{{.*}} {epsilon = 9.9999999747524271E-7 : f64} : tensor<2x8xf32>, tensor<8xf32>
// CHECK: return %[[N]], %[[SUM]]
func.func @skip_rms_norm(%x: tensor<2x8xf32>, %skip: tensor<2x8xf32>, %g: tensor<8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  %0:4 = onnx.node "SkipSimplifiedLayerNormalization"(%x, %skip, %g) domain "com.microsoft" version 1 attrs {epsilon = 1.0e-6 : f32} : (tensor<2x8xf32>, tensor<2x8xf32>, tensor<8xf32>) -> (tensor<2x8xf32>, tensor<*xf32>, tensor<*xf32>, tensor<2x8xf32>)
  return %0#0, %0#3 : tensor<2x8xf32>, tensor<2x8xf32>
}

// -----

// QMoE: 4-bit weights unpack low nibble first into [E, N, K] with a scale
// per row (one block spanning K) and the default zero point 8.
// CHECK-LABEL: func @qmoe_4bit
// CHECK-SAME: (%[[X:[^:]*]]: tensor<3x8xf32>, %[[R:[^:]*]]: tensor<3x2xf32>, %[[S1:[^:]*]]: tensor<2x2xf32>, %[[S2:[^:]*]]: tensor<2x8xf32>)
// CHECK-DAG: %[[Q1:.*]] = arith.constant dense<{{\[\[\[}}1, 2, 3, 4, 5, 6, 7, 8], [9, 10, 11, 12, 13, 14, 15, 0]], {{\[\[}}0, 0, 0, 0, 0, 0, 0, 0], [15, 15, 15, 15, 15, 15, 15, 15]]]> : tensor<2x2x8xui4>
// CHECK-DAG: %[[ZP1:.*]] = arith.constant dense<8> : tensor<2x2x1xui4>
// CHECK-DAG: %[[S1R:.*]] = tensor.reshape %[[S1]]({{.*}}) -> tensor<2x2x1xf32>
// CHECK: %[[W1:.*]] = moe.dequantize %[[Q1]], %[[S1R]] zero_point %[[ZP1]] {axis = 2 : i64, block_size = 8 : i64} : (tensor<2x2x8xui4>, tensor<2x2x1xf32>, tensor<2x2x1xui4>) -> tensor<2x2x8xf32>
// CHECK: %[[W2:.*]] = moe.dequantize {{.*}} -> tensor<2x8x2xf32>
// CHECK: %[[W:.*]], %[[I:.*]] = moe.route softmax %[[R]] {k = 1 : i64}
// CHECK: moe.experts relu %[[X]], %[[W]], %[[I]] fc1 %[[W1]] fc2 %[[W2]] :
func.func @qmoe_4bit(%x: tensor<3x8xf32>, %r: tensor<3x2xf32>, %s1: tensor<2x2xf32>, %s2: tensor<2x8xf32>) -> tensor<3x8xf32> {
  %fc1 = arith.constant dense<[[[33, 67, 101, 135], [169, 203, 237, 15]], [[0, 0, 0, 0], [255, 255, 255, 255]]]> : tensor<2x2x4xui8>
  %fc2 = arith.constant dense<17> : tensor<2x8x1xui8>
  %none = onnx.none
  %0 = onnx.node "QMoE"(%x, %r, %fc1, %s1, %none, %fc2, %s2) domain "com.microsoft" version 1 attrs {k = 1 : i64, expert_weight_bits = 4 : i64} : (tensor<3x8xf32>, tensor<3x2xf32>, tensor<2x2x4xui8>, tensor<2x2xf32>, none, tensor<2x8x1xui8>, tensor<2x8xf32>) -> tensor<3x8xf32>
  return %0 : tensor<3x8xf32>
}

// -----

// 8-bit blocked QMoE with explicit zero points and fused swiglu rows.
// CHECK-LABEL: func @qmoe_8bit_blocked
// CHECK: %[[Q1:.*]] = arith.constant dense_resource<fc1_q> : tensor<1x32x32xui8>
// CHECK: %[[ZP:.*]] = arith.constant dense<{{\[\[\[}}128, 127], [126, 125], {{.*}}> : tensor<1x32x2xui8>
// CHECK: %[[W1:.*]] = moe.dequantize %[[Q1]], %{{.*}} zero_point %[[ZP]] {axis = 2 : i64, block_size = 16 : i64} : (tensor<1x32x32xui8>, tensor<1x32x2xf32>, tensor<1x32x2xui8>) -> tensor<1x32x32xf32>
// CHECK: %[[W2:.*]] = moe.dequantize %{{.*}}, %{{.*}} zero_point %{{.*}} {axis = 2 : i64, block_size = 16 : i64} : (tensor<1x32x16xui8>, tensor<1x32x1xf32>, tensor<1x32x1xui8>) -> tensor<1x32x16xf32>
// CHECK-DAG: %[[UP:.*]] = tensor.extract_slice %[[W1]][0, 1, 0] [1, 16, 32] [1, 2, 1]
// CHECK-DAG: %[[GATE:.*]] = tensor.extract_slice %[[W1]][0, 0, 0] [1, 16, 32] [1, 2, 1]
// CHECK: moe.experts swiglu {{.*}} fc1 %[[GATE]] fc2 %[[W2]] fc3 %[[UP]]
func.func @qmoe_8bit_blocked(%x: tensor<3x32xf32>, %r: tensor<3x1xf32>, %s1: tensor<1x32x2xf32>, %s2: tensor<1x32x1xf32>) -> tensor<3x32xf32> {
  %zp1 = arith.constant dense<[[[128, 127], [126, 125], [124, 123], [122, 121], [120, 119], [118, 117], [116, 115], [114, 113], [112, 111], [110, 109], [108, 107], [106, 105], [104, 103], [102, 101], [100, 99], [98, 97], [96, 95], [94, 93], [92, 91], [90, 89], [88, 87], [86, 85], [84, 83], [82, 81], [80, 79], [78, 77], [76, 75], [74, 73], [72, 71], [70, 69], [68, 67], [66, 65]]]> : tensor<1x32x2xui8>
  %fc1 = arith.constant dense<1> : tensor<1x32x32xui8>
  %fc2 = arith.constant dense<2> : tensor<1x32x16xui8>
  %none = onnx.none
  %0 = onnx.node "QMoE"(%x, %r, %fc1, %s1, %none, %fc2, %s2, %none, %none, %none, %none, %zp1) domain "com.microsoft" version 1 attrs {k = 1 : i64, expert_weight_bits = 8 : i64, block_size = 16 : i64, activation_type = "swiglu", swiglu_fusion = 1 : i64} : (tensor<3x32xf32>, tensor<3x1xf32>, tensor<1x32x32xui8>, tensor<1x32x2xf32>, none, tensor<1x32x16xui8>, tensor<1x32x1xf32>, none, none, none, none, tensor<1x32x2xui8>) -> tensor<3x32xf32>
  return %0 : tensor<3x32xf32>
}

// -----

// com.microsoft RotaryEmbedding with one position offset: positions
// offset + 0..S-1; without num_heads the caches span the head.
// CHECK-LABEL: func @contrib_rotary
// CHECK: tensor.reshape %{{.*}} -> tensor<1x3x2x16xf32>
// CHECK: %[[OFF:.*]] = tensor.extract
// CHECK: %[[OFFI:.*]] = arith.index_cast %[[OFF]] : i64 to index
// CHECK: %[[POS:.*]] = linalg.generic
// CHECK: arith.addi %[[OFFI]]
// CHECK: moe.rope %{{.*}} positions %[[POS]] {interleaved} : (tensor<1x2x3x16xf32>, tensor<16x8xf32>, tensor<16x8xf32>, tensor<1x3xi64>) -> tensor<1x2x3x16xf32>
func.func @contrib_rotary(%x: tensor<1x3x32xf32>, %pos: tensor<1xi64>, %cos: tensor<16x8xf32>, %sin: tensor<16x8xf32>) -> tensor<1x3x32xf32> {
  %0 = onnx.node "RotaryEmbedding"(%x, %pos, %cos, %sin) domain "com.microsoft" version 1 attrs {interleaved = 1 : i64} : (tensor<1x3x32xf32>, tensor<1xi64>, tensor<16x8xf32>, tensor<16x8xf32>) -> tensor<1x3x32xf32>
  return %0 : tensor<1x3x32xf32>
}
