// RUN: moe-opt %s --moe-lower-to-linalg=weight-tiles --canonicalize | FileCheck %s

// Float experts: the result starts empty, not zero-filled whole; zeros go
// only where no expert writes (rows before offsets[0], here, and rows
// from the last expert's end, after the loop). Each expert starts where
// the one before ended, carried by the loop.
// CHECK-LABEL: func.func @float_experts
// CHECK:   %[[ROWS:.*]] = tensor.dim %arg0, %c0
// CHECK:   %[[FIRST:.*]] = arith.minsi %{{.*}}, %[[ROWS]]
// CHECK:   %[[EMPTY:.*]] = tensor.empty(%[[ROWS]]) : tensor<?x32xf32>
// CHECK:   %[[HEAD:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x32xf32>)
// CHECK:   %[[INIT:.*]] = tensor.insert_slice %[[HEAD]] into %[[EMPTY]][0, 0] [%[[FIRST]], 32]
// CHECK:   %[[LOOP:.*]]:2 = scf.for %{{.*}} = %c0 to %c2 step %c1 iter_args(%{{.*}} = %[[INIT]], %[[START:.*]] = %[[FIRST]]) -> (tensor<?x32xf32>, index)
// CHECK:     %[[END:.*]] = arith.maxsi %{{.*}}, %[[START]]
// CHECK:     %[[COUNT:.*]] = arith.subi %[[END]], %[[START]]
// CHECK:     tensor.extract_slice %arg0[%[[START]], 0] [%[[COUNT]], 16]
// CHECK:     scf.yield %{{.*}}, %[[END]]
// CHECK:   %[[TAIL:.*]] = arith.subi %[[ROWS]], %[[LOOP]]#1
// CHECK:   %[[ZEROS:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x32xf32>)
// CHECK:   tensor.insert_slice %[[ZEROS]] into %[[LOOP]]#0[%[[LOOP]]#1, 0] [%[[TAIL]], 32]
func.func @float_experts(%x: tensor<?x16xf32>, %w: tensor<2x32x16xf32>, %off: tensor<3xi32>) -> tensor<?x32xf32> {
  %h = moe.grouped_matmul %x, %w, %off
      : (tensor<?x16xf32>, tensor<2x32x16xf32>, tensor<3xi32>) -> tensor<?x32xf32>
  return %h : tensor<?x32xf32>
}

// A gated activation over the two halves of a fused gate/up product
// (SwiGLU) goes into the expert loop, beside each expert's product: the
// loop carries the [rows, 32] activation, the [rows, 64] product is never
// made whole. Rows no expert covers (before offsets[0], after the last
// expert's end) get the activation of zeros.
// CHECK-LABEL: func.func @swiglu_epilogue
// CHECK:   %[[HEAD:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<?x32xf32>)
// CHECK:   %[[INIT:.*]] = tensor.insert_slice %[[HEAD]]
// CHECK:   scf.for %{{.*}} = %c0 to %c2 step %c1 iter_args(%{{.*}} = %[[INIT]], %{{.*}} = %{{.*}}) -> (tensor<?x32xf32>, index)
// CHECK:     %[[PRODUCT:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} {{.*}} outs(%{{.*}} : tensor<?x64xf32>)
// CHECK:     %[[GATE:.*]] = tensor.extract_slice %[[PRODUCT]][0, 0] [%{{.*}}, 32] [1, 1]
// CHECK:     %[[UP:.*]] = tensor.extract_slice %[[PRODUCT]][0, 32] [%{{.*}}, 32] [1, 1]
// CHECK:     %[[ACT:.*]] = linalg.generic {{.*}} ins(%[[GATE]], %[[UP]] : tensor<?x32xf32>, tensor<?x32xf32>)
// CHECK:       math.exp
// CHECK:     tensor.insert_slice %[[ACT]] into %{{.*}}[%{{.*}}, 0] [%{{.*}}, 32] [1, 1] : tensor<?x32xf32> into tensor<?x32xf32>
// CHECK:   scf.yield
// CHECK:   linalg.fill {{.*}} outs(%{{.*}} : tensor<?x64xf32>)
// CHECK:   %[[TAIL:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<?x32xf32>)
// CHECK:   %[[RESULT:.*]] = tensor.insert_slice %[[TAIL]]
// CHECK-NEXT: return %[[RESULT]]
func.func @swiglu_epilogue(%x: tensor<?x16xf32>, %w: tensor<2x64x16xf32>, %off: tensor<3xi32>) -> tensor<?x32xf32> {
  %c0 = arith.constant 0 : index
  %one = arith.constant 1.0 : f32
  %h = moe.grouped_matmul %x, %w, %off
      : (tensor<?x16xf32>, tensor<2x64x16xf32>, tensor<3xi32>) -> tensor<?x64xf32>
  %rows = tensor.dim %h, %c0 : tensor<?x64xf32>
  %gate = tensor.extract_slice %h[0, 0] [%rows, 32] [1, 1] : tensor<?x64xf32> to tensor<?x32xf32>
  %up = tensor.extract_slice %h[0, 32] [%rows, 32] [1, 1] : tensor<?x64xf32> to tensor<?x32xf32>
  %init = tensor.empty(%rows) : tensor<?x32xf32>
  %act = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%gate, %up : tensor<?x32xf32>, tensor<?x32xf32>) outs(%init : tensor<?x32xf32>) {
  ^bb0(%g: f32, %u: f32, %o: f32):
    %n = arith.negf %g : f32
    %e = math.exp %n : f32
    %d = arith.addf %e, %one : f32
    %s = arith.divf %g, %d : f32
    %r = arith.mulf %s, %u : f32
    linalg.yield %r : f32
  } -> tensor<?x32xf32>
  return %act : tensor<?x32xf32>
}

