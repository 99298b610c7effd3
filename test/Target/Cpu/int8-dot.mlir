// RUN: moe-opt %s --moe-cpu-int8-dot --moe-cpu-int8-dot-products=vnni=true | FileCheck %s --check-prefixes=CHECK,VNNI
// RUN: moe-opt %s --moe-cpu-int8-dot | FileCheck %s --check-prefixes=CHECK,PORTABLE
// RUN: moe-opt %s --moe-cpu-int8-dot --moe-cpu-int8-dot-products | FileCheck %s --check-prefix=ADDS

// An i32 matmul of int8 rows by constant signed weights w[k, n] =
// 16 k + n - 32: the weights packed [n / 16][k / 4][n % 16][k % 4] and
// offset by 128 (vpdpbusd's unsigned operand): w[0..3, 0] + 128 = 96, 112,
// 128, 144 as bytes; 128 * each row's sum comes off. Tiles of 6, 4, 2, 1
// rows over the run-time row count, each a loop over k / 4 steps.
// CHECK-LABEL: func @signed_weights
// Without VNNI, the 16 x 4 products transposed and added as 4 vectors.
// ADDS-LABEL: func @signed_weights
// ADDS: vector.transpose %{{.*}}, [1, 0] : vector<16x4xi32> to vector<4x16xi32>
// ADDS-NOT: vector.multi_reduction
// ADDS-LABEL: func @unsigned_expert
// CHECK: %[[OFF:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK:   arith.extsi
// CHECK:   arith.shli
// CHECK: arith.constant dense<{{\[\[}}96, 112, -128, -112, 97, 113, -127, -111, {{.*}}]]> : tensor<1x64xi8>
// The zero fill is not read: the sums start from zero vectors in the
// tiles of an empty tensor.
// CHECK: %[[EMPTY:.*]] = tensor.empty(%{{.*}}) : tensor<?x16xi32>
// CHECK: scf.forall {{.*}} shared_outs(%{{.*}} = %[[EMPTY]])
// CHECK:   arith.constant dense<0> : vector<16xi32>
// CHECK:   scf.for
// CHECK:     vector.transfer_read {{.*}} : tensor<1x64xi8>, vector<64xi8>
// CHECK:     vector.transfer_read %arg0{{.*}} : tensor<?x4xi8>, vector<4xi8>
// VNNI:      llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// PORTABLE:  vector.multi_reduction <add>
// CHECK:   tensor.extract %[[OFF]]
// CHECK:   arith.subi
// CHECK:   scf.forall.in_parallel
// CHECK:     tensor.parallel_insert_slice
// CHECK-COUNT-3: {{scf.forall \(}}
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @signed_weights(%a: tensor<?x4xi8>) -> tensor<?x16xi32> {
  %w = arith.constant dense<[[-32, -31, -30, -29, -28, -27, -26, -25, -24, -23, -22, -21, -20, -19, -18, -17],
                             [-16, -15, -14, -13, -12, -11, -10, -9, -8, -7, -6, -5, -4, -3, -2, -1],
                             [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
                             [16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31]]> : tensor<4x16xi8>
  %c0 = arith.constant 0 : i32
  %c0_idx = arith.constant 0 : index
  %m = tensor.dim %a, %c0_idx : tensor<?x4xi8>
  %e = tensor.empty(%m) : tensor<?x16xi32>
  %init = linalg.fill ins(%c0 : i32) outs(%e : tensor<?x16xi32>) -> tensor<?x16xi32>
  %r = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x4xi8>, tensor<4x16xi8>) outs(%init : tensor<?x16xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xe = arith.extsi %x : i8 to i32
    %ye = arith.extsi %y : i8 to i32
    %p = arith.muli %xe, %ye : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  } -> tensor<?x16xi32>
  return %r : tensor<?x16xi32>
}

// -----

