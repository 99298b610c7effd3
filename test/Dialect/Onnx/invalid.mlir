// RUN: moe-opt %s -split-input-file -verify-diagnostics

func.func @op_type(%x: tensor<2xf32>) {
  // expected-error @+1 {{op_type 'Bad Op' is not an identifier}}
  %y = onnx.node "Bad Op"(%x) version 1 : (tensor<2xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @empty_op_type(%x: tensor<2xf32>) {
  // expected-error @+1 {{op_type '' is not an identifier}}
  %y = onnx.node ""(%x) version 1 : (tensor<2xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @domain(%x: tensor<2xf32>) {
  // expected-error @+1 {{domain 'com/microsoft' is not a dotted identifier}}
  %y = onnx.node "MoE"(%x) domain "com/microsoft" version 1 : (tensor<2xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @default_domain(%x: tensor<2xf32>) {
  // expected-error @+1 {{the default domain is spelled "", not "ai.onnx"}}
  %y = onnx.node "Relu"(%x) domain "ai.onnx" version 14 : (tensor<2xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @version(%x: tensor<2xf32>) {
  // expected-error @+1 {{attribute 'version' failed to satisfy constraint}}
  %y = onnx.node "Relu"(%x) version 0 : (tensor<2xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @operand_type(%x: memref<2xf32>) {
  // expected-error @+1 {{operand #0 must be variadic of tensor of any type values or none type}}
  %y = onnx.node "Relu"(%x) version 14 : (memref<2xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @result_type(%x: tensor<2xf32>) {
  // expected-error @+1 {{result #0 must be variadic of tensor of any type values or none type}}
  %y = onnx.node "Relu"(%x) version 14 : (tensor<2xf32>) -> i32
  return
}
