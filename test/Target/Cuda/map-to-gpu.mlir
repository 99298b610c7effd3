// RUN: moe-opt %s --moe-cuda-map-to-gpu=tile-contractions=false --split-input-file --verify-diagnostics | FileCheck %s

// A linalg op becomes one launch: a thread per output element, the
// innermost dim fastest, blocks of 256, a guard for the last block; the
// reduction stays a loop in the thread.
// CHECK-LABEL: func.func @matmul
// CHECK: %[[C256:.*]] = arith.constant 256 : index
// CHECK-NEXT: %[[BLOCKS:.*]] = arith.ceildivsi %[[TOTAL:.*]], %[[C256]] : index
// CHECK: %[[GRID:.*]] = arith.maxsi %[[BLOCKS]], %{{.*}}
// CHECK: gpu.launch blocks(%[[BX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[GRID]], %{{.*}} = %[[ONE:.*]], %{{.*}} = %[[ONE]]) threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C256]], %{{.*}} = %[[ONE]], %{{.*}} = %[[ONE]])
// CHECK: %[[BASE:.*]] = arith.muli %[[BX]], %[[C256]]
// CHECK: %[[ID:.*]] = arith.addi %[[BASE]], %[[TX]]
// CHECK: %[[IN:.*]] = arith.cmpi slt, %[[ID]], %[[TOTAL]]
// CHECK: scf.if %[[IN]] {
// CHECK: arith.remsi %[[ID]], %[[COLS:.*]] : index
// CHECK: arith.divsi %[[ID]], %[[COLS]] : index
// CHECK: scf.for
// CHECK: arith.mulf
// CHECK: gpu.terminator
// CHECK-NOT: linalg.
module {
  func.func @matmul(%a: memref<16x32xf32>, %b: memref<32x8xf32>, %c: memref<16x8xf32>) attributes {x} {
    linalg.matmul ins(%a, %b : memref<16x32xf32>, memref<32x8xf32>) outs(%c : memref<16x8xf32>)
    return
  }
}

// -----

// Scalar code without parallel loops runs as one thread on the device; the
// scalar a host loop needs is copied through the runtime, and the loop's
// parallel body is a launch inside it.
// CHECK-LABEL: func.func private @moe_cuda_copy(index, index, index)
// CHECK-LABEL: func.func @dispatch
// CHECK: %[[SLOT:.*]] = memref.alloca() : memref<i32>
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %[[ONE:c1[_0-9]*]], {{.*}}) threads({{.*}}) in ({{.*}} = %[[ONE]],
// CHECK-NEXT: scf.for
// CHECK: memref.store
// CHECK: gpu.terminator
// CHECK: scf.for %[[E:.*]] = 
// CHECK: %[[BASE:.*]], %[[OFF:.*]], %{{.*}}, %[[STRIDE:.*]] = memref.extract_strided_metadata %arg1
// CHECK: %[[PTR:.*]] = memref.extract_aligned_pointer_as_index %arg1
// CHECK: %[[SRC:.*]] = arith.addi %[[PTR]]
// CHECK: %[[DST:.*]] = memref.extract_aligned_pointer_as_index %[[SLOT]]
// CHECK: call @moe_cuda_copy(%[[DST]], %[[SRC]], %{{.*}})
// CHECK: %[[N:.*]] = memref.load %[[SLOT]][]
// CHECK: arith.index_cast %[[N]]
// CHECK: gpu.launch
// CHECK: arith.addf
module {
  func.func @dispatch(%ids: memref<8xi32>, %counts: memref<4xi32>, %x: memref<8x16xf32>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    %c8 = arith.constant 8 : index
    %c16 = arith.constant 16 : index
    %one = arith.constant 1 : i32
    scf.for %i = %c0 to %c8 step %c1 {
      %e = memref.load %ids[%i] : memref<8xi32>
      %ei = arith.index_cast %e : i32 to index
      %n = memref.load %counts[%ei] : memref<4xi32>
      %m = arith.addi %n, %one : i32
      memref.store %m, %counts[%ei] : memref<4xi32>
    }
    scf.for %e = %c0 to %c4 step %c1 {
      %n = memref.load %counts[%e] : memref<4xi32>
      %rows = arith.index_cast %n : i32 to index
      scf.parallel (%r, %k) = (%c0, %c0) to (%rows, %c16) step (%c1, %c1) {
        %v = memref.load %x[%r, %k] : memref<8x16xf32>
        %w = arith.addf %v, %v : f32
        memref.store %w, %x[%r, %k] : memref<8x16xf32>
        scf.reduce
      }
    }
    return
  }
}

// -----

func.func @reduction(%x: memref<16xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %zero = arith.constant 0.0 : f32
  // expected-error @below {{a parallel loop with reductions has no kernel form yet}}
  %s = scf.parallel (%i) = (%c0) to (%c16) step (%c1) init (%zero) -> f32 {
    %v = memref.load %x[%i] : memref<16xf32>
    scf.reduce(%v : f32) {
    ^bb0(%a: f32, %b: f32):
      %t = arith.addf %a, %b : f32
      scf.reduce.return %t : f32
    }
  }
  return %s : f32
}

// -----

// The deallocation's bookkeeping (a pointer list a private helper
// compares, ownership flags the host branches on) stays on the host: stack
// slots, no copies, no kernel for the helper.
// CHECK-LABEL: func.func @bookkeeping
// CHECK: %[[LIST:.*]] = memref.alloca() : memref<2xindex>
// CHECK-NOT: gpu.launch
// CHECK-NOT: moe_cuda_copy
// CHECK: memref.store %{{.*}}, %[[LIST]][%{{.*}}] : memref<2xindex>
// CHECK: call @helper
// CHECK: memref.load %[[LIST]]
// CHECK-NOT: memref.dealloc %[[LIST]]
// CHECK-LABEL: func.func private @helper
// CHECK-NOT: gpu.launch
func.func @bookkeeping(%x: memref<4xf32>) -> index {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %list = memref.alloc() : memref<2xindex>
  %p = memref.extract_aligned_pointer_as_index %x : memref<4xf32> -> index
  memref.store %p, %list[%c0] : memref<2xindex>
  %cast = memref.cast %list : memref<2xindex> to memref<?xindex>
  call @helper(%cast) : (memref<?xindex>) -> ()
  %r = memref.load %list[%c1] : memref<2xindex>
  memref.dealloc %list : memref<2xindex>
  return %r : index
}
func.func private @helper(%l: memref<?xindex>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  scf.for %i = %c0 to %c2 step %c1 {
    %v = memref.load %l[%c0] : memref<?xindex>
    memref.store %v, %l[%c1] : memref<?xindex>
  }
  return
}
