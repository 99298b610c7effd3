// RUN: moe-opt %s --moe-cpu-prefetch-panels | FileCheck %s

// Reads of a packed weight panel's row ([2 panels, k = 4, 32] here) in the
// K loop of an 8-row register tile prefetch the same row of the next
// panel: the row's linear index (offset + indices x strides) plus one
// panel (4 x 32 = 128 elements), one prefetch per 64-byte line (+0, +16).
// The last panel has no next one: there the row's own lines are
// prefetched (+0), chosen by the start of the view's panel (offset rounded
// down to a panel) two panels short of the end (256), so every prefetch
// stays in bounds.
// CHECK-LABEL: func @tile_of_8_rows
// CHECK: scf.for
// CHECK: %[[ROW:.*]] = memref.subview
// CHECK: %[[BASE:.*]], %[[OFFSET:.*]], %{{.*}}:2, %[[STRIDES:.*]]:2 = memref.extract_strided_metadata %[[ROW]]
// CHECK: %[[I:.*]] = arith.muli %{{.*}}, %[[STRIDES]]#0
// CHECK: %[[LIN0:.*]] = arith.addi %[[OFFSET]], %[[I]]
// CHECK: %[[J:.*]] = arith.muli %{{.*}}, %[[STRIDES]]#1
// CHECK: %[[LIN:.*]] = arith.addi %[[LIN0]], %[[J]]
// CHECK: %[[FLAT:.*]] = memref.reinterpret_cast %[[BASE]] to offset: [0], sizes: [256], strides: [1] : memref<f32> to memref<256xf32>
// CHECK: %[[PANEL:.*]] = arith.constant 128 : index
// CHECK: %[[INTO:.*]] = arith.remui %[[OFFSET]], %[[PANEL]]
// CHECK: %[[START:.*]] = arith.subi %[[OFFSET]], %[[INTO]]
// CHECK: %[[TWO:.*]] = arith.constant 256 : index
// CHECK: %[[PAST:.*]] = arith.addi %[[START]], %[[TWO]]
// CHECK: %[[END:.*]] = arith.constant 256 : index
// CHECK: %[[HAS:.*]] = arith.cmpi ule, %[[PAST]], %[[END]]
// CHECK: %[[NEXT:.*]] = arith.constant 128 : index
// CHECK: %[[SELF:.*]] = arith.constant 0 : index
// CHECK: %[[AHEAD:.*]] = arith.select %[[HAS]], %[[NEXT]], %[[SELF]] : index
// CHECK: %[[AT0:.*]] = arith.addi %[[LIN]], %[[AHEAD]]
// CHECK: memref.prefetch %[[FLAT]][%[[AT0]]], read, locality<2>, data
// CHECK: %[[LINE:.*]] = arith.constant 16 : index
// CHECK: %[[AT1:.*]] = arith.addi %[[AT0]], %[[LINE]]
// CHECK: memref.prefetch %[[FLAT]][%[[AT1]]], read, locality<2>, data
// CHECK-NOT: memref.prefetch
// CHECK: vector.transfer_read %[[ROW]]
func.func @tile_of_8_rows(%p: index, %init: vector<8x32xf32>) -> vector<8x32xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %f0 = arith.constant 0.0 : f32
  %g = memref.get_global @panels : memref<2x4x32xf32>
  %panel = memref.subview %g[%p, 0, 0] [1, 4, 32] [1, 1, 1] : memref<2x4x32xf32> to memref<4x32xf32, strided<[32, 1], offset: ?>>
  %r = scf.for %k = %c0 to %c4 step %c1 iter_args(%acc = %init) -> (vector<8x32xf32>) {
    %row = memref.subview %panel[%k, 0] [1, 32] [1, 1] : memref<4x32xf32, strided<[32, 1], offset: ?>> to memref<1x32xf32, strided<[32, 1], offset: ?>>
    %b = vector.transfer_read %row[%c0, %c0], %f0 {in_bounds = [true]} : memref<1x32xf32, strided<[32, 1], offset: ?>>, vector<32xf32>
    %bb = vector.broadcast %b : vector<32xf32> to vector<8x32xf32>
    %next = arith.addf %acc, %bb : vector<8x32xf32>
    scf.yield %next : vector<8x32xf32>
  }
  return %r : vector<8x32xf32>
}

