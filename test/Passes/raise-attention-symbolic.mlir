// RUN: moe-opt %s --moe-raise-attention | FileCheck %s

// At a symbolic length the causal mask is torch's triu of full(-inf) with
// its shape read from q at run time: it is causal when its rows and keys
// are the scores' by construction (here q's length twice, and k's length
// has the same name).
// CHECK-LABEL: func.func @causal
// CHECK: moe.attention %arg0, %arg1, %arg2 {causal, scale = 1.000000e+00 : f64}
// CHECK-NOT: onnx.node "Trilu"
func.func @causal(%q: tensor<1x2x?x8xf32> {onnx.dim_params = ["", "", "s", ""]},
                  %k: tensor<1x2x?x8xf32> {onnx.dim_params = ["", "", "s", ""]},
                  %v: tensor<1x2x?x8xf32> {onnx.dim_params = ["", "", "s", ""]}) -> tensor<1x2x?x8xf32> {
  %shape = onnx.node "Shape"(%q) version 17 : (tensor<1x2x?x8xf32>) -> tensor<4xi64>
  %two = onnx.node "Constant"() version 17 attrs {value = dense<2> : tensor<i64>} : () -> tensor<i64>
  %s = onnx.node "Gather"(%shape, %two) version 17 attrs {axis = 0 : i64} : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
  %zero = onnx.node "Constant"() version 17 attrs {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %s1 = onnx.node "Unsqueeze"(%s, %zero) version 17 : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %sq = onnx.node "Concat"(%s1, %s1) version 17 attrs {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %full = onnx.node "ConstantOfShape"(%sq) version 17 attrs {value = dense<0xFF800000> : tensor<1xf32>} : (tensor<2xi64>) -> tensor<?x?xf32>
  %one = onnx.node "Constant"() version 17 attrs {value = dense<1> : tensor<i64>} : () -> tensor<i64>
  %mask = onnx.node "Trilu"(%full, %one) version 17 attrs {upper = 1 : i64} : (tensor<?x?xf32>, tensor<i64>) -> tensor<?x?xf32>
  %kt = onnx.node "Transpose"(%k) version 17 attrs {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x2x?x8xf32>) -> tensor<1x2x8x?xf32>
  %scores = onnx.node "MatMul"(%q, %kt) version 17 : (tensor<1x2x?x8xf32>, tensor<1x2x8x?xf32>) -> tensor<1x2x?x?xf32>
  %masked = onnx.node "Add"(%scores, %mask) version 17 : (tensor<1x2x?x?xf32>, tensor<?x?xf32>) -> tensor<1x2x?x?xf32>
  %p = onnx.node "Softmax"(%masked) version 17 attrs {axis = -1 : i64} : (tensor<1x2x?x?xf32>) -> tensor<1x2x?x?xf32>
  %o = onnx.node "MatMul"(%p, %v) version 17 : (tensor<1x2x?x?xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  return %o : tensor<1x2x?x8xf32>
}

// The keys' length has another name: nothing says the mask (q's length
// square) is as wide as the scores, which broadcasting would allow for a
// mask of one column. It stays an operand.
// CHECK-LABEL: func.func @keys_of_other_length
// CHECK: %[[M:.*]] = onnx.node "Unsqueeze"{{.*}} -> tensor<1x1x?x?xf32>
// CHECK: moe.attention %arg0, %arg1, %arg2 mask %[[M]] {scale = 1.000000e+00 : f64}
func.func @keys_of_other_length(%q: tensor<1x2x?x8xf32> {onnx.dim_params = ["", "", "s", ""]},
                                %k: tensor<1x2x?x8xf32> {onnx.dim_params = ["", "", "t", ""]},
                                %v: tensor<1x2x?x8xf32> {onnx.dim_params = ["", "", "t", ""]}) -> tensor<1x2x?x8xf32> {
  %shape = onnx.node "Shape"(%q) version 17 : (tensor<1x2x?x8xf32>) -> tensor<4xi64>
  %two = onnx.node "Constant"() version 17 attrs {value = dense<2> : tensor<i64>} : () -> tensor<i64>
  %s = onnx.node "Gather"(%shape, %two) version 17 attrs {axis = 0 : i64} : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
  %zero = onnx.node "Constant"() version 17 attrs {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %s1 = onnx.node "Unsqueeze"(%s, %zero) version 17 : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %sq = onnx.node "Concat"(%s1, %s1) version 17 attrs {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %full = onnx.node "ConstantOfShape"(%sq) version 17 attrs {value = dense<0xFF800000> : tensor<1xf32>} : (tensor<2xi64>) -> tensor<?x?xf32>
  %one = onnx.node "Constant"() version 17 attrs {value = dense<1> : tensor<i64>} : () -> tensor<i64>
  %mask = onnx.node "Trilu"(%full, %one) version 17 attrs {upper = 1 : i64} : (tensor<?x?xf32>, tensor<i64>) -> tensor<?x?xf32>
  %kt = onnx.node "Transpose"(%k) version 17 attrs {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x2x?x8xf32>) -> tensor<1x2x8x?xf32>
  %scores = onnx.node "MatMul"(%q, %kt) version 17 : (tensor<1x2x?x8xf32>, tensor<1x2x8x?xf32>) -> tensor<1x2x?x?xf32>
  %masked = onnx.node "Add"(%scores, %mask) version 17 : (tensor<1x2x?x?xf32>, tensor<?x?xf32>) -> tensor<1x2x?x?xf32>
  %p = onnx.node "Softmax"(%masked) version 17 attrs {axis = -1 : i64} : (tensor<1x2x?x?xf32>) -> tensor<1x2x?x?xf32>
  %o = onnx.node "MatMul"(%p, %v) version 17 : (tensor<1x2x?x?xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  return %o : tensor<1x2x?x8xf32>
}

// A triu whose fill is no -inf (a constant 2.0 above the diagonal) is no
// band: an operand.
// CHECK-LABEL: func.func @not_hidden
// CHECK: moe.attention %arg0, %arg1, %arg2 mask
func.func @not_hidden(%q: tensor<1x2x?x8xf32> {onnx.dim_params = ["", "", "s", ""]},
                      %k: tensor<1x2x?x8xf32> {onnx.dim_params = ["", "", "s", ""]},
                      %v: tensor<1x2x?x8xf32> {onnx.dim_params = ["", "", "s", ""]}) -> tensor<1x2x?x8xf32> {
  %shape = onnx.node "Shape"(%q) version 17 : (tensor<1x2x?x8xf32>) -> tensor<4xi64>
  %two = onnx.node "Constant"() version 17 attrs {value = dense<2> : tensor<i64>} : () -> tensor<i64>
  %s = onnx.node "Gather"(%shape, %two) version 17 attrs {axis = 0 : i64} : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
  %zero = onnx.node "Constant"() version 17 attrs {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %s1 = onnx.node "Unsqueeze"(%s, %zero) version 17 : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %sq = onnx.node "Concat"(%s1, %s1) version 17 attrs {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %full = onnx.node "ConstantOfShape"(%sq) version 17 attrs {value = dense<2.0> : tensor<1xf32>} : (tensor<2xi64>) -> tensor<?x?xf32>
  %one = onnx.node "Constant"() version 17 attrs {value = dense<1> : tensor<i64>} : () -> tensor<i64>
  %mask = onnx.node "Trilu"(%full, %one) version 17 attrs {upper = 1 : i64} : (tensor<?x?xf32>, tensor<i64>) -> tensor<?x?xf32>
  %kt = onnx.node "Transpose"(%k) version 17 attrs {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x2x?x8xf32>) -> tensor<1x2x8x?xf32>
  %scores = onnx.node "MatMul"(%q, %kt) version 17 : (tensor<1x2x?x8xf32>, tensor<1x2x8x?xf32>) -> tensor<1x2x?x?xf32>
  %masked = onnx.node "Add"(%scores, %mask) version 17 : (tensor<1x2x?x?xf32>, tensor<?x?xf32>) -> tensor<1x2x?x?xf32>
  %p = onnx.node "Softmax"(%masked) version 17 attrs {axis = -1 : i64} : (tensor<1x2x?x?xf32>) -> tensor<1x2x?x?xf32>
  %o = onnx.node "MatMul"(%p, %v) version 17 : (tensor<1x2x?x?xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  return %o : tensor<1x2x?x8xf32>
}
