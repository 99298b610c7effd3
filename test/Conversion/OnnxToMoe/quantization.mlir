// RUN: moe-opt %s --moe-convert-onnx-to-moe -split-input-file -verify-diagnostics | FileCheck %s

// A one-element scale is per tensor: no axis.
// CHECK-LABEL: func @quantize_per_tensor
// CHECK: moe.quantize %{{.*}}, %{{.*}} zero_point %{{.*}} : (tensor<4x8xf32>, tensor<f32>, tensor<ui8>) -> tensor<4x8xui8>
func.func @quantize_per_tensor(%x: tensor<4x8xf32>, %s: tensor<f32>, %z: tensor<ui8>) -> tensor<4x8xui8> {
  %0 = onnx.node "QuantizeLinear"(%x, %s, %z) version 13 : (tensor<4x8xf32>, tensor<f32>, tensor<ui8>) -> tensor<4x8xui8>
  return %0 : tensor<4x8xui8>
}

// -----

// CHECK-LABEL: func @dequantize_per_axis
// CHECK: moe.dequantize %{{.*}}, %{{.*}} {axis = 0 : i64} : (tensor<4x8xi8>, tensor<4xf32>) -> tensor<4x8xf32>
func.func @dequantize_per_axis(%q: tensor<4x8xi8>, %s: tensor<4xf32>) -> tensor<4x8xf32> {
  %0 = onnx.node "DequantizeLinear"(%q, %s) version 13 attrs {axis = 0 : i64} : (tensor<4x8xi8>, tensor<4xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// Blocked (opset 21): int4 weights with a scale per 32 along axis 1.
// CHECK-LABEL: func @dequantize_blocked
// CHECK: moe.dequantize %{{.*}}, %{{.*}} {axis = 1 : i64, block_size = 32 : i64} : (tensor<8x64xi4>, tensor<8x2xf32>) -> tensor<8x64xf32>
func.func @dequantize_blocked(%q: tensor<8x64xi4>, %s: tensor<8x2xf32>) -> tensor<8x64xf32> {
  %0 = onnx.node "DequantizeLinear"(%q, %s) version 21 attrs {axis = 1 : i64, block_size = 32 : i64} : (tensor<8x64xi4>, tensor<8x2xf32>) -> tensor<8x64xf32>
  return %0 : tensor<8x64xf32>
}

// -----

func.func @dequantize_int32(%q: tensor<4xi32>, %s: tensor<f32>) -> tensor<4xf32> {
  // expected-error @+1 {{dequantizes 'i32'; only 8- and 4-bit integers are supported}}
  %0 = onnx.node "DequantizeLinear"(%q, %s) version 13 : (tensor<4xi32>, tensor<f32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// MatMulNBits: packed 4-bit B unpacked low nibble first into [N, K] of
// moe.qmatmul, scales as [N, k_blocks], the default zero point 8.
// CHECK-LABEL: func @matmul_nbits
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[}}0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15]]> : tensor<2x32xui4>
// CHECK-DAG: %[[S:.*]] = arith.constant dense<{{\[\[}}5.000000e-01, 2.500000e-01], [1.000000e+00, 2.000000e+00]]> : tensor<2x2xf32>
// CHECK-DAG: %[[Z:.*]] = arith.constant dense<8> : tensor<2x2xui4>
// CHECK: moe.qmatmul %{{.*}}, %[[W]], %[[S]] zero_point %[[Z]] {group_size = 16 : i64} : (tensor<3x32xf32>, tensor<2x32xui4>, tensor<2x2xf32>, tensor<2x2xui4>) -> tensor<3x2xf32>
func.func @matmul_nbits(%a: tensor<3x32xf32>) -> tensor<*xf32> {
  %b = arith.constant dense<[[[16, 50, 84, 118, 152, 186, 220, 254], [1, 1, 1, 1, 1, 1, 1, 1]], [[0, 0, 0, 0, 0, 0, 0, 0], [255, 255, 255, 255, 255, 255, 255, 255]]]> : tensor<2x2x8xui8>
  %s = arith.constant dense<[0.5, 0.25, 1.0, 2.0]> : tensor<4xf32>
  %0 = onnx.node "MatMulNBits"(%a, %b, %s) domain "com.microsoft" version 1 attrs {K = 32 : i64, N = 2 : i64, bits = 4 : i64, block_size = 16 : i64} : (tensor<3x32xf32>, tensor<2x2x8xui8>, tensor<4xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @matmul_nbits_runtime_b(%a: tensor<3x32xf32>, %b: tensor<2x2x8xui8>, %s: tensor<4xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{B must be a constant of N * k_blocks * block_size * bits / 8 bytes}}
  %0 = onnx.node "MatMulNBits"(%a, %b, %s) domain "com.microsoft" version 1 attrs {K = 32 : i64, N = 2 : i64, bits = 4 : i64, block_size = 16 : i64} : (tensor<3x32xf32>, tensor<2x2x8xui8>, tensor<4xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// DynamicQuantizeLinear: min/max including 0, scale = range / 255, zero
// point rounded and clamped to [0, 255], then moe.quantize per tensor.
// CHECK-LABEL: func @dynamic_quantize
// CHECK: arith.minimumf
// CHECK: arith.maximumf
// CHECK: arith.constant 2.550000e+02 : f32
// CHECK: math.roundeven
// CHECK: arith.fptoui
// CHECK: %[[ZP:.*]] = tensor.bitcast %{{.*}} : tensor<i8> to tensor<ui8>
// CHECK: moe.quantize %{{.*}}, %{{.*}} zero_point %[[ZP]] : (tensor<3x4xf32>, tensor<f32>, tensor<ui8>) -> tensor<3x4xui8>
func.func @dynamic_quantize(%x: tensor<3x4xf32>) -> (tensor<3x4xui8>, tensor<f32>, tensor<ui8>) {
  %0:3 = onnx.node "DynamicQuantizeLinear"(%x) version 11 : (tensor<3x4xf32>) -> (tensor<3x4xui8>, tensor<f32>, tensor<ui8>)
  return %0#0, %0#1, %0#2 : tensor<3x4xui8>, tensor<f32>, tensor<ui8>
}
