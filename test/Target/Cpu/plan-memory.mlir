// RUN: moe-opt %s --moe-cpu-plan-memory -split-input-file | FileCheck %s

// A chain of temporaries: %a is dead once %b is written, so %c takes its
// slot; two slots serve three buffers. The returned buffer keeps its own
// allocation.
// CHECK-LABEL: func @chain
// CHECK-DAG: %[[S0:.*]] = memref.alloc() {alignment = 64 : i64} : memref<64xi8>
// CHECK-DAG: %[[S1:.*]] = memref.alloc() {alignment = 64 : i64} : memref<64xi8>
// CHECK: %[[A:.*]] = memref.view %[[S0]][%{{.*}}][] : memref<64xi8> to memref<16xf32>
// CHECK: %[[B:.*]] = memref.view %[[S1]][%{{.*}}][] : memref<64xi8> to memref<16xf32>
// CHECK: memref.copy %[[A]], %[[B]]
// CHECK: %[[C:.*]] = memref.view %[[S0]][%{{.*}}][] : memref<64xi8> to memref<16xf32>
// CHECK: %[[OUT:.*]] = memref.alloc() : memref<16xf32>
// CHECK: return %[[OUT]]
func.func @chain(%x: memref<16xf32>) -> memref<16xf32> {
  %a = memref.alloc() : memref<16xf32>
  memref.copy %x, %a : memref<16xf32> to memref<16xf32>
  %b = memref.alloc() : memref<16xf32>
  memref.copy %a, %b : memref<16xf32> to memref<16xf32>
  %c = memref.alloc() : memref<16xf32>
  memref.copy %b, %c : memref<16xf32> to memref<16xf32>
  %out = memref.alloc() : memref<16xf32>
  memref.copy %c, %out : memref<16xf32> to memref<16xf32>
  return %out : memref<16xf32>
}

// -----

// A buffer read through a view inside a loop lives until the loop ends,
// and so does the buffer the loop carries (through the loop's result, to
// its last read): three slots while the loop runs; the buffer allocated
// after it takes the slot of the one only the loop read. A dynamic buffer
// keeps its own allocation.
// CHECK-LABEL: func @loops
// CHECK: %[[S0:.*]] = memref.alloc() {alignment = 64 : i64} : memref<128xi8>
// CHECK: %[[S1:.*]] = memref.alloc() {alignment = 64 : i64} : memref<128xi8>
// CHECK: %[[S2:.*]] = memref.alloc() {alignment = 64 : i64} : memref<128xi8>
// CHECK: %[[A:.*]] = memref.view %[[S0]]
// CHECK: memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK: memref.view %[[S1]]
// CHECK: %[[Y:.*]] = memref.view %[[S2]]
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[Y]])
// CHECK:   memref.subview %[[A]]
// CHECK: memref.view %[[S0]]
func.func @loops(%x: memref<32xf32>, %n: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %a = memref.alloc() : memref<32xf32>
  memref.copy %x, %a : memref<32xf32> to memref<32xf32>
  %d = memref.alloc(%n) : memref<?xf32>
  %b = memref.alloc() : memref<32xf32>
  %y = memref.alloc() : memref<32xf32>
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%cur = %y) -> (memref<32xf32>) {
    %sub = memref.subview %a[0] [8] [1] : memref<32xf32> to memref<8xf32, strided<[1]>>
    %v = memref.load %sub[%c0] : memref<8xf32, strided<[1]>>
    memref.store %v, %b[%i] : memref<32xf32>
    scf.yield %cur : memref<32xf32>
  }
  %c = memref.alloc() : memref<32xf32>
  memref.copy %b, %c : memref<32xf32> to memref<32xf32>
  %s = memref.load %c[%c0] : memref<32xf32>
  %t = memref.load %d[%c0] : memref<?xf32>
  %u = memref.load %r[%c0] : memref<32xf32>
  %w = arith.addf %s, %t : f32
  %z = arith.addf %w, %u : f32
  return %z : f32
}
