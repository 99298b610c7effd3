// RUN: moe-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{cube shape 16x0x16 must be positive}}
func.func private @f() attributes {c = #npu.cube<input = f16, acc = f32, m = 16, k = 0, n = 16>}

// -----

// expected-error @+1 {{cube input and accumulator must be scalar types}}
func.func private @f() attributes {c = #npu.cube<input = vector<4xf16>, acc = f32, m = 16, k = 16, n = 16>}

// -----

// expected-error @+1 {{ub buffer size must be positive}}
func.func private @f() attributes {b = #npu.buffer<ub, size = 0, align = 32>}

// -----

// expected-error @+1 {{l0a alignment 48 must be a power of two}}
func.func private @f() attributes {b = #npu.buffer<l0a, size = 4096, align = 48>}

// -----

// expected-error @+1 {{l1 buffer size 1000 must be a multiple of its alignment 32}}
func.func private @f() attributes {b = #npu.buffer<l1, size = 1000, align = 32>}

// -----

// expected-error @+1 {{a pipe spec names one pipe, not 'all'}}
func.func private @f() attributes {p = #npu.pipe_spec<all, bytes_per_cycle = 64, latency = 1>}

// -----

// expected-error @+1 {{mte3 needs positive bytes_per_cycle and non-negative latency}}
func.func private @f() attributes {p = #npu.pipe_spec<mte3, bytes_per_cycle = 0, latency = 1>}

// -----

// expected-error @+1 {{target needs a name}}
func.func private @f() attributes {t = #npu.target<name = "", cube_cores = 1, vector_cores = 1, clock_mhz = 1000, vector_bytes = 256, max_repeats = 255, event_ids = 8, l2_bytes = 0, gm_bandwidth_gbps = 100, link_bandwidth_gbps = 0, dtypes = [f16, f32], cubes = [#npu.cube<input = f16, acc = f32, m = 16, k = 16, n = 16>], buffers = [#npu.buffer<l1, size = 65536, align = 32>, #npu.buffer<l0a, size = 16384, align = 512>, #npu.buffer<l0b, size = 16384, align = 512>, #npu.buffer<l0c, size = 32768, align = 64>, #npu.buffer<ub, size = 49152, align = 32>], pipes = []>}

// -----

// expected-error @+1 {{target needs a cube core and no negative counts}}
func.func private @f() attributes {t = #npu.target<name = "t", cube_cores = 0, vector_cores = 1, clock_mhz = 1000, vector_bytes = 256, max_repeats = 255, event_ids = 8, l2_bytes = 0, gm_bandwidth_gbps = 100, link_bandwidth_gbps = 0, dtypes = [f16, f32], cubes = [#npu.cube<input = f16, acc = f32, m = 16, k = 16, n = 16>], buffers = [#npu.buffer<l1, size = 65536, align = 32>, #npu.buffer<l0a, size = 16384, align = 512>, #npu.buffer<l0b, size = 16384, align = 512>, #npu.buffer<l0c, size = 32768, align = 64>, #npu.buffer<ub, size = 49152, align = 32>], pipes = []>}

// -----

// expected-error @+1 {{clock and memory bandwidth must be positive}}
func.func private @f() attributes {t = #npu.target<name = "t", cube_cores = 1, vector_cores = 1, clock_mhz = 1000, vector_bytes = 256, max_repeats = 255, event_ids = 8, l2_bytes = 0, gm_bandwidth_gbps = 0, link_bandwidth_gbps = 0, dtypes = [f16, f32], cubes = [#npu.cube<input = f16, acc = f32, m = 16, k = 16, n = 16>], buffers = [#npu.buffer<l1, size = 65536, align = 32>, #npu.buffer<l0a, size = 16384, align = 512>, #npu.buffer<l0b, size = 16384, align = 512>, #npu.buffer<l0c, size = 32768, align = 64>, #npu.buffer<ub, size = 49152, align = 32>], pipes = []>}

// -----

// expected-error @+1 {{vector_bytes must be a positive multiple of 32 and max_repeats at least 1}}
func.func private @f() attributes {t = #npu.target<name = "t", cube_cores = 1, vector_cores = 1, clock_mhz = 1000, vector_bytes = 100, max_repeats = 255, event_ids = 8, l2_bytes = 0, gm_bandwidth_gbps = 100, link_bandwidth_gbps = 0, dtypes = [f16, f32], cubes = [#npu.cube<input = f16, acc = f32, m = 16, k = 16, n = 16>], buffers = [#npu.buffer<l1, size = 65536, align = 32>, #npu.buffer<l0a, size = 16384, align = 512>, #npu.buffer<l0b, size = 16384, align = 512>, #npu.buffer<l0c, size = 32768, align = 64>, #npu.buffer<ub, size = 49152, align = 32>], pipes = []>}

// -----

// expected-error @+1 {{event_ids must be at least 1}}
func.func private @f() attributes {t = #npu.target<name = "t", cube_cores = 1, vector_cores = 1, clock_mhz = 1000, vector_bytes = 256, max_repeats = 255, event_ids = 0, l2_bytes = 0, gm_bandwidth_gbps = 100, link_bandwidth_gbps = 0, dtypes = [f16, f32], cubes = [#npu.cube<input = f16, acc = f32, m = 16, k = 16, n = 16>], buffers = [#npu.buffer<l1, size = 65536, align = 32>, #npu.buffer<l0a, size = 16384, align = 512>, #npu.buffer<l0b, size = 16384, align = 512>, #npu.buffer<l0c, size = 32768, align = 64>, #npu.buffer<ub, size = 49152, align = 32>], pipes = []>}

// -----

// expected-error @+1 {{dtypes holds scalar types, got 3 : i64}}
func.func private @f() attributes {t = #npu.target<name = "t", cube_cores = 1, vector_cores = 1, clock_mhz = 1000, vector_bytes = 256, max_repeats = 255, event_ids = 8, l2_bytes = 0, gm_bandwidth_gbps = 100, link_bandwidth_gbps = 0, dtypes = [f16, f32, 3], cubes = [#npu.cube<input = f16, acc = f32, m = 16, k = 16, n = 16>], buffers = [#npu.buffer<l1, size = 65536, align = 32>, #npu.buffer<l0a, size = 16384, align = 512>, #npu.buffer<l0b, size = 16384, align = 512>, #npu.buffer<l0c, size = 32768, align = 64>, #npu.buffer<ub, size = 49152, align = 32>], pipes = []>}

// -----

// expected-error @+1 {{dtype f16 is listed twice}}
func.func private @f() attributes {t = #npu.target<name = "t", cube_cores = 1, vector_cores = 1, clock_mhz = 1000, vector_bytes = 256, max_repeats = 255, event_ids = 8, l2_bytes = 0, gm_bandwidth_gbps = 100, link_bandwidth_gbps = 0, dtypes = [f16, f32, f16], cubes = [#npu.cube<input = f16, acc = f32, m = 16, k = 16, n = 16>], buffers = [#npu.buffer<l1, size = 65536, align = 32>, #npu.buffer<l0a, size = 16384, align = 512>, #npu.buffer<l0b, size = 16384, align = 512>, #npu.buffer<l0c, size = 32768, align = 64>, #npu.buffer<ub, size = 49152, align = 32>], pipes = []>}

// -----

// expected-error @+1 {{cubes holds #npu.cube, got}}
func.func private @f() attributes {t = #npu.target<name = "t", cube_cores = 1, vector_cores = 1, clock_mhz = 1000, vector_bytes = 256, max_repeats = 255, event_ids = 8, l2_bytes = 0, gm_bandwidth_gbps = 100, link_bandwidth_gbps = 0, dtypes = [f16, f32], cubes = [f16], buffers = [#npu.buffer<l1, size = 65536, align = 32>, #npu.buffer<l0a, size = 16384, align = 512>, #npu.buffer<l0b, size = 16384, align = 512>, #npu.buffer<l0c, size = 32768, align = 64>, #npu.buffer<ub, size = 49152, align = 32>], pipes = []>}

// -----

// expected-error @+1 {{uses a type that is not in dtypes}}
func.func private @f() attributes {t = #npu.target<name = "t", cube_cores = 1, vector_cores = 1, clock_mhz = 1000, vector_bytes = 256, max_repeats = 255, event_ids = 8, l2_bytes = 0, gm_bandwidth_gbps = 100, link_bandwidth_gbps = 0, dtypes = [f16], cubes = [#npu.cube<input = f16, acc = f32, m = 16, k = 16, n = 16>], buffers = [#npu.buffer<l1, size = 65536, align = 32>, #npu.buffer<l0a, size = 16384, align = 512>, #npu.buffer<l0b, size = 16384, align = 512>, #npu.buffer<l0c, size = 32768, align = 64>, #npu.buffer<ub, size = 49152, align = 32>], pipes = []>}

// -----

// expected-error @+1 {{two cube shapes for 'f16'}}
func.func private @f() attributes {t = #npu.target<name = "t", cube_cores = 1, vector_cores = 1, clock_mhz = 1000, vector_bytes = 256, max_repeats = 255, event_ids = 8, l2_bytes = 0, gm_bandwidth_gbps = 100, link_bandwidth_gbps = 0, dtypes = [f16, f32], cubes = [#npu.cube<input = f16, acc = f32, m = 16, k = 16, n = 16>, #npu.cube<input = f16, acc = f32, m = 16, k = 8, n = 16>], buffers = [#npu.buffer<l1, size = 65536, align = 32>, #npu.buffer<l0a, size = 16384, align = 512>, #npu.buffer<l0b, size = 16384, align = 512>, #npu.buffer<l0c, size = 32768, align = 64>, #npu.buffer<ub, size = 49152, align = 32>], pipes = []>}

// -----

// expected-error @+1 {{buffers holds #npu.buffer, got}}
func.func private @f() attributes {t = #npu.target<name = "t", cube_cores = 1, vector_cores = 1, clock_mhz = 1000, vector_bytes = 256, max_repeats = 255, event_ids = 8, l2_bytes = 0, gm_bandwidth_gbps = 100, link_bandwidth_gbps = 0, dtypes = [f16, f32], cubes = [#npu.cube<input = f16, acc = f32, m = 16, k = 16, n = 16>], buffers = [1], pipes = []>}

// -----

// expected-error @+1 {{two ub buffers}}
func.func private @f() attributes {t = #npu.target<name = "t", cube_cores = 1, vector_cores = 1, clock_mhz = 1000, vector_bytes = 256, max_repeats = 255, event_ids = 8, l2_bytes = 0, gm_bandwidth_gbps = 100, link_bandwidth_gbps = 0, dtypes = [f16, f32], cubes = [#npu.cube<input = f16, acc = f32, m = 16, k = 16, n = 16>], buffers = [#npu.buffer<ub, size = 64, align = 32>, #npu.buffer<ub, size = 64, align = 32>], pipes = []>}

// -----

// expected-error @+1 {{target lacks a l0b buffer}}
func.func private @f() attributes {t = #npu.target<name = "t", cube_cores = 1, vector_cores = 1, clock_mhz = 1000, vector_bytes = 256, max_repeats = 255, event_ids = 8, l2_bytes = 0, gm_bandwidth_gbps = 100, link_bandwidth_gbps = 0, dtypes = [f16, f32], cubes = [#npu.cube<input = f16, acc = f32, m = 16, k = 16, n = 16>], buffers = [#npu.buffer<l1, size = 65536, align = 32>, #npu.buffer<l0a, size = 16384, align = 512>, #npu.buffer<l0c, size = 32768, align = 64>, #npu.buffer<ub, size = 49152, align = 32>], pipes = []>}

// -----

// expected-error @+1 {{pipes holds #npu.pipe_spec, got}}
func.func private @f() attributes {t = #npu.target<name = "t", cube_cores = 1, vector_cores = 1, clock_mhz = 1000, vector_bytes = 256, max_repeats = 255, event_ids = 8, l2_bytes = 0, gm_bandwidth_gbps = 100, link_bandwidth_gbps = 0, dtypes = [f16, f32], cubes = [#npu.cube<input = f16, acc = f32, m = 16, k = 16, n = 16>], buffers = [#npu.buffer<l1, size = 65536, align = 32>, #npu.buffer<l0a, size = 16384, align = 512>, #npu.buffer<l0b, size = 16384, align = 512>, #npu.buffer<l0c, size = 32768, align = 64>, #npu.buffer<ub, size = 49152, align = 32>], pipes = [1]>}

// -----

// expected-error @+1 {{two specs for pipe mte2}}
func.func private @f() attributes {t = #npu.target<name = "t", cube_cores = 1, vector_cores = 1, clock_mhz = 1000, vector_bytes = 256, max_repeats = 255, event_ids = 8, l2_bytes = 0, gm_bandwidth_gbps = 100, link_bandwidth_gbps = 0, dtypes = [f16, f32], cubes = [#npu.cube<input = f16, acc = f32, m = 16, k = 16, n = 16>], buffers = [#npu.buffer<l1, size = 65536, align = 32>, #npu.buffer<l0a, size = 16384, align = 512>, #npu.buffer<l0b, size = 16384, align = 512>, #npu.buffer<l0c, size = 32768, align = 64>, #npu.buffer<ub, size = 49152, align = 32>], pipes = [#npu.pipe_spec<mte2, bytes_per_cycle = 64, latency = 1>, #npu.pipe_spec<mte2, bytes_per_cycle = 32, latency = 1>]>}

// -----

// expected-error @+1 {{unknown npu attribute 'npu.chip'}}
module attributes {npu.chip = 1} {}

// -----

// expected-error @+1 {{'npu.target' belongs on a module}}
func.func private @f() attributes {npu.target = #npu.target<name = "t", cube_cores = 1, vector_cores = 1, clock_mhz = 1000, vector_bytes = 256, max_repeats = 255, event_ids = 8, l2_bytes = 0, gm_bandwidth_gbps = 100, link_bandwidth_gbps = 0, dtypes = [f16, f32], cubes = [#npu.cube<input = f16, acc = f32, m = 16, k = 16, n = 16>], buffers = [#npu.buffer<l1, size = 65536, align = 32>, #npu.buffer<l0a, size = 16384, align = 512>, #npu.buffer<l0b, size = 16384, align = 512>, #npu.buffer<l0c, size = 32768, align = 64>, #npu.buffer<ub, size = 49152, align = 32>], pipes = []>}

// -----

// expected-error @+1 {{'npu.target' must be an #npu.target}}
module attributes {npu.target = "910b"} {}

// -----

func.func @dma_space(%a: memref<16xf16>, %b: memref<16xf16, #npu.mem<l1>>) {
  // expected-error @+1 {{source and destination need #npu.mem memory spaces}}
  npu.dma %a, %b : memref<16xf16>, memref<16xf16, #npu.mem<l1>>
  return
}

// -----

func.func @dma_path(%a: memref<16xf16, #npu.mem<gm>>, %b: memref<16xf16, #npu.mem<l0a>>) {
  // expected-error @+1 {{no DMA path from gm to l0a}}
  npu.dma %a, %b : memref<16xf16, #npu.mem<gm>>, memref<16xf16, #npu.mem<l0a>>
  return
}

// -----

func.func @dma_convert(%a: memref<16xf32, #npu.mem<gm>>, %b: memref<16xf16, #npu.mem<ub>>) {
  // expected-error @+1 {{only the fixpipe (from l0c) converts element types}}
  npu.dma %a, %b : memref<16xf32, #npu.mem<gm>>, memref<16xf16, #npu.mem<ub>>
  return
}

// -----

func.func @dma_shape(%a: memref<16xf16, #npu.mem<gm>>, %b: memref<8xf16, #npu.mem<ub>>) {
  // expected-error @+1 {{a copy without layout change keeps the shape}}
  npu.dma %a, %b : memref<16xf16, #npu.mem<gm>>, memref<8xf16, #npu.mem<ub>>
  return
}

// -----

func.func @dma_nd_to_nz(%a: memref<256xf16, #npu.mem<gm>>, %b: memref<1x1x16x16xf16, #npu.mem<l1>>) {
  // expected-error @+1 {{nd_to_nz takes a 2-d source to a 4-d fractal}}
  npu.dma %a, %b {layout = #npu.layout<nd_to_nz>} : memref<256xf16, #npu.mem<gm>>, memref<1x1x16x16xf16, #npu.mem<l1>>
  return
}

// -----

func.func @dma_nz_to_nd(%a: memref<16x16xf32, #npu.mem<l0c>>, %b: memref<16x16xf32, #npu.mem<gm>>) {
  // expected-error @+1 {{nz_to_nd takes a 4-d fractal to a 2-d result}}
  npu.dma %a, %b {layout = #npu.layout<nz_to_nd>} : memref<16x16xf32, #npu.mem<l0c>>, memref<16x16xf32, #npu.mem<gm>>
  return
}

// -----

func.func @dma_elements(%a: memref<32x16xf16, #npu.mem<gm>>, %b: memref<1x1x16x16xf16, #npu.mem<l1>>) {
  // expected-error @+1 {{a layout change keeps the number of elements}}
  npu.dma %a, %b {layout = #npu.layout<nd_to_nz>} : memref<32x16xf16, #npu.mem<gm>>, memref<1x1x16x16xf16, #npu.mem<l1>>
  return
}

// -----

func.func @mmad_spaces(%a: memref<16x16xf16, #npu.mem<l0b>>, %b: memref<16x16xf16, #npu.mem<l0b>>, %c: memref<16x16xf32, #npu.mem<l0c>>) {
  // expected-error @+1 {{operands must be in l0a, l0b and l0c}}
  npu.mmad %a, %b, %c : memref<16x16xf16, #npu.mem<l0b>>, memref<16x16xf16, #npu.mem<l0b>>, memref<16x16xf32, #npu.mem<l0c>>
  return
}

// -----

func.func @mmad_rank(%a: memref<256xf16, #npu.mem<l0a>>, %b: memref<16x16xf16, #npu.mem<l0b>>, %c: memref<16x16xf32, #npu.mem<l0c>>) {
  // expected-error @+1 {{operands must be 2-d}}
  npu.mmad %a, %b, %c : memref<256xf16, #npu.mem<l0a>>, memref<16x16xf16, #npu.mem<l0b>>, memref<16x16xf32, #npu.mem<l0c>>
  return
}

// -----

func.func @mmad_shapes(%a: memref<16x32xf16, #npu.mem<l0a>>, %b: memref<16x16xf16, #npu.mem<l0b>>, %c: memref<16x16xf32, #npu.mem<l0c>>) {
  // expected-error @+1 {{shapes 16, 32 x 16, 16 -> 16, 16 do not chain}}
  npu.mmad %a, %b, %c : memref<16x32xf16, #npu.mem<l0a>>, memref<16x16xf16, #npu.mem<l0b>>, memref<16x16xf32, #npu.mem<l0c>>
  return
}

// -----

func.func @mmad_input_types(%a: memref<16x16xf16, #npu.mem<l0a>>, %b: memref<16x16xbf16, #npu.mem<l0b>>, %c: memref<16x16xf32, #npu.mem<l0c>>) {
  // expected-error @+1 {{a and b must have one element type}}
  npu.mmad %a, %b, %c : memref<16x16xf16, #npu.mem<l0a>>, memref<16x16xbf16, #npu.mem<l0b>>, memref<16x16xf32, #npu.mem<l0c>>
  return
}

// -----

func.func @mmad_pair(%a: memref<16x16xf32, #npu.mem<l0a>>, %b: memref<16x16xf32, #npu.mem<l0b>>, %c: memref<16x16xf32, #npu.mem<l0c>>) {
  // expected-error @+1 {{the cube takes f16/bf16 into f32 or i8/i4 into i32, not 'f32' into 'f32'}}
  npu.mmad %a, %b, %c : memref<16x16xf32, #npu.mem<l0a>>, memref<16x16xf32, #npu.mem<l0b>>, memref<16x16xf32, #npu.mem<l0c>>
  return
}

// -----

module attributes {npu.target = #npu.target<name = "fp-only", cube_cores = 1, vector_cores = 1, clock_mhz = 1000, vector_bytes = 256, max_repeats = 255, event_ids = 8, l2_bytes = 0, gm_bandwidth_gbps = 100, link_bandwidth_gbps = 0, dtypes = [f16, f32], cubes = [#npu.cube<input = f16, acc = f32, m = 16, k = 16, n = 16>], buffers = [#npu.buffer<l1, size = 65536, align = 32>, #npu.buffer<l0a, size = 16384, align = 512>, #npu.buffer<l0b, size = 16384, align = 512>, #npu.buffer<l0c, size = 32768, align = 64>, #npu.buffer<ub, size = 49152, align = 32>], pipes = []>} {
  func.func @mmad_target(%a: memref<16x32xi8, #npu.mem<l0a>>, %b: memref<32x16xi8, #npu.mem<l0b>>, %c: memref<16x16xi32, #npu.mem<l0c>>) {
    // expected-error @+1 {{target 'fp-only' has no cube for 'i8' into 'i32'}}
    npu.mmad %a, %b, %c : memref<16x32xi8, #npu.mem<l0a>>, memref<32x16xi8, #npu.mem<l0b>>, memref<16x16xi32, #npu.mem<l0c>>
    return
  }
}

// -----

func.func @vec_space(%b: memref<128xf32, #npu.mem<l1>>) {
  // expected-error @+1 {{vector operands must be in ub, got 'memref<128xf32, #npu.mem<l1>>'}}
  npu.vec.exp %b, %b : memref<128xf32, #npu.mem<l1>>, memref<128xf32, #npu.mem<l1>>
  return
}

// -----

func.func @vec_same_type(%a: memref<128xf32, #npu.mem<ub>>, %b: memref<64xf32, #npu.mem<ub>>) {
  // expected-error @+1 {{failed to verify that all of {src, dst} have same shape}}
  "npu.vec.exp"(%a, %b) : (memref<128xf32, #npu.mem<ub>>, memref<64xf32, #npu.mem<ub>>) -> ()
  return
}

// -----

func.func @vec_scalar(%a: memref<128xf32, #npu.mem<ub>>, %s: f16) {
  // expected-error @+1 {{scalar 'f16' must have the buffer's element type 'f32'}}
  npu.vec.muls %a, %s, %a : memref<128xf32, #npu.mem<ub>>, memref<128xf32, #npu.mem<ub>>, f16
  return
}

// -----

func.func @vec_dup(%a: memref<128xf32, #npu.mem<ub>>, %s: i32) {
  // expected-error @+1 {{scalar 'i32' must have the buffer's element type 'f32'}}
  npu.vec.dup %s, %a : i32, memref<128xf32, #npu.mem<ub>>
  return
}

// -----

func.func @vec_reduce(%a: memref<8x128xf32, #npu.mem<ub>>, %r: memref<8xf32, #npu.mem<ub>>) {
  // expected-error @+1 {{reduces the last dim}}
  npu.vec.reduce_sum %a, %r : memref<8x128xf32, #npu.mem<ub>>, memref<8xf32, #npu.mem<ub>>
  return
}

// -----

func.func @vec_cast(%a: memref<128xf32, #npu.mem<ub>>, %b: memref<64xf16, #npu.mem<ub>>) {
  // expected-error @+1 {{a cast keeps the shape}}
  npu.vec.cast %a, %b : memref<128xf32, #npu.mem<ub>>, memref<64xf16, #npu.mem<ub>>
  return
}

// -----

func.func @flag_all() {
  // expected-error @+1 {{flags connect two pipes, not 'all'}}
  npu.set_flag all -> cube, 0
  return
}

// -----

func.func @flag_same_pipe() {
  // expected-error @+1 {{a flag within one pipe is a barrier}}
  npu.wait_flag cube -> cube, 0
  return
}

// -----

func.func @flag_event() {
  // expected-error @+1 {{event 8 is beyond the 8 event ids of the target}}
  npu.set_flag mte2 -> cube, 8
  return
}

// -----

module attributes {npu.target = #npu.target<name = "t", cube_cores = 1, vector_cores = 1, clock_mhz = 1000, vector_bytes = 256, max_repeats = 255, event_ids = 2, l2_bytes = 0, gm_bandwidth_gbps = 100, link_bandwidth_gbps = 0, dtypes = [f16, f32], cubes = [#npu.cube<input = f16, acc = f32, m = 16, k = 16, n = 16>], buffers = [#npu.buffer<l1, size = 65536, align = 32>, #npu.buffer<l0a, size = 16384, align = 512>, #npu.buffer<l0b, size = 16384, align = 512>, #npu.buffer<l0c, size = 32768, align = 64>, #npu.buffer<ub, size = 49152, align = 32>], pipes = []>} {
  func.func @flag_target_events() {
    // expected-error @+1 {{event 2 is beyond the 2 event ids of the target}}
    npu.wait_flag mte2 -> cube, 2
    return
  }
}