// One row (a decode step's) reads the panel at the memory's pace: nothing
// to overlap, no prefetch.
// CHECK-LABEL: func @tile_of_1_row
// CHECK-NOT: memref.prefetch
// CHECK: return
func.func @tile_of_1_row(%p: index, %init: vector<1x32xf32>) -> vector<1x32xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %f0 = arith.constant 0.0 : f32
  %g = memref.get_global @panels : memref<2x4x32xf32>
  %r = scf.for %k = %c0 to %c4 step %c1 iter_args(%acc = %init) -> (vector<1x32xf32>) {
    %row = memref.subview %g[%p, %k, 0] [1, 1, 32] [1, 1, 1] : memref<2x4x32xf32> to memref<1x32xf32, strided<[32, 1], offset: ?>>
    %b = vector.transfer_read %row[%c0, %c0], %f0 {in_bounds = [true]} : memref<1x32xf32, strided<[32, 1], offset: ?>>, vector<32xf32>
    %bb = vector.broadcast %b : vector<32xf32> to vector<1x32xf32>
    %next = arith.addf %acc, %bb : vector<1x32xf32>
    scf.yield %next : vector<1x32xf32>
  }
  return %r : vector<1x32xf32>
}

// In a loop over row blocks (moe.row_blocks), each block prefetches its
// share of the next panel's window: the window is the view of the panel
// above the loop that every block reads (here K's second chunk, rows 2-3
// of the panel: 64 elements at offset + 64). Block j of nb = ceil((hi -
// lo) / 8), j = (row - lo) / 8, prefetches from the window's offset + one
// panel (128) + j x 64 / nb, plus (the read's linear index - the window's
// offset, for each 64-byte line) x ceil(2^32 / nb) >> 32, i.e. / nb.
// CHECK-LABEL: func @row_blocks
// CHECK: %[[WINDOW:.*]] = memref.subview %{{.*}}[2, 0] [2, 32] [1, 1]
// CHECK: scf.for %[[ROW:.*]] = %[[LO:.*]] to %[[HI:.*]] step %c8
// CHECK: %{{.*}}, %[[WOFF:.*]], %{{.*}}:2, %{{.*}}:2 = memref.extract_strided_metadata %[[WINDOW]]
// CHECK: %[[INTO:.*]] = arith.remui %[[WOFF]], %c128
// CHECK: %[[PSTART:.*]] = arith.subi %[[WOFF]], %[[INTO]]
// CHECK: %[[PAST:.*]] = arith.addi %[[PSTART]], %c256
// CHECK: %[[HAS:.*]] = arith.cmpi ule, %[[PAST]], %c256
// CHECK: %[[AHEAD:.*]] = arith.select %[[HAS]], %c128{{.*}}, %c0
// CHECK: %[[FROM:.*]] = arith.subi %[[ROW]], %[[LO]]
// CHECK: %[[J:.*]] = arith.divui %[[FROM]], %c8
// CHECK: %[[SPAN:.*]] = arith.subi %[[HI]], %[[LO]]
// CHECK: %[[NB:.*]] = arith.ceildivui %[[SPAN]], %c8
// CHECK: %[[JW:.*]] = arith.muli %[[J]], %c64
// CHECK: %[[START:.*]] = arith.divui %[[JW]], %[[NB]]
// CHECK: %[[NEXT:.*]] = arith.addi %[[WOFF]], %[[AHEAD]]
// CHECK: %[[BASE:.*]] = arith.addi %[[NEXT]], %[[START]]
// CHECK: %[[RECIP:.*]] = arith.ceildivui %c4294967296, %[[NB]]
// CHECK: scf.for
// CHECK: %[[POS:.*]] = arith.subi %{{.*}}, %[[WOFF]]
// CHECK: %[[SCALED:.*]] = arith.muli %[[POS]], %[[RECIP]]
// CHECK: %[[SHARE:.*]] = arith.shrui %[[SCALED]], %c32
// CHECK: %[[AT0:.*]] = arith.addi %[[BASE]], %[[SHARE]]
// CHECK: memref.prefetch %{{.*}}[%[[AT0]]], read, locality<2>, data
// CHECK: %[[POS1:.*]] = arith.addi %[[POS]], %c16
// CHECK: %[[SCALED1:.*]] = arith.muli %[[POS1]], %[[RECIP]]
// CHECK: %[[SHARE1:.*]] = arith.shrui %[[SCALED1]], %c32
// CHECK: %[[AT1:.*]] = arith.addi %[[BASE]], %[[SHARE1]]
// CHECK: memref.prefetch %{{.*}}[%[[AT1]]], read, locality<2>, data
// CHECK-NOT: memref.prefetch
// CHECK: vector.transfer_read
// CHECK: } {moe.row_blocks}
func.func @row_blocks(%p: index, %lo: index, %hi: index, %init: vector<8x32xf32>, %out: memref<?x8x32xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c8 = arith.constant 8 : index
  %f0 = arith.constant 0.0 : f32
  %g = memref.get_global @panels : memref<2x4x32xf32>
  %panel = memref.subview %g[%p, 0, 0] [1, 4, 32] [1, 1, 1] : memref<2x4x32xf32> to memref<4x32xf32, strided<[32, 1], offset: ?>>
  %chunk = memref.subview %panel[2, 0] [2, 32] [1, 1] : memref<4x32xf32, strided<[32, 1], offset: ?>> to memref<2x32xf32, strided<[32, 1], offset: ?>>
  scf.for %row = %lo to %hi step %c8 {
    %r = scf.for %k = %c0 to %c2 step %c1 iter_args(%acc = %init) -> (vector<8x32xf32>) {
      %line = memref.subview %chunk[%k, 0] [1, 32] [1, 1] : memref<2x32xf32, strided<[32, 1], offset: ?>> to memref<1x32xf32, strided<[32, 1], offset: ?>>
      %b = vector.transfer_read %line[%c0, %c0], %f0 {in_bounds = [true]} : memref<1x32xf32, strided<[32, 1], offset: ?>>, vector<32xf32>
      %bb = vector.broadcast %b : vector<32xf32> to vector<8x32xf32>
      %next = arith.addf %acc, %bb : vector<8x32xf32>
      scf.yield %next : vector<8x32xf32>
    }
    vector.transfer_write %r, %out[%row, %c0, %c0] {in_bounds = [true, true]} : vector<8x32xf32>, memref<?x8x32xf32>
  } {moe.row_blocks}
  return
}

