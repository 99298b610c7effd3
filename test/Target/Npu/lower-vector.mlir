// RUN: moe-opt %s --split-input-file --moe-attach-target=target=npu-910b-like --moe-npu-lower | FileCheck %s

// x * w + 1 with w broadcast along rows: inputs stream into the unified
// buffer, the row of w is read with a row stride of 0, the constant becomes
// a scalar operand.
// CHECK-LABEL: func.func @broadcast
// CHECK: npu.dma %{{.*}}, %[[X:.*]] : memref<64x128xf16, strided<[128, 1]>, #npu.mem<gm>>, memref<64x128xf16, #npu.mem<ub>>
// CHECK: npu.dma %{{.*}}, %[[W:.*]] : memref<128xf16, strided<[1]>, #npu.mem<gm>>, memref<128xf16, #npu.mem<ub>>
// CHECK: %[[WB:.*]] = memref.reinterpret_cast %[[W]] to offset: [0], sizes: [64, 128], strides: [0, 1]
// CHECK: npu.vec.mul %{{.*}}, %[[WB]], %[[P:.*]] :
// CHECK: npu.vec.adds %[[P]], %{{.*}}, %[[S:.*]] :
// CHECK: npu.dma %{{.*}}, %{{.*}} : memref<64x128xf16, strided<[128, 1]>, #npu.mem<ub>>, memref<64x128xf16, strided<[128, 1]>, #npu.mem<gm>>
func.func @broadcast(%x: tensor<64x128xf16>, %w: tensor<128xf16>) -> tensor<64x128xf16> {
  %one = arith.constant 1.0 : f16
  %e = tensor.empty() : tensor<64x128xf16>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i, j)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%x, %w : tensor<64x128xf16>, tensor<128xf16>) outs(%e : tensor<64x128xf16>) {
  ^bb0(%a: f16, %b: f16, %o: f16):
    %m = arith.mulf %a, %b : f16
    %s = arith.addf %m, %one : f16
    linalg.yield %s : f16
  } -> tensor<64x128xf16>
  return %r : tensor<64x128xf16>
}

// -----

// A row sum of squares in f32: cast, multiply, reduce to one column. Two
// chunks of rows fit the unified buffer (each slot holds every value of the
// body), the second in the other slot.
// CHECK-LABEL: func.func @row_sum
// CHECK: npu.dma %{{.*}}, %[[X:.*]] : memref<42x128xf16, strided<[128, 1]>, #npu.mem<gm>>, memref<42x128xf16, #npu.mem<ub>>
// CHECK: npu.vec.cast %{{.*}}, %[[F:.*]] : memref<42x128xf16, strided<[128, 1]>, #npu.mem<ub>>, memref<42x128xf32, #npu.mem<ub>>
// CHECK: npu.vec.mul %[[F]], %[[F]], %[[Q:.*]] :
// CHECK: npu.vec.reduce_sum %[[Q]], %[[R:.*]] : memref<42x128xf32, #npu.mem<ub>>, memref<42x1xf32, #npu.mem<ub>>
// CHECK: %[[RD:.*]] = memref.reinterpret_cast %[[R]] to offset: [0], sizes: [42], strides: [1]
// CHECK: npu.dma %[[RD]], %{{.*}} : memref<42xf32, strided<[1]>, #npu.mem<ub>>, memref<42xf32, strided<[1]>, #npu.mem<gm>>
// CHECK: memref.subview %arg0[42, 0] [22, 128] [1, 1]
// CHECK: npu.vec.reduce_sum {{.*}} : memref<22x128xf32, #npu.mem<ub>>, memref<22x1xf32, #npu.mem<ub>>
func.func @row_sum(%x: tensor<64x128xf16>) -> tensor<64xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<64xf32>) -> tensor<64xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<64x128xf16>) outs(%f : tensor<64xf32>) {
  ^bb0(%a: f16, %o: f32):
    %w = arith.extf %a : f16 to f32
    %q = arith.mulf %w, %w : f32
    %s = arith.addf %o, %q : f32
    linalg.yield %s : f32
  } -> tensor<64xf32>
  return %r : tensor<64xf32>
}
