// RUN: moe-opt %s --moe-cpu-vectorize-generics --canonicalize --cse -split-input-file | FileCheck %s

#id = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>

// An elementwise chain with a broadcast operand: rows of one step, 64
// lanes at a time; exp on the vector is upstream's polynomial, not a call.
// CHECK-LABEL: func @chain
// CHECK: scf.for
// CHECK: scf.for {{.*}} step %c64
// CHECK: vector.transfer_read {{.*}} vector<64xf32>
// CHECK: arith.subf {{.*}} : vector<64xf32>
// CHECK-NOT: math.exp
// CHECK: math.fma {{.*}} : vector<64xf32>
// CHECK: vector.transfer_write {{.*}} : vector<64xf32>
// CHECK-NOT: linalg.generic
func.func @chain(%x: tensor<4x128xf32>, %b: tensor<4xf32>) -> tensor<4x128xf32> {
  %e = tensor.empty() : tensor<4x128xf32>
  %r = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %b : tensor<4x128xf32>, tensor<4xf32>) outs(%e : tensor<4x128xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.subf %a, %c : f32
    %t = math.exp %s : f32
    linalg.yield %t : f32
  } -> tensor<4x128xf32>
  return %r : tensor<4x128xf32>
}

// -----

#id = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>

// A row of 256 is split into 16 partial sums, each step adding rows of
// 16 lanes to them; the partials are reduced once per row.
// CHECK-LABEL: func @row_sum
// CHECK: tensor.expand_shape {{.*}} into tensor<4x16x16xf32>
// CHECK: scf.for
// CHECK: vector.transfer_read {{.*}} vector<16x16xf32>
// CHECK-COUNT-16: arith.addf {{.*}} : vector<16xf32>
// CHECK: scf.for
// CHECK: vector.reduction <add>, {{.*}} : vector<16xf32> into f32
// CHECK-NOT: linalg.generic
func.func @row_sum(%x: tensor<4x256xf32>) -> tensor<4xf32> {
  %c = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %f = linalg.fill ins(%c : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %r = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<4x256xf32>) outs(%f : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %o, %a : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// keepdims (a constant 0 in the output's map): the unit dim is dropped
// first, and a row of 16 is one horizontal max.
// CHECK-LABEL: func @keepdims_max
// CHECK: tensor.collapse_shape
// CHECK: vector.reduction <maximumf>, {{.*}} : vector<16xf32> into f32
// CHECK: tensor.expand_shape
func.func @keepdims_max(%x: tensor<8x64x16xf32>) -> tensor<8x64x1xf32> {
  %c = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<8x64x1xf32>
  %f = linalg.fill ins(%c : f32) outs(%e : tensor<8x64x1xf32>) -> tensor<8x64x1xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(a, b, c) -> (a, b, c)>, affine_map<(a, b, c) -> (a, b, 0)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : tensor<8x64x16xf32>) outs(%f : tensor<8x64x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.maximumf %o, %a : f32
    linalg.yield %s : f32
  } -> tensor<8x64x1xf32>
  return %r : tensor<8x64x1xf32>
}

// -----

// A reduction over an outer dim: the innermost (parallel) dim is the
// vector, each step adds one row.
// CHECK-LABEL: func @column_sum
// CHECK: scf.for
// CHECK: scf.for
// CHECK: arith.addf {{.*}} : vector<64xf32>
// CHECK-NOT: vector.reduction
func.func @column_sum(%x: tensor<8x64x128xf32>) -> tensor<8x128xf32> {
  %c = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x128xf32>
  %f = linalg.fill ins(%c : f32) outs(%e : tensor<8x128xf32>) -> tensor<8x128xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(a, b, c) -> (a, b, c)>, affine_map<(a, b, c) -> (a, c)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%x : tensor<8x64x128xf32>) outs(%f : tensor<8x128xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %o, %a : f32
    linalg.yield %s : f32
  } -> tensor<8x128xf32>
  return %r : tensor<8x128xf32>
}

// -----

