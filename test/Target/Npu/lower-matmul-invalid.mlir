// RUN: moe-opt %s --split-input-file --moe-attach-target=target=npu-910b-like --moe-npu-lower -verify-diagnostics
// RUN: not moe-opt %s --split-input-file --moe-npu-lower 2>&1 | FileCheck %s --check-prefix=NOTARGET
// NOTARGET: error: moe-npu-lower needs an npu.target on the module

func.func @f32(%a: tensor<32x32xf32>, %b: tensor<32x32xf32>) -> tensor<32x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<32x32xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<32x32xf32>) -> tensor<32x32xf32>
  // expected-error @+1 {{matmul of 'f32': the cube of npu-910b-like takes f16, bf16 (--npu-matmul-type computes f32 matmuls in f16 or bf16)}}
  %c = linalg.matmul ins(%a, %b : tensor<32x32xf32>, tensor<32x32xf32>) outs(%f : tensor<32x32xf32>) -> tensor<32x32xf32>
  return %c : tensor<32x32xf32>
}

// -----

func.func @odd(%a: tensor<32x32xf16>, %b: tensor<32x30xf16>) -> tensor<32x30xf16> {
  %zero = arith.constant 0.0 : f16
  %e = tensor.empty() : tensor<32x30xf16>
  %f = linalg.fill ins(%zero : f16) outs(%e : tensor<32x30xf16>) -> tensor<32x30xf16>
  // expected-error @+1 {{matmul 32x32 * 32x30: the NPU lowering needs N of a weight that is not constant a multiple of 16}}
  %c = linalg.matmul ins(%a, %b : tensor<32x32xf16>, tensor<32x30xf16>) outs(%f : tensor<32x30xf16>) -> tensor<32x30xf16>
  return %c : tensor<32x30xf16>
}

// -----

func.func @accumulate(%a: tensor<32x32xf16>, %b: tensor<32x32xf16>, %c0: tensor<32x32xf16>) -> tensor<32x32xf16> {
  // expected-error @+1 {{the NPU lowers matmuls into a zero fill only}}
  %c = linalg.matmul ins(%a, %b : tensor<32x32xf16>, tensor<32x32xf16>) outs(%c0 : tensor<32x32xf16>) -> tensor<32x32xf16>
  return %c : tensor<32x32xf16>
}

// -----

func.func @transpose(%a: tensor<32x16xf16>) -> tensor<16x32xf16> {
  %e = tensor.empty() : tensor<16x32xf16>
  // expected-error @+1 {{an operand indexed out of loop order (a transpose) has no NPU lowering yet}}
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (j, i)>, affine_map<(i, j) -> (i, j)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<32x16xf16>) outs(%e : tensor<16x32xf16>) {
  ^bb0(%x: f16, %o: f16):
    linalg.yield %x : f16
  } -> tensor<16x32xf16>
  return %r : tensor<16x32xf16>
}

// -----

func.func @tanh(%a: tensor<32x32xf16>) -> tensor<32x32xf16> {
  %e = tensor.empty() : tensor<32x32xf16>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<32x32xf16>) outs(%e : tensor<32x32xf16>) {
  ^bb0(%x: f16, %o: f16):
    // expected-error @+1 {{'math.tanh' on these operands has no vector-unit form yet}}
    %t = math.tanh %x : f16
    linalg.yield %t : f16
  } -> tensor<32x32xf16>
  return %r : tensor<32x32xf16>
}

// -----

func.func @prod(%a: tensor<32x32xf16>) -> tensor<32xf16> {
  %one = arith.constant 1.0 : f16
  %e = tensor.empty() : tensor<32xf16>
  %f = linalg.fill ins(%one : f16) outs(%e : tensor<32xf16>) -> tensor<32xf16>
  // expected-error @+1 {{the vector unit reduces with a sum or a max only}}
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%a : tensor<32x32xf16>) outs(%f : tensor<32xf16>) {
  ^bb0(%x: f16, %o: f16):
    %p = arith.mulf %o, %x : f16
    linalg.yield %p : f16
  } -> tensor<32xf16>
  return %r : tensor<32xf16>
}

// -----

func.func @slice(%a: tensor<4x32xf16>) -> tensor<16xf16> {
  // expected-error @+1 {{a strided or rank-reducing slice}}
  %s = tensor.extract_slice %a[1, 8] [1, 16] [1, 1] : tensor<4x32xf16> to tensor<16xf16>
  return %s : tensor<16xf16>
}

// -----

func.func @pad(%a: tensor<32xf16>) -> tensor<40xf16> {
  %z = arith.constant 0.0 : f16
  // expected-error @+1 {{'tensor.pad' has no NPU lowering yet}}
  %p = tensor.pad %a low[4] high[4] {
  ^bb0(%i: index):
    tensor.yield %z : f16
  } : tensor<32xf16> to tensor<40xf16>
  return %p : tensor<40xf16>
}

// -----

// expected-error @+1 {{the NPU needs static tensor shapes}}
func.func @dynamic(%a: tensor<?x32xf16>) -> tensor<?x32xf16> {
  return %a : tensor<?x32xf16>
}