// Other constants (no packed panels: no "next panel" after a row) are
// left alone.
// CHECK-LABEL: func @other_constant
// CHECK-NOT: memref.prefetch
// CHECK: return
func.func @other_constant(%p: index, %init: vector<8x32xf32>) -> vector<8x32xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %f0 = arith.constant 0.0 : f32
  %g = memref.get_global @other : memref<2x4x32xf32>
  %r = scf.for %k = %c0 to %c4 step %c1 iter_args(%acc = %init) -> (vector<8x32xf32>) {
    %row = memref.subview %g[%p, %k, 0] [1, 1, 32] [1, 1, 1] : memref<2x4x32xf32> to memref<1x32xf32, strided<[32, 1], offset: ?>>
    %b = vector.transfer_read %row[%c0, %c0], %f0 {in_bounds = [true]} : memref<1x32xf32, strided<[32, 1], offset: ?>>, vector<32xf32>
    %bb = vector.broadcast %b : vector<32xf32> to vector<8x32xf32>
    %next = arith.addf %acc, %bb : vector<8x32xf32>
    scf.yield %next : vector<8x32xf32>
  }
  return %r : vector<8x32xf32>
}

// A dot tile's K loop (DotTiles.h) of 6 rows reading one block of 16
// columns' words ([4 blocks, 64] i16 here): each read prefetches the same
// 64 bytes of the next tile's block, one block (64 elements) ahead, when
// the weights hold it (the block's start + 2 blocks within 256), else its
// own.
// CHECK-LABEL: func @dot_tile_of_6_rows
// CHECK: scf.for
// CHECK: %[[BASE:.*]], %[[OFFSET:.*]], %{{.*}}:2, %[[STRIDES:.*]]:2 = memref.extract_strided_metadata %[[W:.*]] :
// CHECK: %[[I:.*]] = arith.muli %{{.*}}, %[[STRIDES]]#0
// CHECK: %[[START:.*]] = arith.addi %[[OFFSET]], %[[I]]
// CHECK: %[[J:.*]] = arith.muli %{{.*}}, %[[STRIDES]]#1
// CHECK: %[[LIN:.*]] = arith.addi %[[START]], %[[J]]
// CHECK: %[[TWO:.*]] = arith.constant 128 : index
// CHECK: %[[PAST:.*]] = arith.addi %[[START]], %[[TWO]]
// CHECK: %[[END:.*]] = arith.constant 256 : index
// CHECK: %[[HAS:.*]] = arith.cmpi ule, %[[PAST]], %[[END]]
// CHECK: %[[NEXT:.*]] = arith.constant 64 : index
// CHECK: %[[SELF:.*]] = arith.constant 0 : index
// CHECK: %[[AHEAD:.*]] = arith.select %[[HAS]], %[[NEXT]], %[[SELF]] : index
// CHECK: %[[FLAT:.*]] = memref.reinterpret_cast %[[BASE]] to offset: [0], sizes: [256], strides: [1] : memref<i16> to memref<256xi16>
// CHECK: %[[AT:.*]] = arith.addi %[[LIN]], %[[AHEAD]]
// CHECK: memref.prefetch %[[FLAT]][%[[AT]]], read, locality<2>, data
// CHECK-NOT: memref.prefetch
// CHECK: vector.transfer_read %[[W]]
// A 1-row tile's loop prefetches nothing.
// CHECK-LABEL: func @dot_tile_of_1_row
// CHECK-NOT: memref.prefetch
// CHECK: return
func.func @dot_tile_of_6_rows(%block: index, %init: vector<16xf32>) -> vector<16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c32 = arith.constant 32 : index
  %pad = arith.constant 0 : i16
  %w = memref.get_global @dots : memref<4x64xi16>
  %r:6 = scf.for %k = %c0 to %c2 step %c1 iter_args(%a0 = %init, %a1 = %init, %a2 = %init, %a3 = %init, %a4 = %init, %a5 = %init) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
    %at = arith.muli %k, %c32 : index
    %words = vector.transfer_read %w[%block, %at], %pad {in_bounds = [true]} : memref<4x64xi16>, vector<32xi16>
    %f = vector.bitcast %words : vector<32xi16> to vector<16xi32>
    %g = arith.sitofp %f : vector<16xi32> to vector<16xf32>
    %n0 = arith.addf %a0, %g : vector<16xf32>
    scf.yield %n0, %a1, %a2, %a3, %a4, %a5 : vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>
  }
  return %r#0 : vector<16xf32>
}
func.func @dot_tile_of_1_row(%block: index, %init: vector<16xf32>) -> vector<16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c32 = arith.constant 32 : index
  %pad = arith.constant 0 : i16
  %w = memref.get_global @dots : memref<4x64xi16>
  %r = scf.for %k = %c0 to %c2 step %c1 iter_args(%a0 = %init) -> (vector<16xf32>) {
    %at = arith.muli %k, %c32 : index
    %words = vector.transfer_read %w[%block, %at], %pad {in_bounds = [true]} : memref<4x64xi16>, vector<32xi16>
    %f = vector.bitcast %words : vector<32xi16> to vector<16xi32>
    %g = arith.sitofp %f : vector<16xi32> to vector<16xf32>
    %n0 = arith.addf %a0, %g : vector<16xf32>
    scf.yield %n0 : vector<16xf32>
  }
  return %r : vector<16xf32>
}

memref.global "private" constant @panels : memref<2x4x32xf32> = dense_resource<moe_packed_panels> {alignment = 64 : i64}
memref.global "private" constant @other : memref<2x4x32xf32> = dense_resource<moe_weights_kmajor> {alignment = 64 : i64}
memref.global "private" constant @dots : memref<4x64xi16> = dense_resource<bf16_dot_weights> {alignment = 64 : i64}

{-#
  dialect_resources: {
    builtin: {
      bf16_dot_weights: "0x020000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
      moe_packed_panels: "0x0400000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
      moe_weights_kmajor: "0x0400000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    }
  }
#-}
