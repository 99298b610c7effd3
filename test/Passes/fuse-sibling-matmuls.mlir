// RUN: moe-opt %s --moe-fuse-sibling-matmuls | FileCheck %s

// Q, K and V projections of one input: one matmul by the weights
// concatenated along N (row k: Wq's row, then Wk's, then Wv's), each
// projection a slice of its result.
// CHECK-LABEL: func.func @qkv
// CHECK:     %[[W:.*]] = arith.constant dense<{{\[\[}}1.000000e+00, 2.000000e+00, 5.000000e+00, 7.000000e+00], [3.000000e+00, 4.000000e+00, 6.000000e+00, 8.000000e+00]]> : tensor<2x4xf32>
// CHECK:     %[[Y:.*]] = linalg.generic {{.*}} ins(%arg0, %[[W]] : tensor<?x3x2xf32>, tensor<2x4xf32>) outs(%{{.*}} : tensor<?x3x4xf32>)
// CHECK-DAG: %[[Q:.*]] = tensor.extract_slice %[[Y]][0, 0, 0] [%{{.*}}, 3, 2] [1, 1, 1] : tensor<?x3x4xf32> to tensor<?x3x2xf32>
// CHECK-DAG: %[[K:.*]] = tensor.extract_slice %[[Y]][0, 0, 2] [%{{.*}}, 3, 1] [1, 1, 1] : tensor<?x3x4xf32> to tensor<?x3x1xf32>
// CHECK-DAG: %[[V:.*]] = tensor.extract_slice %[[Y]][0, 0, 3] [%{{.*}}, 3, 1] [1, 1, 1] : tensor<?x3x4xf32> to tensor<?x3x1xf32>
// CHECK:     return %[[Q]], %[[K]], %[[V]]
#a = affine_map<(b, s, n, k) -> (b, s, k)>
#w = affine_map<(b, s, n, k) -> (k, n)>
#c = affine_map<(b, s, n, k) -> (b, s, n)>
func.func @qkv(%x: tensor<?x3x2xf32>) -> (tensor<?x3x2xf32>, tensor<?x3x1xf32>, tensor<?x3x1xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %b = tensor.dim %x, %c0 : tensor<?x3x2xf32>
  %wq = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %wk = arith.constant dense<[[5.0], [6.0]]> : tensor<2x1xf32>
  %wv = arith.constant dense<[[7.0], [8.0]]> : tensor<2x1xf32>
  %eq = tensor.empty(%b) : tensor<?x3x2xf32>
  %iq = linalg.fill ins(%zero : f32) outs(%eq : tensor<?x3x2xf32>) -> tensor<?x3x2xf32>
  %q = linalg.generic {indexing_maps = [#a, #w, #c], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%x, %wq : tensor<?x3x2xf32>, tensor<2x2xf32>) outs(%iq : tensor<?x3x2xf32>) {
  ^bb0(%in: f32, %in_w: f32, %acc: f32):
    %p = arith.mulf %in, %in_w : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x3x2xf32>
  %ek = tensor.empty(%b) : tensor<?x3x1xf32>
  %ik = linalg.fill ins(%zero : f32) outs(%ek : tensor<?x3x1xf32>) -> tensor<?x3x1xf32>
  %k = linalg.generic {indexing_maps = [#a, #w, #c], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%x, %wk : tensor<?x3x2xf32>, tensor<2x1xf32>) outs(%ik : tensor<?x3x1xf32>) {
  ^bb0(%in: f32, %in_w: f32, %acc: f32):
    %p = arith.mulf %in, %in_w : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x3x1xf32>
  %v = linalg.generic {indexing_maps = [#a, #w, #c], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%x, %wv : tensor<?x3x2xf32>, tensor<2x1xf32>) outs(%ik : tensor<?x3x1xf32>) {
  ^bb0(%in: f32, %in_w: f32, %acc: f32):
    %p = arith.mulf %in, %in_w : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x3x1xf32>
  return %q, %k, %v : tensor<?x3x2xf32>, tensor<?x3x1xf32>, tensor<?x3x1xf32>
}

// A matmul by a weight that is not a constant, or alone on its input,
// stays as it is.
// CHECK-LABEL: func.func @alone
// CHECK-NOT: tensor.extract_slice
func.func @alone(%x: tensor<4x2xf32>, %w: tensor<2x2xf32>) -> (tensor<4x2xf32>, tensor<4x2xf32>) {
  %zero = arith.constant 0.0 : f32
  %c = arith.constant dense<1.0> : tensor<2x2xf32>
  %e = tensor.empty() : tensor<4x2xf32>
  %i = linalg.fill ins(%zero : f32) outs(%e : tensor<4x2xf32>) -> tensor<4x2xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : tensor<4x2xf32>, tensor<2x2xf32>) outs(%i : tensor<4x2xf32>) {
  ^bb0(%in: f32, %in_w: f32, %acc: f32):
    %p = arith.mulf %in, %in_w : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x2xf32>
  %z = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %c : tensor<4x2xf32>, tensor<2x2xf32>) outs(%i : tensor<4x2xf32>) {
  ^bb0(%in: f32, %in_w: f32, %acc: f32):
    %p = arith.mulf %in, %in_w : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x2xf32>
  return %y, %z : tensor<4x2xf32>, tensor<4x2xf32>
}

// 32 columns (a register tile's width) and 16 would fuse into 48, which
// the tile does not divide: left apart.
// CHECK-LABEL: func.func @tile_width_kept
// CHECK-NOT: tensor.extract_slice
func.func @tile_width_kept(%x: tensor<8x2xf32>) -> (tensor<8x32xf32>, tensor<8x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %w1 = arith.constant dense<1.0> : tensor<2x32xf32>
  %w2 = arith.constant dense<2.0> : tensor<2x16xf32>
  %e1 = tensor.empty() : tensor<8x32xf32>
  %i1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<8x32xf32>) -> tensor<8x32xf32>
  %y1 = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w1 : tensor<8x2xf32>, tensor<2x32xf32>) outs(%i1 : tensor<8x32xf32>) {
  ^bb0(%in: f32, %in_w: f32, %acc: f32):
    %p = arith.mulf %in, %in_w : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  %e2 = tensor.empty() : tensor<8x16xf32>
  %i2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<8x16xf32>) -> tensor<8x16xf32>
  %y2 = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w2 : tensor<8x2xf32>, tensor<2x16xf32>) outs(%i2 : tensor<8x16xf32>) {
  ^bb0(%in: f32, %in_w: f32, %acc: f32):
    %p = arith.mulf %in, %in_w : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x16xf32>
  return %y1, %y2 : tensor<8x32xf32>, tensor<8x16xf32>
}
