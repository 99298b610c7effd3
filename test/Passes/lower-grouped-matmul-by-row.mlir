// RUN: moe-opt %s --moe-lower-to-linalg=grouped-by-row | FileCheck %s
// RUN: moe-opt %s --moe-lower-to-linalg | FileCheck %s --check-prefix=LOOP

// Each row's expert first (the offsets it lies between, -1 outside
// [offsets[0], offsets[E])), then one product over all rows reading the
// row's expert's weights, then its bias: no loop over experts.
// CHECK-LABEL: func.func @grouped
// CHECK-NOT: scf.for {{.*}}iter_args{{.*}}tensor<?x128xf32>
// CHECK: %[[EXPERT:.*]] = linalg.generic {{.*}}iterator_types = ["parallel"]
// CHECK: scf.for %{{.*}} = %c1 to %c9
// CHECK: arith.cmpi sle
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]{{.*}}ins(%arg0, %[[EXPERT]] :
// CHECK: arith.cmpi sge
// CHECK: tensor.extract
// CHECK: arith.select
// CHECK: linalg.generic {{.*}}ins(%[[EXPERT]] :
// CHECK: tensor.extract %arg3
// LOOP-LABEL: func.func @grouped
// LOOP: scf.for %{{.*}} = %c0 to %c8 step %c1 iter_args
func.func @grouped(%x: tensor<?x64xf32>, %w: tensor<8x128x64xf32>, %off: tensor<9xi32>,
                   %b: tensor<8x128xf32>) -> tensor<?x128xf32> {
  %h = moe.grouped_matmul %x, %w, %off bias %b
      : (tensor<?x64xf32>, tensor<8x128x64xf32>, tensor<9xi32>, tensor<8x128xf32>) -> tensor<?x128xf32>
  return %h : tensor<?x128xf32>
}

// Integer experts (per block of K, with zero points) are dequantized as the
// product reads them: the row's expert's byte, its block's scale and zero
// point; no loop over experts, no float copy of the weights.
// CHECK-LABEL: func.func @grouped_uint8
// CHECK-NOT: scf.for {{.*}}iter_args{{.*}}tensor<?x16xf32>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: %[[Q:.*]] = tensor.extract %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}] : tensor<4x16x64xi8>
// CHECK: %[[BLOCK:.*]] = arith.divui %{{.*}}, %c32
// CHECK: arith.uitofp %[[Q]]
// CHECK: tensor.extract %{{.*}}[%{{.*}}, %{{.*}}, %[[BLOCK]]] : tensor<4x16x2xi8>
// CHECK: arith.subf
// CHECK: tensor.extract %arg2[%{{.*}}, %{{.*}}, %[[BLOCK]]] : tensor<4x16x2xf32>
// CHECK: arith.mulf
// LOOP-LABEL: func.func @grouped_uint8
// LOOP: scf.for
func.func @grouped_uint8(%x: tensor<?x64xf32>, %q: tensor<4x16x64xui8>, %s: tensor<4x16x2xf32>,
                         %z: tensor<4x16x2xui8>, %off: tensor<5xi32>) -> tensor<?x16xf32> {
  %w = moe.dequantize %q, %s zero_point %z {axis = 2 : i64, block_size = 32 : i64}
      : (tensor<4x16x64xui8>, tensor<4x16x2xf32>, tensor<4x16x2xui8>) -> tensor<4x16x64xf32>
  %h = moe.grouped_matmul %x, %w, %off
      : (tensor<?x64xf32>, tensor<4x16x64xf32>, tensor<5xi32>) -> tensor<?x16xf32>
  return %h : tensor<?x16xf32>
}
