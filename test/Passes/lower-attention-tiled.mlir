// RUN: moe-opt %s --moe-lower-to-linalg -split-input-file | FileCheck %s

// Causal GQA over 128 keys: one forall over (batch, head, 64-row tile);
// the kv head is the query head / 4 (no repeated K or V); the query rows
// scaled and transposed once; the key tiles run from 0 to just past the
// tile's last row (causal). Rows fill whole register tiles, so the tiles
// are keys x rows: S^T = K Q^T, a 64 x 32 slice of K where it lies by the
// 32 x 64 Q^T, added to the tile's mask (0 or -inf: no zero fill, no
// masking pass); the maxima and sums over keys run down the tile
// (reduction, parallel), into buffers the loop carries (refilled in
// place: no copy of a hoisted fill per tile); O^T += V^T P^T with V^T
// transposed once per call into one block per key tile, and the output
// tile transposed back once.
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
// CHECK:       scf.for %[[KT:.*]] = %c0 to %{{.*}} step %c1 iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %[[ACC:[^ ]*]] = %{{.*}}, %[[MAXS:[^ ]*]] = %{{.*}}, %[[SUMS:[^ ]*]] = %{{.*}}) -> (tensor<64xf32>, tensor<64xf32>, tensor<32x64xf32>, tensor<64xf32>, tensor<64xf32>)
// CHECK:         %[[KSTART:.*]] = arith.muli %[[KT]], %c64
// CHECK:         %[[VTILE:.*]] = tensor.extract_slice %[[VT]][%[[B]], %[[KV]], %[[KT]], 0, 0] [1, 1, 1, 32, 64] [1, 1, 1, 1, 1] : tensor<1x2x2x32x64xf32> to tensor<32x64xf32>
// CHECK:         %[[MASK:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<64x64xf32>)
// CHECK:           arith.cmpi ule
// CHECK:           arith.select %{{.*}}, %{{.*}}, %[[NEGINF]]
// CHECK:         %[[KTILE:.*]] = tensor.extract_slice %arg1[%[[B]], %[[KV]], %[[KSTART]], 0] [1, 1, 64, 32]
// CHECK:         %[[S:.*]] = linalg.generic {{.*}} ins(%[[KTILE]], %[[QT]] : tensor<64x32xf32>, tensor<32x64xf32>) outs(%[[MASK]] : tensor<64x64xf32>)
// CHECK:         %[[MAXINIT:.*]] = linalg.fill ins(%[[NEGINF]] : f32) outs(%[[MAXS]] : tensor<64xf32>)
// CHECK:         linalg.generic {indexing_maps = [#[[ID]], #[[ROWS:.*]]], iterator_types = ["reduction", "parallel"]} ins(%[[S]] : tensor<64x64xf32>) outs(%[[MAXINIT]] : tensor<64xf32>)
// CHECK:           arith.maxnumf
// CHECK:         %[[P:.*]] = linalg.generic {{.*}} outs(%[[S]] : tensor<64x64xf32>)
// CHECK:           math.exp
// CHECK:         %[[SUMINIT:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[SUMS]] : tensor<64xf32>)
// CHECK:         linalg.generic {indexing_maps = [#[[ID]], #[[ROWS]]], iterator_types = ["reduction", "parallel"]} ins(%[[P]] : tensor<64x64xf32>) outs(%[[SUMINIT]] : tensor<64xf32>)
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
// CHECK:       scf.for %[[T:arg[0-9]+]] = {{.*}} -> (tensor<16xf32>, tensor<16xf32>, tensor<16x16xf32>, tensor<16xf32>, tensor<16xf32>)
// CHECK:         %[[KTILE:.*]] = tensor.extract_slice %[[KT]][%{{.*}}, %{{.*}}, %[[T]], 0, 0] [1, 1, 1, 16, 64] {{.*}} to tensor<16x64xf32>
// CHECK:         %[[S:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[KTILE]] : tensor<16x16xf32>, tensor<16x64xf32>) outs(%{{.*}} : tensor<16x64xf32>)
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[S]] : tensor<16x64xf32>)
// CHECK:           arith.maxnumf
func.func @rows_major(%q: tensor<1x2x48x16xf32>, %k: tensor<1x1x128x16xf32>, %v: tensor<1x1x128x16xf32>) -> tensor<1x2x48x16xf32> {
  %0 = moe.attention %q, %k, %v {causal} : (tensor<1x2x48x16xf32>, tensor<1x1x128x16xf32>, tensor<1x1x128x16xf32>) -> tensor<1x2x48x16xf32>
  return %0 : tensor<1x2x48x16xf32>
}

