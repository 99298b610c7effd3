// RUN: moe-opt %s --moe-cpu-tile-and-vectorize -split-input-file | FileCheck %s
// RUN: moe-opt %s --moe-cpu-tile-and-vectorize --canonicalize -split-input-file | FileCheck %s --check-prefix=FOLDED

// An f32 matmul generic: cache tiles that divide the dims (16 x 64 x 128,
// one trip each here, so they fold away), then an 8 x 32 register tile
// whose accumulator is a vector carried through the k loop and updated by
// a fused multiply-add of a broadcast column of A and a row of B.
// CHECK-LABEL: func @matmul
// CHECK-NOT: linalg.generic
// CHECK: scf.for %{{.*}} = %c0 to %c16 step %c8
// CHECK: scf.for %{{.*}} = %c0 to %c64 step %c32
// CHECK: %[[ACC:.*]] = vector.transfer_read {{.*}} vector<8x32xf32>
// CHECK: scf.for %{{.*}} = %c0 to %c128 step %c1 iter_args(%[[A:[^ ]*]] = %[[ACC]]) -> (vector<8x32xf32>)
// CHECK:   vector.transfer_read {{.*}} vector<8x1xf32>
// CHECK:   vector.transfer_read {{.*}} vector<1x32xf32>
// CHECK:   math.fma {{.*}}, %[[A]] : vector<8x32xf32>
// CHECK: vector.transfer_write {{.*}} : vector<8x32xf32>, tensor<8x32xf32>
func.func @matmul(%a: tensor<16x128xf32>, %b: tensor<128x64xf32>, %c: tensor<16x64xf32>) -> tensor<16x64xf32> {
  %0 = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<16x128xf32>, tensor<128x64xf32>) outs(%c : tensor<16x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<16x64xf32>
  return %0 : tensor<16x64xf32>
}

// -----