// What stays scalar loops: a transpose not of whole 16 x 16 blocks (its
// input is strided along the innermost loop), i1 (packed bits in a vector,
// bytes in memory), a row that no vector width divides.
// CHECK-LABEL: func @left_alone
// CHECK-NOT: vector.
// CHECK-COUNT-3: linalg.generic
// CHECK-NOT: vector.
func.func @left_alone(%x: tensor<64x24xf32>, %m: tensor<8x64xi1>, %o: tensor<4x20xf32>)
    -> (tensor<24x64xf32>, tensor<8x64xi1>, tensor<4x20xf32>) {
  %e = tensor.empty() : tensor<24x64xf32>
  %t = linalg.generic {indexing_maps = [affine_map<(i, j) -> (j, i)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<64x24xf32>) outs(%e : tensor<24x64xf32>) {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %a : f32
  } -> tensor<24x64xf32>
  %em = tensor.empty() : tensor<8x64xi1>
  %n = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%m : tensor<8x64xi1>) outs(%em : tensor<8x64xi1>) {
  ^bb0(%a: i1, %b: i1):
    %true = arith.constant true
    %x1 = arith.xori %a, %true : i1
    linalg.yield %x1 : i1
  } -> tensor<8x64xi1>
  %eo = tensor.empty() : tensor<4x20xf32>
  %oo = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%o : tensor<4x20xf32>) outs(%eo : tensor<4x20xf32>) {
  ^bb0(%a: f32, %b: f32):
    %s = arith.negf %a : f32
    linalg.yield %s : f32
  } -> tensor<4x20xf32>
  return %t, %n, %oo : tensor<24x64xf32>, tensor<8x64xi1>, tensor<4x20xf32>
}

// -----

// A run-time row count (an expert's tokens) with a static row: a loop over
// the rows, each a static op vectorised as above; here a row of 256 summed
// through 16 partials.
// CHECK-LABEL: func @dynamic_rows
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c1
// CHECK: vector.transfer_read {{.*}} vector<16x16xf32>
// CHECK: vector.reduction <add>, {{.*}} : vector<16xf32> into f32
// CHECK-NOT: linalg.generic
func.func @dynamic_rows(%x: tensor<?x256xf32>, %init: tensor<?xf32>) -> tensor<?xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<?x256xf32>) outs(%init : tensor<?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %o, %a : f32
    linalg.yield %s : f32
  } -> tensor<?xf32>
  return %r : tensor<?xf32>
}

// -----

// A reduction that reads its own loop index (the router's rank count) is
// not split into partials: the split would renumber the index. It is
// vectorised whole, 32 lanes per row, the index a vector step.
#rank_in = affine_map<(t, e, o) -> (t, o)>
#rank_out = affine_map<(t, e, o) -> (t, e)>
// CHECK-LABEL: func @indexed_reduction
// CHECK-NOT: tensor.expand_shape
// CHECK: vector.step : vector<32xindex>
// CHECK: vector.reduction <add>, {{.*}} : vector<32xi32> into i32
func.func @indexed_reduction(%s: tensor<4x32xf32>) -> tensor<4x32xi32> {
  %c = arith.constant 0 : i32
  %e = tensor.empty() : tensor<4x32xi32>
  %f = linalg.fill ins(%c : i32) outs(%e : tensor<4x32xi32>) -> tensor<4x32xi32>
  %r = linalg.generic {indexing_maps = [#rank_in, #rank_out], iterator_types = ["parallel", "parallel", "reduction"]} ins(%s : tensor<4x32xf32>) outs(%f : tensor<4x32xi32>) {
  ^bb0(%a: f32, %o: i32):
    %i = linalg.index 2 : index
    %j = linalg.index 1 : index
    %lt = arith.cmpi ult, %i, %j : index
    %one = arith.extui %lt : i1 to i32
    %s2 = arith.addi %o, %one : i32
    linalg.yield %s2 : i32
  } -> tensor<4x32xi32>
  return %r : tensor<4x32xi32>
}

// -----

// A per-row scalar broadcast along the row is one element loaded and
// broadcast, not a 0-d transfer_read (which has no lowering to LLVM from a
// strided view: a column sliced out of a wider product).
// CHECK-LABEL: func @row_scalar
// CHECK: scf.for %[[R:.*]] = %c0 to %c4
// CHECK-NOT: vector<f32>
// CHECK: %[[ONE:.*]] = tensor.extract_slice %{{.*}}[%[[R]]] [1] [1] : tensor<4xf32> to tensor<1xf32>
// CHECK-NOT: vector<f32>
// CHECK: %[[S:.*]] = tensor.extract %[[ONE]][%c0] : tensor<1xf32>
// CHECK: vector.broadcast %[[S]] : f32 to vector<64xf32>
func.func @row_scalar(%x: tensor<4x64xf32>, %wide: tensor<4x3xf32>) -> tensor<4x64xf32> {
  %col = tensor.extract_slice %wide[0, 1] [4, 1] [1, 1] : tensor<4x3xf32> to tensor<4xf32>
  %e = tensor.empty() : tensor<4x64xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%x, %col : tensor<4x64xf32>, tensor<4xf32>) outs(%e : tensor<4x64xf32>) {
  ^bb0(%a: f32, %s: f32, %o: f32):
    %m = arith.mulf %a, %s : f32
    linalg.yield %m : f32
  } -> tensor<4x64xf32>
  return %0 : tensor<4x64xf32>
}