// -----

// Few keys, or no rows: the direct form.
// CHECK-LABEL: func @short
// CHECK-NOT: scf.forall
// CHECK: return
func.func @short(%q: tensor<1x2x16x16xf32>, %k: tensor<1x2x16x16xf32>, %v: tensor<1x2x16x16xf32>) -> tensor<1x2x16x16xf32> {
  %0 = moe.attention %q, %k, %v {causal} : (tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>) -> tensor<1x2x16x16xf32>
  return %0 : tensor<1x2x16x16xf32>
}
// CHECK-LABEL: func @no_rows
// CHECK-NOT: scf.forall
// CHECK: return
func.func @no_rows(%q: tensor<1x2x0x16xf32>, %k: tensor<1x2x128x16xf32>, %v: tensor<1x2x128x16xf32>) -> tensor<1x2x0x16xf32> {
  %0 = moe.attention %q, %k, %v {causal} : (tensor<1x2x0x16xf32>, tensor<1x2x128x16xf32>, tensor<1x2x128x16xf32>) -> tensor<1x2x0x16xf32>
  return %0 : tensor<1x2x0x16xf32>
}

// -----

// A block layout: the direct form.
// CHECK-LABEL: func @layout
// CHECK-NOT: scf.forall
// CHECK: return
func.func @layout(%q: tensor<1x2x128x16xf32>, %k: tensor<1x2x128x16xf32>, %v: tensor<1x2x128x16xf32>, %l: tensor<1x2x2xi1>) -> tensor<1x2x128x16xf32> {
  %0 = moe.attention %q, %k, %v layout %l {block_size = 64 : i64} : (tensor<1x2x128x16xf32>, tensor<1x2x128x16xf32>, tensor<1x2x128x16xf32>, tensor<1x2x2xi1>) -> tensor<1x2x128x16xf32>
  return %0 : tensor<1x2x128x16xf32>
}

// -----

