// RUN: moe-opt %s --moe-convert-onnx-to-moe -split-input-file -verify-diagnostics | FileCheck %s

// GroupQueryAttention: heads split out, causal with a local window that
// counts the query's own position, presents are the new keys and values.
// CHECK-LABEL: func @gqa
// CHECK: %[[K:.*]] = linalg.transpose ins(%{{.*}} : tensor<2x8x2x16xf32>)
// CHECK: %[[V:.*]] = linalg.transpose ins(%{{.*}} : tensor<2x8x2x16xf32>)
// CHECK: moe.attention %{{.*}}, %[[K]], %[[V]] {causal, window_left = 3 : i64} : (tensor<2x4x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>) -> tensor<2x4x8x16xf32>
// CHECK: tensor.reshape {{.*}} -> tensor<2x8x64xf32>
// CHECK: %[[PK:.*]] = tensor.cast %[[K]]
// CHECK: %[[PV:.*]] = tensor.cast %[[V]]
// CHECK: return %{{.*}}, %[[PK]], %[[PV]]
func.func @gqa(%q: tensor<2x8x64xf32>, %k: tensor<2x8x32xf32>, %v: tensor<2x8x32xf32>, %sl: tensor<2xi32>, %tot: tensor<i32>) -> (tensor<2x8x64xf32>, tensor<*xf32>, tensor<*xf32>) {
  %none = onnx.none
  %0:3 = onnx.node "GroupQueryAttention"(%q, %k, %v, %none, %none, %sl, %tot) domain "com.microsoft" version 1 attrs {num_heads = 4 : i64, kv_num_heads = 2 : i64, local_window_size = 4 : i64} : (tensor<2x8x64xf32>, tensor<2x8x32xf32>, tensor<2x8x32xf32>, none, none, tensor<2xi32>, tensor<i32>) -> (tensor<2x8x64xf32>, tensor<*xf32>, tensor<*xf32>)
  return %0#0, %0#1, %0#2 : tensor<2x8x64xf32>, tensor<*xf32>, tensor<*xf32>
}

// -----

// Packed QKV, a cache and rotary at positions past + 0..S-1, on q and k.
// CHECK-LABEL: func @gqa_packed_past_rotary
// CHECK-DAG: tensor.extract_slice %{{.*}}[0, 0, 64] [1, 1, 32] [1, 1, 1]
// CHECK-DAG: tensor.extract_slice %{{.*}}[0, 0, 96] [1, 1, 32] [1, 1, 1]
// CHECK-DAG: tensor.extract_slice %{{.*}}[0, 0, 0] [1, 1, 64] [1, 1, 1]
// CHECK: %[[P:.*]] = tensor.dim %[[PK:.*]], %c2
// CHECK: %[[POS:.*]] = linalg.generic
// CHECK: linalg.index 1
// CHECK: arith.addi %[[P]]
// CHECK: %[[Q:.*]] = moe.rope %{{.*}} positions %[[POS]] :
// CHECK: %[[K:.*]] = moe.rope %{{.*}} positions %[[POS]] :
// CHECK: %{{.*}}, %[[PRESENT:.*]]:2 = moe.attention %[[Q]], %[[K]], %{{.*}} past(%[[PK]], %{{.*}}) {causal, scale = 5.000000e-01 : f64, softcap = 3.000000e+01 : f64} : {{.*}} -> (tensor<1x4x1x16xf32>, tensor<1x2x6x16xf32>, tensor<1x2x6x16xf32>)
// CHECK: return %{{.*}}, %[[PRESENT]]#0, %[[PRESENT]]#1
func.func @gqa_packed_past_rotary(%qkv: tensor<1x1x128xf32>, %pk: tensor<1x2x5x16xf32>, %pv: tensor<1x2x5x16xf32>, %sl: tensor<1xi32>, %tot: tensor<i32>, %cos: tensor<64x8xf32>, %sin: tensor<64x8xf32>) -> (tensor<1x1x64xf32>, tensor<1x2x6x16xf32>, tensor<1x2x6x16xf32>) {
  %none = onnx.none
  %0:3 = onnx.node "GroupQueryAttention"(%qkv, %none, %none, %pk, %pv, %sl, %tot, %cos, %sin) domain "com.microsoft" version 1 attrs {num_heads = 4 : i64, kv_num_heads = 2 : i64, do_rotary = 1 : i64, scale = 0.5 : f32, softcap = 30.0 : f32} : (tensor<1x1x128xf32>, none, none, tensor<1x2x5x16xf32>, tensor<1x2x5x16xf32>, tensor<1xi32>, tensor<i32>, tensor<64x8xf32>, tensor<64x8xf32>) -> (tensor<1x1x64xf32>, tensor<1x2x6x16xf32>, tensor<1x2x6x16xf32>)
  return %0#0, %0#1, %0#2 : tensor<1x1x64xf32>, tensor<1x2x6x16xf32>, tensor<1x2x6x16xf32>
}