// The same product also returned: it is needed whole, nothing moves.
// CHECK-LABEL: func.func @product_needed_whole
// CHECK: scf.for {{.*}} -> (tensor<?x64xf32>, index)
// CHECK-NOT: math.exp
// CHECK: scf.yield
// CHECK: math.exp
func.func @product_needed_whole(%x: tensor<?x16xf32>, %w: tensor<2x64x16xf32>, %off: tensor<3xi32>) -> (tensor<?x32xf32>, tensor<?x64xf32>) {
  %c0 = arith.constant 0 : index
  %h = moe.grouped_matmul %x, %w, %off
      : (tensor<?x16xf32>, tensor<2x64x16xf32>, tensor<3xi32>) -> tensor<?x64xf32>
  %rows = tensor.dim %h, %c0 : tensor<?x64xf32>
  %gate = tensor.extract_slice %h[0, 0] [%rows, 32] [1, 1] : tensor<?x64xf32> to tensor<?x32xf32>
  %init = tensor.empty(%rows) : tensor<?x32xf32>
  %act = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%gate : tensor<?x32xf32>) outs(%init : tensor<?x32xf32>) {
  ^bb0(%g: f32, %o: f32):
    %e = math.exp %g : f32
    linalg.yield %e : f32
  } -> tensor<?x32xf32>
  return %act, %h : tensor<?x32xf32>, tensor<?x64xf32>
}

// A consumer of another element type (f16 out of the f32 product) is
// made nowhere near the product's blocks: nothing moves.
// CHECK-LABEL: func.func @epilogue_other_type
// CHECK: scf.for {{.*}} -> (tensor<?x64xf32>, index)
// CHECK-NOT: arith.truncf
// CHECK: scf.yield
// CHECK: arith.truncf
func.func @epilogue_other_type(%x: tensor<?x16xf32>, %w: tensor<2x64x16xf32>, %off: tensor<3xi32>) -> tensor<?x32xf16> {
  %c0 = arith.constant 0 : index
  %h = moe.grouped_matmul %x, %w, %off
      : (tensor<?x16xf32>, tensor<2x64x16xf32>, tensor<3xi32>) -> tensor<?x64xf32>
  %rows = tensor.dim %h, %c0 : tensor<?x64xf32>
  %gate = tensor.extract_slice %h[0, 0] [%rows, 32] [1, 1] : tensor<?x64xf32> to tensor<?x32xf32>
  %init = tensor.empty(%rows) : tensor<?x32xf16>
  %act = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%gate : tensor<?x32xf32>) outs(%init : tensor<?x32xf16>) {
  ^bb0(%g: f32, %o: f16):
    %t = arith.truncf %g : f32 to f16
    linalg.yield %t : f16
  } -> tensor<?x32xf16>
  return %act : tensor<?x32xf16>
}

// A decode step's product by a million or more int8 weights sums chunks
// of K in parallel (a forall over 4 chunks of 256 rows of the k-major
// integers, each one contiguous stretch), then scales and adds the
// partial sums.
// CHECK-LABEL: func.func @int8_experts_threads
// CHECK: } else {
// CHECK:   %[[PARTS:.*]] = scf.forall (%[[P:.*]]) in (4) shared_outs(%{{.*}} = %{{.*}}) -> (tensor<?x4x1024xf32>)
// CHECK:     %[[FIRST:.*]] = arith.muli %[[P]], %c256
// CHECK:     tensor.extract_slice %{{.*}}[0, %[[FIRST]]] [%{{.*}}, 256] [1, 1] : tensor<?x1024xf32> to tensor<?x256xf32>
// CHECK:     tensor.extract_slice %{{.*}}[%[[FIRST]], 0] [256, 1024] [1, 1] : tensor<1024x1024xi8> to tensor<256x1024xi8>
// CHECK:     math.fma
// CHECK:     tensor.parallel_insert_slice %{{.*}} into %{{.*}}[0, %[[P]], 0] [%{{.*}}, 1, 1024] [1, 1, 1] : tensor<?x1024xf32> into tensor<?x4x1024xf32>
// CHECK:   linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel"]} ins(%[[PARTS]], %{{.*}} : tensor<?x4x1024xf32>, tensor<1024xf32>)
func.func @int8_experts_threads(%x: tensor<?x1024xf32>, %off: tensor<3xi32>) -> tensor<?x1024xf32> {
  %q = arith.constant dense<3> : tensor<2x1024x1024xi8>
  %s = arith.constant dense<0.5> : tensor<2x1024x1xf32>
  %w = moe.dequantize %q, %s {axis = 2 : i64, block_size = 1024 : i64}
      : (tensor<2x1024x1024xi8>, tensor<2x1024x1xf32>) -> tensor<2x1024x1024xf32>
  %h = moe.grouped_matmul %x, %w, %off
      : (tensor<?x1024xf32>, tensor<2x1024x1024xf32>, tensor<3xi32>) -> tensor<?x1024xf32>
  return %h : tensor<?x1024xf32>
}