// An explicit additive mask [B, 1, S, keys]: transposed once per call
// (the tiles are keys x rows), and each 64 x 64 block's largest value
// taken once per call into a [B, 1, key tiles, row tiles] table (one
// forall step per batch, head and block row), shared by the 4 query heads.
// Once every row of the tile has seen a key (the running maxima above
// -1e30), a tile whose table entry says the mask hides it entirely (at or
// below -1e30) is skipped, its block never read; a visited tile starts as
// its block of the mask (batch b, head 0: broadcast), -inf where the
// causal mask hides the key, and the scores are added to it as before.
// CHECK-LABEL: func @explicit_mask
// CHECK:     %[[MASKT:.*]] = linalg.transpose ins(%arg3 : tensor<2x1x128x128xf32>) {{.*}} permutation = [0, 1, 3, 2]
// CHECK:     %[[TOPS:.*]] = scf.forall (%[[TB:.*]], %[[TH:.*]], %[[TR:.*]]) in (2, 1, 2) {{.*}} -> (tensor<2x1x2x2xf32>)
// CHECK:       %[[STRIP:.*]] = tensor.extract_slice %[[MASKT]][%[[TB]], %[[TH]], %{{.*}}, 0] [1, 1, 64, 128]
// CHECK:       %[[BLOCKS:.*]] = tensor.expand_shape %[[STRIP]] {{\[}}[0], [1, 2]] output_shape [64, 2, 64]
// CHECK:       linalg.generic {{.*}} iterator_types = ["reduction", "parallel", "reduction"]} ins(%[[BLOCKS]] : tensor<64x2x64xf32>) outs(%{{.*}} : tensor<2xf32>)
// CHECK:         arith.maxnumf
// CHECK:     scf.forall (%[[B:.*]], %[[H:.*]], %[[T:.*]]) in (2, 4, 2)
// CHECK:       %[[ROW:.*]] = arith.muli %[[T]], %c64
// CHECK:       scf.for %[[KT:.*]] = %c0 to {{.*}} iter_args(%[[M:[^ ]*]] = %{{.*}}, %[[L:[^ ]*]] = %{{.*}}, %[[ACC:[^ ]*]] = %{{.*}}, %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}})
// CHECK:         %[[TOPV:.*]] = tensor.extract %[[TOPS]][%[[B]], %c0, %[[KT]], %[[T]]] : tensor<2x1x2x2xf32>
// CHECK:         %[[LOW:.*]] = linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%[[M]] : tensor<64xf32>)
// CHECK:           arith.minimumf
// CHECK:         %[[HIDDEN:.*]] = arith.cmpf ole, %[[TOPV]], %[[FLOOR:.*]] : f32
// CHECK:         %[[LOWV:.*]] = tensor.extract %[[LOW]][]
// CHECK:         %[[SEEN:.*]] = arith.cmpf ogt, %[[LOWV]], %[[FLOOR]] : f32
// CHECK:         %[[SKIP:.*]] = arith.andi %[[HIDDEN]], %[[SEEN]]
// CHECK:         scf.if %[[SKIP]]
// CHECK:           scf.yield %[[M]], %[[L]], %[[ACC]]
// CHECK:         } else {
// CHECK:           %[[BLOCK:.*]] = tensor.extract_slice %[[MASKT]][%[[B]], 0, %{{.*}}, %[[ROW]]] [1, 1, 64, 64] [1, 1, 1, 1] : tensor<2x1x128x128xf32> to tensor<64x64xf32>
// CHECK:           %[[BIAS:.*]] = linalg.generic {indexing_maps = [#[[ID:.*]], #[[ID]]], {{.*}} ins(%[[BLOCK]] : tensor<64x64xf32>) outs(%{{.*}} : tensor<64x64xf32>)
// CHECK:             arith.cmpi ule
// CHECK:             arith.select %{{.*}}, %{{.*}}, %cst
// CHECK:           linalg.generic {{.*}} outs(%[[BIAS]] : tensor<64x64xf32>)
// CHECK-NOT: moe.attention
func.func @explicit_mask(%q: tensor<2x4x128x32xf32>, %k: tensor<2x2x128x32xf32>, %v: tensor<2x2x128x32xf32>, %m: tensor<2x1x128x128xf32>) -> tensor<2x4x128x32xf32> {
  %0 = moe.attention %q, %k, %v mask %m {causal} : (tensor<2x4x128x32xf32>, tensor<2x2x128x32xf32>, tensor<2x2x128x32xf32>, tensor<2x1x128x128xf32>) -> tensor<2x4x128x32xf32>
  return %0 : tensor<2x4x128x32xf32>
}

// -----

// A padding mask of one row for every query ([B, 1, 1, keys]: a key tile's
// block is one row of it, read where it lies): no table; the skip check
// takes the block's largest value per row (lane-wise down the keys-major
// tile, into the buffer the row maxima use next), then over the rows.
// CHECK-LABEL: func @padding_row_mask
// CHECK-NOT: scf.forall {{.*}} -> (tensor<2x1x
// CHECK:     scf.for %[[KT:.*]] = %c0 to {{.*}} iter_args(%[[M:[^ ]*]] = %{{.*}}, %[[L:[^ ]*]] = %{{.*}}, %[[ACC:[^ ]*]] = %{{.*}}, %[[MAXS:[^ ]*]] = %{{.*}}, %{{.*}} = %{{.*}})
// CHECK:       %[[BLOCK:.*]] = tensor.extract_slice %arg3[%{{.*}}, 0, 0, %{{.*}}] [1, 1, 1, 64] [1, 1, 1, 1] : tensor<2x1x1x128xf32> to tensor<1x64xf32>
// CHECK:       %[[BIAS:.*]] = linalg.generic {{.*}} ins(%[[BLOCK]] : tensor<1x64xf32>) outs(%{{.*}} : tensor<64x64xf32>)
// CHECK:       %[[MAXINIT:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[MAXS]] : tensor<64xf32>)
// CHECK:       %[[ROWTOPS:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]} ins(%[[BIAS]] : tensor<64x64xf32>) outs(%[[MAXINIT]] : tensor<64xf32>)
// CHECK:         arith.maxnumf
// CHECK:       %[[TOP:.*]] = linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%[[ROWTOPS]] : tensor<64xf32>)
// CHECK:         arith.maxnumf
// CHECK:       tensor.extract %[[TOP]][]
// CHECK:       scf.if
// CHECK:       } else {
// CHECK:         linalg.fill ins(%{{.*}} : f32) outs(%[[ROWTOPS]] : tensor<64xf32>)
func.func @padding_row_mask(%q: tensor<2x4x128x32xf32>, %k: tensor<2x2x128x32xf32>, %v: tensor<2x2x128x32xf32>, %m: tensor<2x1x1x128xf32>) -> tensor<2x4x128x32xf32> {
  %0 = moe.attention %q, %k, %v mask %m {causal} : (tensor<2x4x128x32xf32>, tensor<2x2x128x32xf32>, tensor<2x2x128x32xf32>, tensor<2x1x1x128xf32>) -> tensor<2x4x128x32xf32>
  return %0 : tensor<2x4x128x32xf32>
}

