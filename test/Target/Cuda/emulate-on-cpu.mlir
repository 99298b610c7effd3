// RUN: moe-opt %s --moe-cuda-emulate-on-cpu | FileCheck %s

// A launch becomes loops over its grid and block (z, y, x, outermost
// first), the body inside with the ids and sizes replaced; the runtime's
// copy gets a body, a memcpy between the two addresses.
// CHECK-LABEL: func.func private @moe_cuda_copy(%{{.*}}: index, %{{.*}}: index, %{{.*}}: index)
// CHECK: llvm.inttoptr
// CHECK: "llvm.intr.memcpy"
// CHECK-LABEL: func.func @main
// CHECK-NOT: gpu.launch
// CHECK: scf.for %[[BZ:.*]] = %{{.*}} to %c1
// CHECK: scf.for %[[BY:.*]] = %{{.*}} to %c1
// CHECK: scf.for %[[BX:.*]] = %{{.*}} to %c2
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for %[[TX:.*]] = %{{.*}} to %c4
// CHECK: %[[ID:.*]] = arith.muli %[[BX]], %c4
// CHECK: arith.addi %[[ID]], %[[TX]]
// CHECK: memref.store
module attributes {gpu.container_module} {
  func.func private @moe_cuda_copy(index, index, index)
  func.func @main(%x: memref<8xf32>) {
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %c4 = arith.constant 4 : index
    %zero = arith.constant 0.0 : f32
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c2, %gy = %c1, %gz = %c1)
               threads(%tx, %ty, %tz) in (%sx = %c4, %sy = %c1, %sz = %c1) {
      %base = arith.muli %bx, %sx : index
      %i = arith.addi %base, %tx : index
      memref.store %zero, %x[%i] : memref<8xf32>
      gpu.terminator
    }
    return
  }
}