// -----

// A present as long as the past is ONNX Runtime's shared buffer.
func.func @gqa_shared_buffer(%q: tensor<1x1x64xf32>, %k: tensor<1x1x32xf32>, %v: tensor<1x1x32xf32>, %pk: tensor<1x2x16x16xf32>, %pv: tensor<1x2x16x16xf32>, %sl: tensor<1xi32>, %tot: tensor<i32>) -> tensor<1x2x16x16xf32> {
  // expected-error @below {{present_key is as long as past_key: a cache buffer shared by past and present is not supported}}
  %0:3 = onnx.node "GroupQueryAttention"(%q, %k, %v, %pk, %pv, %sl, %tot) domain "com.microsoft" version 1 attrs {num_heads = 4 : i64, kv_num_heads = 2 : i64} : (tensor<1x1x64xf32>, tensor<1x1x32xf32>, tensor<1x1x32xf32>, tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>, tensor<1xi32>, tensor<i32>) -> (tensor<1x1x64xf32>, tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>)
  return %0#1 : tensor<1x2x16x16xf32>
}

// -----

func.func @gqa_heads(%q: tensor<1x1x64xf32>, %k: tensor<1x1x32xf32>, %v: tensor<1x1x32xf32>, %sl: tensor<1xi32>, %tot: tensor<i32>) -> tensor<1x1x64xf32> {
  %none = onnx.none
  // expected-error @below {{num_heads (4) and kv_num_heads (3) must be positive, the first a multiple of the second}}
  %0:3 = onnx.node "GroupQueryAttention"(%q, %k, %v, %none, %none, %sl, %tot) domain "com.microsoft" version 1 attrs {num_heads = 4 : i64, kv_num_heads = 3 : i64} : (tensor<1x1x64xf32>, tensor<1x1x32xf32>, tensor<1x1x32xf32>, none, none, tensor<1xi32>, tensor<i32>) -> (tensor<1x1x64xf32>, tensor<*xf32>, tensor<*xf32>)
  return %0#0 : tensor<1x1x64xf32>
}

// -----

// MultiHeadAttention: the input projection's bias split over q, k and v,
// key padding as ONNX Runtime's additive mask_filter_value plus the
// attention bias, unidirectional as causal.
// CHECK-LABEL: func @mha_bias_padding
// CHECK-DAG: tensor.extract_slice %[[B:.*]][0] [32] [1]
// CHECK-DAG: tensor.extract_slice %[[B]][32] [32] [1]
// CHECK-DAG: tensor.extract_slice %[[B]][64] [16] [1]
// CHECK-DAG: %[[FILTER:.*]] = arith.constant -1.000000e+04 : f32
// CHECK: %[[PAD:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<2x1x1x6xi32>) outs(%{{.*}} : tensor<2x1x1x6xf32>)
// CHECK: arith.cmpi ne
// CHECK: arith.select %{{.*}}, %{{.*}}, %[[FILTER]] : f32
// CHECK: %[[MASK:.*]] = linalg.generic {{.*}} ins(%[[PAD]], %{{.*}} : tensor<2x1x1x6xf32>, tensor<1x2x4x6xf32>) outs(%{{.*}} : tensor<2x2x4x6xf32>)
// CHECK: moe.attention %{{.*}}, %{{.*}}, %{{.*}} mask %[[MASK]] {causal} : (tensor<2x2x4x16xf32>, tensor<2x2x6x16xf32>, tensor<2x2x6x8xf32>, tensor<2x2x4x6xf32>) -> tensor<2x2x4x8xf32>
func.func @mha_bias_padding(%q: tensor<2x4x32xf32>, %k: tensor<2x6x32xf32>, %v: tensor<2x6x16xf32>, %bias: tensor<80xf32>, %pad: tensor<2x6xi32>, %ab: tensor<1x2x4x6xf32>) -> tensor<2x4x16xf32> {
  %0 = onnx.node "MultiHeadAttention"(%q, %k, %v, %bias, %pad, %ab) domain "com.microsoft" version 1 attrs {num_heads = 2 : i64, unidirectional = 1 : i64} : (tensor<2x4x32xf32>, tensor<2x6x32xf32>, tensor<2x6x16xf32>, tensor<80xf32>, tensor<2x6xi32>, tensor<1x2x4x6xf32>) -> tensor<2x4x16xf32>
  return %0 : tensor<2x4x16xf32>
}

