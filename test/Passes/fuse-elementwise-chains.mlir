// RUN: moe-opt %s --moe-fuse-elementwise-chains -split-input-file | FileCheck %s
// RUN: moe-opt %s --moe-fuse-elementwise-chains=into-reductions -split-input-file | FileCheck %s --check-prefix=GPU
// RUN: moe-opt %s --moe-fuse-elementwise-chains=through-concats -split-input-file | FileCheck %s --check-prefix=CONCAT

#id = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>

// A chain (scale, then add) becomes one generic reading both inputs once.
// CHECK-LABEL: func @chain
// CHECK: linalg.generic
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @chain(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %s = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %a : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%s, %y : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %t = arith.addf %a, %b : f32
    linalg.yield %t : f32
  } -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

#id = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>

// Read through a broadcast, the producer would run once per column: kept.
// CHECK-LABEL: func @broadcast
// CHECK-COUNT-2: linalg.generic
func.func @broadcast(%x: tensor<4xf32>, %y: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %e1 = tensor.empty() : tensor<4xf32>
  %e = tensor.empty() : tensor<4x8xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]} ins(%x : tensor<4xf32>) outs(%e1 : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = math.exp %a : f32
    linalg.yield %m : f32
  } -> tensor<4xf32>
  %r = linalg.generic {indexing_maps = [#row, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%s, %y : tensor<4xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %t = arith.addf %a, %b : f32
    linalg.yield %t : f32
  } -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

#id = affine_map<(i, j) -> (i, j)>
#keys = affine_map<(i, j) -> (0, j)>

// A comparison read through a broadcast (HuggingFace's padded keys,
// attention_mask == 0, selecting over [S, S]) is run again per element:
// cheaper than its i1 result in memory, which no vector op would read.
// CHECK-LABEL: func @broadcast_comparison
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}], iterator_types = ["parallel", "parallel"]} ins(%arg0, %arg1 : tensor<1x8xi64>, tensor<4x8xf32>)
// CHECK:   arith.cmpi eq
// CHECK:   arith.select
// CHECK-NOT: linalg.generic
func.func @broadcast_comparison(%m: tensor<1x8xi64>, %y: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %zero = arith.constant 0 : i64
  %low = arith.constant -3.0e38 : f32
  %e1 = tensor.empty() : tensor<1x8xi1>
  %e = tensor.empty() : tensor<4x8xf32>
  %padded = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%m : tensor<1x8xi64>) outs(%e1 : tensor<1x8xi1>) {
  ^bb0(%a: i64, %o: i1):
    %c = arith.cmpi eq, %a, %zero : i64
    linalg.yield %c : i1
  } -> tensor<1x8xi1>
  %r = linalg.generic {indexing_maps = [#keys, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%padded, %y : tensor<1x8xi1>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%p: i1, %b: f32, %o: f32):
    %t = arith.select %p, %low, %b : f32
    linalg.yield %t : f32
  } -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

#id = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>

// Into a reduction the producer would be recomputed per step: kept; and a
// producer with two users is kept for both.
// CHECK-LABEL: func @reduction_and_shared
// CHECK-COUNT-3: linalg.generic
func.func @reduction_and_shared(%x: tensor<4x8xf32>, %acc: tensor<4xf32>) -> (tensor<4xf32>, tensor<4x8xf32>) {
  %e = tensor.empty() : tensor<4x8xf32>
  %s = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = math.exp %a : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%s : tensor<4x8xf32>) outs(%acc : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = arith.addf %a, %o : f32
    linalg.yield %t : f32
  } -> tensor<4xf32>
  %neg = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%s : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = arith.negf %a : f32
    linalg.yield %t : f32
  } -> tensor<4x8xf32>
  return %sum, %neg : tensor<4xf32>, tensor<4x8xf32>
}

// -----

#id = affine_map<(i, j) -> (i, j)>
#row = affine_map<(i, j) -> (i)>

// With into-reductions (GPUs) a producer read only by a reduction runs
// inside it: one op, exp then add.
// CHECK-LABEL: func @into_reduction
// CHECK-COUNT-2: linalg.generic
// GPU-LABEL: func @into_reduction
// GPU: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// GPU: math.exp
// GPU: arith.addf
// GPU-NOT: linalg.generic
func.func @into_reduction(%x: tensor<4x8xf32>, %acc: tensor<4xf32>) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %s = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = math.exp %a : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  %sum = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%s : tensor<4x8xf32>) outs(%acc : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = arith.addf %a, %o : f32
    linalg.yield %t : f32
  } -> tensor<4xf32>
  return %sum : tensor<4xf32>
}

