// RUN: moe-opt %s --moe-lower-to-linalg -split-input-file | FileCheck %s

// Causal GQA over 128 keys: one forall over (batch, head, 64-row tile);
// the kv head is the query head / 4 (no repeated K or V); the query rows
// scaled and transposed once; the key tiles run from 0 to just past the
// tile's last row (causal). Rows fill whole register tiles, so the tiles
// are keys x rows: S^T = K Q^T, a 64 x 32 slice of K where it lies by the
// 32 x 64 Q^T, added to the tile's mask (0 or -inf: no zero fill, no
// masking pass); the maxima and sums over keys run down the tile
// (reduction, parallel); O^T += V^T P^T with V^T transposed once per call
// into one block per key tile, and the output tile transposed back once.
// CHECK-LABEL: func @causal_gqa
// CHECK-DAG: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK-DAG: %[[SCALE:.*]] = arith.constant 0.176776692 : f32
// CHECK:     %[[VBLOCKS:.*]] = tensor.expand_shape %arg2 {{\[}}[0], [1], [2, 3], [4]] output_shape [1, 2, 2, 64, 32]
// CHECK:     %[[VT:.*]] = linalg.transpose ins(%[[VBLOCKS]] : tensor<1x2x2x64x32xf32>) {{.*}} permutation = [0, 1, 2, 4, 3]
// CHECK:     scf.forall (%[[B:.*]], %[[H:.*]], %[[T:.*]]) in (1, 8, 2)
// CHECK:       %[[KV:.*]] = arith.divui %[[H]], %c4
// CHECK:       %[[ROW:.*]] = arith.muli %[[T]], %c64
// CHECK:       %[[QROWS:.*]] = tensor.extract_slice %{{.*}}[%[[B]], %[[H]], %[[ROW]], 0] [1, 1, 64, 32]
// CHECK:       %[[QT:.*]] = linalg.generic {indexing_maps = [#[[ID:.*]], #[[TR:.*]]], {{.*}} ins(%[[QROWS]] : tensor<64x32xf32>) outs(%{{.*}} : tensor<32x64xf32>)
// CHECK:         arith.mulf %{{.*}}, %[[SCALE]]
// CHECK:       %[[LAST:.*]] = arith.addi %[[ROW]], %c63
// CHECK:       %[[TILES:.*]] = arith.divui %[[LAST]], %c64
// CHECK:       %[[HI:.*]] = arith.addi %[[TILES]], %c1
// CHECK:       scf.for %[[KT:.*]] = %c0 to %{{.*}} step %c1 iter_args({{.*}}, %[[ACC:.*]] = %{{.*}}) -> (tensor<64xf32>, tensor<64xf32>, tensor<32x64xf32>)
// CHECK:         %[[KSTART:.*]] = arith.muli %[[KT]], %c64
// CHECK:         %[[VTILE:.*]] = tensor.extract_slice %[[VT]][%[[B]], %[[KV]], %[[KT]], 0, 0] [1, 1, 1, 32, 64] [1, 1, 1, 1, 1] : tensor<1x2x2x32x64xf32> to tensor<32x64xf32>
// CHECK:         %[[MASK:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<64x64xf32>)
// CHECK:           arith.cmpi ule
// CHECK:           arith.select %{{.*}}, %{{.*}}, %[[NEGINF]]
// CHECK:         %[[KTILE:.*]] = tensor.extract_slice %arg1[%[[B]], %[[KV]], %[[KSTART]], 0] [1, 1, 64, 32]
// CHECK:         %[[S:.*]] = linalg.generic {{.*}} ins(%[[KTILE]], %[[QT]] : tensor<64x32xf32>, tensor<32x64xf32>) outs(%[[MASK]] : tensor<64x64xf32>)
// CHECK:         linalg.generic {indexing_maps = [#[[ID]], #[[ROWS:.*]]], iterator_types = ["reduction", "parallel"]} ins(%[[S]] : tensor<64x64xf32>)
// CHECK:           arith.maxnumf
// CHECK:         %[[P:.*]] = linalg.generic {{.*}} outs(%[[S]] : tensor<64x64xf32>)
// CHECK:           math.exp
// CHECK:         linalg.generic {indexing_maps = [#[[ID]], #[[ROWS]]], iterator_types = ["reduction", "parallel"]} ins(%[[P]] : tensor<64x64xf32>)
// CHECK:           arith.addf
// CHECK:         %[[RESCALED:.*]] = linalg.generic {indexing_maps = [#[[ROWS]], #[[ID]]], {{.*}} outs(%[[ACC]] : tensor<32x64xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[VTILE]], %[[P]] : tensor<32x64xf32>, tensor<64x64xf32>) outs(%[[RESCALED]] : tensor<32x64xf32>)
// CHECK:       linalg.generic {indexing_maps = [#[[TR]], {{.*}} ins(%{{.*}}, %{{.*}} : tensor<32x64xf32>, tensor<64xf32>) outs(%{{.*}} : tensor<64x32xf32>)
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

// Row tiles of 16 do not fill a register tile's 32 lanes: the tiles are
// rows x keys, S = Q K^T with K^T transposed once per call into one block
// per key tile, the maxima and sums across each row.
// CHECK-LABEL: func @rows_major
// CHECK:     %[[KBLOCKS:.*]] = tensor.expand_shape %arg1 {{\[}}[0], [1], [2, 3], [4]] output_shape [1, 1, 2, 64, 16]
// CHECK:     %[[KT:.*]] = linalg.transpose ins(%[[KBLOCKS]] : tensor<1x1x2x64x16xf32>) {{.*}} permutation = [0, 1, 2, 4, 3]
// CHECK:     scf.forall (%{{.*}}, %{{.*}}, %{{.*}}) in (1, 2, 3)
// CHECK:       scf.for %[[T:arg[0-9]+]] = {{.*}} -> (tensor<16xf32>, tensor<16xf32>, tensor<16x16xf32>)
// CHECK:         %[[KTILE:.*]] = tensor.extract_slice %[[KT]][%{{.*}}, %{{.*}}, %[[T]], 0, 0] [1, 1, 1, 16, 64] {{.*}} to tensor<16x64xf32>
// CHECK:         %[[S:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[KTILE]] : tensor<16x16xf32>, tensor<16x64xf32>) outs(%{{.*}} : tensor<16x64xf32>)
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[S]] : tensor<16x64xf32>)
// CHECK:           arith.maxnumf
func.func @rows_major(%q: tensor<1x2x48x16xf32>, %k: tensor<1x1x128x16xf32>, %v: tensor<1x1x128x16xf32>) -> tensor<1x2x48x16xf32> {
  %0 = moe.attention %q, %k, %v {causal} : (tensor<1x2x48x16xf32>, tensor<1x1x128x16xf32>, tensor<1x1x128x16xf32>) -> tensor<1x2x48x16xf32>
  return %0 : tensor<1x2x48x16xf32>
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