// -----

// A KV cache of 100 before 8 new keys: the keys are the cache followed by
// the new ones, built in place in the keys padded to 128 with zeros (two
// 64-key tiles), the presents the first 108 of them (a view: the cache is
// copied once); a key at or past 108 hidden; the 8 queries sit at
// positions 100..107, so the causal bound is taken from 100 + the row.
// CHECK-LABEL: func @cache
// CHECK:     %[[KPAST:.*]] = tensor.insert_slice %arg1 into %{{.*}}[0, 0, 0, 0] [1, 2, 100, 64] {{.*}} into tensor<1x2x128x64xf32>
// CHECK:     %[[KALL:.*]] = tensor.insert_slice %arg3 into %[[KPAST]][0, 0, %c100, 0] [1, 2, 8, 64] {{.*}} into tensor<1x2x128x64xf32>
// CHECK:     %[[VPAST:.*]] = tensor.insert_slice %arg2 into %{{.*}}[0, 0, 0, 0] [1, 2, 100, 64] {{.*}} into tensor<1x2x128x64xf32>
// CHECK:     %[[VALL:.*]] = tensor.insert_slice %arg4 into %[[VPAST]][0, 0, %c100, 0] [1, 2, 8, 64] {{.*}} into tensor<1x2x128x64xf32>
// CHECK:     %[[PK:.*]] = tensor.extract_slice %[[KALL]][0, 0, 0, 0] [1, 2, 108, 64] [1, 1, 1, 1] : tensor<1x2x128x64xf32> to tensor<1x2x108x64xf32>
// CHECK:     %[[PV:.*]] = tensor.extract_slice %[[VALL]][0, 0, 0, 0] [1, 2, 108, 64] [1, 1, 1, 1] : tensor<1x2x128x64xf32> to tensor<1x2x108x64xf32>
// CHECK:     scf.forall
// CHECK:       %[[FIRST:.*]] = arith.addi %{{.*}}, %c100
// CHECK:       scf.for
// CHECK:         linalg.generic
// CHECK:           arith.cmpi ult, %{{.*}}, %c108
// CHECK:     return %{{.*}}, %[[PK]], %[[PV]]
func.func @cache(%q: tensor<1x2x8x64xf32>, %pk: tensor<1x2x100x64xf32>, %pv: tensor<1x2x100x64xf32>, %k: tensor<1x2x8x64xf32>, %v: tensor<1x2x8x64xf32>) -> (tensor<1x2x8x64xf32>, tensor<1x2x108x64xf32>, tensor<1x2x108x64xf32>) {
  %0:3 = moe.attention %q, %k, %v past(%pk, %pv) {causal} : (tensor<1x2x8x64xf32>, tensor<1x2x8x64xf32>, tensor<1x2x8x64xf32>, tensor<1x2x100x64xf32>, tensor<1x2x100x64xf32>) -> (tensor<1x2x8x64xf32>, tensor<1x2x108x64xf32>, tensor<1x2x108x64xf32>)
  return %0#0, %0#1, %0#2 : tensor<1x2x8x64xf32>, tensor<1x2x108x64xf32>, tensor<1x2x108x64xf32>
}