// -----

// A producer reading a unit dim broadcast (a constant index: the rotary
// tables' [1, S, D] read along [H, S, D]) is elementwise all the same.
// CHECK-LABEL: func @unit_broadcast_producer
// GPU-LABEL: func @unit_broadcast_producer
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}, #{{.*}}]
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @unit_broadcast_producer(%x: tensor<4x8x16xf32>, %cos: tensor<1x8x16xf32>, %y: tensor<4x8x16xf32>) -> tensor<4x8x16xf32> {
  %e = tensor.empty() : tensor<4x8x16xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(h, s, d) -> (h, s, d)>, affine_map<(h, s, d) -> (0, s, d)>, affine_map<(h, s, d) -> (h, s, d)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %cos : tensor<4x8x16xf32>, tensor<1x8x16xf32>) outs(%e : tensor<4x8x16xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %m = arith.mulf %a, %c : f32
    linalg.yield %m : f32
  } -> tensor<4x8x16xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(h, s, d) -> (h, s, d)>, affine_map<(h, s, d) -> (h, s, d)>, affine_map<(h, s, d) -> (h, s, d)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s, %y : tensor<4x8x16xf32>, tensor<4x8x16xf32>) outs(%e : tensor<4x8x16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %t = arith.addf %a, %b : f32
    linalg.yield %t : f32
  } -> tensor<4x8x16xf32>
  return %r : tensor<4x8x16xf32>
}

// -----

#id = affine_map<(s, d) -> (s, d)>

// HuggingFace's rotary with its tables as inputs: x * cos +
// Concat(-x[:, 4:], x[:, :4]) * sin. Fused, it is one op reading the
// concatenation; through-concats computes each half and inserts it
// where it lands in one allocation of its own (bufferization then writes
// it there), the negation fused into the first: no concatenation is
// written.
// CHECK-LABEL: func @rotate_half
// CHECK: tensor.concat
// CONCAT-LABEL: func @rotate_half
// CONCAT-NOT: tensor.concat
// CONCAT: %[[DEST:.*]] = bufferization.alloc_tensor() : tensor<2x8xf32>
// CONCAT: %[[P0:.*]] = linalg.generic
// CONCAT: arith.negf
// CONCAT: } -> tensor<2x4xf32>
// CONCAT: %[[R0:.*]] = tensor.insert_slice %[[P0]] into %[[DEST]][0, 0] [2, 4] [1, 1]
// CONCAT-NOT: arith.negf
// CONCAT: %[[P1:.*]] = linalg.generic
// CONCAT-NOT: arith.negf
// CONCAT: } -> tensor<2x4xf32>
// CONCAT: %[[R1:.*]] = tensor.insert_slice %[[P1]] into %[[R0]][0, 4] [2, 4] [1, 1]
// CONCAT: return %[[R1]]
func.func @rotate_half(%x: tensor<2x8xf32>, %cos: tensor<2x8xf32>, %sin: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %e = tensor.empty() : tensor<2x8xf32>
  %eh = tensor.empty() : tensor<2x4xf32>
  %xc = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %cos : tensor<2x8xf32>, tensor<2x8xf32>) outs(%e : tensor<2x8xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %m = arith.mulf %a, %c : f32
    linalg.yield %m : f32
  } -> tensor<2x8xf32>
  %hi = tensor.extract_slice %x[0, 4] [2, 4] [1, 1] : tensor<2x8xf32> to tensor<2x4xf32>
  %lo = tensor.extract_slice %x[0, 0] [2, 4] [1, 1] : tensor<2x8xf32> to tensor<2x4xf32>
  %neg = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%hi : tensor<2x4xf32>) outs(%eh : tensor<2x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  } -> tensor<2x4xf32>
  %rot = tensor.concat dim(1) %neg, %lo : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x8xf32>
  %rs = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%rot, %sin : tensor<2x8xf32>, tensor<2x8xf32>) outs(%e : tensor<2x8xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %m = arith.mulf %a, %c : f32
    linalg.yield %m : f32
  } -> tensor<2x8xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%xc, %rs : tensor<2x8xf32>, tensor<2x8xf32>) outs(%e : tensor<2x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %t = arith.addf %a, %b : f32
    linalg.yield %t : f32
  } -> tensor<2x8xf32>
  return %r : tensor<2x8xf32>
}