// Per-channel int8 experts on the CPU: the integers kept once, k-major
// ([E, K, N], transposed at compile time). An expert with 8 rows or more
// (the register tile's) multiplies a float weight dequantized from them,
// which TileAndVectorize computes a panel at a time; fewer rows (a decode
// step) read the integers straight, n innermost, each once per row, by
// fused multiply-adds; the scales multiply the sums once.
// CHECK-LABEL: func.func @int8_experts
// CHECK-DAG: %[[KMAJOR:.*]] = arith.constant dense_resource<[[BLOB:.*]]> : tensor<2x16x32xi8>
// CHECK-NOT: tensor<2x32x16xi8>
// CHECK: scf.for %[[E:.*]] = %c0 to %c2 step %c1 iter_args
// CHECK:   %[[COUNT:.*]] = arith.subi
// CHECK:   %[[MANY:.*]] = arith.cmpi sge, %[[COUNT]], %c8
// CHECK:   scf.if %[[MANY]]
// CHECK:     %[[Q:.*]] = tensor.extract_slice %[[KMAJOR]][%[[E]], 0, 0] [1, 16, 32] [1, 1, 1] : tensor<2x16x32xi8> to tensor<16x32xi8>
// CHECK:     %[[W:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%[[Q]], %{{.*}} : tensor<16x32xi8>, tensor<32xf32>) outs(%{{.*}} : tensor<16x32xf32>)
// CHECK:       arith.sitofp
// CHECK:     linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}}, %[[W]] : tensor<?x16xf32>, tensor<16x32xf32>)
// CHECK:   } else {
// CHECK:     %[[Q2:.*]] = tensor.extract_slice %[[KMAJOR]][%[[E]], 0, 0]
// CHECK:     %[[SUMS:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel"]} ins(%{{.*}}, %[[Q2]] : tensor<?x16xf32>, tensor<16x32xi8>)
// CHECK:       arith.sitofp
// CHECK-NEXT:  math.fma
// CHECK:     %[[ONE:.*]] = tensor.expand_shape %[[SUMS]] {{\[}}[0, 1], [2]] output_shape [%{{.*}}, 1, 32]
// CHECK:     linalg.generic {{.*}} ins(%[[ONE]], %{{.*}} : tensor<?x1x32xf32>, tensor<32xf32>)
// CHECK-NOT: moe.qmatmul
// Row k = 0 of expert 0 is column 0 of its [32, 16] weight: q[n][0] =
// (16 n) % 7 - 3 = -3, -1, 1, 3, -2, 0, 2, -3, ...
// CHECK: [[BLOB]]: "0x40000000FDFF0103FE0002FD
func.func @int8_experts(%x: tensor<?x16xf32>, %off: tensor<3xi32>) -> tensor<?x32xf32> {
  %q = arith.constant dense<[[[-3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2], [-1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0], [1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2], [3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3], [-2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1], [0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1], [2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3], [-3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2], [-1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0], [1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2], [3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3], [-2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1], [0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1], [2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3], [-3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2], [-1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0], [1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2], [3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3], [-2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1], [0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1], [2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3], [-3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2], [-1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0], [1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2], [3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3], [-2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1], [0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1], [2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3], [-3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2], [-1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0], [1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2], [3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3]], [[-2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1], [0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1], [2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3], [-3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2], [-1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0], [1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2], [3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3], [-2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1], [0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1], [2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3], [-3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2], [-1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0], [1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2], [3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3], [-2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1], [0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1], [2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3], [-3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2], [-1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0], [1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2], [3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3], [-2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1], [0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1], [2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3], [-3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2], [-1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0], [1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2], [3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3], [-2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1], [0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1], [2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3], [-3, -2, -1, 0, 1, 2, 3, -3, -2, -1, 0, 1, 2, 3, -3, -2]]]> : tensor<2x32x16xi8>
  %s = arith.constant dense<0.5> : tensor<2x32x1xf32>
  %w = moe.dequantize %q, %s {axis = 2 : i64, block_size = 16 : i64}
      : (tensor<2x32x16xi8>, tensor<2x32x1xf32>) -> tensor<2x32x16xf32>
  %h = moe.grouped_matmul %x, %w, %off
      : (tensor<?x16xf32>, tensor<2x32x16xf32>, tensor<3xi32>) -> tensor<?x32xf32>
  return %h : tensor<?x32xf32>
}