// -----

// Packed QKV (B, S, heads, 3, D) and key lengths: key j of row b is kept
// when j < length[b].
// CHECK-LABEL: func @mha_packed_lengths
// CHECK-DAG: tensor.extract_slice %{{.*}}[0, 0, 0, 0, 0] [2, 5, 2, 1, 8]
// CHECK-DAG: tensor.extract_slice %{{.*}}[0, 0, 0, 1, 0] [2, 5, 2, 1, 8]
// CHECK-DAG: tensor.extract_slice %{{.*}}[0, 0, 0, 2, 0] [2, 5, 2, 1, 8]
// CHECK: %[[MASK:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<2xi32>)
// CHECK: linalg.index 3
// CHECK: arith.cmpi slt
// CHECK: moe.attention %{{.*}}, %{{.*}}, %{{.*}} mask %[[MASK]] :
func.func @mha_packed_lengths(%qkv: tensor<2x5x2x3x8xf32>, %len: tensor<2xi32>) -> tensor<2x5x16xf32> {
  %none = onnx.none
  %0 = onnx.node "MultiHeadAttention"(%qkv, %none, %none, %none, %len) domain "com.microsoft" version 1 attrs {num_heads = 2 : i64} : (tensor<2x5x2x3x8xf32>, none, none, none, tensor<2xi32>) -> tensor<2x5x16xf32>
  return %0 : tensor<2x5x16xf32>
}

// -----

func.func @mha_shared_buffer(%q: tensor<1x1x32xf32>, %k: tensor<1x1x32xf32>, %v: tensor<1x1x32xf32>, %pk: tensor<1x2x8x16xf32>, %pv: tensor<1x2x8x16xf32>, %len: tensor<1xi32>) -> tensor<1x1x32xf32> {
  %none = onnx.none
  // expected-error @below {{the past_sequence_length (a shared cache buffer) input is not supported}}
  %0 = onnx.node "MultiHeadAttention"(%q, %k, %v, %none, %none, %none, %pk, %pv, %len) domain "com.microsoft" version 1 attrs {num_heads = 2 : i64} : (tensor<1x1x32xf32>, tensor<1x1x32xf32>, tensor<1x1x32xf32>, none, none, none, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1xi32>) -> tensor<1x1x32xf32>
  return %0 : tensor<1x1x32xf32>
}

// -----

