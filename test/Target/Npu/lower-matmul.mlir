// RUN: moe-opt %s --split-input-file --moe-attach-target=target=npu-edge-like --moe-npu-lower | FileCheck %s
// Tiles follow the description: the same 256^3 matmul on the two chips.
// RUN: moe-opt %s --split-input-file --moe-attach-target=target=npu-910b-like --moe-npu-lower | FileCheck %s --check-prefix=B910
// RUN: moe-opt %s --split-input-file --moe-attach-target=target=npu-edge-like --moe-npu-lower | FileCheck %s --check-prefix=EDGE

// A and B go to L1 as fractals, to L0A/L0B in steps of K that alternate
// between two slots; the cube accumulates after the first step; the fixpipe
// writes C. No flags yet.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[A:.*]]: memref<32x64xf16, #npu.mem<gm>>, %[[B:.*]]: memref<64x48xf16, #npu.mem<gm>>, %[[C:.*]]: memref<32x48xf32, #npu.mem<gm>> {npu.output})
// CHECK-DAG: %[[L0B:.*]] = memref.alloc() : memref<32768xi8, #npu.mem<l0b>>
// CHECK-DAG: %[[L0A:.*]] = memref.alloc() : memref<32768xi8, #npu.mem<l0a>>
// CHECK-DAG: %[[L1:.*]] = memref.alloc() : memref<262144xi8, #npu.mem<l1>>
// CHECK-DAG: %[[L0C:.*]] = memref.alloc() : memref<65536xi8, #npu.mem<l0c>>
// CHECK-DAG: %[[B1:.*]] = memref.view %[[L0B]][%{{.*}}][] : memref<32768xi8, #npu.mem<l0b>> to memref<32x48xf16, #npu.mem<l0b>>
// CHECK-DAG: %[[A1:.*]] = memref.view %[[L0A]][%{{.*}}][] : memref<32768xi8, #npu.mem<l0a>> to memref<32x32xf16, #npu.mem<l0a>>
// CHECK-DAG: %[[ACC:.*]] = memref.view %[[L0C]][%{{.*}}][] : memref<65536xi8, #npu.mem<l0c>> to memref<32x48xf32, #npu.mem<l0c>>
// CHECK: %[[AG:.*]] = memref.subview %[[A]][0, 0] [32, 64] [1, 1]
// CHECK: npu.dma %[[AG]], %[[AL1:.*]] {layout = #npu.layout<nd_to_nz>} : memref<32x64xf16, strided<[64, 1]>, #npu.mem<gm>>, memref<4x2x16x16xf16, #npu.mem<l1>>
// CHECK: npu.dma %{{.*}}, %[[BL1:.*]] {layout = #npu.layout<nd_to_nz>} : memref<64x48xf16, strided<[48, 1]>, #npu.mem<gm>>, memref<3x4x16x16xf16, #npu.mem<l1>>
// CHECK: %[[AK0:.*]] = memref.subview %[[AL1]][0, 0, 0, 0] [2, 2, 16, 16]
// CHECK: npu.dma %[[AK0]], %[[A0:.*]] {layout = #npu.layout<nz_to_nd>}
// CHECK: %[[BK0:.*]] = memref.subview %[[BL1]][0, 0, 0, 0] [3, 2, 16, 16]
// CHECK: npu.dma %[[BK0]], %[[B0:.*]] {layout = #npu.layout<nz_to_nd>}
// CHECK-NOT: npu.set_flag
// CHECK: npu.mmad %[[A0]], %[[B0]], %[[ACC]] :
// CHECK: memref.subview %[[AL1]][2, 0, 0, 0] [2, 2, 16, 16]
// CHECK: npu.dma {{.*}}, %[[A1]] {layout = #npu.layout<nz_to_nd>}
// CHECK: memref.subview %[[BL1]][0, 2, 0, 0] [3, 2, 16, 16]
// CHECK: npu.dma {{.*}}, %[[B1]] {layout = #npu.layout<nz_to_nd>}
// CHECK: npu.mmad %[[A1]], %[[B1]], %[[ACC]] {accumulate}
// CHECK: %[[CG:.*]] = memref.subview %[[C]][0, 0] [32, 48] [1, 1]
// CHECK: npu.dma %[[ACC]], %[[CG]] : memref<32x48xf32, #npu.mem<l0c>>, memref<32x48xf32, strided<[48, 1]>, #npu.mem<gm>>
// CHECK-NEXT: return
func.func @main(%a: tensor<32x64xf16>, %b: tensor<64x48xf16>) -> tensor<32x48xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<32x48xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<32x48xf32>) -> tensor<32x48xf32>
  %c = linalg.matmul ins(%a, %b : tensor<32x64xf16>, tensor<64x48xf16>) outs(%f : tensor<32x48xf32>) -> tensor<32x48xf32>
  return %c : tensor<32x48xf32>
}

// -----

// B910-LABEL: func.func @tiles
// B910: memref<128x256xf32, #npu.mem<l0c>>
// B910: npu.mmad {{.*}} : memref<128x32xf16, #npu.mem<l0a>>, memref<32x256xf16, #npu.mem<l0b>>, memref<128x256xf32, #npu.mem<l0c>>
// EDGE-LABEL: func.func @tiles
// EDGE: memref<128x128xf32, #npu.mem<l0c>>
// EDGE: npu.mmad {{.*}} : memref<128x64xf16, #npu.mem<l0a>>, memref<64x128xf16, #npu.mem<l0b>>, memref<128x128xf32, #npu.mem<l0c>>
func.func @tiles(%a: tensor<256x256xf16>, %b: tensor<256x256xf16>) -> tensor<256x256xf16> {
  %zero = arith.constant 0.0 : f16
  %e = tensor.empty() : tensor<256x256xf16>
  %f = linalg.fill ins(%zero : f16) outs(%e : tensor<256x256xf16>) -> tensor<256x256xf16>
  %c = linalg.matmul ins(%a, %b : tensor<256x256xf16>, tensor<256x256xf16>) outs(%f : tensor<256x256xf16>) -> tensor<256x256xf16>
  return %c : tensor<256x256xf16>
}