// -----

#id = affine_map<(h, s, d) -> (h, s, d)>

// An elementwise op of 1 MiB or more at the function's top level is
// spread over threads along its outermost loop (an scf.forall, OpenMP
// later), each piece vectorised as before.
// CHECK-LABEL: func @spread_heads
// CHECK: scf.forall (%{{.*}}) in (16)
// CHECK: scf.for
// CHECK: vector.transfer_read {{.*}} vector<64xf32>
// CHECK: arith.addf {{.*}} : vector<64xf32>
func.func @spread_heads(%x: tensor<16x256x64xf32>, %y: tensor<16x256x64xf32>) -> tensor<16x256x64xf32> {
  %e = tensor.empty() : tensor<16x256x64xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %y : tensor<16x256x64xf32>, tensor<16x256x64xf32>) outs(%e : tensor<16x256x64xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %t = arith.addf %a, %b : f32
    linalg.yield %t : f32
  } -> tensor<16x256x64xf32>
  return %r : tensor<16x256x64xf32>
}

// -----

// Unit dims are skipped: 2048 rows in 64 pieces of 32. Inside a loop
// (an expert's, a tile's) nothing is spread: every step would fork.
// CHECK-LABEL: func @spread_rows
// CHECK: scf.forall (%{{.*}}) = (0) to (2048) step (32)
// CHECK-LABEL: func @in_loop
// CHECK-NOT: scf.forall
// CHECK: return
func.func @spread_rows(%x: tensor<1x2048x128xf32>) -> tensor<1x2048x128xf32> {
  %e = tensor.empty() : tensor<1x2048x128xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(b, s, d) -> (b, s, d)>, affine_map<(b, s, d) -> (b, s, d)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x : tensor<1x2048x128xf32>) outs(%e : tensor<1x2048x128xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = arith.negf %a : f32
    linalg.yield %t : f32
  } -> tensor<1x2048x128xf32>
  return %r : tensor<1x2048x128xf32>
}
func.func @in_loop(%x: tensor<1x2048x128xf32>, %n: index) -> tensor<1x2048x128xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %x) -> tensor<1x2048x128xf32> {
    %e = tensor.empty() : tensor<1x2048x128xf32>
    %s = linalg.generic {indexing_maps = [affine_map<(b, s, d) -> (b, s, d)>, affine_map<(b, s, d) -> (b, s, d)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%acc : tensor<1x2048x128xf32>) outs(%e : tensor<1x2048x128xf32>) {
    ^bb0(%a: f32, %o: f32):
      %t = arith.negf %a : f32
      linalg.yield %t : f32
    } -> tensor<1x2048x128xf32>
    scf.yield %s : tensor<1x2048x128xf32>
  }
  return %r : tensor<1x2048x128xf32>
}

// -----

// An op that stays scalar (it holds i1) is still spread over threads when
// it is that big: 2048 rows of a [1, 1, 2048, 2048] mask in 64 pieces of
// 32, each a scalar loop.
// CHECK-LABEL: func @spread_scalar
// CHECK: scf.forall (%{{.*}}) = (0) to (2048) step (32)
// CHECK:   linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x1x32x2048xi1>, tensor<1x1x32x2048xf32>)
// CHECK-NOT: vector.
func.func @spread_scalar(%m: tensor<1x1x2048x2048xi1>, %x: tensor<1x1x2048x2048xf32>) -> tensor<1x1x2048x2048xf32> {
  %low = arith.constant -3.0e38 : f32
  %e = tensor.empty() : tensor<1x1x2048x2048xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(b, h, i, j) -> (b, h, i, j)>, affine_map<(b, h, i, j) -> (b, h, i, j)>, affine_map<(b, h, i, j) -> (b, h, i, j)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%m, %x : tensor<1x1x2048x2048xi1>, tensor<1x1x2048x2048xf32>) outs(%e : tensor<1x1x2048x2048xf32>) {
  ^bb0(%p: i1, %a: f32, %o: f32):
    %t = arith.select %p, %low, %a : f32
    linalg.yield %t : f32
  } -> tensor<1x1x2048x2048xf32>
  return %r : tensor<1x1x2048x2048xf32>
}

