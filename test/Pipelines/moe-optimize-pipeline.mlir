// RUN: moe-opt %s --moe-optimize-pipeline | FileCheck %s

// The pipeline canonicalises the router (all groups kept: plain top-k),
// decomposes the experts and merges what the two decompositions share.
// CHECK-LABEL: func @two_layers
// CHECK: %[[W:.*]], %[[I:.*]] = moe.route softmax %{{.*}} {k = 2 : i64, renormalize} :
// CHECK: %[[XS:.*]], %[[PERM:.*]], %[[OFF:.*]] = moe.dispatch %{{.*}}, %[[I]] {num_experts = 4 : i64}
// CHECK-NOT: moe.dispatch
// CHECK-COUNT-2: moe.grouped_matmul %{{.*}}, %{{.*}}, %[[OFF]]
// CHECK: moe.combine %{{.*}}, %[[PERM]], %[[W]]
// CHECK-COUNT-2: moe.grouped_matmul %{{.*}}, %{{.*}}, %[[OFF]]
// CHECK: moe.combine %{{.*}}, %[[PERM]], %[[W]]
// CHECK-NOT: moe.experts
func.func @two_layers(%x: tensor<?x16xf32>, %logits: tensor<?x4xf32>,
    %a1: tensor<4x32x16xf32>, %a2: tensor<4x16x32xf32>,
    %b1: tensor<4x32x16xf32>, %b2: tensor<4x16x32xf32>) -> (tensor<?x16xf32>, tensor<?x16xf32>) {
  %w, %i = moe.route softmax %logits {k = 2 : i64, renormalize, n_group = 2 : i64, topk_group = 2 : i64} : tensor<?x4xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  %y = moe.experts silu %x, %w, %i fc1 %a1 fc2 %a2 : (tensor<?x16xf32>, tensor<?x2xf32>, tensor<?x2xi32>, tensor<4x32x16xf32>, tensor<4x16x32xf32>) -> tensor<?x16xf32>
  %z = moe.experts relu %x, %w, %i fc1 %b1 fc2 %b2 : (tensor<?x16xf32>, tensor<?x2xf32>, tensor<?x2xi32>, tensor<4x32x16xf32>, tensor<4x16x32xf32>) -> tensor<?x16xf32>
  return %y, %z : tensor<?x16xf32>, tensor<?x16xf32>
}