// Unsigned weights are stored as they are (no offset, no row sums); an
// expert's slice of a constant stack packs the whole stack once and slices
// it. K not a multiple of 4 stays a generic.
// CHECK-LABEL: func @unsigned_expert
// CHECK-NOT: arith.shli
// CHECK: arith.constant dense_resource<int8_dot_weights> : tensor<2x1x64xi8>
// CHECK: tensor.extract_slice %{{.*}}[%arg1, 0, 0] [1, 1, 64] [1, 1, 1] : tensor<2x1x64xi8> to tensor<1x64xi8>
// CHECK: scf.forall
// CHECK-NOT: arith.subi
// CHECK: scf.forall.in_parallel
func.func @unsigned_expert(%a: tensor<8x4xi8>, %e: index) -> tensor<8x16xi32> {
  %stack = arith.constant dense<[[[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
                                 [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
                                 [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
                                 [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]],
                                [[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
                                 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
                                 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
                                 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]]]> : tensor<2x4x16xi8>
  %w = tensor.extract_slice %stack[%e, 0, 0] [1, 4, 16] [1, 1, 1] : tensor<2x4x16xi8> to tensor<4x16xi8>
  %c0 = arith.constant 0 : i32
  %empty = tensor.empty() : tensor<8x16xi32>
  %init = linalg.fill ins(%c0 : i32) outs(%empty : tensor<8x16xi32>) -> tensor<8x16xi32>
  %r = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<8x4xi8>, tensor<4x16xi8>) outs(%init : tensor<8x16xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xe = arith.extsi %x : i8 to i32
    %ye = arith.extui %y : i8 to i32
    %p = arith.muli %ye, %xe : i32
    %s = arith.addi %p, %acc : i32
    linalg.yield %s : i32
  } -> tensor<8x16xi32>
  return %r : tensor<8x16xi32>
}

// -----

// MatMulInteger's form, (a - za) (b - zb) with zero points from outside:
// the plain product (tiled), the rows' sums of a, the columns' sums of the
// constant b (3 and 4 for columns 0 and 1; the rest 0), then
// C + sum - zb rowsum - za colsum + K za zb.
// CHECK-LABEL: func @zero_points
// CHECK: scf.forall
// CHECK: %[[ROWS:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK:   arith.extui
// CHECK: %[[COLS:.*]] = arith.constant dense<[3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]> : tensor<16xi32>
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[ROWS]], %[[COLS]] : tensor<8x16xi32>, tensor<8xi32>, tensor<16xi32>)
// CHECK:   arith.muli %arg2, %{{.*}} : i32
// CHECK:   arith.subi
// CHECK:   arith.muli %arg1, %{{.*}} : i32
// CHECK:   arith.subi
func.func @zero_points(%a: tensor<8x4xi8>, %za: i32, %zb: i32) -> tensor<8x16xi32> {
  %w = arith.constant dense<[[1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                             [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                             [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                             [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]> : tensor<4x16xi8>
  %c0 = arith.constant 0 : i32
  %empty = tensor.empty() : tensor<8x16xi32>
  %init = linalg.fill ins(%c0 : i32) outs(%empty : tensor<8x16xi32>) -> tensor<8x16xi32>
  %r = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<8x4xi8>, tensor<4x16xi8>) outs(%init : tensor<8x16xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xe = arith.extui %x : i8 to i32
    %xs = arith.subi %xe, %za : i32
    %ye = arith.extsi %y : i8 to i32
    %ys = arith.subi %ye, %zb : i32
    %p = arith.muli %xs, %ys : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  } -> tensor<8x16xi32>
  return %r : tensor<8x16xi32>
}

// -----

// Batched rows [2, 4, K] with a zero point per row ([2, 4, 1]) and one per
// column ([16]), as MatMulInteger imports them: the rows collapse to
// [8, K] (the zero points per row with them), the plain product is tiled
// and the correction reads the zero points per row and per column,
// widened as the product widened them (the maps: e2e/matmul-integer.test's
// numerics).
// CHECK-LABEL: func @zero_points_per_axis
// CHECK: %[[A8:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : tensor<2x4x4xi8> into tensor<8x4xi8>
// CHECK: %[[ZA8:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : tensor<2x4x1xi8> into tensor<8x1xi8>
// CHECK: scf.forall
// CHECK: %[[ROWS:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK: %[[COLS:.*]] = arith.constant dense<[3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]> : tensor<16xi32>
// CHECK: %[[R:.*]] = linalg.generic
// CHECK-SAME: ins(%{{.*}}, %[[ROWS]], %[[COLS]], %[[ZA8]], %{{.*}} : tensor<8x16xi32>, tensor<8xi32>, tensor<16xi32>, tensor<8x1xi8>, tensor<16xi8>)
// CHECK:   ^bb0(%{{.*}}: i32, %[[RS:.*]]: i32, %[[CS:.*]]: i32, %[[ZAI:.*]]: i8, %[[ZBI:.*]]: i8, %{{.*}}: i32):
// CHECK:   %[[ZAW:.*]] = arith.extui %[[ZAI]] : i8 to i32
// CHECK:   %[[ZBW:.*]] = arith.extsi %[[ZBI]] : i8 to i32
// CHECK:   arith.muli %[[ZBW]], %[[RS]] : i32
// CHECK:   arith.muli %[[ZAW]], %[[CS]] : i32
// CHECK: tensor.expand_shape %[[R]] {{\[}}[0, 1], [2]] output_shape [2, 4, 16] : tensor<8x16xi32> into tensor<2x4x16xi32>
func.func @zero_points_per_axis(%a: tensor<2x4x4xi8>, %za: tensor<2x4x1xi8>, %zb: tensor<16xi8>) -> tensor<2x4x16xi32> {
  %w = arith.constant dense<[[1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                             [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                             [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                             [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]> : tensor<4x16xi8>
  %c0 = arith.constant 0 : i32
  %empty = tensor.empty() : tensor<2x4x16xi32>
  %init = linalg.fill ins(%c0 : i32) outs(%empty : tensor<2x4x16xi32>) -> tensor<2x4x16xi32>
  %r = linalg.generic {indexing_maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (k, n)>,
                                        affine_map<(b, m, n, k) -> (b, m, 0)>, affine_map<(b, m, n, k) -> (n)>,
                                        affine_map<(b, m, n, k) -> (b, m, n)>],
                       iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %w, %za, %zb : tensor<2x4x4xi8>, tensor<4x16xi8>, tensor<2x4x1xi8>, tensor<16xi8>) outs(%init : tensor<2x4x16xi32>) {
  ^bb0(%x: i8, %y: i8, %zx: i8, %zy: i8, %acc: i32):
    %zxe = arith.extui %zx : i8 to i32
    %xe = arith.extui %x : i8 to i32
    %xs = arith.subi %xe, %zxe : i32
    %zye = arith.extsi %zy : i8 to i32
    %ye = arith.extsi %y : i8 to i32
    %ys = arith.subi %ye, %zye : i32
    %p = arith.muli %xs, %ys : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  } -> tensor<2x4x16xi32>
  return %r : tensor<2x4x16xi32>
}

// -----

// A zero point read along K is not one per row: left alone.
// CHECK-LABEL: func @zero_points_along_k
// CHECK-NOT: scf.forall
// CHECK: return
func.func @zero_points_along_k(%a: tensor<8x4xi8>, %za: tensor<4xi8>) -> tensor<8x16xi32> {
  %w = arith.constant dense<1> : tensor<4x16xi8>
  %c0 = arith.constant 0 : i32
  %empty = tensor.empty() : tensor<8x16xi32>
  %init = linalg.fill ins(%c0 : i32) outs(%empty : tensor<8x16xi32>) -> tensor<8x16xi32>
  %r = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>,
                                        affine_map<(m, n, k) -> (k)>, affine_map<(m, n, k) -> (m, n)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w, %za : tensor<8x4xi8>, tensor<4x16xi8>, tensor<4xi8>) outs(%init : tensor<8x16xi32>) {
  ^bb0(%x: i8, %y: i8, %zx: i8, %acc: i32):
    %zxe = arith.extsi %zx : i8 to i32
    %xe = arith.extsi %x : i8 to i32
    %xs = arith.subi %xe, %zxe : i32
    %ye = arith.extsi %y : i8 to i32
    %p = arith.muli %xs, %ye : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  } -> tensor<8x16xi32>
  return %r : tensor<8x16xi32>
}

// -----

// CHECK-LABEL: func @odd_depth
// CHECK: linalg.generic
// CHECK-NOT: scf.forall
func.func @odd_depth(%a: tensor<8x6xi8>, %w: tensor<6x16xi8>) -> tensor<8x16xi32> {
  %c0 = arith.constant 0 : i32
  %empty = tensor.empty() : tensor<8x16xi32>
  %init = linalg.fill ins(%c0 : i32) outs(%empty : tensor<8x16xi32>) -> tensor<8x16xi32>
  %r = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<8x6xi8>, tensor<6x16xi8>) outs(%init : tensor<8x16xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %xe = arith.extsi %x : i8 to i32
    %ye = arith.extsi %y : i8 to i32
    %p = arith.muli %xe, %ye : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  } -> tensor<8x16xi32>
  return %r : tensor<8x16xi32>
}

// The expert stack's packed bytes (after the blob's 4-byte alignment),
// expert 0's then expert 1's.
// CHECK: int8_dot_weights: "0x400000000000000001010101020202020303030304040404{{.*}}0F0F0F0F01010101
