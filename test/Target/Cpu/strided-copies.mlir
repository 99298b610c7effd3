// RUN: moe-opt %s --moe-cpu-strided-copies | FileCheck %s

// A copy into a strided view (half of a concat's result) becomes a
// linalg.copy, lowered to loops later; a contiguous one stays a memcpy.
// CHECK-LABEL: func @copies
// CHECK: linalg.copy ins(%{{.*}} : memref<8x16xf32>) outs(%{{.*}} : memref<8x16xf32, strided<[32, 1], offset: 16>>)
// CHECK: memref.copy %{{.*}}, %{{.*}} : memref<8x32xf32> to memref<8x32xf32>
func.func @copies(%a: memref<8x16xf32>, %b: memref<8x32xf32>, %c: memref<8x32xf32>) {
  %half = memref.subview %b[0, 16] [8, 16] [1, 1] : memref<8x32xf32> to memref<8x16xf32, strided<[32, 1], offset: 16>>
  memref.copy %a, %half : memref<8x16xf32> to memref<8x16xf32, strided<[32, 1], offset: 16>>
  memref.copy %b, %c : memref<8x32xf32> to memref<8x32xf32>
  return
}
