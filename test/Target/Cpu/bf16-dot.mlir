// RUN: moe-opt %s --moe-cpu-bf16-dot --moe-cpu-bf16-dot-products=avx512bf16=true | FileCheck %s --check-prefixes=CHECK,NATIVE
// RUN: moe-opt %s --moe-cpu-bf16-dot | FileCheck %s --check-prefixes=CHECK,PORTABLE
// RUN: moe-opt %s --moe-cpu-bf16-dot --moe-cpu-bf16-dot-products | FileCheck %s --check-prefix=ADDS

#a = affine_map<(m, n, k) -> (m, k)>
#b = affine_map<(m, n, k) -> (k, n)>
#c = affine_map<(m, n, k) -> (m, n)>
#id = affine_map<(m, n) -> (m, n)>
#row = affine_map<(m, n) -> (m)>

// Rows rounded to bf16 bits once (to nearest even, NaN kept), weights
// packed as bf16 pairs at compile time (1.5 is 0x3FC0 = 16320), tiles of
// pair dot products from zero.
// CHECK-LABEL: func.func @weights
// CHECK-DAG: arith.constant dense_resource<bf16_dot_weights> : tensor<2x1024xi16>
// CHECK: linalg.generic
// CHECK: arith.bitcast %{{.*}} : f32 to i32
// CHECK: arith.cmpf uno
// CHECK: arith.trunci %{{.*}} : i32 to i16
// CHECK: scf.forall
// CHECK: scf.for
// CHECK: vector.transfer_read {{.*}} : tensor<2x1024xi16>, vector<32xi16>
// CHECK: vector.transfer_read {{.*}} : tensor<?x64xi16>, vector<2xi16>
// NATIVE: llvm.call_intrinsic "llvm.x86.avx512bf16.dpbf16ps.512"{{.*}}(vector<16xf32>, vector<32xbf16>, vector<32xbf16>) -> vector<16xf32>
// PORTABLE: arith.extf %{{.*}} : vector<32xbf16> to vector<32xf32>
// PORTABLE: vector.multi_reduction <add>, %{{.*}} [1] : vector<16x2xf32> to vector<16xf32>
// ADDS-LABEL: func.func @weights
// ADDS-NOT: vector.multi_reduction
// ADDS: arith.addf %{{.*}} : vector<16xf32>
// CHECK-NOT: linalg.fill
// CHECK: return
func.func @weights(%x: tensor<?x64xf32>) -> tensor<?x32xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %w = arith.constant dense<1.5> : tensor<64x32xf32>
  %rows = tensor.dim %x, %c0 : tensor<?x64xf32>
  %e = tensor.empty(%rows) : tensor<?x32xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<?x32xf32>) -> tensor<?x32xf32>
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<?x64xf32>, tensor<64x32xf32>) outs(%init : tensor<?x32xf32>) {
  ^bb0(%av: f32, %bv: f32, %acc: f32):
    %p = arith.mulf %av, %bv : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x32xf32>
  return %r : tensor<?x32xf32>
}

// An expert's matrix of a constant stack: the packed stack, sliced at the
// expert; the sums start from the init it reads.
// CHECK-LABEL: func.func @expert
// CHECK-DAG: arith.constant dense_resource<bf16_dot_weights_1> : tensor<3x2x1024xi16>
// CHECK: tensor.extract_slice %{{.*}}[%{{.*}}, 0, 0] [1, 2, 1024] [1, 1, 1] : tensor<3x2x1024xi16> to tensor<2x1024xi16>
// CHECK: scf.forall
// CHECK: vector.transfer_read %{{.*}} : tensor<6x32xf32>, vector<16xf32>
func.func @expert(%x: tensor<?x64xf32>, %init: tensor<?x32xf32>, %i: index) -> tensor<?x32xf32> {
  %stack = arith.constant dense<1.5> : tensor<3x64x32xf32>
  %w = tensor.extract_slice %stack[%i, 0, 0] [1, 64, 32] [1, 1, 1] : tensor<3x64x32xf32> to tensor<64x32xf32>
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<?x64xf32>, tensor<64x32xf32>) outs(%init : tensor<?x32xf32>) {
  ^bb0(%av: f32, %bv: f32, %acc: f32):
    %p = arith.mulf %av, %bv : f32
    %s = arith.addf %p, %acc : f32
    linalg.yield %s : f32
  } -> tensor<?x32xf32>
  return %r : tensor<?x32xf32>
}

