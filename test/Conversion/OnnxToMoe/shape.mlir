// RUN: moe-opt %s --moe-convert-onnx-to-moe --canonicalize -split-input-file | FileCheck %s

// CHECK-LABEL: func @identity_dropout
// CHECK-SAME: (%[[X:[^:]*]]: tensor<2x3xf32>)
// CHECK: %[[MASK:.*]] = arith.constant dense<true> : tensor<2x3xi1>
// CHECK: return %[[X]], %[[MASK]]
func.func @identity_dropout(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xi1>) {
  %0 = onnx.node "Identity"(%x) version 16 : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %1:2 = onnx.node "Dropout"(%0) version 13 : (tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xi1>)
  return %1#0, %1#1 : tensor<2x3xf32>, tensor<2x3xi1>
}

// -----

// CHECK-LABEL: func @constants
// CHECK-DAG: arith.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK-DAG: arith.constant dense<7> : tensor<i64>
// CHECK-DAG: arith.constant dense<[1, 2, 3]> : tensor<3xi64>
func.func @constants() -> (tensor<2xf32>, tensor<i64>, tensor<3xi64>) {
  %0 = onnx.node "Constant"() version 13 attrs {value = dense<[1.0, 2.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %1 = onnx.node "Constant"() version 13 attrs {value_int = 7 : i64} : () -> tensor<i64>
  %2 = onnx.node "Constant"() version 13 attrs {value_ints = array<i64: 1, 2, 3>} : () -> tensor<3xi64>
  return %0, %1, %2 : tensor<2xf32>, tensor<i64>, tensor<3xi64>
}

// -----

// Static dims make Shape and Size constants; dynamic ones read tensor.dim.
// CHECK-LABEL: func @shape_size
// CHECK-SAME: (%[[X:[^:]*]]: tensor<?x4xf32>)
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[FOUR:.*]] = arith.constant 4 : i64
// CHECK-DAG: arith.constant dense<4> : tensor<1xi64>
// CHECK: %[[D:.*]] = tensor.dim %[[X]], %[[C0]]
// CHECK: %[[DI:.*]] = arith.index_cast %[[D]] : index to i64
// CHECK: tensor.from_elements %[[DI]], %[[FOUR]] : tensor<2xi64>
func.func @shape_size(%x: tensor<?x4xf32>) -> (tensor<2xi64>, tensor<1xi64>, tensor<i64>) {
  %0 = onnx.node "Shape"(%x) version 15 : (tensor<?x4xf32>) -> tensor<2xi64>
  %1 = onnx.node "Shape"(%x) version 15 attrs {start = -1 : i64} : (tensor<?x4xf32>) -> tensor<1xi64>
  %2 = onnx.node "Size"(%x) version 13 : (tensor<?x4xf32>) -> tensor<i64>
  return %0, %1, %2 : tensor<2xi64>, tensor<1xi64>, tensor<i64>
}

// -----

// CHECK-LABEL: func @constant_of_shape
// CHECK: arith.constant dense<5> : tensor<2x3xi32>
func.func @constant_of_shape() -> tensor<*xi32> {
  %s = arith.constant dense<[2, 3]> : tensor<2xi64>
  %0 = onnx.node "ConstantOfShape"(%s) version 9 attrs {value = dense<5> : tensor<1xi32>} : (tensor<2xi64>) -> tensor<*xi32>
  return %0 : tensor<*xi32>
}

// -----

// 0 copies a dim, -1 takes the rest; a declared static result shape wins.
// CHECK-LABEL: func @reshape
// CHECK: tensor.reshape %{{.*}}(%{{.*}}) : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<2x12xf32>
// CHECK: tensor.reshape %{{.*}}(%{{.*}}) : (tensor<2x3x4xf32>, tensor<3xi64>) -> tensor<4x3x2xf32>
func.func @reshape(%x: tensor<2x3x4xf32>, %runtime: tensor<3xi64>) -> (tensor<*xf32>, tensor<4x3x2xf32>) {
  %s = arith.constant dense<[0, -1]> : tensor<2xi64>
  %0 = onnx.node "Reshape"(%x, %s) version 14 : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<*xf32>
  %1 = onnx.node "Reshape"(%x, %runtime) version 14 : (tensor<2x3x4xf32>, tensor<3xi64>) -> tensor<4x3x2xf32>
  return %0, %1 : tensor<*xf32>, tensor<4x3x2xf32>
}

// -----

// CHECK-LABEL: func @reshape_dynamic
// CHECK-SAME: (%[[X:[^:]*]]: tensor<?x4xf32>)
// CHECK: %[[D:.*]] = tensor.dim %[[X]]
// CHECK: %[[ROWS:.*]] = arith.divui
// CHECK: tensor.reshape %[[X]](%{{.*}}) : (tensor<?x4xf32>, tensor<2xi64>) -> tensor<?x2xf32>
func.func @reshape_dynamic(%x: tensor<?x4xf32>) -> tensor<*xf32> {
  %s = arith.constant dense<[-1, 2]> : tensor<2xi64>
  %0 = onnx.node "Reshape"(%x, %s) version 14 : (tensor<?x4xf32>, tensor<2xi64>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// CHECK-LABEL: func @flatten_squeeze_unsqueeze
// CHECK: -> tensor<6x4xf32>
// CHECK: -> tensor<3x4xf32>
// CHECK: -> tensor<1x3x1x4xf32>
func.func @flatten_squeeze_unsqueeze(%x: tensor<2x3x4xf32>, %y: tensor<1x3x1x4xf32>) -> (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>) {
  %axes = arith.constant dense<[0, 2]> : tensor<2xi64>
  %0 = onnx.node "Flatten"(%x) version 13 attrs {axis = 2 : i64} : (tensor<2x3x4xf32>) -> tensor<*xf32>
  %1 = onnx.node "Squeeze"(%y) version 13 : (tensor<1x3x1x4xf32>) -> tensor<*xf32>
  %2 = onnx.node "Unsqueeze"(%1, %axes) version 13 : (tensor<*xf32>, tensor<2xi64>) -> tensor<*xf32>
  return %0, %1, %2 : tensor<*xf32>, tensor<*xf32>, tensor<*xf32>
}

// -----

// CHECK-LABEL: func @expand
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<3x1xf32>) outs(%{{.*}} : tensor<2x3x4xf32>)
func.func @expand(%x: tensor<3x1xf32>) -> tensor<*xf32> {
  %s = arith.constant dense<[2, 1, 4]> : tensor<3xi64>
  %0 = onnx.node "Expand"(%x, %s) version 13 : (tensor<3x1xf32>, tensor<3xi64>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// A shape computed at run time: its elements size the result.
// CHECK-LABEL: func @constant_of_runtime_shape
// CHECK-SAME: (%[[S:[^:]*]]: tensor<2xi64>)
// CHECK: %[[D0:.*]] = tensor.extract %[[S]][%{{.*}}] : tensor<2xi64>
// CHECK: %[[D1:.*]] = tensor.extract %[[S]][%{{.*}}] : tensor<2xi64>
// CHECK: tensor.empty(%{{.*}}, %{{.*}}) : tensor<?x?xf32>
// CHECK: linalg.fill
func.func @constant_of_runtime_shape(%s: tensor<2xi64>) -> tensor<?x?xf32> {
  %0 = onnx.node "ConstantOfShape"(%s) version 9 : (tensor<2xi64>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// A target shape known only at run time: ONNX's 0 (copy) and -1 (infer)
// rules become selects on each entry.
// CHECK-LABEL: func @reshape_runtime
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>, %[[S:.*]]: tensor<2xi64>)
// CHECK: %[[E0:.*]] = tensor.extract %[[S]][%{{.*}}] : tensor<2xi64>
// CHECK: %[[I0:.*]] = arith.index_cast %[[E0]] : i64 to index
// CHECK: %[[Z0:.*]] = arith.cmpi eq, %[[I0]], %{{.*}} : index
// CHECK: %[[D0:.*]] = arith.select %[[Z0]], %{{.*}}, %[[I0]] : index
// CHECK: %[[M0:.*]] = arith.cmpi eq, %[[I0]], %{{.*}} : index
// CHECK: %[[LEFT:.*]] = arith.divui
// CHECK: arith.select %[[M0]], %[[LEFT]], %[[D0]] : index
// CHECK: tensor.reshape %[[X]](%{{.*}}) : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<?x?xf32>
func.func @reshape_runtime(%x: tensor<2x3xf32>, %s: tensor<2xi64>) -> tensor<*xf32> {
  %0 = onnx.node "Reshape"(%x, %s) version 14 : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// Entries the shape arithmetic left as constants apply at compile time; a
// -1 beside a kept dynamic dim cancels instead of dividing.
// CHECK-LABEL: func @reshape_runtime_partly_known
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>
// CHECK-NOT: arith.divui
// CHECK: %[[D:.*]] = tensor.dim %[[X]]
// CHECK: tensor.reshape %[[X]]({{.*}}) : (tensor<?x4xf32>, tensor<3xi64>) -> tensor<?x2x2xf32>
func.func @reshape_runtime_partly_known(%x: tensor<?x4xf32>) -> tensor<*xf32> {
  %n = onnx.node "Shape"(%x) version 15 attrs {end = 1 : i64} : (tensor<?x4xf32>) -> tensor<1xi64>
  %c = arith.constant dense<[2, -1]> : tensor<2xi64>
  %s = onnx.node "Concat"(%n, %c) version 13 attrs {axis = 0 : i64} : (tensor<1xi64>, tensor<2xi64>) -> tensor<3xi64>
  %0 = onnx.node "Reshape"(%x, %s) version 14 : (tensor<?x4xf32>, tensor<3xi64>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// Expand to a run-time shape: the size-1 input dims take the shape's
// entries, the others keep their size.
// CHECK-LABEL: func @expand_runtime
// CHECK-SAME: (%[[X:.*]]: tensor<?x1xf32>, %[[S:.*]]: tensor<2xi64>)
// CHECK: %[[E1:.*]] = tensor.extract %[[S]][%c1{{.*}}]
// CHECK: %[[N:.*]] = arith.index_cast %[[E1]]
// CHECK: %[[D0:.*]] = tensor.dim %[[X]]
// CHECK: %[[INIT:.*]] = tensor.empty(%[[D0]], %[[N]]) : tensor<?x?xf32>
// CHECK: linalg.generic {indexing_maps = [#[[BCAST:.*]], #{{.*}}], {{.*}} ins(%[[X]] : tensor<?x1xf32>) outs(%[[INIT]] : tensor<?x?xf32>)
func.func @expand_runtime(%x: tensor<?x1xf32>, %s: tensor<2xi64>) -> tensor<*xf32> {
  %0 = onnx.node "Expand"(%x, %s) version 13 : (tensor<?x1xf32>, tensor<2xi64>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// Dims the node's type declares (ONNX's inference or
// moe-refine-onnx-shapes knew them) are static in the result whatever the
// run-time shape computes: what follows is tiled for them.
// CHECK-LABEL: func @reshape_runtime_declared
// CHECK: tensor.reshape %{{.*}}({{.*}}) : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<?x2xf32>
func.func @reshape_runtime_declared(%x: tensor<2x3xf32>, %s: tensor<2xi64>) -> tensor<?x2xf32> {
  %0 = onnx.node "Reshape"(%x, %s) version 14 : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}
