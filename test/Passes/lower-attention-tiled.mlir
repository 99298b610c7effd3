// RUN: moe-opt %s --moe-lower-to-linalg -split-input-file | FileCheck %s

// Causal GQA over 128 keys: one forall over (batch, head, 64-row tile);
// the kv head is the query head / 4 (no repeated K or V); the query rows
// scaled once; the key tiles run from 0 to just past the tile's last row
// (causal), each a 64 x 32 by 32 x 64 product on a slice of K transposed
// once, added to the tile's mask (0 or -inf: no zero fill, no masking
// pass); the softmax carried online, and P V a 64 x 64 by 64 x 32 product
// added to the output so far, rescaled in place.
// CHECK-LABEL: func @causal_gqa
// CHECK-DAG: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK-DAG: %[[SCALE:.*]] = arith.constant 0.176776692 : f32
// CHECK:     linalg.transpose ins(%{{.*}} : tensor<1x2x128x32xf32>) {{.*}} permutation = [0, 1, 3, 2]
// CHECK:     scf.forall (%[[B:.*]], %[[H:.*]], %[[T:.*]]) in (1, 8, 2)
// CHECK:       %[[KV:.*]] = arith.divui %[[H]], %c4
// CHECK:       %[[ROW:.*]] = arith.muli %[[T]], %c64
// CHECK:       %[[QROWS:.*]] = tensor.extract_slice %{{.*}}[%[[B]], %[[H]], %[[ROW]], 0] [1, 1, 64, 32]
// CHECK:       %[[Q:.*]] = linalg.generic {{.*}} ins(%[[QROWS]] : tensor<64x32xf32>)
// CHECK:         arith.mulf %{{.*}}, %[[SCALE]]
// CHECK:       %[[LAST:.*]] = arith.addi %[[ROW]], %c63
// CHECK:       %[[TILES:.*]] = arith.divui %[[LAST]], %c64
// CHECK:       %[[HI:.*]] = arith.addi %[[TILES]], %c1
// CHECK:       scf.for %{{.*}} = %c0 to %{{.*}} step %c1 iter_args({{.*}}, %[[ACC:.*]] = %{{.*}}) -> (tensor<64xf32>, tensor<64xf32>, tensor<64x32xf32>)
// CHECK:         %[[KT:.*]] = tensor.extract_slice %{{.*}}[%[[B]], %[[KV]], 0, %{{.*}}] [1, 1, 32, 64] [1, 1, 1, 1] : tensor<1x2x32x128xf32> to tensor<32x64xf32>
// CHECK:         %[[MASK:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<64x64xf32>)
// CHECK:           arith.cmpi ule
// CHECK:           arith.select %{{.*}}, %{{.*}}, %[[NEGINF]]
// CHECK:         linalg.generic {{.*}} ins(%[[Q]], %[[KT]] : tensor<64x32xf32>, tensor<32x64xf32>) outs(%[[MASK]] : tensor<64x64xf32>)
// CHECK:         %[[RESCALED:.*]] = linalg.generic {{.*}} outs(%[[ACC]] : tensor<64x32xf32>)
// CHECK:         linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<64x64xf32>, tensor<64x32xf32>) outs(%[[RESCALED]] : tensor<64x32xf32>)
// CHECK:     tensor.parallel_insert_slice %{{.*}} into %{{.*}}[%[[B]], %[[H]], %[[ROW]], 0] [1, 1, 64, 32]
// CHECK-NOT: moe.attention
func.func @causal_gqa(%q: tensor<1x8x128x32xf32>, %k: tensor<1x2x128x32xf32>, %v: tensor<1x2x128x32xf32>) -> tensor<1x8x128x32xf32> {
  %0 = moe.attention %q, %k, %v {causal} : (tensor<1x8x128x32xf32>, tensor<1x2x128x32xf32>, tensor<1x2x128x32xf32>) -> tensor<1x8x128x32xf32>
  return %0 : tensor<1x8x128x32xf32>
}

// -----

// A left window: key tiles start at the tile holding the first row's
// first visible key (clamped at 0).
// CHECK-LABEL: func @window
// CHECK:     scf.forall
// CHECK:       %[[FROM:.*]] = arith.subi %{{.*}}, %c100
// CHECK:       %[[CLAMPED:.*]] = arith.maxsi %[[FROM]], %c0
// CHECK:       %[[LO:.*]] = arith.divui %[[CLAMPED]], %c64
// CHECK:       scf.for %{{.*}} = %[[LO]] to
func.func @window(%q: tensor<1x2x256x16xf32>, %k: tensor<1x2x256x16xf32>, %v: tensor<1x2x256x16xf32>) -> tensor<1x2x256x16xf32> {
  %0 = moe.attention %q, %k, %v {causal, window_left = 100 : i64} : (tensor<1x2x256x16xf32>, tensor<1x2x256x16xf32>, tensor<1x2x256x16xf32>) -> tensor<1x2x256x16xf32>
  return %0 : tensor<1x2x256x16xf32>
}

// -----

// Few keys, or an explicit mask: the direct form.
// CHECK-LABEL: func @short
// CHECK-NOT: scf.forall
// CHECK: return
func.func @short(%q: tensor<1x2x16x16xf32>, %k: tensor<1x2x16x16xf32>, %v: tensor<1x2x16x16xf32>) -> tensor<1x2x16x16xf32> {
  %0 = moe.attention %q, %k, %v {causal} : (tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>) -> tensor<1x2x16x16xf32>
  return %0 : tensor<1x2x16x16xf32>
}
