// RUN: moe-opt %s --moe-convert-onnx-to-moe -split-input-file | FileCheck %s

// One case per ONNX op form: the linalg.generic body holds the op on one element.

// -----

// CHECK-LABEL: func @add_0
// CHECK: linalg.generic
// CHECK: arith.addf
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @add_0(%a0: tensor<2x3xf32>, %a1: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = onnx.node "Add"(%a0, %a1) version 14 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @add_1
// CHECK: linalg.generic
// CHECK: arith.addi
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @add_1(%a0: tensor<2x3xi32>, %a1: tensor<2x3xi32>) -> tensor<2x3xi32> {
  %r = onnx.node "Add"(%a0, %a1) version 14 : (tensor<2x3xi32>, tensor<2x3xi32>) -> tensor<2x3xi32>
  return %r : tensor<2x3xi32>
}

// -----

// CHECK-LABEL: func @sub_0
// CHECK: linalg.generic
// CHECK: arith.subf
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @sub_0(%a0: tensor<2x3xf32>, %a1: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = onnx.node "Sub"(%a0, %a1) version 14 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @sub_1
// CHECK: linalg.generic
// CHECK: arith.subi
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @sub_1(%a0: tensor<2x3xi32>, %a1: tensor<2x3xi32>) -> tensor<2x3xi32> {
  %r = onnx.node "Sub"(%a0, %a1) version 14 : (tensor<2x3xi32>, tensor<2x3xi32>) -> tensor<2x3xi32>
  return %r : tensor<2x3xi32>
}

// -----

// CHECK-LABEL: func @mul_0
// CHECK: linalg.generic
// CHECK: arith.mulf
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @mul_0(%a0: tensor<2x3xf32>, %a1: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = onnx.node "Mul"(%a0, %a1) version 14 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @mul_1
// CHECK: linalg.generic
// CHECK: arith.muli
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @mul_1(%a0: tensor<2x3xi32>, %a1: tensor<2x3xi32>) -> tensor<2x3xi32> {
  %r = onnx.node "Mul"(%a0, %a1) version 14 : (tensor<2x3xi32>, tensor<2x3xi32>) -> tensor<2x3xi32>
  return %r : tensor<2x3xi32>
}

// -----

// CHECK-LABEL: func @div_0
// CHECK: linalg.generic
// CHECK: arith.divf
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @div_0(%a0: tensor<2x3xf32>, %a1: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = onnx.node "Div"(%a0, %a1) version 14 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @div_1
// CHECK: linalg.generic
// CHECK: arith.divsi
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @div_1(%a0: tensor<2x3xi32>, %a1: tensor<2x3xi32>) -> tensor<2x3xi32> {
  %r = onnx.node "Div"(%a0, %a1) version 14 : (tensor<2x3xi32>, tensor<2x3xi32>) -> tensor<2x3xi32>
  return %r : tensor<2x3xi32>
}

// -----

// CHECK-LABEL: func @div_2
// CHECK: linalg.generic
// CHECK: arith.divui
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @div_2(%a0: tensor<2x3xui8>, %a1: tensor<2x3xui8>) -> tensor<2x3xui8> {
  %r = onnx.node "Div"(%a0, %a1) version 14 : (tensor<2x3xui8>, tensor<2x3xui8>) -> tensor<2x3xui8>
  return %r : tensor<2x3xui8>
}

// -----

// CHECK-LABEL: func @mod_0
// CHECK: linalg.generic
// CHECK: arith.remf
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @mod_0(%a0: tensor<2x3xf32>, %a1: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = onnx.node "Mod"(%a0, %a1) version 13 attrs {fmod = 1 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @mod_1
// CHECK: linalg.generic
// CHECK: %[[R:.*]] = arith.remsi
// CHECK: arith.xori
// CHECK: arith.andi
// CHECK: %[[FIXED:.*]] = arith.addi %[[R]]
// CHECK: arith.select %{{.*}}, %[[FIXED]], %[[R]]
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @mod_1(%a0: tensor<2x3xi32>, %a1: tensor<2x3xi32>) -> tensor<2x3xi32> {
  %r = onnx.node "Mod"(%a0, %a1) version 13 : (tensor<2x3xi32>, tensor<2x3xi32>) -> tensor<2x3xi32>
  return %r : tensor<2x3xi32>
}

// -----

// CHECK-LABEL: func @mod_2
// CHECK: linalg.generic
// CHECK: arith.remsi
// CHECK-NOT: arith.select
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @mod_2(%a0: tensor<2x3xi32>, %a1: tensor<2x3xi32>) -> tensor<2x3xi32> {
  %r = onnx.node "Mod"(%a0, %a1) version 13 attrs {fmod = 1 : i64} : (tensor<2x3xi32>, tensor<2x3xi32>) -> tensor<2x3xi32>
  return %r : tensor<2x3xi32>
}

// -----

// CHECK-LABEL: func @pow_0
// CHECK: linalg.generic
// CHECK: math.powf
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @pow_0(%a0: tensor<2x3xf32>, %a1: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = onnx.node "Pow"(%a0, %a1) version 15 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @pow_1
// CHECK: linalg.generic
// CHECK: arith.sitofp %{{.*}} : i64 to f32
// CHECK: math.powf
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @pow_1(%a0: tensor<2x3xf32>, %a1: tensor<2x3xi64>) -> tensor<2x3xf32> {
  %r = onnx.node "Pow"(%a0, %a1) version 15 : (tensor<2x3xf32>, tensor<2x3xi64>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @pow_2
// CHECK: linalg.generic
// CHECK: math.ipowi
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @pow_2(%a0: tensor<2x3xi32>, %a1: tensor<2x3xi32>) -> tensor<2x3xi32> {
  %r = onnx.node "Pow"(%a0, %a1) version 15 : (tensor<2x3xi32>, tensor<2x3xi32>) -> tensor<2x3xi32>
  return %r : tensor<2x3xi32>
}

// -----

// CHECK-LABEL: func @sqrt_0
// CHECK: linalg.generic
// CHECK: math.sqrt
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @sqrt_0(%a0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = onnx.node "Sqrt"(%a0) version 13 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @reciprocal_0
// CHECK: linalg.generic
// CHECK: arith.divf %cst
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @reciprocal_0(%a0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = onnx.node "Reciprocal"(%a0) version 13 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @neg_0
// CHECK: linalg.generic
// CHECK: arith.negf
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @neg_0(%a0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = onnx.node "Neg"(%a0) version 13 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @neg_1
// CHECK: linalg.generic
// CHECK: arith.subi %c0_i32
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @neg_1(%a0: tensor<2x3xi32>) -> tensor<2x3xi32> {
  %r = onnx.node "Neg"(%a0) version 13 : (tensor<2x3xi32>) -> tensor<2x3xi32>
  return %r : tensor<2x3xi32>
}

// -----

// CHECK-LABEL: func @exp_0
// CHECK: linalg.generic
// CHECK: math.exp
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @exp_0(%a0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = onnx.node "Exp"(%a0) version 13 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @log_0
// CHECK: linalg.generic
// CHECK: math.log
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @log_0(%a0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = onnx.node "Log"(%a0) version 13 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @erf_0
// CHECK: linalg.generic
// CHECK: math.erf
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @erf_0(%a0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = onnx.node "Erf"(%a0) version 13 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @tanh_0
// CHECK: linalg.generic
// CHECK: math.tanh
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @tanh_0(%a0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = onnx.node "Tanh"(%a0) version 13 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @sigmoid_0
// CHECK: linalg.generic
// CHECK: arith.negf
// CHECK: math.exp
// CHECK: arith.addf
// CHECK: arith.divf
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @sigmoid_0(%a0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = onnx.node "Sigmoid"(%a0) version 13 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @relu_0
// CHECK: linalg.generic
// CHECK: arith.maximumf
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @relu_0(%a0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = onnx.node "Relu"(%a0) version 14 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @relu_1
// CHECK: linalg.generic
// CHECK: arith.maxsi
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @relu_1(%a0: tensor<2x3xi32>) -> tensor<2x3xi32> {
  %r = onnx.node "Relu"(%a0) version 14 : (tensor<2x3xi32>) -> tensor<2x3xi32>
  return %r : tensor<2x3xi32>
}

// -----

// CHECK-LABEL: func @leakyrelu_0
// CHECK: linalg.generic
// CHECK: arith.constant 1.000000e-01
// CHECK: arith.cmpf olt
// CHECK: arith.mulf
// CHECK: arith.select
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @leakyrelu_0(%a0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = onnx.node "LeakyRelu"(%a0) version 16 attrs {alpha = 1.000000e-01 : f32} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @elu_0
// CHECK: linalg.generic
// CHECK: math.expm1
// CHECK: arith.select
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @elu_0(%a0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = onnx.node "Elu"(%a0) version 6 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @selu_0
// CHECK: linalg.generic
// CHECK: arith.cmpf ole
// CHECK: math.exp
// CHECK: arith.select
// CHECK: arith.mulf
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @selu_0(%a0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = onnx.node "Selu"(%a0) version 6 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @celu_0
// CHECK: linalg.generic
// CHECK: math.expm1
// CHECK: arith.minimumf
// CHECK: arith.maximumf
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @celu_0(%a0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = onnx.node "Celu"(%a0) version 12 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @softplus_0
// CHECK: linalg.generic
// CHECK: math.absf
// CHECK: math.exp
// CHECK: math.log1p
// CHECK: arith.maximumf
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @softplus_0(%a0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = onnx.node "Softplus"(%a0) version 1 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @hardsigmoid_0
// CHECK: linalg.generic
// CHECK: arith.constant 2.000000e-01
// CHECK: arith.minimumf
// CHECK: arith.maximumf
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @hardsigmoid_0(%a0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = onnx.node "HardSigmoid"(%a0) version 6 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @hardswish_0
// CHECK: linalg.generic
// CHECK: arith.minimumf
// CHECK: arith.maximumf
// CHECK: arith.mulf
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @hardswish_0(%a0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = onnx.node "HardSwish"(%a0) version 14 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @gelu_0
// CHECK: linalg.generic
// CHECK: math.erf
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @gelu_0(%a0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = onnx.node "Gelu"(%a0) version 20 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @gelu_1
// CHECK: linalg.generic
// CHECK: math.tanh
// CHECK-NOT: math.erf
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @gelu_1(%a0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = onnx.node "Gelu"(%a0) version 20 attrs {approximate = "tanh"} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @clip_0
// CHECK: linalg.generic
// CHECK: arith.maximumf
// CHECK: arith.minimumf
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @clip_0(%a0: tensor<2x3xf32>, %a1: tensor<f32>, %a2: tensor<f32>) -> tensor<2x3xf32> {
  %r = onnx.node "Clip"(%a0, %a1, %a2) version 13 : (tensor<2x3xf32>, tensor<f32>, tensor<f32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @clip_1
// CHECK: linalg.generic
// CHECK: arith.maximumf
// CHECK: arith.minimumf
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @clip_1(%a0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = onnx.node "Clip"(%a0) version 6 attrs {max = 6.000000e+00 : f32, min = 0.000000e+00 : f32} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @min_0
// CHECK: linalg.generic
// CHECK: arith.minimumf
// CHECK: arith.minimumf
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @min_0(%a0: tensor<2x3xf32>, %a1: tensor<2x3xf32>, %a2: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = onnx.node "Min"(%a0, %a1, %a2) version 13 : (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @max_0
// CHECK: linalg.generic
// CHECK: arith.maxui
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @max_0(%a0: tensor<2x3xui8>, %a1: tensor<2x3xui8>) -> tensor<2x3xui8> {
  %r = onnx.node "Max"(%a0, %a1) version 13 : (tensor<2x3xui8>, tensor<2x3xui8>) -> tensor<2x3xui8>
  return %r : tensor<2x3xui8>
}

// -----

// CHECK-LABEL: func @sum_0
// CHECK: linalg.generic
// CHECK: arith.addf
// CHECK: arith.addf
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @sum_0(%a0: tensor<2x3xf32>, %a1: tensor<2x3xf32>, %a2: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = onnx.node "Sum"(%a0, %a1, %a2) version 13 : (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @mean_0
// CHECK: linalg.generic
// CHECK: arith.addf
// CHECK: arith.divf
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @mean_0(%a0: tensor<2x3xf32>, %a1: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = onnx.node "Mean"(%a0, %a1) version 13 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @floor_0
// CHECK: linalg.generic
// CHECK: math.floor
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @floor_0(%a0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = onnx.node "Floor"(%a0) version 13 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @ceil_0
// CHECK: linalg.generic
// CHECK: math.ceil
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @ceil_0(%a0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = onnx.node "Ceil"(%a0) version 13 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @round_0
// CHECK: linalg.generic
// CHECK: math.roundeven
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @round_0(%a0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = onnx.node "Round"(%a0) version 11 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @sign_0
// CHECK: linalg.generic
// CHECK: arith.cmpf ogt
// CHECK: arith.cmpf olt
// CHECK: arith.select
// CHECK: arith.select
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @sign_0(%a0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = onnx.node "Sign"(%a0) version 13 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @abs_0
// CHECK: linalg.generic
// CHECK: math.absf
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @abs_0(%a0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = onnx.node "Abs"(%a0) version 13 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @abs_1
// CHECK: linalg.generic
// CHECK: math.absi
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @abs_1(%a0: tensor<2x3xi32>) -> tensor<2x3xi32> {
  %r = onnx.node "Abs"(%a0) version 13 : (tensor<2x3xi32>) -> tensor<2x3xi32>
  return %r : tensor<2x3xi32>
}

// -----

// CHECK-LABEL: func @equal_0
// CHECK: linalg.generic
// CHECK: arith.cmpf oeq
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @equal_0(%a0: tensor<2x3xf32>, %a1: tensor<2x3xf32>) -> tensor<2x3xi1> {
  %r = onnx.node "Equal"(%a0, %a1) version 13 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xi1>
  return %r : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @equal_1
// CHECK: linalg.generic
// CHECK: arith.cmpi eq
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @equal_1(%a0: tensor<2x3xi32>, %a1: tensor<2x3xi32>) -> tensor<2x3xi1> {
  %r = onnx.node "Equal"(%a0, %a1) version 13 : (tensor<2x3xi32>, tensor<2x3xi32>) -> tensor<2x3xi1>
  return %r : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @less_0
// CHECK: linalg.generic
// CHECK: arith.cmpf olt
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @less_0(%a0: tensor<2x3xf32>, %a1: tensor<2x3xf32>) -> tensor<2x3xi1> {
  %r = onnx.node "Less"(%a0, %a1) version 13 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xi1>
  return %r : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @less_1
// CHECK: linalg.generic
// CHECK: arith.cmpi ult
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @less_1(%a0: tensor<2x3xui8>, %a1: tensor<2x3xui8>) -> tensor<2x3xi1> {
  %r = onnx.node "Less"(%a0, %a1) version 13 : (tensor<2x3xui8>, tensor<2x3xui8>) -> tensor<2x3xi1>
  return %r : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @lessorequal_0
// CHECK: linalg.generic
// CHECK: arith.cmpi sle
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @lessorequal_0(%a0: tensor<2x3xi32>, %a1: tensor<2x3xi32>) -> tensor<2x3xi1> {
  %r = onnx.node "LessOrEqual"(%a0, %a1) version 16 : (tensor<2x3xi32>, tensor<2x3xi32>) -> tensor<2x3xi1>
  return %r : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @greater_0
// CHECK: linalg.generic
// CHECK: arith.cmpi sgt
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @greater_0(%a0: tensor<2x3xi32>, %a1: tensor<2x3xi32>) -> tensor<2x3xi1> {
  %r = onnx.node "Greater"(%a0, %a1) version 13 : (tensor<2x3xi32>, tensor<2x3xi32>) -> tensor<2x3xi1>
  return %r : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @greaterorequal_0
// CHECK: linalg.generic
// CHECK: arith.cmpf oge
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @greaterorequal_0(%a0: tensor<2x3xf32>, %a1: tensor<2x3xf32>) -> tensor<2x3xi1> {
  %r = onnx.node "GreaterOrEqual"(%a0, %a1) version 16 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xi1>
  return %r : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @not_0
// CHECK: linalg.generic
// CHECK: arith.xori %{{.*}}, %true
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @not_0(%a0: tensor<2x3xi1>) -> tensor<2x3xi1> {
  %r = onnx.node "Not"(%a0) version 1 : (tensor<2x3xi1>) -> tensor<2x3xi1>
  return %r : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @and_0
// CHECK: linalg.generic
// CHECK: arith.andi
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @and_0(%a0: tensor<2x3xi1>, %a1: tensor<2x3xi1>) -> tensor<2x3xi1> {
  %r = onnx.node "And"(%a0, %a1) version 7 : (tensor<2x3xi1>, tensor<2x3xi1>) -> tensor<2x3xi1>
  return %r : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @or_0
// CHECK: linalg.generic
// CHECK: arith.ori
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @or_0(%a0: tensor<2x3xi1>, %a1: tensor<2x3xi1>) -> tensor<2x3xi1> {
  %r = onnx.node "Or"(%a0, %a1) version 7 : (tensor<2x3xi1>, tensor<2x3xi1>) -> tensor<2x3xi1>
  return %r : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @xor_0
// CHECK: linalg.generic
// CHECK: arith.xori
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @xor_0(%a0: tensor<2x3xi1>, %a1: tensor<2x3xi1>) -> tensor<2x3xi1> {
  %r = onnx.node "Xor"(%a0, %a1) version 7 : (tensor<2x3xi1>, tensor<2x3xi1>) -> tensor<2x3xi1>
  return %r : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @isnan_0
// CHECK: linalg.generic
// CHECK: arith.cmpf uno
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @isnan_0(%a0: tensor<2x3xf32>) -> tensor<2x3xi1> {
  %r = onnx.node "IsNaN"(%a0) version 13 : (tensor<2x3xf32>) -> tensor<2x3xi1>
  return %r : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @isinf_0
// CHECK: linalg.generic
// CHECK: arith.cmpf oeq
// CHECK: arith.ori %{{.*}}, %false
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @isinf_0(%a0: tensor<2x3xf32>) -> tensor<2x3xi1> {
  %r = onnx.node "IsInf"(%a0) version 10 attrs {detect_negative = 0 : i64} : (tensor<2x3xf32>) -> tensor<2x3xi1>
  return %r : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @where_0
// CHECK: linalg.generic
// CHECK: arith.select
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @where_0(%a0: tensor<2x3xi1>, %a1: tensor<2x3xf32>, %a2: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %r = onnx.node "Where"(%a0, %a1, %a2) version 16 : (tensor<2x3xi1>, tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @cast_0
// CHECK: linalg.generic
// CHECK: arith.fptosi %{{.*}} : f32 to i32
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @cast_0(%a0: tensor<2x3xf32>) -> tensor<2x3xi32> {
  %r = onnx.node "Cast"(%a0) version 13 attrs {to = 6 : i64} : (tensor<2x3xf32>) -> tensor<2x3xi32>
  return %r : tensor<2x3xi32>
}

// -----

// CHECK-LABEL: func @cast_1
// CHECK: linalg.generic
// CHECK: arith.uitofp %{{.*}} : i8 to f32
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @cast_1(%a0: tensor<2x3xui8>) -> tensor<2x3xf32> {
  %r = onnx.node "Cast"(%a0) version 13 attrs {to = 1 : i64} : (tensor<2x3xui8>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @cast_2
// CHECK: linalg.generic
// CHECK: arith.cmpf une
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @cast_2(%a0: tensor<2x3xf32>) -> tensor<2x3xi1> {
  %r = onnx.node "Cast"(%a0) version 13 attrs {to = 9 : i64} : (tensor<2x3xf32>) -> tensor<2x3xi1>
  return %r : tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @cast_3
// CHECK: linalg.generic
// CHECK: arith.truncf
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @cast_3(%a0: tensor<2x3xf64>) -> tensor<2x3xf32> {
  %r = onnx.node "Cast"(%a0) version 13 attrs {to = 1 : i64} : (tensor<2x3xf64>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @cast_4
// CHECK: linalg.generic
// CHECK: arith.extsi
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @cast_4(%a0: tensor<2x3xi32>) -> tensor<2x3xi64> {
  %r = onnx.node "Cast"(%a0) version 13 attrs {to = 7 : i64} : (tensor<2x3xi32>) -> tensor<2x3xi64>
  return %r : tensor<2x3xi64>
}

// -----

// CHECK-LABEL: func @castlike_0
// CHECK: linalg.generic
// CHECK: arith.sitofp %{{.*}} : i32 to f16
// CHECK: linalg.yield
// CHECK-NOT: onnx.node
func.func @castlike_0(%a0: tensor<2x3xi32>, %a1: tensor<1xf16>) -> tensor<2x3xf16> {
  %r = onnx.node "CastLike"(%a0, %a1) version 15 : (tensor<2x3xi32>, tensor<1xf16>) -> tensor<2x3xf16>
  return %r : tensor<2x3xf16>
}
