// RUN: moe-opt %s --moe-attach-target=target=npu-910b-like --moe-npu-lower=matmul-type=f16 | FileCheck %s

// An f32 activation times a constant f32 weight, on the cube in f16: the
// weight is an f16 constant from compile time, the activation is converted
// by the vector unit, the product leaves L0C in f32. The batch dim folds
// into the matmul's rows. The transpose after it is a copy through the
// unified buffer reading a transposed view; the reshape is a view.
// CHECK-NOT: memref<64x32xf32
// CHECK: memref.global "private" constant @npu_const{{.*}} : memref<64x32xf16, #npu.mem<gm>>
// CHECK-NOT: memref<64x32xf32
// CHECK-LABEL: func.func @main
// CHECK-DAG: %[[W:.*]] = memref.get_global @npu_const{{.*}} : memref<64x32xf16, #npu.mem<gm>>
// CHECK-DAG: npu.vec.cast {{.*}} : memref<16x64xf32, strided<[64, 1]>, #npu.mem<ub>>, memref<16x64xf16, #npu.mem<ub>>
// CHECK: npu.mmad {{.*}} : memref<32x64xf16, #npu.mem<l0a>>, memref<64x32xf16, #npu.mem<l0b>>, memref<32x32xf32, #npu.mem<l0c>>
// CHECK: npu.dma {{.*}} : memref<32x32xf32, #npu.mem<l0c>>, memref<32x32xf32, strided<[32, 1]>, #npu.mem<gm>>
// CHECK: %[[T:.*]] = memref.transpose %{{.*}} (d0, d1, d2) -> (d1, d0, d2)
// CHECK: %[[TS:.*]] = memref.subview %[[T]]
// CHECK: npu.dma %[[TS]], %{{.*}} : memref<1x2x32xf32, strided<[32, 512, 1]>, #npu.mem<gm>>, memref<1x2x32xf32, #npu.mem<ub>>
// CHECK-NOT: npu.vec
// CHECK: return
func.func @main(%x: tensor<2x16x64xf32>) -> tensor<16x2x32xf32> {
  %w = arith.constant dense<0.5> : tensor<64x32xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x16x32xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x16x32xf32>) -> tensor<2x16x32xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(b, m, n, k) -> (b, m, k)>, affine_map<(b, m, n, k) -> (k, n)>, affine_map<(b, m, n, k) -> (b, m, n)>],
                       iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<2x16x64xf32>, tensor<64x32xf32>) outs(%f : tensor<2x16x32xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<2x16x32xf32>
  %t0 = tensor.empty() : tensor<16x2x32xf32>
  %t = linalg.transpose ins(%y : tensor<2x16x32xf32>) outs(%t0 : tensor<16x2x32xf32>) permutation = [1, 0, 2]
  return %t : tensor<16x2x32xf32>
}
