// RUN: moe-opt %s --moe-cuda-kernel-module --split-input-file --verify-diagnostics | FileCheck %s

// Outlining made a module per kernel, with kernels of one name: they end
// up in one module with the target, named after their old modules, and
// the launches follow them.
// CHECK: gpu.module @k [#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">] {
// CHECK: gpu.func @main_kernel(
// CHECK: gpu.func @k_0(
// CHECK-NOT: gpu.module
// CHECK: gpu.launch_func  @k::@main_kernel
// CHECK: gpu.launch_func  @k::@k_0
module attributes {gpu.container_module, moe.cuda_target = #nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">} {
  gpu.module @k {
    gpu.func @main_kernel(%a: memref<4xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @k_0 {
    gpu.func @main_kernel(%a: memref<4xf32>) kernel {
      gpu.return
    }
  }
  func.func @main(%a: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @k::@main_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>)
    gpu.launch_func @k_0::@main_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>)
    return
  }
}

// -----

// expected-error @below {{no CUDA target on the module}}
module attributes {gpu.container_module} {
  gpu.module @k {
  }
}
