// RUN: moe-opt %s | moe-opt | FileCheck %s
// RUN: moe-opt %s --mlir-print-op-generic | moe-opt | FileCheck %s

// CHECK: module attributes {npu.target = #npu.target<name = "tiny", cube_cores = 1, vector_cores = 2, clock_mhz = 1000, vector_bytes = 256, max_repeats = 255, event_ids = 4, l2_bytes = 1048576, gm_bandwidth_gbps = 100, link_bandwidth_gbps = 0, dtypes = [f16, f32, i8, i32], cubes = [#npu.cube<input = f16, acc = f32, m = 16, k = 16, n = 16>, #npu.cube<input = i8, acc = i32, m = 16, k = 32, n = 16>], buffers = [#npu.buffer<l1, size = 65536, align = 32>, #npu.buffer<l0a, size = 16384, align = 512>, #npu.buffer<l0b, size = 16384, align = 512>, #npu.buffer<l0c, size = 32768, align = 64>, #npu.buffer<ub, size = 49152, align = 32>], pipes = [#npu.pipe_spec<mte2, bytes_per_cycle = 64, latency = 100>, #npu.pipe_spec<cube, bytes_per_cycle = 512, latency = 8>]>}
module attributes {npu.target = #npu.target<name = "tiny", cube_cores = 1, vector_cores = 2, clock_mhz = 1000,
    vector_bytes = 256, max_repeats = 255, event_ids = 4, l2_bytes = 1048576, gm_bandwidth_gbps = 100,
    link_bandwidth_gbps = 0, dtypes = [f16, f32, i8, i32],
    cubes = [#npu.cube<input = f16, acc = f32, m = 16, k = 16, n = 16>, #npu.cube<input = i8, acc = i32, m = 16, k = 32, n = 16>],
    buffers = [#npu.buffer<l1, size = 65536, align = 32>, #npu.buffer<l0a, size = 16384, align = 512>,
               #npu.buffer<l0b, size = 16384, align = 512>, #npu.buffer<l0c, size = 32768, align = 64>,
               #npu.buffer<ub, size = 49152, align = 32>],
    pipes = [#npu.pipe_spec<mte2, bytes_per_cycle = 64, latency = 100>, #npu.pipe_spec<cube, bytes_per_cycle = 512, latency = 8>]>} {

// CHECK-LABEL: func @cube_tile
func.func @cube_tile(%g: memref<64x64xf16, #npu.mem<gm>>, %l1: memref<4x4x16x16xf16, #npu.mem<l1>>,
    %l1a: memref<16x16xf16, #npu.mem<l1>>,
    %a: memref<16x16xf16, #npu.mem<l0a>>, %b: memref<16x16xf16, #npu.mem<l0b>>, %c: memref<16x16xf32, #npu.mem<l0c>>,
    %out: memref<16x16xf16, #npu.mem<gm>>, %ub: memref<16x16xf32, #npu.mem<ub>>,
    %ia: memref<16x32xi8, #npu.mem<l0a>>, %ib: memref<32x16xi8, #npu.mem<l0b>>, %ic: memref<16x16xi32, #npu.mem<l0c>>) {
  // CHECK: npu.dma %{{.*}}, %{{.*}} {layout = #npu.layout<nd_to_nz>} : memref<64x64xf16, #npu.mem<gm>>, memref<4x4x16x16xf16, #npu.mem<l1>>
  npu.dma %g, %l1 {layout = #npu.layout<nd_to_nz>} : memref<64x64xf16, #npu.mem<gm>>, memref<4x4x16x16xf16, #npu.mem<l1>>
  // CHECK: npu.set_flag mte2 -> mte1, 0
  npu.set_flag mte2 -> mte1, 0
  // CHECK: npu.wait_flag mte2 -> mte1, 0
  npu.wait_flag mte2 -> mte1, 0
  // CHECK: npu.dma %{{.*}}, %{{.*}} : memref<16x16xf16, #npu.mem<l1>>, memref<16x16xf16, #npu.mem<l0a>>
  npu.dma %l1a, %a : memref<16x16xf16, #npu.mem<l1>>, memref<16x16xf16, #npu.mem<l0a>>
  // CHECK: npu.mmad %{{.*}}, %{{.*}}, %{{.*}} : memref<16x16xf16, #npu.mem<l0a>>, memref<16x16xf16, #npu.mem<l0b>>, memref<16x16xf32, #npu.mem<l0c>>
  npu.mmad %a, %b, %c : memref<16x16xf16, #npu.mem<l0a>>, memref<16x16xf16, #npu.mem<l0b>>, memref<16x16xf32, #npu.mem<l0c>>
  // CHECK: npu.mmad %{{.*}}, %{{.*}}, %{{.*}} {accumulate} : memref<16x32xi8, #npu.mem<l0a>>
  npu.mmad %ia, %ib, %ic {accumulate} : memref<16x32xi8, #npu.mem<l0a>>, memref<32x16xi8, #npu.mem<l0b>>, memref<16x16xi32, #npu.mem<l0c>>
  // The fixpipe converts f32 to f16 on the way out.
  // CHECK: npu.dma %{{.*}}, %{{.*}} : memref<16x16xf32, #npu.mem<l0c>>, memref<16x16xf16, #npu.mem<gm>>
  npu.dma %c, %out : memref<16x16xf32, #npu.mem<l0c>>, memref<16x16xf16, #npu.mem<gm>>
  // CHECK: npu.dma %{{.*}}, %{{.*}} : memref<16x16xf32, #npu.mem<l0c>>, memref<16x16xf32, #npu.mem<ub>>
  npu.dma %c, %ub : memref<16x16xf32, #npu.mem<l0c>>, memref<16x16xf32, #npu.mem<ub>>
  // CHECK: npu.barrier all
  npu.barrier all
  return
}

// CHECK-LABEL: func @vector_unit
func.func @vector_unit(%x: memref<8x128xf32, #npu.mem<ub>>, %y: memref<8x128xf32, #npu.mem<ub>>,
    %r: memref<8x1xf32, #npu.mem<ub>>, %h: memref<8x128xf16, #npu.mem<ub>>, %s: f32) {
  // CHECK: npu.vec.add %{{.*}}, %{{.*}}, %{{.*}} : memref<8x128xf32, #npu.mem<ub>>
  npu.vec.add %x, %y, %y : memref<8x128xf32, #npu.mem<ub>>, memref<8x128xf32, #npu.mem<ub>>, memref<8x128xf32, #npu.mem<ub>>
  // CHECK: npu.vec.sub
  npu.vec.sub %x, %y, %y : memref<8x128xf32, #npu.mem<ub>>, memref<8x128xf32, #npu.mem<ub>>, memref<8x128xf32, #npu.mem<ub>>
  // CHECK: npu.vec.mul
  npu.vec.mul %x, %y, %y : memref<8x128xf32, #npu.mem<ub>>, memref<8x128xf32, #npu.mem<ub>>, memref<8x128xf32, #npu.mem<ub>>
  // CHECK: npu.vec.div
  npu.vec.div %x, %y, %y : memref<8x128xf32, #npu.mem<ub>>, memref<8x128xf32, #npu.mem<ub>>, memref<8x128xf32, #npu.mem<ub>>
  // CHECK: npu.vec.max
  npu.vec.max %x, %y, %y : memref<8x128xf32, #npu.mem<ub>>, memref<8x128xf32, #npu.mem<ub>>, memref<8x128xf32, #npu.mem<ub>>
  // CHECK: npu.vec.min
  npu.vec.min %x, %y, %y : memref<8x128xf32, #npu.mem<ub>>, memref<8x128xf32, #npu.mem<ub>>, memref<8x128xf32, #npu.mem<ub>>
  // CHECK: npu.vec.exp %{{.*}}, %{{.*}} : memref<8x128xf32, #npu.mem<ub>>
  npu.vec.exp %x, %y : memref<8x128xf32, #npu.mem<ub>>, memref<8x128xf32, #npu.mem<ub>>
  // CHECK: npu.vec.ln
  npu.vec.ln %x, %y : memref<8x128xf32, #npu.mem<ub>>, memref<8x128xf32, #npu.mem<ub>>
  // CHECK: npu.vec.abs
  npu.vec.abs %x, %y : memref<8x128xf32, #npu.mem<ub>>, memref<8x128xf32, #npu.mem<ub>>
  // CHECK: npu.vec.sqrt
  npu.vec.sqrt %x, %y : memref<8x128xf32, #npu.mem<ub>>, memref<8x128xf32, #npu.mem<ub>>
  // CHECK: npu.vec.rec
  npu.vec.rec %x, %y : memref<8x128xf32, #npu.mem<ub>>, memref<8x128xf32, #npu.mem<ub>>
  // CHECK: npu.vec.relu
  npu.vec.relu %x, %y : memref<8x128xf32, #npu.mem<ub>>, memref<8x128xf32, #npu.mem<ub>>
  // CHECK: npu.vec.adds %{{.*}}, %{{.*}}, %{{.*}} : memref<8x128xf32, #npu.mem<ub>>, memref<8x128xf32, #npu.mem<ub>>, f32
  npu.vec.adds %x, %s, %y : memref<8x128xf32, #npu.mem<ub>>, memref<8x128xf32, #npu.mem<ub>>, f32
  // CHECK: npu.vec.muls
  npu.vec.muls %x, %s, %y : memref<8x128xf32, #npu.mem<ub>>, memref<8x128xf32, #npu.mem<ub>>, f32
  // CHECK: npu.vec.maxs
  npu.vec.maxs %x, %s, %y : memref<8x128xf32, #npu.mem<ub>>, memref<8x128xf32, #npu.mem<ub>>, f32
  // CHECK: npu.vec.reduce_sum %{{.*}}, %{{.*}} : memref<8x128xf32, #npu.mem<ub>>, memref<8x1xf32, #npu.mem<ub>>
  npu.vec.reduce_sum %x, %r : memref<8x128xf32, #npu.mem<ub>>, memref<8x1xf32, #npu.mem<ub>>
  // CHECK: npu.vec.reduce_max
  npu.vec.reduce_max %x, %r : memref<8x128xf32, #npu.mem<ub>>, memref<8x1xf32, #npu.mem<ub>>
  // CHECK: npu.vec.cast %{{.*}}, %{{.*}} : memref<8x128xf32, #npu.mem<ub>>, memref<8x128xf16, #npu.mem<ub>>
  npu.vec.cast %x, %h : memref<8x128xf32, #npu.mem<ub>>, memref<8x128xf16, #npu.mem<ub>>
  // CHECK: npu.vec.dup %{{.*}}, %{{.*}} : f32, memref<8x128xf32, #npu.mem<ub>>
  npu.vec.dup %s, %x : f32, memref<8x128xf32, #npu.mem<ub>>
  // CHECK: npu.set_flag vector -> mte3, 3
  npu.set_flag vector -> mte3, 3
  // CHECK: npu.barrier vector
  npu.barrier vector
  return
}


// Operands share shape and element type; a stride of 0 broadcasts a row.
// CHECK-LABEL: func @broadcast
func.func @broadcast(%x: memref<8x128xf32, #npu.mem<ub>>, %row: memref<8x128xf32, strided<[0, 1]>, #npu.mem<ub>>) {
  // CHECK: npu.vec.sub %{{.*}}, %{{.*}}, %{{.*}} : memref<8x128xf32, #npu.mem<ub>>, memref<8x128xf32, strided<[0, 1]>, #npu.mem<ub>>, memref<8x128xf32, #npu.mem<ub>>
  npu.vec.sub %x, %row, %x : memref<8x128xf32, #npu.mem<ub>>, memref<8x128xf32, strided<[0, 1]>, #npu.mem<ub>>, memref<8x128xf32, #npu.mem<ub>>
  return
}

}
