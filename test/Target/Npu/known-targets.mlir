// The printed descriptions parse and verify again (the second moe-opt).
// RUN: moe-opt %s --moe-attach-target=target=npu-910b-like | moe-opt | FileCheck %s --check-prefix=B910
// RUN: moe-opt %s --moe-attach-target=target=npu-edge-like | moe-opt | FileCheck %s --check-prefix=EDGE
// A second target replaces the first.
// RUN: moe-opt %s --moe-attach-target=target=npu-910b-like --moe-attach-target=target=npu-edge-like | FileCheck %s --check-prefix=EDGE
// RUN: not moe-opt %s --moe-attach-target=target=tpu-v9 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not moe-opt %s --moe-attach-target 2>&1 | FileCheck %s --check-prefix=EMPTY

// B910: module attributes {npu.target = #npu.target<name = "npu-910b-like", cube_cores = 24, vector_cores = 48, clock_mhz = 1650,
// B910-SAME: l2_bytes = 201326592, gm_bandwidth_gbps = 1600, link_bandwidth_gbps = 200, dtypes = [f16, bf16, f32, i4, i8, i32]
// B910-SAME: #npu.cube<input = f16, acc = f32, m = 16, k = 16, n = 16>
// B910-SAME: #npu.cube<input = i8, acc = i32, m = 16, k = 32, n = 16>
// B910-SAME: #npu.buffer<l1, size = 524288, align = 32>, #npu.buffer<l0a, size = 65536, align = 512>, #npu.buffer<l0b, size = 65536, align = 512>, #npu.buffer<l0c, size = 131072, align = 64>, #npu.buffer<ub, size = 196608, align = 32>
// B910-NOT: f8

// EDGE: module attributes {npu.target = #npu.target<name = "npu-edge-like", cube_cores = 2, vector_cores = 4,
// EDGE-SAME: #npu.buffer<l0a, size = 32768, align = 512>

// BAD: error: unknown target 'tpu-v9'; known targets: cuda-sm80, cuda-sm86, cuda-sm89, cuda-sm90, npu-910b-like, npu-edge-like
// EMPTY: error: unknown target ''; known targets: cuda-sm80, cuda-sm86, cuda-sm89, cuda-sm90, npu-910b-like, npu-edge-like

// The int8 cube of both targets accepts this.
func.func @int8_tile(%a: memref<16x32xi8, #npu.mem<l0a>>, %b: memref<32x16xi8, #npu.mem<l0b>>, %c: memref<16x16xi32, #npu.mem<l0c>>) {
  npu.mmad %a, %b, %c : memref<16x32xi8, #npu.mem<l0a>>, memref<32x16xi8, #npu.mem<l0b>>, memref<16x16xi32, #npu.mem<l0c>>
  return
}