// -----

// Global tokens (80: two 64-key tiles) in a causal window of 40: a row
// tile holding a global query visits every tile up to its causal bound;
// the others visit the global tiles, then their window's from past them.
// The scores are capped (5 tanh(s / 5)) before the mask is added.
// CHECK-LABEL: func @global_softcap
// CHECK:     scf.forall
// CHECK:       %[[GLOBALROWS:.*]] = arith.cmpi ult, %{{.*}}, %c80
// CHECK:       %[[LO:.*]] = arith.select %[[GLOBALROWS]], %c0, %{{.*}}
// CHECK:       %[[HI0:.*]] = arith.select %[[GLOBALROWS]]
// CHECK:       %[[HI:.*]] = arith.maxui %[[HI0]], %[[LO]]
// CHECK:       %[[GT:.*]] = arith.minui %[[HI]], %c2
// CHECK:       %[[FROM:.*]] = arith.maxui %[[LO]], %[[GT]]
// CHECK:       %[[WINDOW:.*]] = arith.subi %[[HI]], %[[FROM]]
// CHECK:       %[[STEPS:.*]] = arith.addi %[[GT]], %[[WINDOW]]
// CHECK:       scf.for %[[STEP:.*]] = %c0 to %[[STEPS]]
// CHECK:         %[[INGLOBAL:.*]] = arith.cmpi ult, %[[STEP]], %[[GT]]
// CHECK:         %[[AFTER:.*]] = arith.subi %[[STEP]], %[[GT]]
// CHECK:         %[[WTILE:.*]] = arith.addi %[[AFTER]], %[[FROM]]
// CHECK:         %[[KT:.*]] = arith.select %[[INGLOBAL]], %[[STEP]], %[[WTILE]]
// CHECK:         arith.muli %[[KT]], %c64
// CHECK:         %[[BIAS:.*]] = linalg.generic
// CHECK:           arith.ori
// CHECK:         %[[RAW:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<64x64xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[BIAS]] : tensor<64x64xf32>) outs(%[[RAW]] : tensor<64x64xf32>)
// CHECK:           math.tanh
// CHECK:           arith.addf
func.func @global_softcap(%q: tensor<1x2x256x16xf32>, %k: tensor<1x2x256x16xf32>, %v: tensor<1x2x256x16xf32>) -> tensor<1x2x256x16xf32> {
  %0 = moe.attention %q, %k, %v {causal, window_left = 40 : i64, num_global_tokens = 80 : i64, softcap = 5.0 : f64} : (tensor<1x2x256x16xf32>, tensor<1x2x256x16xf32>, tensor<1x2x256x16xf32>) -> tensor<1x2x256x16xf32>
  return %0 : tensor<1x2x256x16xf32>
}

// -----

// 100 rows and 100 keys, which no tile divides: the queries padded with
// zero rows to 112 (16-row tiles: the widest that pads by at most an
// eighth), keys and values to 128 (64-key tiles, the padding hidden);
// the output cut back to 100 rows.
// CHECK-LABEL: func @odd_rows
// CHECK-DAG: tensor.insert_slice %arg0 into %{{.*}}[0, 0, 0, 0] [1, 2, 100, 16] [1, 1, 1, 1] : tensor<1x2x100x16xf32> into tensor<1x2x112x16xf32>
// CHECK-DAG: tensor.insert_slice %arg1 into %{{.*}}[0, 0, 0, 0] [1, 2, 100, 16] [1, 1, 1, 1] : tensor<1x2x100x16xf32> into tensor<1x2x128x16xf32>
// CHECK:     %[[ALL:.*]] = scf.forall (%{{.*}}, %{{.*}}, %{{.*}}) in (1, 2, 7)
// CHECK:     %[[OUT:.*]] = tensor.extract_slice %[[ALL]][0, 0, 0, 0] [1, 2, 100, 16] [1, 1, 1, 1] : tensor<1x2x112x16xf32> to tensor<1x2x100x16xf32>
// CHECK:     return %[[OUT]]
func.func @odd_rows(%q: tensor<1x2x100x16xf32>, %k: tensor<1x2x100x16xf32>, %v: tensor<1x2x100x16xf32>) -> tensor<1x2x100x16xf32> {
  %0 = moe.attention %q, %k, %v {causal} : (tensor<1x2x100x16xf32>, tensor<1x2x100x16xf32>, tensor<1x2x100x16xf32>) -> tensor<1x2x100x16xf32>
  return %0 : tensor<1x2x100x16xf32>
}

