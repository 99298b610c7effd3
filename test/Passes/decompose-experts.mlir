// RUN: moe-opt %s --moe-decompose-experts -split-input-file | FileCheck %s

// CHECK-LABEL: func @swiglu_with_biases
// CHECK-SAME: (%[[X:[^:]*]]: tensor<?x64xf32>, %[[W:[^:]*]]: tensor<?x2xf32>, %[[I:[^:]*]]: tensor<?x2xi32>, %[[FC1:[^:]*]]: tensor<8x128x64xf32>, %[[FC2:[^:]*]]: tensor<8x64x128xf32>, %[[FC3:[^:]*]]: tensor<8x128x64xf32>, %[[B1:[^:]*]]: tensor<8x128xf32>, %[[B2:[^:]*]]: tensor<8x64xf32>, %[[B3:[^:]*]]: tensor<8x128xf32>)
// CHECK: %[[XS:.*]], %[[PERM:.*]], %[[OFF:.*]] = moe.dispatch %[[X]], %[[I]] {num_experts = 8 : i64}
// CHECK: %[[GATE:.*]] = moe.grouped_matmul %[[XS]], %[[FC1]], %[[OFF]] bias %[[B1]]
// CHECK: %[[UP:.*]] = moe.grouped_matmul %[[XS]], %[[FC3]], %[[OFF]] bias %[[B3]]
// CHECK: %[[H:.*]] = linalg.generic {{.*}} ins(%[[GATE]], %[[UP]] : tensor<?x128xf32>, tensor<?x128xf32>)
// CHECK: ^bb0(%[[G:.*]]: f32, %[[U:.*]]: f32, %{{.*}}: f32):
// CHECK:   %[[NEG:.*]] = arith.negf %[[G]]
// CHECK:   %[[EXP:.*]] = math.exp %[[NEG]]
// CHECK:   %[[DEN:.*]] = arith.addf %[[EXP]], %{{.*}}
// CHECK:   %[[SILU:.*]] = arith.divf %[[G]], %[[DEN]]
// CHECK:   %[[PROD:.*]] = arith.mulf %[[SILU]], %[[U]]
// CHECK:   linalg.yield %[[PROD]]
// CHECK: %[[DOWN:.*]] = moe.grouped_matmul %[[H]], %[[FC2]], %[[OFF]] bias %[[B2]]
// CHECK: %[[Y:.*]] = moe.combine %[[DOWN]], %[[PERM]], %[[W]]
// CHECK: return %[[Y]]
// CHECK-NOT: moe.experts
func.func @swiglu_with_biases(%x: tensor<?x64xf32>, %w: tensor<?x2xf32>, %i: tensor<?x2xi32>,
    %fc1: tensor<8x128x64xf32>, %fc2: tensor<8x64x128xf32>, %fc3: tensor<8x128x64xf32>,
    %b1: tensor<8x128xf32>, %b2: tensor<8x64xf32>, %b3: tensor<8x128xf32>) -> tensor<?x64xf32> {
  %y = moe.experts swiglu %x, %w, %i fc1 %fc1 fc2 %fc2 fc3 %fc3 fc1_bias %b1 fc2_bias %b2 fc3_bias %b3
      : (tensor<?x64xf32>, tensor<?x2xf32>, tensor<?x2xi32>, tensor<8x128x64xf32>, tensor<8x64x128xf32>, tensor<8x128x64xf32>,
         tensor<8x128xf32>, tensor<8x64xf32>, tensor<8x128xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// CHECK-LABEL: func @relu
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f16
// CHECK: moe.dispatch
// CHECK: %[[GATE:.*]] = moe.grouped_matmul
// CHECK-NOT: moe.grouped_matmul
// CHECK: linalg.generic {{.*}} ins(%[[GATE]] : tensor<4x32xf16>)
// CHECK: arith.maximumf %{{.*}}, %[[ZERO]] : f16
// CHECK: moe.grouped_matmul
// CHECK: moe.combine {{.*}} -> tensor<2x16xf16>
func.func @relu(%x: tensor<2x16xf16>, %w: tensor<2x2xf16>, %i: tensor<2x2xi64>, %fc1: tensor<4x32x16xf16>, %fc2: tensor<4x16x32xf16>) -> tensor<2x16xf16> {
  %y = moe.experts relu %x, %w, %i fc1 %fc1 fc2 %fc2 : (tensor<2x16xf16>, tensor<2x2xf16>, tensor<2x2xi64>, tensor<4x32x16xf16>, tensor<4x16x32xf16>) -> tensor<2x16xf16>
  return %y : tensor<2x16xf16>
}

// -----

// The exact gelu: 0.5 x (1 + erf(x / sqrt 2)).
// CHECK-LABEL: func @gelu
// CHECK-DAG: %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG: %[[RSQRT2:.*]] = arith.constant 0.707106769 : f32
// CHECK: linalg.generic
// CHECK: ^bb0(%[[V:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[S:.*]] = arith.mulf %[[V]], %[[RSQRT2]] : f32
// CHECK: %[[E:.*]] = math.erf %[[S]]
// CHECK: %[[A:.*]] = arith.addf %[[E]], %[[ONE]] : f32
// CHECK: %[[H:.*]] = arith.mulf %[[V]], %[[HALF]] : f32
// CHECK: arith.mulf %[[H]], %[[A]]
func.func @gelu(%x: tensor<2x16xf32>, %w: tensor<2x1xf32>, %i: tensor<2x1xi32>, %fc1: tensor<4x32x16xf32>, %fc2: tensor<?x16x32xf32>) -> tensor<2x16xf32> {
  %y = moe.experts gelu %x, %w, %i fc1 %fc1 fc2 %fc2 : (tensor<2x16xf32>, tensor<2x1xf32>, tensor<2x1xi32>, tensor<4x32x16xf32>, tensor<?x16x32xf32>) -> tensor<2x16xf32>
  return %y : tensor<2x16xf32>
}

// -----

// Shared experts are dense linear layers whose down projection accumulates
// onto the routed result (no pass of its own to add them); with a gate
// (Qwen-MoE) sigmoid(x . gate), computed once per token, scales each
// token's hidden row, which scales its projection the same.
// CHECK-DAG: #[[MK:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[KN:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[MN:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func @shared_with_gate
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x64xf32>
// CHECK-SAME: %[[S1:[^:]*]]: tensor<96x64xf32>, %[[S2:[^:]*]]: tensor<64x96xf32>, %[[G:[^:]*]]: tensor<64xf32>
// CHECK: %[[ROUTED:.*]] = moe.combine
// The [out, in] weights are transposed to the (k, n) matmul the targets tile
// (at compile time when constant: @shared_constant).
// CHECK: %[[S1T:.*]] = linalg.transpose ins(%[[S1]] : tensor<96x64xf32>) outs(%{{.*}} : tensor<64x96xf32>) permutation = [1, 0]
// CHECK: %[[SG:.*]] = linalg.generic {indexing_maps = [#[[MK]], #[[KN]], #[[MN]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[X]], %[[S1T]] : tensor<?x64xf32>, tensor<64x96xf32>)
// CHECK: %[[COLW:.*]] = tensor.expand_shape %[[G]] {{\[\[}}0, 1]] output_shape [64, 1]
// CHECK: %[[LOGIT:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[COLW]] : tensor<?x64xf32>, tensor<64x1xf32>)
// CHECK: %[[COL:.*]] = tensor.collapse_shape %[[LOGIT]]
// CHECK: %[[SCALE:.*]] = linalg.generic {{.*}} ins(%[[COL]] : tensor<?xf32>)
// CHECK:   %[[N:.*]] = arith.negf
// CHECK:   %[[EX:.*]] = math.exp %[[N]]
// CHECK:   %[[D:.*]] = arith.addf %[[EX]], %[[ONE:.*]] : f32
// CHECK:   arith.divf %[[ONE]], %[[D]]
// CHECK: %[[SH:.*]] = linalg.generic {{.*}} ins(%[[SG]], %[[SCALE]] : tensor<?x96xf32>, tensor<?xf32>)
// CHECK: ^bb0(%[[H:.*]]: f32, %[[S:.*]]: f32, %{{.*}}: f32):
// CHECK:   %[[SILU:.*]] = arith.divf %[[H]], %{{.*}}
// CHECK:   %[[SCALED:.*]] = arith.mulf %[[SILU]], %[[S]]
// CHECK:   linalg.yield %[[SCALED]]
// CHECK: %[[S2T:.*]] = linalg.transpose ins(%[[S2]] : tensor<64x96xf32>)
// CHECK: %[[OUT:.*]] = linalg.generic {{.*}} ins(%[[SH]], %[[S2T]] : tensor<?x96xf32>, tensor<96x64xf32>) outs(%[[ROUTED]] : tensor<?x64xf32>)
// CHECK: return %[[OUT]]
func.func @shared_with_gate(%x: tensor<?x64xf32>, %w: tensor<?x4xf32>, %i: tensor<?x4xi32>,
    %fc1: tensor<16x32x64xf32>, %fc2: tensor<16x64x32xf32>, %s1: tensor<96x64xf32>, %s2: tensor<64x96xf32>, %g: tensor<64xf32>) -> tensor<?x64xf32> {
  %y = moe.experts silu %x, %w, %i fc1 %fc1 fc2 %fc2 shared_fc1 %s1 shared_fc2 %s2 shared_gate %g
      : (tensor<?x64xf32>, tensor<?x4xf32>, tensor<?x4xi32>, tensor<16x32x64xf32>, tensor<16x64x32xf32>, tensor<96x64xf32>, tensor<64x96xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// Without a gate the shared down projection accumulates onto the routed
// result as it is (DeepSeek).
// CHECK-LABEL: func @shared_swiglu
// CHECK: %[[ROUTED:.*]] = moe.combine
// CHECK-COUNT-2: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: %[[H:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK: %[[OUT:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[H]], %{{.*}} : tensor<3x128xf32>, tensor<128x64xf32>) outs(%[[ROUTED]] : tensor<3x64xf32>)
// CHECK: return %[[OUT]]
func.func @shared_swiglu(%x: tensor<3x64xf32>, %w: tensor<3x6xf32>, %i: tensor<3x6xi32>,
    %fc1: tensor<64x32x64xf32>, %fc2: tensor<64x64x32xf32>, %fc3: tensor<64x32x64xf32>,
    %s1: tensor<128x64xf32>, %s2: tensor<64x128xf32>, %s3: tensor<128x64xf32>) -> tensor<3x64xf32> {
  %y = moe.experts swiglu %x, %w, %i fc1 %fc1 fc2 %fc2 fc3 %fc3 shared_fc1 %s1 shared_fc2 %s2 shared_fc3 %s3
      : (tensor<3x64xf32>, tensor<3x6xf32>, tensor<3x6xi32>, tensor<64x32x64xf32>, tensor<64x64x32xf32>, tensor<64x32x64xf32>,
         tensor<128x64xf32>, tensor<64x128xf32>, tensor<128x64xf32>) -> tensor<3x64xf32>
  return %y : tensor<3x64xf32>
}

// -----

// Dispatch needs a static number of experts: the op stays as it is.
// CHECK-LABEL: func @dynamic_experts
// CHECK: moe.experts relu
// CHECK-NOT: moe.dispatch
func.func @dynamic_experts(%x: tensor<2x16xf32>, %w: tensor<2x1xf32>, %i: tensor<2x1xi32>, %fc1: tensor<?x32x16xf32>, %fc2: tensor<?x16x32xf32>) -> tensor<2x16xf32> {
  %y = moe.experts relu %x, %w, %i fc1 %fc1 fc2 %fc2 : (tensor<2x16xf32>, tensor<2x1xf32>, tensor<2x1xi32>, tensor<?x32x16xf32>, tensor<?x16x32xf32>) -> tensor<2x16xf32>
  return %y : tensor<2x16xf32>
}

// -----

// Constant gate and up projections are stacked per expert ([E, 2I, H]) and
// run as one grouped matmul; the activation reads its two halves.
// CHECK-LABEL: func @fused_gate_up
// CHECK: %[[BOTH:.*]] = arith.constant dense<{{\[\[\[}}1.000000e+00, 1.000000e+00], [2.000000e+00, 2.000000e+00]], {{\[\[}}3.000000e+00, 3.000000e+00], [4.000000e+00, 4.000000e+00]]]> : tensor<2x2x2xf32>
// CHECK: %[[H:.*]] = moe.grouped_matmul %{{.*}}, %[[BOTH]], %{{.*}} : (tensor<?x2xf32>, tensor<2x2x2xf32>, tensor<3xi32>) -> tensor<?x2xf32>
// CHECK: tensor.extract_slice %[[H]][0, 0] [%{{.*}}, 1] [1, 1]
// CHECK: tensor.extract_slice %[[H]][0, 1] [%{{.*}}, 1] [1, 1]
// CHECK-NOT: moe.grouped_matmul %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x2xf32>
func.func @fused_gate_up(%x: tensor<?x2xf32>, %w: tensor<?x1xf32>, %i: tensor<?x1xi32>, %w2: tensor<2x2x1xf32>) -> tensor<?x2xf32> {
  %w1 = arith.constant dense<[[[1.0, 1.0]], [[3.0, 3.0]]]> : tensor<2x1x2xf32>
  %w3 = arith.constant dense<[[[2.0, 2.0]], [[4.0, 4.0]]]> : tensor<2x1x2xf32>
  %y = moe.experts swiglu %x, %w, %i fc1 %w1 fc2 %w2 fc3 %w3 : (tensor<?x2xf32>, tensor<?x1xf32>, tensor<?x1xi32>, tensor<2x1x2xf32>, tensor<2x2x1xf32>, tensor<2x1x2xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// Constant [out, in] shared weights are transposed at compile time: the
// product reads a [in, out] constant, no transpose runs.
// CHECK-LABEL: func @shared_constant
// CHECK-DAG: %[[S1T:.*]] = arith.constant dense<{{\[\[}}1.000000e+00, 3.000000e+00, 5.000000e+00], [2.000000e+00, 4.000000e+00, 6.000000e+00]]> : tensor<2x3xf32>
// CHECK-DAG: %[[S2T:.*]] = arith.constant dense<{{\[\[}}1.000000e+00, 0.000000e+00], [0.000000e+00, 1.000000e+00], [1.000000e+00, 1.000000e+00]]> : tensor<3x2xf32>
// CHECK-NOT: linalg.transpose
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[S1T]] : tensor<?x2xf32>, tensor<2x3xf32>)
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[S2T]] : tensor<?x3xf32>, tensor<3x2xf32>)
func.func @shared_constant(%x: tensor<?x2xf32>, %w: tensor<?x1xf32>, %i: tensor<?x1xi32>,
    %fc1: tensor<2x3x2xf32>, %fc2: tensor<2x2x3xf32>) -> tensor<?x2xf32> {
  %s1 = arith.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>
  %s2 = arith.constant dense<[[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]]> : tensor<2x3xf32>
  %y = moe.experts relu %x, %w, %i fc1 %fc1 fc2 %fc2 shared_fc1 %s1 shared_fc2 %s2
      : (tensor<?x2xf32>, tensor<?x1xf32>, tensor<?x1xi32>, tensor<2x3x2xf32>, tensor<2x2x3xf32>, tensor<3x2xf32>, tensor<2x3xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}