// Batch rows times a shared weight: the rows collapse into one matmul.
// CHECK-LABEL: func @rows_times_weight
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2]] : tensor<2x8x32xf32> into tensor<16x32xf32>
// CHECK: math.fma {{.*}} : vector<8x32xf32>
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1], [2]] output_shape [2, 8, 32] : tensor<16x32xf32> into tensor<2x8x32xf32>
func.func @rows_times_weight(%a: tensor<2x8x32xf32>, %b: tensor<32x32xf32>, %c: tensor<2x8x32xf32>) -> tensor<2x8x32xf32> {
  %0 = linalg.generic {indexing_maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (k, n)>, affine_map<(b, m, n, k) -> (b, m, n)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%a, %b : tensor<2x8x32xf32>, tensor<32x32xf32>) outs(%c : tensor<2x8x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<2x8x32xf32>
  return %0 : tensor<2x8x32xf32>
}

// -----

// Dims the register tile does not divide stay as they are (loops later).
// CHECK-LABEL: func @untileable
// CHECK: linalg.generic
// CHECK-NOT: vector.transfer_read
func.func @untileable(%a: tensor<6x8xf32>, %b: tensor<8x20xf32>, %c: tensor<6x20xf32>) -> tensor<6x20xf32> {
  %0 = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<6x8xf32>, tensor<8x20xf32>) outs(%c : tensor<6x20xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<6x20xf32>
  return %0 : tensor<6x20xf32>
}

// -----

// One row (a decode step): the register tile is the row by 128 columns,
// eight vectors of accumulators carried through k.
// CHECK-LABEL: func @one_row
// CHECK: scf.for %{{.*}} = %c0 to %c256 step %c128
// CHECK: scf.for %{{.*}} = %c0 to %c64 step %c1 iter_args({{.*}}) -> ({{.*}}vector<1x128xf32>)
// CHECK:   math.fma {{.*}} : vector<1x128xf32>
func.func @one_row(%a: tensor<1x64xf32>, %b: tensor<64x256xf32>, %c: tensor<1x256xf32>) -> tensor<1x256xf32> {
  %0 = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<1x64xf32>, tensor<64x256xf32>) outs(%c : tensor<1x256xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<1x256xf32>
  return %0 : tensor<1x256xf32>
}

// -----

// Big enough to share (two 64 x 256 cache tiles, 2^21 multiply-adds): the
// cache tiles are an scf.forall (threads after bufferization), with the
// register tiles inside each (the single-trip k tile folds away).
// CHECK-LABEL: func @shared
// CHECK: scf.forall (%{{.*}}) in (2) shared_outs
// CHECK:   scf.for %{{.*}} = %c0 to %c64 step %c8
// CHECK:     math.fma {{.*}} : vector<8x32xf32>
// CHECK:   tensor.parallel_insert_slice
func.func @shared(%a: tensor<128x64xf32>, %b: tensor<64x256xf32>, %c: tensor<128x256xf32>) -> tensor<128x256xf32> {
  %0 = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<128x64xf32>, tensor<64x256xf32>) outs(%c : tensor<128x256xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<128x256xf32>
  return %0 : tensor<128x256xf32>
}

// -----

// A run-time row count (the tokens an expert got): for each 32-column panel
// of B, every whole 8-row block a register-tiled 8 x 32 matmul, in a loop
// marked (moe.row_blocks) for moe-cpu-prefetch-panels, which shares the
// next panel's fetch among its blocks; then the rows left (rows mod 8) in
// one block of their height, a case of an index switch: its own K loop
// with the sums of every S-th k apart (1 row: 4 x 1 sums, 2 rows: 2 x 2,
// 3 rows: 2 x 3, ..., 7 rows: 1 x 7), added at the end. No padding.
// CHECK-LABEL: func @dynamic_rows
// CHECK: %[[ROWS:.*]] = tensor.dim %{{.*}}, %c0
// CHECK: %[[REST:.*]] = arith.remui %[[ROWS]], %c8
// CHECK: %[[END8:.*]] = arith.subi %[[ROWS]], %[[REST]]
// CHECK-NOT: tensor.pad
// CHECK: scf.for %[[COL:.*]] = %c0 to %c64 step %c32
// CHECK:   tensor.extract_slice %{{.*}}[0, %[[COL]]] [%[[ROWS]], 32] [1, 1]
// CHECK:   scf.for %{{.*}} = %c0 to %[[END8]] step %c8
// CHECK:     math.fma {{.*}} : vector<8x32xf32>
// CHECK:   } {moe.row_blocks}
// CHECK:   scf.index_switch %[[REST]]
// CHECK:   case 1 {
// CHECK:     tensor.extract_slice %{{.*}}[%[[END8]], 0] [1, 16] [1, 1]
// CHECK:     scf.for %{{.*}} = %c0 to %c16 step %c4 iter_args({{.*}}) -> (vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>)
// CHECK-COUNT-4: math.fma {{.*}} : vector<32xf32>
// CHECK:     scf.yield
// CHECK-COUNT-3: arith.addf {{.*}} : vector<32xf32>
// CHECK:   case 2 {
// CHECK:     scf.for %{{.*}} = %c0 to %c16 step %c2 iter_args({{.*}}) -> (vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>)
// CHECK:   case 3 {
// CHECK:     scf.for %{{.*}} = %c0 to %c16 step %c2 iter_args({{.*}}) -> (vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>)
// CHECK:   case 7 {
// CHECK:     tensor.extract_slice %{{.*}}[%[[END8]], 0] [7, 16] [1, 1]
// CHECK:     scf.for %{{.*}} = %c0 to %c16 step %c1 iter_args({{.*}}) -> (vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>, vector<32xf32>)
// CHECK-COUNT-7: math.fma {{.*}} : vector<32xf32>
// CHECK:   default {
func.func @dynamic_rows(%a: tensor<?x16xf32>, %b: tensor<16x64xf32>, %c: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %0 = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<?x16xf32>, tensor<16x64xf32>) outs(%c : tensor<?x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

// C a zero fill (an expert's product): no fill of C is left; each register
// block starts from zeros written as a vector, which its first read of C
// folds to (the accumulators start as a zero constant, no load).
// CHECK-LABEL: func @dynamic_rows_from_zero
// CHECK-DAG: %[[ZERO8:.*]] = arith.constant dense<0.000000e+00> : vector<8x32xf32>
// CHECK-NOT: linalg.fill
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c8
// CHECK:   scf.for %{{.*}} = %c0 to %c16 step %c1 iter_args(%{{.*}} = %[[ZERO8]]) -> (vector<8x32xf32>)
// CHECK:     math.fma {{.*}} : vector<8x32xf32>
// CHECK-NOT: linalg.fill
func.func @dynamic_rows_from_zero(%a: tensor<?x16xf32>, %b: tensor<16x64xf32>) -> tensor<?x64xf32> {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %rows = tensor.dim %a, %c0 : tensor<?x16xf32>
  %empty = tensor.empty(%rows) : tensor<?x64xf32>
  %c = linalg.fill ins(%zero : f32) outs(%empty : tensor<?x64xf32>) -> tensor<?x64xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<?x16xf32>, tensor<16x64xf32>) outs(%c : tensor<?x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

// A long K (2048 > 1536) in chunks of 1024: all panels over the first
// chunk (the rows' first 1024 columns of A, rows 0-1023 of each panel),
// then all over the second, so the rows' chunk of A stays in L2 while the
// panels stream past.
// CHECK-LABEL: func @long_k
// CHECK: %[[FIRST:.*]] = scf.forall (%{{.*}}) = (0) to (64) step (32) shared_outs(%{{.*}} = %arg2)
// CHECK:   tensor.extract_slice %{{.*}}[0, 0] [1024, 32] [1, 1] : tensor<2048x32xf32> to tensor<1024x32xf32>
// CHECK:   tensor.extract_slice %arg0[%{{.*}}, 0] [8, 1024] [1, 1] : tensor<?x2048xf32> to tensor<8x1024xf32>
// CHECK:   math.fma {{.*}} : vector<8x32xf32>
// CHECK: scf.forall (%{{.*}}) = (0) to (64) step (32) shared_outs(%{{.*}} = %[[FIRST]])
// CHECK:   tensor.extract_slice %{{.*}}[1024, 0] [1024, 32] [1, 1] : tensor<2048x32xf32> to tensor<1024x32xf32>
// CHECK:   tensor.extract_slice %arg0[%{{.*}}, 1024] [8, 1024] [1, 1] : tensor<?x2048xf32> to tensor<8x1024xf32>
// CHECK:   math.fma {{.*}} : vector<8x32xf32>
func.func @long_k(%a: tensor<?x2048xf32>, %b: tensor<2048x64xf32>, %c: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %0 = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<?x2048xf32>, tensor<2048x64xf32>) outs(%c : tensor<?x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

// An elementwise consumer of the product's columns (SwiGLU over an
// expert's fused gate/up product, gate in columns 0-63, up in 64-127):
// each 8 x 32 block of the result is computed from the gate and up blocks
// at its column and 64 columns on, both accumulated in registers from
// zero over the whole K, the activation applied to the registers and
// stored; the [rows, 128] product is never stored.
// CHECK-LABEL: func @dynamic_rows_epilogue
// CHECK: %[[PACKED:.*]] = arith.constant dense_resource<moe_packed_panels> : tensor<1x4x16x32xf32>
// CHECK: scf.for %[[COL:.*]] = %c0 to %c64 step %c32 iter_args(%{{.*}} = %{{.*}}) -> (tensor<?x64xf32>)
// CHECK:   %[[UPCOL:.*]] = arith.addi %[[COL]], %c64
// CHECK:   scf.for %{{.*}} = %c0 to %{{.*}} step %c8
// CHECK:     %[[GATE:.*]] = scf.for {{.*}} -> (vector<8x32xf32>)
// CHECK:       math.fma {{.*}} : vector<8x32xf32>
// CHECK:     %[[GATEBLOCK:.*]] = vector.transfer_write %[[GATE]]
// CHECK:     %[[UP:.*]] = scf.for {{.*}} -> (vector<8x32xf32>)
// CHECK:       math.fma {{.*}} : vector<8x32xf32>
// CHECK:     %[[UPBLOCK:.*]] = vector.transfer_write %[[UP]]
// CHECK:     %[[G:.*]] = vector.transfer_read %[[GATEBLOCK]]
// CHECK:     %[[U:.*]] = vector.transfer_read %[[UPBLOCK]]
// CHECK:     %[[NEG:.*]] = arith.negf %[[G]] : vector<8x32xf32>
// CHECK:     math.exp %[[NEG]] : vector<8x32xf32>
// CHECK:     %[[SILU:.*]] = arith.divf %[[G]], %{{.*}} : vector<8x32xf32>
// CHECK:     %[[ACT:.*]] = arith.mulf %[[SILU]], %[[U]] : vector<8x32xf32>
// CHECK:     vector.transfer_write %[[ACT]], %{{.*}} : vector<8x32xf32>, tensor<8x32xf32>
// The canonicalizer then reads the products from their registers: no
// block of them is stored.
// FOLDED-LABEL: func @dynamic_rows_epilogue
// FOLDED: %[[GATE:.*]] = scf.for {{.*}} -> (vector<8x32xf32>)
// FOLDED: %[[UP:.*]] = scf.for {{.*}} -> (vector<8x32xf32>)
// FOLDED-NOT: vector.transfer_write
// FOLDED: %[[NEG:.*]] = arith.negf %[[GATE]] : vector<8x32xf32>
// FOLDED: arith.mulf %{{.*}}, %[[UP]] : vector<8x32xf32>
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @dynamic_rows_epilogue(%a: tensor<?x16xf32>) -> tensor<?x64xf32> {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %c0 = arith.constant 0 : index
  %b = arith.constant dense<0.5> : tensor<16x128xf32>
  %rows = tensor.dim %a, %c0 : tensor<?x16xf32>
  %empty = tensor.empty(%rows) : tensor<?x128xf32>
  %c = linalg.fill ins(%zero : f32) outs(%empty : tensor<?x128xf32>) -> tensor<?x128xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<?x16xf32>, tensor<16x128xf32>) outs(%c : tensor<?x128xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x128xf32>
  %gate = tensor.extract_slice %0[0, 0] [%rows, 64] [1, 1] : tensor<?x128xf32> to tensor<?x64xf32>
  %up = tensor.extract_slice %0[0, 64] [%rows, 64] [1, 1] : tensor<?x128xf32> to tensor<?x64xf32>
  %init = tensor.empty(%rows) : tensor<?x64xf32>
  %act = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%gate, %up : tensor<?x64xf32>, tensor<?x64xf32>) outs(%init : tensor<?x64xf32>) {
  ^bb0(%g: f32, %u: f32, %o: f32):
    %n = arith.negf %g : f32
    %e = math.exp %n : f32
    %d = arith.addf %e, %one : f32
    %q = arith.divf %g, %d : f32
    %r = arith.mulf %q, %u : f32
    linalg.yield %r : f32
  } -> tensor<?x64xf32>
  return %act : tensor<?x64xf32>
}

// -----

// A consumer whose columns do not start on a 32-column panel: the product
// is computed whole and the consumer stays a generic over it.
// CHECK-LABEL: func @epilogue_off_panel
// CHECK: %[[PRODUCT:.*]] = scf.for {{.*}} -> (tensor<?x64xf32>)
// CHECK: tensor.extract_slice %[[PRODUCT]][0, 16] [%{{.*}}, 32] [1, 1]
// CHECK: linalg.generic
// CHECK:   math.exp
func.func @epilogue_off_panel(%a: tensor<?x16xf32>) -> tensor<?x32xf32> {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %b = arith.constant dense<0.5> : tensor<16x64xf32>
  %rows = tensor.dim %a, %c0 : tensor<?x16xf32>
  %empty = tensor.empty(%rows) : tensor<?x64xf32>
  %c = linalg.fill ins(%zero : f32) outs(%empty : tensor<?x64xf32>) -> tensor<?x64xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<?x16xf32>, tensor<16x64xf32>) outs(%c : tensor<?x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x64xf32>
  %mid = tensor.extract_slice %0[0, 16] [%rows, 32] [1, 1] : tensor<?x64xf32> to tensor<?x32xf32>
  %init = tensor.empty(%rows) : tensor<?x32xf32>
  %act = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%mid : tensor<?x32xf32>) outs(%init : tensor<?x32xf32>) {
  ^bb0(%g: f32, %o: f32):
    %e = math.exp %g : f32
    linalg.yield %e : f32
  } -> tensor<?x32xf32>
  return %act : tensor<?x32xf32>
}

// -----

// A zero-started product by constant weights 8 columns wide (a router's):
// the weights padded with zero columns to one 32-column panel, the padded
// product register-tiled like any other, its first 8 columns the result.
// CHECK-LABEL: func @narrow_constant
// CHECK: %[[PACKED:.*]] = arith.constant dense_resource<moe_packed_panels> : tensor<1x1x64x32xf32>
// CHECK: math.fma {{.*}} : vector<8x32xf32>
// CHECK: %[[NARROW:.*]] = tensor.extract_slice %{{.*}}[0, 0] [16, 8] [1, 1] : tensor<16x32xf32> to tensor<16x8xf32>
// CHECK-NOT: linalg.generic
// CHECK: return %[[NARROW]]
func.func @narrow_constant(%a: tensor<16x64xf32>) -> tensor<16x8xf32> {
  %zero = arith.constant 0.0 : f32
  %b = arith.constant dense<0.25> : tensor<64x8xf32>
  %empty = tensor.empty() : tensor<16x8xf32>
  %c = linalg.fill ins(%zero : f32) outs(%empty : tensor<16x8xf32>) -> tensor<16x8xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<16x64xf32>, tensor<64x8xf32>) outs(%c : tensor<16x8xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<16x8xf32>
  return %0 : tensor<16x8xf32>
}

// -----

// One row times constant weights (a decode step through a layer): the
// weights are streamed from a copy packed panel by panel, each 32-column
// panel one contiguous slice, the row a block of its own (4 sums of 32
// lanes, over every 4th k each).
// CHECK-LABEL: func @one_row_constant
// CHECK: %[[PACKED:.*]] = arith.constant dense_resource<moe_packed_panels> : tensor<1x2x8x32xf32>
// CHECK: scf.for %[[COL:.*]] = %c0 to %c64 step %c32
// CHECK:   tensor.extract_slice %[[PACKED]][0, %{{.*}}, 0, 0] [1, 1, 8, 32] [1, 1, 1, 1]
// CHECK:   scf.for %{{.*}} = %c0 to %c8 step %c4
// CHECK-COUNT-4: math.fma {{.*}} : vector<32xf32>
func.func @one_row_constant(%a: tensor<1x8xf32>, %c: tensor<1x64xf32>) -> tensor<1x64xf32> {
  %b = arith.constant dense<0.5> : tensor<8x64xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<1x8xf32>, tensor<8x64xf32>) outs(%c : tensor<1x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<1x64xf32>
  return %0 : tensor<1x64xf32>
}

// -----

// Static rows times constant weights (an attention projection): tiles of
// 256 rows (their 256 x 16 floats of A stay in L2), each over the weights
// packed panel by panel like an expert's, 8-row register tiles inside: in
// the weights themselves the rows a K loop reads are a whole row apart
// (4 KiB for n = 1024), all in the same few L1 sets.
// CHECK-LABEL: func @rows_constant
// CHECK: %[[PACKED:.*]] = arith.constant dense_resource<moe_packed_panels> : tensor<1x2x16x32xf32>
// CHECK: scf.for %[[ROW:.*]] = %c0 to %c512 step %c256
// CHECK:   tensor.extract_slice %{{.*}}[%[[ROW]], 0] [256, 16] [1, 1]
// CHECK:   scf.for %{{.*}} = %c0 to %c64 step %c32
// CHECK:     tensor.extract_slice %[[PACKED]][0, %{{.*}}, 0, 0] [1, 1, 16, 32] [1, 1, 1, 1]
// CHECK:     math.fma {{.*}} : vector<8x32xf32>
func.func @rows_constant(%a: tensor<512x16xf32>, %c: tensor<512x64xf32>) -> tensor<512x64xf32> {
  %b = arith.constant dense<0.5> : tensor<16x64xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<512x16xf32>, tensor<16x64xf32>) outs(%c : tensor<512x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<512x64xf32>
  return %0 : tensor<512x64xf32>
}

// -----

// A K of more than 1536 goes in chunks of 1024 inside each tile of rows,
// so the tile's rows are as many as one chunk of them fits in 256 KiB: 64
// here (64 x 1024 floats), not 32 (32 x 2048), and the weights are read
// twice, not four times. (The static 128 rows, threaded, take two tiles.)
// CHECK-LABEL: func @rows_constant_long_k
// CHECK: scf.forall (%[[ROW:.*]]) = (0) to (128) step (64)
// CHECK:   tensor.extract_slice %{{.*}}[%[[ROW]], 0] [64, 2048] [1, 1]
// CHECK:   tensor.extract_slice %{{.*}}[0, 0] [1024, 32] [1, 1]
// CHECK:   scf.for %[[R0:.*]] = %c0 to %c64 step %c8
// CHECK:     tensor.extract_slice %{{.*}}[%[[R0]], 0] [8, 1024] [1, 1]
// CHECK:   tensor.extract_slice %{{.*}}[1024, 0] [1024, 32] [1, 1]
// CHECK:   scf.for %[[R1:.*]] = %c0 to %c64 step %c8
// CHECK:     tensor.extract_slice %{{.*}}[%[[R1]], 1024] [8, 1024] [1, 1]
func.func @rows_constant_long_k(%a: tensor<128x2048xf32>, %c: tensor<128x32xf32>) -> tensor<128x32xf32> {
  %b = arith.constant dense<0.5> : tensor<2048x32xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<128x2048xf32>, tensor<2048x32xf32>) outs(%c : tensor<128x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<128x32xf32>
  return %0 : tensor<128x32xf32>
}

// -----

// An expert's constant weights at a run-time expert index (a grouped
// matmul): the stack is repacked at compile time panel by panel
// ([experts, n/32, k, 32]), and each panel is one contiguous slice of it.
// CHECK-LABEL: func @expert_weights
// CHECK: %[[PACKED:.*]] = arith.constant dense_resource<moe_packed_panels> : tensor<2x2x4x32xf32>
// CHECK: scf.for %[[COL:.*]] = %c0 to %c64 step %c32
// CHECK:   %[[PANEL:.*]] = arith.divui %[[COL]], %c32
// CHECK:   tensor.extract_slice %[[PACKED]][%{{.*}}, %[[PANEL]], 0, 0] [1, 1, 4, 32] [1, 1, 1, 1] : tensor<2x2x4x32xf32> to tensor<4x32xf32>
// CHECK:   math.fma {{.*}} : vector<8x32xf32>
func.func @expert_weights(%a: tensor<?x4xf32>, %e: index, %c: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %w = arith.constant dense<1.5> : tensor<2x4x64xf32>
  %b = tensor.extract_slice %w[%e, 0, 0] [1, 4, 64] [1, 1, 1] : tensor<2x4x64xf32> to tensor<4x64xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<?x4xf32>, tensor<4x64xf32>) outs(%c : tensor<?x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

// Batched (attention heads: Q K^T with K already transposed): batch dims
// collapse into one, and each batch is one register-tiled matmul.
// CHECK-LABEL: func @batched
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2], [3]] : tensor<2x4x8x16xf32> into tensor<8x8x16xf32>
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2], [3]] : tensor<2x4x16x32xf32> into tensor<8x16x32xf32>
// CHECK: scf.for %[[B:.*]] = %c0 to %c8 step %c1
// CHECK:   tensor.extract_slice %{{.*}}[%[[B]], 0, 0] [1, 8, 16] [1, 1, 1] : tensor<8x8x16xf32> to tensor<8x16xf32>
// CHECK:   math.fma {{.*}} : vector<8x32xf32>
// CHECK:   tensor.insert_slice %{{.*}} into %{{.*}}[%[[B]], 0, 0] [1, 8, 32] [1, 1, 1] : tensor<8x32xf32> into tensor<8x8x32xf32>
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1], [2], [3]] output_shape [2, 4, 8, 32]
func.func @batched(%a: tensor<2x4x8x16xf32>, %b: tensor<2x4x16x32xf32>, %c: tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32> {
  %0 = linalg.generic {indexing_maps = [affine_map<(b, h, m, n, k) -> (b, h, m, k)>, affine_map<(b, h, m, n, k) -> (b, h, k, n)>, affine_map<(b, h, m, n, k) -> (b, h, m, n)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%a, %b : tensor<2x4x8x16xf32>, tensor<2x4x16x32xf32>) outs(%c : tensor<2x4x8x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<2x4x8x32xf32>
  return %0 : tensor<2x4x8x32xf32>
}

// -----

// A reduction of one step (rotary angles: frequencies times positions) is
// an outer product: left to the generic vectoriser, not register-tiled
// (the schedule's single-trip k loops folded away under it).
// CHECK-LABEL: func @outer_product
// CHECK-NOT: scf.for
// CHECK: linalg.generic
func.func @outer_product(%a: tensor<1x32x1xf32>, %b: tensor<1x1x64xf32>, %c: tensor<1x32x64xf32>) -> tensor<1x32x64xf32> {
  %0 = linalg.generic {indexing_maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (b, k, n)>, affine_map<(b, m, n, k) -> (b, m, n)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%a, %b : tensor<1x32x1xf32>, tensor<1x1x64xf32>) outs(%c : tensor<1x32x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<1x32x64xf32>
  return %0 : tensor<1x32x64xf32>
}

// -----

// A weight dequantized from int8 (QDQ): its producer is fused into the K
// loop, one [kc, nc] tile of floats at a time; no float copy of the whole
// weight is made.
// CHECK-LABEL: func @dequantized_weight
// CHECK:     scf.for %[[K:.*]] = %c0 to %c512 step %c256
// CHECK:       %[[Q:.*]] = tensor.extract_slice %{{.*}}[%[[K]], 0] [256, 64] [1, 1] : tensor<512x64xi8> to tensor<256x64xi8>
// CHECK:       %[[B:.*]] = linalg.generic {{.*}} ins(%[[Q]], %{{.*}} : tensor<256x64xi8>, tensor<64xf32>) outs(%{{.*}} : tensor<256x64xf32>)
// CHECK:       scf.for
// CHECK:         tensor.extract_slice %[[B]]
// CHECK:         math.fma {{.*}} : vector<8x32xf32>
// CHECK-NOT: tensor<512x64xf32>
func.func @dequantized_weight(%a: tensor<16x512xf32>, %q: tensor<512x64xi8>, %s: tensor<64xf32>, %c: tensor<16x64xf32>) -> tensor<16x64xf32> {
  %e = tensor.empty() : tensor<512x64xf32>
  %b = linalg.generic {indexing_maps = [affine_map<(k, n) -> (k, n)>, affine_map<(k, n) -> (n)>, affine_map<(k, n) -> (k, n)>], iterator_types = ["parallel", "parallel"]} ins(%q, %s : tensor<512x64xi8>, tensor<64xf32>) outs(%e : tensor<512x64xf32>) {
  ^bb0(%x: i8, %scale: f32, %out: f32):
    %f = arith.sitofp %x : i8 to f32
    %w = arith.mulf %f, %scale : f32
    linalg.yield %w : f32
  } -> tensor<512x64xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<16x512xf32>, tensor<512x64xf32>) outs(%c : tensor<16x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s2 = arith.addf %acc, %p : f32
    linalg.yield %s2 : f32
  } -> tensor<16x64xf32>
  return %0 : tensor<16x64xf32>
}

// -----

// A run-time row count times a weight dequantized from integers (an int8
// expert's): the dequantization is computed a [k, 32] panel at a time inside
// the panel loop, where the rows use it, never the whole weight.
// CHECK-LABEL: func @dynamic_rows_dequantized
// CHECK-NOT: -> tensor<16x64xf32>
// CHECK: scf.for %[[COL:.*]] = %c0 to %c64 step %c32
// CHECK:   %[[Q:.*]] = tensor.extract_slice %arg1[0, %[[COL]]] [16, 32] [1, 1] : tensor<16x64xi8> to tensor<16x32xi8>
// CHECK:   %[[S:.*]] = tensor.extract_slice %arg2[%[[COL]]] [32] [1] : tensor<64xf32> to tensor<32xf32>
// CHECK:   %[[PANEL:.*]] = linalg.generic {{.*}} ins(%[[Q]], %[[S]] : tensor<16x32xi8>, tensor<32xf32>) outs(%{{.*}} : tensor<16x32xf32>)
// CHECK:     arith.sitofp
// CHECK:   scf.for %{{.*}} step %c8
// CHECK:     tensor.extract_slice %[[PANEL]]
// CHECK:     math.fma {{.*}} : vector<8x32xf32>
func.func @dynamic_rows_dequantized(%a: tensor<?x16xf32>, %q: tensor<16x64xi8>, %s: tensor<64xf32>, %c: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %e = tensor.empty() : tensor<16x64xf32>
  %b = linalg.generic {indexing_maps = [affine_map<(k, n) -> (k, n)>, affine_map<(k, n) -> (n)>, affine_map<(k, n) -> (k, n)>], iterator_types = ["parallel", "parallel"]} ins(%q, %s : tensor<16x64xi8>, tensor<64xf32>) outs(%e : tensor<16x64xf32>) {
  ^bb0(%x: i8, %y: f32, %o: f32):
    %f = arith.sitofp %x : i8 to f32
    %m = arith.mulf %f, %y : f32
    linalg.yield %m : f32
  } -> tensor<16x64xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<?x16xf32>, tensor<16x64xf32>) outs(%c : tensor<?x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  } -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

// The same with the weight made as several K dims and collapsed (int4's
// [groups, bytes, 2 nibbles, N]): the generic is tiled on its last dim, a
// [2, 4, 2, 32] panel, and the panel collapsed to [16, 32] for the rows.
// CHECK-LABEL: func @dynamic_rows_dequantized_collapsed
// CHECK-NOT: -> tensor<2x4x2x64xf32>
// CHECK: scf.for %[[COL:.*]] = %c0 to %c64 step %c32
// CHECK:   %[[Q:.*]] = tensor.extract_slice %arg1[0, 0, %[[COL]]] [2, 4, 32] [1, 1, 1] : tensor<2x4x64xi8> to tensor<2x4x32xi8>
// CHECK:   %[[UNPACKED:.*]] = linalg.generic {{.*}} ins(%[[Q]], %{{.*}} : tensor<2x4x32xi8>, tensor<2x32xf32>) outs(%{{.*}} : tensor<2x4x2x32xf32>)
// CHECK:   %[[PANEL:.*]] = tensor.collapse_shape %[[UNPACKED]] {{\[}}[0, 1, 2], [3]] : tensor<2x4x2x32xf32> into tensor<16x32xf32>
// CHECK:   scf.for %{{.*}} step %c8
// CHECK:     tensor.extract_slice %[[PANEL]]
// CHECK:     math.fma {{.*}} : vector<8x32xf32>
func.func @dynamic_rows_dequantized_collapsed(%a: tensor<?x16xf32>, %q: tensor<2x4x64xi8>, %s: tensor<2x64xf32>, %c: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %e = tensor.empty() : tensor<2x4x2x64xf32>
  %u = linalg.generic {indexing_maps = [affine_map<(g, j, p, n) -> (g, j, n)>, affine_map<(g, j, p, n) -> (g, n)>, affine_map<(g, j, p, n) -> (g, j, p, n)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%q, %s : tensor<2x4x64xi8>, tensor<2x64xf32>) outs(%e : tensor<2x4x2x64xf32>) {
  ^bb0(%x: i8, %y: f32, %o: f32):
    %f = arith.sitofp %x : i8 to f32
    %m = arith.mulf %f, %y : f32
    linalg.yield %m : f32
  } -> tensor<2x4x2x64xf32>
  %b = tensor.collapse_shape %u [[0, 1, 2], [3]] : tensor<2x4x2x64xf32> into tensor<16x64xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<?x16xf32>, tensor<16x64xf32>) outs(%c : tensor<?x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  } -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

// The same unpacked weight times a static 24 rows (a prefill's int4
// MatMulNBits): the run-time-row path all the same, a panel unpacked at a
// time, never the whole [2, 4, 2, 64] weight; 8-row tiles.
// CHECK-LABEL: func @static_rows_dequantized_collapsed
// CHECK-NOT: -> tensor<2x4x2x64xf32>
// CHECK: scf.for %[[COL:.*]] = %c0 to %c64 step %c32
// CHECK:   %[[UNPACKED:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<2x4x2x32xf32>)
// CHECK:   %[[PANEL:.*]] = tensor.collapse_shape %[[UNPACKED]] {{\[}}[0, 1, 2], [3]] : tensor<2x4x2x32xf32> into tensor<16x32xf32>
// CHECK:   scf.for %{{.*}} step %c8
// CHECK:     tensor.extract_slice %[[PANEL]]
// CHECK:     math.fma {{.*}} : vector<8x32xf32>
func.func @static_rows_dequantized_collapsed(%a: tensor<24x16xf32>, %q: tensor<2x4x64xi8>, %s: tensor<2x64xf32>) -> tensor<24x64xf32> {
  %e = tensor.empty() : tensor<2x4x2x64xf32>
  %u = linalg.generic {indexing_maps = [affine_map<(g, j, p, n) -> (g, j, n)>, affine_map<(g, j, p, n) -> (g, n)>, affine_map<(g, j, p, n) -> (g, j, p, n)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%q, %s : tensor<2x4x64xi8>, tensor<2x64xf32>) outs(%e : tensor<2x4x2x64xf32>) {
  ^bb0(%x: i8, %y: f32, %o: f32):
    %f = arith.sitofp %x : i8 to f32
    %m = arith.mulf %f, %y : f32
    linalg.yield %m : f32
  } -> tensor<2x4x2x64xf32>
  %b = tensor.collapse_shape %u [[0, 1, 2], [3]] : tensor<2x4x2x64xf32> into tensor<16x64xf32>
  %zero = arith.constant 0.0 : f32
  %ce = tensor.empty() : tensor<24x64xf32>
  %c = linalg.fill ins(%zero : f32) outs(%ce : tensor<24x64xf32>) -> tensor<24x64xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<24x16xf32>, tensor<16x64xf32>) outs(%c : tensor<24x64xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  } -> tensor<24x64xf32>
  return %0 : tensor<24x64xf32>
}

// -----

// RMSNorm in front of a projection (its two generics as LowerNormOps
// makes them): the normalised rows are computed a tile of rows at a time
// in the product's row loop (the tile stays in L2 for the panels), and so
// are their sums of squares, which only the norm reads; neither the
// normalised [1, 256, 64] nor the whole sums are made.
// CHECK-LABEL: func @norm_prologue
// CHECK-NOT: linalg.generic
// CHECK: scf.forall (%[[ROW:.*]]) = (0) to (256) step (128)
// CHECK:   %[[S:.*]] = arith.remui %[[ROW]], %c256
// CHECK:   %[[X:.*]] = tensor.extract_slice %arg0[%{{.*}}, %[[S]], 0] [1, 128, 64] [1, 1, 1]
// CHECK:   %[[SUMS:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]{{.*}} outs(%{{.*}} : tensor<1x128xf32>)
// CHECK:   %[[NORMED:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[SUMS]], %arg1 : tensor<1x128x64xf32>, tensor<1x128xf32>, tensor<64xf32>)
// CHECK:   %[[TILE:.*]] = tensor.collapse_shape %[[NORMED]] {{\[}}[0, 1], [2]] : tensor<1x128x64xf32> into tensor<128x64xf32>
// CHECK:   scf.for %{{.*}} step %c32
// CHECK:     scf.for %[[R:.*]] = %c0 to %c128 step %c8
// CHECK:       tensor.extract_slice %[[TILE]][%[[R]], 0] [8, 64] [1, 1]
// CHECK:       math.fma {{.*}} : vector<8x32xf32>
// CHECK-NOT: linalg.generic
func.func @norm_prologue(%x: tensor<1x256x64xf32>, %g: tensor<64xf32>) -> tensor<1x256x64xf32> {
  %w = arith.constant dense<0.5> : tensor<64x64xf32>
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 64.0 : f32
  %e0 = tensor.empty() : tensor<1x256xf32>
  %f0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<1x256xf32>) -> tensor<1x256xf32>
  %sums = linalg.generic {indexing_maps = [affine_map<(b, s, k) -> (b, s, k)>, affine_map<(b, s, k) -> (b, s)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : tensor<1x256x64xf32>) outs(%f0 : tensor<1x256xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %sq = arith.mulf %v, %v : f32
    %s = arith.addf %acc, %sq : f32
    linalg.yield %s : f32
  } -> tensor<1x256xf32>
  %e1 = tensor.empty() : tensor<1x256x64xf32>
  %normed = linalg.generic {indexing_maps = [affine_map<(b, s, k) -> (b, s, k)>, affine_map<(b, s, k) -> (b, s)>, affine_map<(b, s, k) -> (k)>, affine_map<(b, s, k) -> (b, s, k)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %sums, %g : tensor<1x256x64xf32>, tensor<1x256xf32>, tensor<64xf32>) outs(%e1 : tensor<1x256x64xf32>) {
  ^bb0(%v: f32, %s: f32, %gk: f32, %o: f32):
    %mean = arith.divf %s, %n : f32
    %inv = math.rsqrt %mean : f32
    %y = arith.mulf %v, %inv : f32
    %z = arith.mulf %y, %gk : f32
    linalg.yield %z : f32
  } -> tensor<1x256x64xf32>
  %e2 = tensor.empty() : tensor<1x256x64xf32>
  %f2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<1x256x64xf32>) -> tensor<1x256x64xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (k, n)>, affine_map<(b, m, n, k) -> (b, m, n)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%normed, %w : tensor<1x256x64xf32>, tensor<64x64xf32>) outs(%f2 : tensor<1x256x64xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<1x256x64xf32>
  return %0 : tensor<1x256x64xf32>
}

// -----

// What stays whole: a reduction over the rows (a column statistic), which
// every tile would redo entirely, and a producer whose result is read
// elsewhere too (computed once, its tile sliced as before).
// CHECK-LABEL: func @prologue_limits
// CHECK: %[[COLS:.*]] = linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]
// CHECK: scf.forall (%[[ROW:.*]]) = (0) to (256) step (128)
// CHECK:   linalg.generic {{.*}} ins(%{{.*}}, %[[COLS]] : tensor<128x64xf32>, tensor<64xf32>)
// CHECK: %[[SHARED:.*]] = linalg.generic
// CHECK: scf.forall (%[[ROW2:.*]]) = (0) to (256) step (128)
// CHECK:   tensor.extract_slice %[[SHARED]][%[[ROW2]], 0] [128, 64] [1, 1]
func.func @prologue_limits(%x: tensor<256x64xf32>) -> (tensor<256x64xf32>, tensor<256x64xf32>, tensor<256x64xf32>) {
  %w = arith.constant dense<0.5> : tensor<64x64xf32>
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<64xf32>
  %f0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<64xf32>) -> tensor<64xf32>
  %cols = linalg.generic {indexing_maps = [affine_map<(s, k) -> (s, k)>, affine_map<(s, k) -> (k)>], iterator_types = ["reduction", "parallel"]} ins(%x : tensor<256x64xf32>) outs(%f0 : tensor<64xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %acc, %v : f32
    linalg.yield %s : f32
  } -> tensor<64xf32>
  %e1 = tensor.empty() : tensor<256x64xf32>
  %centred = linalg.generic {indexing_maps = [affine_map<(s, k) -> (s, k)>, affine_map<(s, k) -> (k)>, affine_map<(s, k) -> (s, k)>], iterator_types = ["parallel", "parallel"]} ins(%x, %cols : tensor<256x64xf32>, tensor<64xf32>) outs(%e1 : tensor<256x64xf32>) {
  ^bb0(%v: f32, %c: f32, %o: f32):
    %y = arith.subf %v, %c : f32
    linalg.yield %y : f32
  } -> tensor<256x64xf32>
  %f1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<256x64xf32>) -> tensor<256x64xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%centred, %w : tensor<256x64xf32>, tensor<64x64xf32>) outs(%f1 : tensor<256x64xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<256x64xf32>
  %shared = linalg.generic {indexing_maps = [affine_map<(s, k) -> (s, k)>, affine_map<(s, k) -> (s, k)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<256x64xf32>) outs(%e1 : tensor<256x64xf32>) {
  ^bb0(%v: f32, %o: f32):
    %y = arith.mulf %v, %v : f32
    linalg.yield %y : f32
  } -> tensor<256x64xf32>
  %1 = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%shared, %w : tensor<256x64xf32>, tensor<64x64xf32>) outs(%f1 : tensor<256x64xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<256x64xf32>
  return %0, %1, %shared : tensor<256x64xf32>, tensor<256x64xf32>, tensor<256x64xf32>
}