// -----

// A decode step of GQA over a cache of 127: the four query heads that
// share a kv head are the four rows of one tile, so the forall runs over
// (batch, kv head) and each K and V tile is read once for the four; every
// row's position is the cache's length, 127 (row mod 1 = 0, folded); the
// output rows go back to their four heads.
// CHECK-LABEL: func @decode_gqa
// CHECK:     scf.forall (%[[B:.*]], %[[KV:.*]], %{{.*}}) in (1, 2, 1)
// CHECK:       %[[FIRST:.*]] = arith.muli %[[KV]], %c4
// CHECK:       %[[HEADS:.*]] = tensor.extract_slice %arg0[%[[B]], %[[FIRST]], 0, 0] [1, 4, 1, 64] [1, 1, 1, 1] : tensor<1x8x1x64xf32> to tensor<4x1x64xf32>
// CHECK:       %[[ROWS:.*]] = tensor.collapse_shape %[[HEADS]] {{\[}}[0, 1], [2]] : tensor<4x1x64xf32> into tensor<4x64xf32>
// CHECK:       %[[POS:.*]] = arith.addi %{{.*}}, %c127
// CHECK:       scf.for {{.*}} -> (tensor<4xf32>, tensor<4xf32>, tensor<4x64xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK:         linalg.generic
// CHECK:           %[[KPOS:.*]] = arith.addi
// CHECK:           arith.cmpi ule, %[[KPOS]], %[[POS]]
// CHECK:       %[[BACK:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2]] output_shape [4, 1, 64] : tensor<4x64xf32> into tensor<4x1x64xf32>
// CHECK:       tensor.parallel_insert_slice %[[BACK]] into %{{.*}}[%[[B]], %[[FIRST]], %{{.*}}, 0] [1, 4, 1, 64]
func.func @decode_gqa(%q: tensor<1x8x1x64xf32>, %pk: tensor<1x2x127x64xf32>, %pv: tensor<1x2x127x64xf32>, %k: tensor<1x2x1x64xf32>, %v: tensor<1x2x1x64xf32>) -> (tensor<1x8x1x64xf32>, tensor<1x2x128x64xf32>, tensor<1x2x128x64xf32>) {
  %0:3 = moe.attention %q, %k, %v past(%pk, %pv) {causal} : (tensor<1x8x1x64xf32>, tensor<1x2x1x64xf32>, tensor<1x2x1x64xf32>, tensor<1x2x127x64xf32>, tensor<1x2x127x64xf32>) -> (tensor<1x8x1x64xf32>, tensor<1x2x128x64xf32>, tensor<1x2x128x64xf32>)
  return %0#0, %0#1, %0#2 : tensor<1x8x1x64xf32>, tensor<1x2x128x64xf32>, tensor<1x2x128x64xf32>
}

// -----

