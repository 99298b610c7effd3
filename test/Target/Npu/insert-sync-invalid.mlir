// RUN: moe-opt %s --split-input-file -verify-diagnostics --pass-pipeline='builtin.module(func.func(moe-npu-insert-sync))'

func.func @already(%a: memref<16x16xf16, #npu.mem<gm>>) {
  // expected-error@+1 {{already synchronised: moe-npu-insert-sync places every flag}}
  npu.barrier all
  return
}

// -----

func.func @not_a_view(%a: memref<16x16xf16, #npu.mem<gm>>, %b: memref<16x16xf16, #npu.mem<l1>>) {
  // expected-error@+1 {{operand is not a view of a function argument or an npu buffer}}
  npu.dma %a, %b : memref<16x16xf16, #npu.mem<gm>>, memref<16x16xf16, #npu.mem<l1>>
  return
}
