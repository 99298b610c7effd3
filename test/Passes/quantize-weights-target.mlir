// A target without 4-bit integers: int4 is refused, naming the target and
// its types, or stored as int8 with nearest-legal.

// RUN: not moe-opt %s --moe-quantize-weights="bits=4 min-columns=1" 2>&1 | FileCheck %s --check-prefix=NOINT4
// RUN: moe-opt %s --moe-quantize-weights="bits=4 nearest-legal=true min-columns=1" 2>&1 | FileCheck %s --check-prefix=WIDER

// NOINT4: moe-quantize-weights: target 'no-int4' has no 4-bit integers for weights (its element types: [f16, f32, i8])
// WIDER-LABEL: func @on_target
// WIDER: moe.qmatmul {{.*}} tensor<2x4xi8>
module attributes {npu.target = #npu.target<name = "no-int4", cube_cores = 1, vector_cores = 1,
    clock_mhz = 1000, vector_bytes = 256, max_repeats = 255, event_ids = 8,
    l2_bytes = 1048576, gm_bandwidth_gbps = 100, link_bandwidth_gbps = 0,
    dtypes = [f16, f32, i8],
    cubes = [#npu.cube<input = f16, acc = f32, m = 16, k = 16, n = 16>],
    buffers = [#npu.buffer<l1, size = 65536, align = 32>, #npu.buffer<l0a, size = 16384, align = 512>,
               #npu.buffer<l0b, size = 16384, align = 512>, #npu.buffer<l0c, size = 32768, align = 64>,
               #npu.buffer<ub, size = 32768, align = 32>],
    pipes = [#npu.pipe_spec<mte2, bytes_per_cycle = 64, latency = 100>]>} {
func.func @on_target(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[1.0, 0.0], [-2.0, 1.0], [0.5, 0.0], [0.25, 3.0]]> : tensor<4x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x2xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<3x2xf32>) -> tensor<3x2xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : tensor<3x4xf32>, tensor<4x2xf32>) outs(%f : tensor<3x2xf32>) {
  ^bb0(%in: f32, %wt: f32, %acc: f32):
    %p = arith.mulf %in, %wt : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<3x2xf32>
  return %r : tensor<3x2xf32>
}
}