// Batched rows by one weight matrix: multiplied as one [b * m, k] matrix,
// from a zero fill of its own, expanded back.
// CHECK-LABEL: func.func @row_batch
// CHECK: %[[ROWS:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2]] : tensor<2x3x64xf32> into tensor<6x64xf32>
// CHECK: linalg.generic {{.*}} ins(%[[ROWS]] : tensor<6x64xf32>) outs(%{{.*}} : tensor<6x64xi16>)
// CHECK: scf.forall
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1], [2]] output_shape [2, 3, 32] : tensor<6x32xf32> into tensor<2x3x32xf32>
#a3 = affine_map<(b, m, n, k) -> (b, m, k)>
#b3 = affine_map<(b, m, n, k) -> (k, n)>
#c3 = affine_map<(b, m, n, k) -> (b, m, n)>
func.func @row_batch(%x: tensor<2x3x64xf32>) -> tensor<2x3x32xf32> {
  %zero = arith.constant 0.0 : f32
  %w = arith.constant dense<1.5> : tensor<64x32xf32>
  %e = tensor.empty() : tensor<2x3x32xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<2x3x32xf32>) -> tensor<2x3x32xf32>
  %r = linalg.generic {indexing_maps = [#a3, #b3, #c3], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<2x3x64xf32>, tensor<64x32xf32>) outs(%init : tensor<2x3x32xf32>) {
  ^bb0(%av: f32, %bv: f32, %acc: f32):
    %p = arith.mulf %av, %bv : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<2x3x32xf32>
  return %r : tensor<2x3x32xf32>
}

// Logits whose columns a max compares stay f32; a width that is not a
// multiple of 16 too.
// CHECK-LABEL: func.func @logits
// CHECK-NOT: scf.forall
// CHECK: linalg.generic
// CHECK: arith.mulf %{{.*}} : f32
// CHECK: arith.maxnumf
// CHECK-LABEL: func.func @narrow
// CHECK-NOT: scf.forall
// CHECK: return
func.func @logits(%x: tensor<4x64xf32>) -> tensor<4xf32> {
  %zero = arith.constant 0.0 : f32
  %low = arith.constant -3.0e38 : f32
  %w = arith.constant dense<1.5> : tensor<64x32xf32>
  %e = tensor.empty() : tensor<4x32xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4x32xf32>) -> tensor<4x32xf32>
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<4x64xf32>, tensor<64x32xf32>) outs(%init : tensor<4x32xf32>) {
  ^bb0(%av: f32, %bv: f32, %acc: f32):
    %p = arith.mulf %av, %bv : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x32xf32>
  %me = tensor.empty() : tensor<4xf32>
  %mi = linalg.fill ins(%low : f32) outs(%me : tensor<4xf32>) -> tensor<4xf32>
  %m = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%r : tensor<4x32xf32>) outs(%mi : tensor<4xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.maxnumf %v, %acc : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %m : tensor<4xf32>
}
func.func @narrow(%x: tensor<4x64xf32>) -> tensor<4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %w = arith.constant dense<1.5> : tensor<64x8xf32>
  %e = tensor.empty() : tensor<4x8xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<4x64xf32>, tensor<64x8xf32>) outs(%init : tensor<4x8xf32>) {
  ^bb0(%av: f32, %bv: f32, %acc: f32):
    %p = arith.mulf %av, %bv : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// Logits fused with another product of the same rows: split into the
// compared range (f32, its own 16 weight columns) and the rest (bf16).
// CHECK-LABEL: func.func @fused_logits
// CHECK: arith.constant dense<16320> : tensor<2x32xi16>
// CHECK: scf.forall
// CHECK: %[[LOGITS:.*]] = arith.constant dense<2.500000e+00> : tensor<2x16xf32>
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %[[LOGITS]] : tensor<?x2xf32>, tensor<2x16xf32>)
// CHECK: arith.maxnumf
func.func @fused_logits(%x: tensor<?x2xf32>) -> (tensor<?x32xf32>, tensor<?xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %low = arith.constant -3.0e38 : f32
  %w = arith.constant dense<[[1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5], [1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5]]> : tensor<2x48xf32>
  %rows = tensor.dim %x, %c0 : tensor<?x2xf32>
  %e = tensor.empty(%rows) : tensor<?x48xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<?x48xf32>) -> tensor<?x48xf32>
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<?x2xf32>, tensor<2x48xf32>) outs(%init : tensor<?x48xf32>) {
  ^bb0(%av: f32, %bv: f32, %acc: f32):
    %p = arith.mulf %av, %bv : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x48xf32>
  %n = tensor.dim %r, %c0 : tensor<?x48xf32>
  %up = tensor.extract_slice %r[0, 0] [%n, 32] [1, 1] : tensor<?x48xf32> to tensor<?x32xf32>
  %lg = tensor.extract_slice %r[0, 32] [%n, 16] [1, 1] : tensor<?x48xf32> to tensor<?x16xf32>
  %me = tensor.empty(%n) : tensor<?xf32>
  %mi = linalg.fill ins(%low : f32) outs(%me : tensor<?xf32>) -> tensor<?xf32>
  %m = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%lg : tensor<?x16xf32>) outs(%mi : tensor<?xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.maxnumf %v, %acc : f32
    linalg.yield %s : f32
  } -> tensor<?xf32>
  return %up, %m : tensor<?x32xf32>, tensor<?xf32>
}

// The packed weights' bytes after the blob's alignment word (64): 1.5 as
// bf16 (0x3FC0, little-endian).
// CHECK: bf16_dot_weights: "0x40000000C03FC03FC03FC03F