// -----

// An elementwise op reading a unit dim through a constant index (the
// rotary tables' [1, 1, S, D] along [1, H, S, D]) is vectorised as it is, its
// result written where it is inserted: no reshapes of its operands, whose
// fresh result would be copied into the destination.
// CHECK-LABEL: func @unit_broadcast
// CHECK-NOT: tensor.collapse_shape
// CHECK-NOT: tensor.expand_shape
// CHECK: scf.for
// CHECK: scf.for
// CHECK: vector.transfer_read {{.*}} vector<32xf32>
// CHECK: arith.mulf {{.*}} : vector<32xf32>
// CHECK-NOT: tensor.expand_shape
// CHECK: return
func.func @unit_broadcast(%x: tensor<1x4x8x32xf32>, %cos: tensor<1x1x8x32xf32>, %dest: tensor<1x4x8x64xf32>) -> tensor<1x4x8x64xf32> {
  %e = tensor.empty() : tensor<1x4x8x32xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(b, h, s, d) -> (b, h, s, d)>, affine_map<(b, h, s, d) -> (b, 0, s, d)>, affine_map<(b, h, s, d) -> (b, h, s, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x, %cos : tensor<1x4x8x32xf32>, tensor<1x1x8x32xf32>) outs(%e : tensor<1x4x8x32xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %m = arith.mulf %a, %c : f32
    linalg.yield %m : f32
  } -> tensor<1x4x8x32xf32>
  %i = tensor.insert_slice %r into %dest[0, 0, 0, 0] [1, 4, 8, 32] [1, 1, 1, 1] : tensor<1x4x8x32xf32> into tensor<1x4x8x64xf32>
  return %i : tensor<1x4x8x64xf32>
}

// -----

// Transposes of the last two dims in 16 x 16 blocks: each block read as
// 16 rows of 16 lanes and transposed in registers (vector.transpose, which
// the vector-to-LLVM lowering makes shuffles), with any elementwise body
// (the flash form's scaled Q^T); a big one (an attention mask) spread
// over threads first along its outermost dim.
// CHECK-LABEL: func @block_transpose
// CHECK:     scf.for %[[I:.*]] = %c0 to %c32 step %c16
// CHECK:       scf.for %[[J:.*]] = %c0 to %c64 step %c16
// CHECK:         %[[IN:.*]] = tensor.extract_slice %arg0[%[[J]], %[[I]]] [16, 16]
// CHECK:         %[[ROWS:.*]] = vector.transfer_read %[[IN]]{{.*}} : tensor<16x16xf32>, vector<16x16xf32>
// CHECK:         %[[T:.*]] = vector.transpose %[[ROWS]], [1, 0] : vector<16x16xf32> to vector<16x16xf32>
// CHECK:         %[[S:.*]] = arith.mulf %[[T]], %{{.*}} : vector<16x16xf32>
// CHECK:         vector.transfer_write %[[S]]
// CHECK-LABEL: func @mask_transpose
// CHECK:     scf.forall (%[[P:.*]]) = (0) to (2048) step (32)
// CHECK:       scf.for {{.*}} step %c16
// CHECK:         scf.for {{.*}} step %c16
// CHECK:           vector.transpose {{.*}} : vector<16x16xf32> to vector<16x16xf32>
// CHECK-NOT: linalg.transpose
func.func @block_transpose(%q: tensor<64x32xf32>) -> tensor<32x64xf32> {
  %c = arith.constant 0.125 : f32
  %e = tensor.empty() : tensor<32x64xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (j, i)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%q : tensor<64x32xf32>) outs(%e : tensor<32x64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.mulf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<32x64xf32>
  return %r : tensor<32x64xf32>
}
func.func @mask_transpose(%m: tensor<1x1x2048x2048xf32>) -> tensor<1x1x2048x2048xf32> {
  %e = tensor.empty() : tensor<1x1x2048x2048xf32>
  %t = linalg.transpose ins(%m : tensor<1x1x2048x2048xf32>) outs(%e : tensor<1x1x2048x2048xf32>) permutation = [0, 1, 3, 2]
  return %t : tensor<1x1x2048x2048xf32>
}

// -----

