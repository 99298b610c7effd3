// RUN: moe-opt %s --moe-cuda-map-to-gpu --split-input-file | FileCheck %s

// A thread computes a 4 x 4 tile of a matmul's outputs: 16 sums carried in
// registers through the loop over K, 4 + 4 loads per step (rows and columns
// clamped into the operands), 16 stores guarded by the output's bounds.
// Threads run over 2 x 3 tiles of the 6 x 10 output.
// CHECK-LABEL: func.func @matmul
// CHECK: gpu.launch
// CHECK: arith.cmpi slt, %{{.*}}, %c6
// CHECK: %[[SUMS:.*]]:16 = scf.for %[[K:.*]] = %{{.*}} to %c32 step %{{.*}} iter_args({{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32)
// CHECK-COUNT-4: memref.load %arg0[%{{.*}}, %[[K]]]
// CHECK-COUNT-4: memref.load %arg1[%[[K]], %{{.*}}]
// CHECK-COUNT-16: arith.addf
// CHECK: scf.yield
// CHECK-COUNT-16: memref.store %[[SUMS]]#
// CHECK: gpu.terminator
func.func @matmul(%a: memref<6x32xf32>, %b: memref<32x10xf32>, %c: memref<6x10xf32>) {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<6x32xf32>, memref<32x10xf32>) outs(%c : memref<6x10xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// One token (a decode step): one row per thread, four columns; the payload
// (here a cast of int8 weights) is cloned per output.
// CHECK-LABEL: func.func @decode
// CHECK: scf.for {{.*}} -> (f32, f32, f32, f32)
// CHECK-COUNT-1: memref.load %arg0
// CHECK-COUNT-4: memref.load %arg1
// CHECK-COUNT-4: arith.sitofp
func.func @decode(%a: memref<1x64xf32>, %b: memref<64x128xi8>, %c: memref<1x128xf32>) {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<1x64xf32>, memref<64x128xi8>) outs(%c : memref<1x128xf32>) {
  ^bb0(%x: f32, %y: i8, %acc: f32):
    %w = arith.sitofp %y : i8 to f32
    %p = arith.mulf %x, %w : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A row reduction is no contraction: one thread per row as before.
// CHECK-LABEL: func.func @row_sum
// CHECK: scf.for
// CHECK-NOT: iter_args
func.func @row_sum(%a: memref<8x32xf32>, %c: memref<8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(m, k) -> (m, k)>, affine_map<(m, k) -> (m)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%a : memref<8x32xf32>) outs(%c : memref<8xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  }
  return
}
