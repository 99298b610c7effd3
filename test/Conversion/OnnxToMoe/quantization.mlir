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