// A cache whose length is known only at run time: the keys (P + 1) are
// padded to whole 64-key tiles (ceil((P + 1) / 64) of them, the padding
// hidden), and the library serves every decode step.
// CHECK-LABEL: func @dynamic_cache
// CHECK:     %[[P:.*]] = tensor.dim %arg1, %c2
// CHECK:     %[[KEYS:.*]] = arith.addi %[[P]], %c1
// CHECK:     %[[TILES:.*]] = arith.ceildivui %[[KEYS]], %c64
// CHECK:     %[[PADDED:.*]] = arith.muli %[[TILES]], %c64
// CHECK:     tensor.empty(%[[PADDED]]) : tensor<1x2x?x64xf32>
// CHECK:     %[[KALL:.*]] = tensor.insert_slice %arg3 into %{{.*}}[0, 0, %[[P]], 0] [1, 2, 1, 64] {{.*}} into tensor<1x2x?x64xf32>
// CHECK:     %[[PRESENT:.*]] = tensor.extract_slice %[[KALL]][0, 0, 0, 0] [1, 2, %[[KEYS]], 64]
// CHECK:     tensor.expand_shape %{{.*}} {{\[}}[0], [1], [2, 3], [4]] output_shape [1, 2, %[[TILES]], 64, 64] : tensor<1x2x?x64xf32> into tensor<1x2x?x64x64xf32>
// CHECK:     scf.forall (%{{.*}}, %{{.*}}, %{{.*}}) in (1, 2, 1)
// CHECK:       scf.for
// CHECK:         linalg.generic
// CHECK:           arith.cmpi ult, %{{.*}}, %[[KEYS]]
// CHECK:     return %{{.*}}, %[[PRESENT]], %{{.*}} : tensor<1x8x1x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>
func.func @dynamic_cache(%q: tensor<1x8x1x64xf32>, %pk: tensor<1x2x?x64xf32>, %pv: tensor<1x2x?x64xf32>, %k: tensor<1x2x1x64xf32>, %v: tensor<1x2x1x64xf32>) -> (tensor<1x8x1x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>) {
  %0:3 = moe.attention %q, %k, %v past(%pk, %pv) {causal} : (tensor<1x8x1x64xf32>, tensor<1x2x1x64xf32>, tensor<1x2x1x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>) -> (tensor<1x8x1x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>)
  return %0#0, %0#1, %0#2 : tensor<1x8x1x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>
}

// -----

// A query length known only at run time (a prompt of any length, and a
// decode step, from one library): one row is the op again with one static
// row (then lowered as a decode step: the 4 heads of a kv head in one
// tile); any other count is padded to 64-row tiles (ceil(S / 64) of them,
// the mask's rows shown) and the output cut back to S rows.
// CHECK-LABEL: func @dynamic_rows
// CHECK:     %[[S:.*]] = tensor.dim %arg0, %c2
// CHECK:     %[[ONE:.*]] = arith.cmpi eq, %[[S]], %c1
// CHECK:     scf.if %[[ONE]] -> (tensor<1x8x?x64xf32>)
// CHECK:       tensor.cast %arg0 : tensor<1x8x?x64xf32> to tensor<1x8x1x64xf32>
// CHECK:       tensor.cast %arg3 : tensor<1x1x?x?xf32> to tensor<1x1x1x?xf32>
// CHECK:       scf.forall (%{{.*}}, %{{.*}}, %{{.*}}) in (1, 2, 1) {{.*}} -> (tensor<1x8x1x64xf32>)
// CHECK:       tensor.cast %{{.*}} : tensor<1x8x1x64xf32> to tensor<1x8x?x64xf32>
// CHECK:     } else {
// CHECK:       %[[ROWS:.*]] = tensor.dim %arg0, %c2
// CHECK:       %[[TILES:.*]] = arith.ceildivui %[[ROWS]], %c64
// CHECK:       %[[PADDED:.*]] = arith.muli %[[TILES]], %c64
// CHECK:       tensor.insert_slice %arg0 into %{{.*}}[0, 0, 0, 0] [1, 8, %{{.*}}, 64] {{.*}} into tensor<1x8x?x64xf32>
// CHECK:       scf.forall (%{{.*}}, %{{.*}}, %{{.*}}) in (1, 8, %[[TILES]]) {{.*}} -> (tensor<1x8x?x64xf32>)
// CHECK:       tensor.extract_slice %{{.*}}[0, 0, 0, 0] [1, 8, %[[ROWS]], 64] [1, 1, 1, 1] : tensor<1x8x?x64xf32> to tensor<1x8x?x64xf32>
// CHECK-NOT: moe.attention
func.func @dynamic_rows(%q: tensor<1x8x?x64xf32>, %k: tensor<1x2x?x64xf32>, %v: tensor<1x2x?x64xf32>, %m: tensor<1x1x?x?xf32>) -> tensor<1x8x?x64xf32> {
  %0 = moe.attention %q, %k, %v mask %m {causal} : (tensor<1x8x?x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>, tensor<1x1x?x?xf32>) -> tensor<1x8x?x64xf32>
  return %0 : tensor<1x8x?x64xf32>
}
