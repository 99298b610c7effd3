// RUN: moe-opt %s --split-input-file --moe-attach-target=target=npu-910b-like --moe-npu-lower | FileCheck %s

// One query tile of 64, causal: one key tile, partly hidden, so one mask
// constant; K and V arrive in L1 by one DMA each per run of key tiles, K^T
// reaches L0B transposed fractal by fractal; S leaves L0C for the unified
// buffer; P goes back through L1 to L0A.
// CHECK-LABEL: func.func @causal
// CHECK: %[[MASK:.*]] = memref.get_global @npu_mask : memref<64x64xf32, #npu.mem<gm>>
// CHECK: npu.dma %[[MASK]], %{{.*}} : memref<64x64xf32, #npu.mem<gm>>, memref<64x64xf32, #npu.mem<ub>>
// CHECK: npu.vec.dup
// CHECK: npu.dma %{{.*}}, %{{.*}} {layout = #npu.layout<nd_to_nz>} : memref<64x32xf16, strided<[32, 1]>, #npu.mem<gm>>, memref<2x4x16x16xf16, #npu.mem<l1>>
// CHECK: npu.dma %{{.*}}, %{{.*}} : memref<2x4x16x16xf16, strided<[1024, 256, 16, 1]>, #npu.mem<l1>>, memref<2x4x16x16xf16, strided<[1024, 16, 1, 64]>, #npu.mem<l0b>>
// CHECK: npu.mmad %{{.*}}, %{{.*}}, %{{.*}} : memref<64x32xf16, #npu.mem<l0a>>, memref<32x64xf16, #npu.mem<l0b>>, memref<64x64xf32, #npu.mem<l0c>>
// CHECK: npu.vec.muls
// CHECK: npu.vec.add
// CHECK: npu.vec.reduce_max
// CHECK: npu.vec.exp
// CHECK: npu.vec.reduce_sum
// CHECK: npu.dma %{{.*}}, %{{.*}} {layout = #npu.layout<nd_to_nz>} : memref<64x64xf16, #npu.mem<ub>>, memref<4x4x16x16xf16, #npu.mem<l1>>
// CHECK: npu.mmad %{{.*}}, %{{.*}}, %{{.*}} : memref<64x64xf16, #npu.mem<l0a>>, memref<64x32xf16, #npu.mem<l0b>>, memref<64x32xf32, #npu.mem<l0c>>
// CHECK: npu.vec.div
// CHECK: npu.vec.cast
// CHECK: npu.dma %{{.*}}, %{{.*}} : memref<64x32xf16, #npu.mem<ub>>, memref<64x32xf16, strided<[32, 1]>, #npu.mem<gm>>
// CHECK-NOT: npu.mmad
// CHECK: return
// CHECK: memref.global "private" constant @npu_mask : memref<64x64xf32, #npu.mem<gm>> = dense<
func.func @causal(%q: tensor<1x1x64x32xf16>, %k: tensor<1x1x64x32xf16>, %v: tensor<1x1x64x32xf16>) -> tensor<1x1x64x32xf16> {
  %y = moe.attention %q, %k, %v {causal} : (tensor<1x1x64x32xf16>, tensor<1x1x64x32xf16>, tensor<1x1x64x32xf16>) -> tensor<1x1x64x32xf16>
  return %y : tensor<1x1x64x32xf16>
}

// -----

// Without a mask nothing is added to S and no constant exists.
// CHECK-NOT: memref.global
// CHECK-LABEL: func.func @full
// CHECK-NOT: npu.vec.add %{{.*}}, %{{.*}}, %{{.*}} : memref<64x64xf32
func.func @full(%q: tensor<1x1x64x32xf16>, %k: tensor<1x1x64x32xf16>, %v: tensor<1x1x64x32xf16>) -> tensor<1x1x64x32xf16> {
  %y = moe.attention %q, %k, %v : (tensor<1x1x64x32xf16>, tensor<1x1x64x32xf16>, tensor<1x1x64x32xf16>) -> tensor<1x1x64x32xf16>
  return %y : tensor<1x1x64x32xf16>
}

// -----

// Two key tiles: K and V come in one DMA each (a run of both tiles), and
// the stages are software-pipelined: the second tile's Q K^T is on the
// cube before the first tile's P V, so no pipe's queue holds it back.
// CHECK-LABEL: func.func @pipelined
// CHECK: npu.dma {{.*}} {layout = #npu.layout<nd_to_nz>} : memref<128x32xf16, strided<[32, 1]>, #npu.mem<gm>>, memref<2x8x16x16xf16, #npu.mem<l1>>
// CHECK: npu.dma {{.*}} {layout = #npu.layout<nd_to_nz>} : memref<128x32xf16, strided<[32, 1]>, #npu.mem<gm>>, memref<2x8x16x16xf16, #npu.mem<l1>>
// CHECK: npu.mmad {{.*}} : memref<64x32xf16, #npu.mem<l0a>>, memref<32x64xf16, #npu.mem<l0b>>
// CHECK: npu.mmad {{.*}} : memref<64x32xf16, #npu.mem<l0a>>, memref<32x64xf16, #npu.mem<l0b>>
// CHECK: npu.vec.reduce_max
// CHECK: npu.mmad {{.*}} : memref<64x64xf16, #npu.mem<l0a>>, memref<64x32xf16, #npu.mem<l0b>>
// CHECK: npu.vec.reduce_max
// CHECK: npu.mmad {{.*}} : memref<64x64xf16, #npu.mem<l0a>>, memref<64x32xf16, #npu.mem<l0b>>
func.func @pipelined(%q: tensor<1x1x64x32xf16>, %k: tensor<1x1x128x32xf16>, %v: tensor<1x1x128x32xf16>) -> tensor<1x1x64x32xf16> {
  %y = moe.attention %q, %k, %v : (tensor<1x1x64x32xf16>, tensor<1x1x128x32xf16>, tensor<1x1x128x32xf16>) -> tensor<1x1x64x32xf16>
  return %y : tensor<1x1x64x32xf16>
}
