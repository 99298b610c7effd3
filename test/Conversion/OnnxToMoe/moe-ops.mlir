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
