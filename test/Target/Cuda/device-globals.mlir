// RUN: moe-opt %s --moe-cuda-device-globals | FileCheck %s

// The host's address of a weight becomes its device copy's, sized from the
// global's type; kernels (in gpu.module) are left alone.
// CHECK-LABEL: llvm.func @main
// CHECK: %[[HOST:.*]] = llvm.mlir.addressof @w : !llvm.ptr
// CHECK: %[[BYTES:.*]] = llvm.mlir.constant(96 : i64) : i64
// CHECK: %[[DEV:.*]] = llvm.call @moe_cuda_global(%[[HOST]], %[[BYTES]]) : (!llvm.ptr, i64) -> !llvm.ptr
// CHECK: llvm.getelementptr %[[DEV]]
// CHECK: gpu.module @k {
// CHECK-NOT: moe_cuda_global
// CHECK: llvm.return
// CHECK-NEXT: }
// CHECK-NEXT: }
// CHECK-NEXT: llvm.func @moe_cuda_global(!llvm.ptr, i64) -> !llvm.ptr
module attributes {gpu.container_module} {
  llvm.mlir.global private constant @w(dense<1.0> : tensor<4x6xf32>) {addr_space = 0 : i32} : !llvm.array<4 x array<6 x f32>>
  llvm.func @main() -> !llvm.ptr {
    %0 = llvm.mlir.addressof @w : !llvm.ptr
    %1 = llvm.getelementptr %0[0, 0, 0] : (!llvm.ptr) -> !llvm.ptr, !llvm.array<4 x array<6 x f32>>
    llvm.return %1 : !llvm.ptr
  }
  gpu.module @k {
    llvm.mlir.global internal @s() {addr_space = 3 : i32} : !llvm.array<4 x f32>
    llvm.func @f() {
      %0 = llvm.mlir.addressof @s : !llvm.ptr<3>
      llvm.return
    }
  }
}