// SparseAttention: the CSR block mask becomes a dense i1 layout per head
// (layouts repeat over heads), sliced to the blocks up to the total length;
// the past is the leading total - S rows of the shared buffer, and the
// presents are written back into it.
// CHECK-LABEL: func @sparse
// CHECK-SAME: (%{{[^:]*}}: tensor<1x3x64xf32>, %{{[^:]*}}: tensor<1x3x32xf32>, %{{[^:]*}}: tensor<1x3x32xf32>, %[[PK:[^:]*]]: tensor<1x2x64x16xf32>, %[[PV:[^:]*]]: tensor<1x2x64x16xf32>, %[[TOT:[^:]*]]: tensor<1xi32>
// CHECK: %[[LAYOUT:.*]] = arith.constant dense<{{\[\[\[}}true, false, false, false], [true, true, false, false], [false, false, true, false], [false, false, true, true]], {{\[\[}}true, false, false, false], [false, true, false, false], [false, false, true, false], [false, false, false, true]], {{\[\[}}true, false, false, false], [true, true, false, false]{{.*}} : tensor<4x4x4xi1>
// CHECK: %[[T:.*]] = tensor.extract %[[TOT]]
// CHECK: %[[TI:.*]] = arith.index_cast %[[T]]
// CHECK: %[[P:.*]] = arith.subi %[[TI]], %{{.*}} : index
// CHECK: %[[PASTK:.*]] = tensor.extract_slice %[[PK]][0, 0, 0, 0] [1, 2, %[[P]], 16]
// CHECK: %[[PASTV:.*]] = tensor.extract_slice %[[PV]][0, 0, 0, 0] [1, 2, %[[P]], 16]
// CHECK: %[[NB:.*]] = arith.ceildivui %[[TI]], %c16
// CHECK: %[[USED:.*]] = tensor.extract_slice %[[LAYOUT]][0, 0, 0] [4, %[[NB]], %[[NB]]]
// CHECK: %{{.*}}, %[[PRESENT:.*]]:2 = moe.attention %{{.*}}, %{{.*}}, %{{.*}} past(%[[PASTK]], %[[PASTV]]) layout %[[USED]] {block_size = 16 : i64, causal}
// CHECK: %[[NEWK:.*]] = tensor.insert_slice %[[PRESENT]]#0 into %[[PK]]
// CHECK: %[[NEWV:.*]] = tensor.insert_slice %[[PRESENT]]#1 into %[[PV]]
// CHECK: return %{{.*}}, %[[NEWK]], %[[NEWV]]
func.func @sparse(%q: tensor<1x3x64xf32>, %k: tensor<1x3x32xf32>, %v: tensor<1x3x32xf32>, %pk: tensor<1x2x64x16xf32>, %pv: tensor<1x2x64x16xf32>, %tot: tensor<1xi32>, %kl: tensor<1xi32>) -> (tensor<1x3x64xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>) {
  %rows = arith.constant dense<[[0, 1, 3, 4, 6], [0, 1, 2, 3, 4]]> : tensor<2x5xi32>
  %cols = arith.constant dense<[[0, 0, 1, 2, 2, 3], [0, 1, 2, 3, -1, -1]]> : tensor<2x6xi32>
  %0:3 = onnx.node "SparseAttention"(%q, %k, %v, %pk, %pv, %rows, %cols, %tot, %kl) domain "com.microsoft" version 1 attrs {num_heads = 4 : i64, kv_num_heads = 2 : i64, sparse_block_size = 16 : i64} : (tensor<1x3x64xf32>, tensor<1x3x32xf32>, tensor<1x3x32xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<2x5xi32>, tensor<2x6xi32>, tensor<1xi32>, tensor<1xi32>) -> (tensor<1x3x64xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>)
  return %0#0, %0#1, %0#2 : tensor<1x3x64xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>
}

// -----

func.func @sparse_bad_csr(%q: tensor<1x3x64xf32>, %k: tensor<1x3x32xf32>, %v: tensor<1x3x32xf32>, %pk: tensor<1x2x64x16xf32>, %pv: tensor<1x2x64x16xf32>, %tot: tensor<1xi32>, %kl: tensor<1xi32>) -> tensor<1x3x64xf32> {
  %rows = arith.constant dense<[[0, 1, 3, 4, 6]]> : tensor<1x5xi32>
  %cols = arith.constant dense<[[0, 0, 1, 2, 2, 4]]> : tensor<1x6xi32>
  // expected-error @below {{block_col_indices of layout 0 has column 4 outside [0, 4)}}
  %0:3 = onnx.node "SparseAttention"(%q, %k, %v, %pk, %pv, %rows, %cols, %tot, %kl) domain "com.microsoft" version 1 attrs {num_heads = 4 : i64, kv_num_heads = 2 : i64, sparse_block_size = 16 : i64} : (tensor<1x3x64xf32>, tensor<1x3x32xf32>, tensor<1x3x32xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>, tensor<1x5xi32>, tensor<1x6xi32>, tensor<1xi32>, tensor<1xi32>) -> (tensor<1x3x64xf32>, tensor<1x2x64x16xf32>, tensor<1x2x64x16xf32>)
  return %0#0 : tensor<1x3x64xf32>
}
