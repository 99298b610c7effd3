// RUN: moe-opt %s --moe-cpu-reshapes-as-views | FileCheck %s

// Static reshapes that split or merge dims become expand_shape /
// collapse_shape, which bufferize to views of a strided source (here a
// block of columns, like Q sliced out of a fused Q/K/V result) instead of
// a copy of it (the merge of the split folds into one of the slice).
// CHECK-LABEL: func @split_and_merge
// CHECK: %[[Q:.*]] = tensor.extract_slice
// CHECK: %[[HEADS:.*]] = tensor.expand_shape %[[Q]] {{\[\[}}0], [1], [2, 3]] output_shape [1, 8, 2, 4] : tensor<1x8x8xf32> into tensor<1x8x2x4xf32>
// CHECK: tensor.collapse_shape %[[Q]] {{\[\[}}0, 1], [2]] : tensor<1x8x8xf32> into tensor<8x8xf32>
func.func @split_and_merge(%qkv: tensor<1x8x12xf32>) -> (tensor<1x8x2x4xf32>, tensor<8x8xf32>) {
  %q = tensor.extract_slice %qkv[0, 0, 0] [1, 8, 8] [1, 1, 1] : tensor<1x8x12xf32> to tensor<1x8x8xf32>
  %split = arith.constant dense<[1, 8, 2, 4]> : tensor<4xi64>
  %heads = tensor.reshape %q(%split) : (tensor<1x8x8xf32>, tensor<4xi64>) -> tensor<1x8x2x4xf32>
  %merge = arith.constant dense<[8, 8]> : tensor<2xi64>
  %rows = tensor.reshape %heads(%merge) : (tensor<1x8x2x4xf32>, tensor<2xi64>) -> tensor<8x8xf32>
  return %heads, %rows : tensor<1x8x2x4xf32>, tensor<8x8xf32>
}

// A reshape that is neither (the dims regrouped across each other), one of
// the same rank, and one with two run-time sizes on a side stay
// tensor.reshape.
// CHECK-LABEL: func @left_alone
// CHECK-COUNT-3: tensor.reshape
// CHECK-NOT: expand_shape
// CHECK-NOT: collapse_shape
func.func @left_alone(%x: tensor<2x3xf32>, %y: tensor<?x?x4xf32>, %s2: tensor<2xi64>, %s3: tensor<3xi64>)
    -> (tensor<3x2xf32>, tensor<1x6xf32>, tensor<?x2x2xf32>) {
  %regrouped = tensor.reshape %x(%s2) : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<3x2xf32>
  %same_rank = tensor.reshape %x(%s2) : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<1x6xf32>
  %dynamic = tensor.reshape %y(%s3) : (tensor<?x?x4xf32>, tensor<3xi64>) -> tensor<?x2x2xf32>
  return %regrouped, %same_rank, %dynamic : tensor<3x2xf32>, tensor<1x6xf32>, tensor<?x2x2xf32>
}

// One run-time dim on each side (a prompt's length: q's heads split off a
// [1, S, 1024] projection, and heads merged back into rows): the static
// dims' products fix it, so these are views too.
// CHECK-LABEL: func @split_and_merge_symbolic
// CHECK: tensor.expand_shape %arg0 {{\[\[}}0], [1], [2, 3]] output_shape [1, %{{.*}}, 16, 64] : tensor<1x?x1024xf32> into tensor<1x?x16x64xf32>
// CHECK: tensor.collapse_shape %arg1 {{\[\[}}0], [1], [2, 3]] : tensor<1x?x16x64xf32> into tensor<1x?x1024xf32>
func.func @split_and_merge_symbolic(%q: tensor<1x?x1024xf32>, %o: tensor<1x?x16x64xf32>, %s4: tensor<4xi64>, %s3: tensor<3xi64>) -> (tensor<1x?x16x64xf32>, tensor<1x?x1024xf32>) {
  %heads = tensor.reshape %q(%s4) : (tensor<1x?x1024xf32>, tensor<4xi64>) -> tensor<1x?x16x64xf32>
  %rows = tensor.reshape %o(%s3) : (tensor<1x?x16x64xf32>, tensor<3xi64>) -> tensor<1x?x1024xf32>
  return %heads, %rows : tensor<1x?x16x64xf32>, tensor<1x?x1024xf32>
}

// [2, 3] -> [3, 2] has no split/merge grouping; [6] -> [2, 3] of a 1-d
// source does.
// CHECK-LABEL: func @rank_change_without_grouping
// CHECK: tensor.reshape %{{.*}} : (tensor<2x3xf32>, tensor<3xi64>) -> tensor<3x1x2xf32>
func.func @rank_change_without_grouping(%x: tensor<2x3xf32>, %s3: tensor<3xi64>) -> tensor<3x1x2xf32> {
  %r = tensor.reshape %x(%s3) : (tensor<2x3xf32>, tensor<3xi64>) -> tensor<3x1x2xf32>
  return %r : tensor<3x1x2xf32>
}
