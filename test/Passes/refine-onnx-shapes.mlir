// RUN: moe-opt %s --moe-refine-onnx-shapes | FileCheck %s

// torch's expand idiom (where(shape == -1, 1, shape)) over a static Shape:
// ONNX's inference left ?x8x?; the dims follow once the shape folds, and
// so do those of everything downstream that broadcasts, multiplies,
// transposes, concatenates, unsqueezes and reshapes.
// CHECK-LABEL: func.func @expand_idiom
// CHECK: onnx.node "Expand"{{.*}} -> tensor<1x8x1xf32>
// CHECK: onnx.node "MatMul"{{.*}} -> tensor<1x8x5xf32>
// CHECK: onnx.node "Transpose"{{.*}} -> tensor<1x5x8xf32>
// CHECK: onnx.node "Concat"{{.*}} -> tensor<1x5x16xf32>
// CHECK: onnx.node "Cos"{{.*}} -> tensor<1x5x16xf32>
// CHECK: onnx.node "Unsqueeze"{{.*}} -> tensor<1x1x5x16xf32>
// CHECK: onnx.node "Mul"{{.*}} -> tensor<1x4x5x16xf32>
// CHECK: onnx.node "Slice"{{.*}} -> tensor<1x4x5x8xf32>
// CHECK: onnx.node "Reshape"{{.*}} -> tensor<4x5x16xf32>
// The function's result keeps the type its signature gives it.
// CHECK: %[[LAST:.*]] = onnx.node "Neg"{{.*}} -> tensor<?x?x16xf32>
// CHECK: return %[[LAST]]
func.func @expand_idiom(%freq: tensor<1x8x1xf32>, %pos: tensor<1x1x5xf32>, %q: tensor<1x4x5x16xf32>) -> tensor<?x?x16xf32> {
  %shape_src = arith.constant dense<0.0> : tensor<1x8x1xf32>
  %s = onnx.node "Shape"(%shape_src) version 17 : (tensor<1x8x1xf32>) -> tensor<3xi64>
  %minus1 = arith.constant dense<-1> : tensor<3xi64>
  %one = arith.constant dense<1> : tensor<3xi64>
  %eq = onnx.node "Equal"(%s, %minus1) version 17 : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi1>
  %t = onnx.node "Where"(%eq, %one, %s) version 17 : (tensor<3xi1>, tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  %e = onnx.node "Expand"(%freq, %t) version 17 : (tensor<1x8x1xf32>, tensor<3xi64>) -> tensor<?x8x?xf32>
  %m = onnx.node "MatMul"(%e, %pos) version 17 : (tensor<?x8x?xf32>, tensor<1x1x5xf32>) -> tensor<?x8x5xf32>
  %tr = onnx.node "Transpose"(%m) version 17 attrs {perm = array<i64: 0, 2, 1>} : (tensor<?x8x5xf32>) -> tensor<?x5x8xf32>
  %c = onnx.node "Concat"(%tr, %tr) version 17 attrs {axis = -1 : i64} : (tensor<?x5x8xf32>, tensor<?x5x8xf32>) -> tensor<?x5x?xf32>
  %cos = onnx.node "Cos"(%c) version 7 : (tensor<?x5x?xf32>) -> tensor<?x5x?xf32>
  %axes = arith.constant dense<1> : tensor<1xi64>
  %u = onnx.node "Unsqueeze"(%cos, %axes) version 17 : (tensor<?x5x?xf32>, tensor<1xi64>) -> tensor<?x1x5x?xf32>
  %mul = onnx.node "Mul"(%q, %u) version 17 : (tensor<1x4x5x16xf32>, tensor<?x1x5x?xf32>) -> tensor<?x4x5x?xf32>
  %start = arith.constant dense<8> : tensor<1xi64>
  %end = arith.constant dense<9223372036854775807> : tensor<1xi64>
  %last = arith.constant dense<-1> : tensor<1xi64>
  %half = onnx.node "Slice"(%mul, %start, %end, %last) version 17 : (tensor<?x4x5x?xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?x?x?xf32>
  %newshape = arith.constant dense<[-1, 5, 16]> : tensor<3xi64>
  %r = onnx.node "Reshape"(%mul, %newshape) version 14 : (tensor<?x4x5x?xf32>, tensor<3xi64>) -> tensor<?x?x16xf32>
  %n = onnx.node "Neg"(%r) version 13 : (tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
  return %n : tensor<?x?x16xf32>
}

// A static dim is never changed, even where the operands disagree with it.
// CHECK-LABEL: func.func @static_kept
// CHECK: onnx.node "Add"{{.*}} -> tensor<3x?xf32>
func.func @static_kept(%a: tensor<3x?xf32>, %b: tensor<?x?xf32>) -> tensor<3x?xf32> {
  %s = onnx.node "Add"(%a, %b) version 14 : (tensor<3x?xf32>, tensor<?x?xf32>) -> tensor<3x?xf32>
  %n = onnx.node "Neg"(%s) version 13 : (tensor<3x?xf32>) -> tensor<3x?xf32>
  return %n : tensor<3x?xf32>
}

// rotate_half at a symbolic length: the half is shape[-1] // 2 (an
// integer Div), and ONNX's inference left the slices unranked; they learn
// their rank and every dim but the symbolic one, and so does what follows.
// CHECK-LABEL: func.func @rotate_half_symbolic
// CHECK: onnx.node "Slice"{{.*}} -> tensor<1x4x?x16xf32>
// CHECK: onnx.node "Neg"{{.*}} -> tensor<1x4x?x16xf32>
// CHECK: onnx.node "Concat"{{.*}} -> tensor<1x4x?x32xf32>
func.func @rotate_half_symbolic(%q: tensor<1x4x?x32xf32>) -> tensor<1x4x?x32xf32> {
  %shape = onnx.node "Shape"(%q) version 17 : (tensor<1x4x?x32xf32>) -> tensor<4xi64>
  %three = onnx.node "Constant"() version 17 attrs {value = dense<3> : tensor<i64>} : () -> tensor<i64>
  %d = onnx.node "Gather"(%shape, %three) version 17 attrs {axis = 0 : i64} : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
  %two = onnx.node "Constant"() version 17 attrs {value = dense<2> : tensor<i64>} : () -> tensor<i64>
  %half = onnx.node "Div"(%d, %two) version 17 : (tensor<i64>, tensor<i64>) -> tensor<i64>
  %zero = onnx.node "Constant"() version 17 attrs {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %start = onnx.node "Unsqueeze"(%half, %zero) version 17 : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %end = onnx.node "Constant"() version 17 attrs {value = dense<9223372036854775807> : tensor<1xi64>} : () -> tensor<1xi64>
  %axis = onnx.node "Constant"() version 17 attrs {value = dense<3> : tensor<1xi64>} : () -> tensor<1xi64>
  %step = onnx.node "Constant"() version 17 attrs {value = dense<1> : tensor<1xi64>} : () -> tensor<1xi64>
  %upper = onnx.node "Slice"(%q, %start, %end, %axis, %step) version 17 : (tensor<1x4x?x32xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %neg = onnx.node "Neg"(%upper) version 17 : (tensor<*xf32>) -> tensor<*xf32>
  %begin = onnx.node "Constant"() version 17 attrs {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %lower = onnx.node "Slice"(%q, %begin, %start, %axis, %step) version 17 : (tensor<1x4x?x32xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<*xf32>
  %cat = onnx.node "Concat"(%neg, %lower) version 17 attrs {axis = -1 : i64} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %out = onnx.node "Add"(%q, %cat) version 17 : (tensor<1x4x?x32xf32>, tensor<*xf32>) -> tensor<1x4x?x32xf32>
  return %out : tensor<1x4x?x32xf32>
}

// torch's view(b, s, -1) at a symbolic length: s is read off the input
// itself, so the -1 is what the static dims leave (16 x 64); the entries
// known at compile time (b) become constants, the shape computations only
// they used are gone, and the one read at run time stays.
// CHECK-LABEL: func.func @view_symbolic
// CHECK:     onnx.node "Gather"
// CHECK-NOT: onnx.node "Gather"
// CHECK:     %[[B:.*]] = arith.constant dense<1> : tensor<1xi64>
// CHECK:     %[[S:.*]] = onnx.node "Unsqueeze"
// CHECK:     %[[T:.*]] = onnx.node "Concat"(%[[B]], %[[S]], %{{.*}})
// CHECK:     onnx.node "Reshape"(%arg0, %[[T]]){{.*}} -> tensor<1x?x1024xf32>
func.func @view_symbolic(%x: tensor<1x?x16x64xf32>) -> tensor<?x?x?xf32> {
  %shape = onnx.node "Shape"(%x) version 17 : (tensor<1x?x16x64xf32>) -> tensor<4xi64>
  %zero = onnx.node "Constant"() version 17 attrs {value = dense<0> : tensor<i64>} : () -> tensor<i64>
  %one = onnx.node "Constant"() version 17 attrs {value = dense<1> : tensor<i64>} : () -> tensor<i64>
  %b = onnx.node "Gather"(%shape, %zero) version 17 attrs {axis = 0 : i64} : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
  %s = onnx.node "Gather"(%shape, %one) version 17 attrs {axis = 0 : i64} : (tensor<4xi64>, tensor<i64>) -> tensor<i64>
  %axes = onnx.node "Constant"() version 17 attrs {value = dense<0> : tensor<1xi64>} : () -> tensor<1xi64>
  %b1 = onnx.node "Unsqueeze"(%b, %axes) version 17 : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %s1 = onnx.node "Unsqueeze"(%s, %axes) version 17 : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %rest = onnx.node "Constant"() version 17 attrs {value = dense<-1> : tensor<1xi64>} : () -> tensor<1xi64>
  %target = onnx.node "Concat"(%b1, %s1, %rest) version 17 attrs {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<3xi64>
  %r = onnx.node "Reshape"(%x, %target) version 17 : (tensor<1x?x16x64xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  %n = onnx.node "Neg"(%r) version 17 : (tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  return %n : tensor<?x?x?xf32>
}