// Of run-time size (a KV cache's tiles, a prompt's rows): whether it is
// big is known only at run time, so an scf.if on the element count picks
// pieces over threads along the outermost static loop (the kv heads, the
// heads) or one serial pass; in both, each index of the run-time loop is
// one step: a static block transpose, or a static vector row.
// CHECK-LABEL: func @panels_dynamic
// CHECK:     %[[N:.*]] = tensor.dim %arg0, %c2
// CHECK:     %[[ELEMS:.*]] = arith.muli %[[N]], %c8192
// CHECK:     %[[BIG:.*]] = arith.cmpi uge, %[[ELEMS]], %c262144
// CHECK:     scf.if %[[BIG]]
// CHECK:       scf.forall (%{{.*}}) in (4)
// CHECK:         scf.for %{{.*}} = %c0 to %[[N]] step %c1
// CHECK:           vector.transpose {{.*}} : vector<16x16xf32> to vector<16x16xf32>
// CHECK:     } else {
// CHECK:       scf.for %{{.*}} = %c0 to %[[N]] step %c1
// CHECK:         vector.transpose {{.*}} : vector<16x16xf32> to vector<16x16xf32>
// CHECK-NOT: linalg.transpose
// CHECK-LABEL: func @rope_dynamic
// CHECK:     scf.if
// CHECK:       scf.forall (%{{.*}}) in (16)
// CHECK:         arith.mulf {{.*}} : vector<64xf32>
// CHECK:     } else {
// CHECK:         arith.mulf {{.*}} : vector<64xf32>
// CHECK-NOT: linalg.generic
func.func @panels_dynamic(%k: tensor<1x4x?x64x32xf32>) -> tensor<1x4x?x32x64xf32> {
  %c2 = arith.constant 2 : index
  %n = tensor.dim %k, %c2 : tensor<1x4x?x64x32xf32>
  %e = tensor.empty(%n) : tensor<1x4x?x32x64xf32>
  %t = linalg.transpose ins(%k : tensor<1x4x?x64x32xf32>) outs(%e : tensor<1x4x?x32x64xf32>) permutation = [0, 1, 2, 4, 3]
  return %t : tensor<1x4x?x32x64xf32>
}
func.func @rope_dynamic(%x: tensor<1x16x?x64xf32>, %c: tensor<1x1x?x64xf32>) -> tensor<1x16x?x64xf32> {
  %c2 = arith.constant 2 : index
  %n = tensor.dim %x, %c2 : tensor<1x16x?x64xf32>
  %e = tensor.empty(%n) : tensor<1x16x?x64xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(a, b, c, d) -> (a, b, c, d)>, affine_map<(a, b, c, d) -> (0, 0, c, d)>, affine_map<(a, b, c, d) -> (a, b, c, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x, %c : tensor<1x16x?x64xf32>, tensor<1x1x?x64xf32>) outs(%e : tensor<1x16x?x64xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<1x16x?x64xf32>
  return %r : tensor<1x16x?x64xf32>
}

// -----

// A piece written into its slice of a bigger result (a rotary half split
// over its concatenation): both copies start as that slice of the
// destination, so it is computed in place (the empty-tensor elimination
// after this pass does not see through the scf.if).
// CHECK-LABEL: func @rope_piece_dynamic
// CHECK:     %[[SLOT:.*]] = tensor.extract_slice %arg1[0, 0, 0, 32] [1, 16, %[[N:.*]], 32] [1, 1, 1, 1]
// CHECK:     %[[PIECE:.*]] = scf.if
// CHECK:       scf.forall (%{{.*}}) in (16) shared_outs(%{{.*}} = %[[SLOT]])
// CHECK:     } else {
// CHECK:       scf.for {{.*}} iter_args(%{{.*}} = %[[SLOT]])
// CHECK:     tensor.insert_slice %[[PIECE]] into %arg1[0, 0, 0, 32] [1, 16, %[[N]], 32]
func.func @rope_piece_dynamic(%x: tensor<1x16x?x32xf32>, %dest: tensor<1x16x?x64xf32>) -> tensor<1x16x?x64xf32> {
  %c2 = arith.constant 2 : index
  %n = tensor.dim %x, %c2 : tensor<1x16x?x32xf32>
  %e = tensor.empty(%n) : tensor<1x16x?x32xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(a, b, c, d) -> (a, b, c, d)>, affine_map<(a, b, c, d) -> (a, b, c, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<1x16x?x32xf32>) outs(%e : tensor<1x16x?x32xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.negf %a : f32
    linalg.yield %m : f32
  } -> tensor<1x16x?x32xf32>
  %i = tensor.insert_slice %r into %dest[0, 0, 0, 32] [1, 16, %n, 32] [1, 1, 1, 1] : tensor<1x16x?x32xf32> into tensor<1x16x?x64xf32>
  return %i : tensor<1x16x?x64xf32>
}
