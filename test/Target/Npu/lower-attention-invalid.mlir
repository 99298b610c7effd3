// RUN: moe-opt %s --split-input-file --moe-attach-target=target=npu-910b-like --moe-npu-lower -verify-diagnostics -o /dev/null

func.func @f32(%q: tensor<1x1x64x32xf32>, %k: tensor<1x1x64x32xf32>, %v: tensor<1x1x64x32xf32>) -> tensor<1x1x64x32xf32> {
  // expected-error @+1 {{attention of 'f32': the NPU computes it in f16 or bf16}}
  %y = moe.attention %q, %k, %v : (tensor<1x1x64x32xf32>, tensor<1x1x64x32xf32>, tensor<1x1x64x32xf32>) -> tensor<1x1x64x32xf32>
  return %y : tensor<1x1x64x32xf32>
}

// -----

func.func @bool_mask(%q: tensor<1x1x64x32xf16>, %k: tensor<1x1x64x32xf16>, %v: tensor<1x1x64x32xf16>, %m: tensor<1x1x64x64xi1>) -> tensor<1x1x64x32xf16> {
  // expected-error @+1 {{attention mask of type 'tensor<1x1x64x64xi1>': the NPU adds an f32 or f16 mask of shape [1 or 1, 1 or 1, 1 or 64, 64]}}
  %y = moe.attention %q, %k, %v mask %m : (tensor<1x1x64x32xf16>, tensor<1x1x64x32xf16>, tensor<1x1x64x32xf16>, tensor<1x1x64x64xi1>) -> tensor<1x1x64x32xf16>
  return %y : tensor<1x1x64x32xf16>
}

// -----

func.func @odd_mask(%q: tensor<1x1x40x32xf16>, %k: tensor<1x1x40x32xf16>, %v: tensor<1x1x40x32xf16>, %m: tensor<1x1x40x40xf16>) -> tensor<1x1x40x32xf16> {
  // expected-error @+1 {{an attention mask with lengths that are not multiples of 16 (padded on the NPU) has no NPU lowering yet}}
  %y = moe.attention %q, %k, %v mask %m : (tensor<1x1x40x32xf16>, tensor<1x1x40x32xf16>, tensor<1x1x40x32xf16>, tensor<1x1x40x40xf16>) -> tensor<1x1x40x32xf16>
  return %y : tensor<1x1x40x32xf16>
}

// -----

func.func @dim24(%q: tensor<1x1x32x24xf16>, %k: tensor<1x1x32x24xf16>, %v: tensor<1x1x32x24xf16>) -> tensor<1x1x32x24xf16> {
  // expected-error @+1 {{attention of head dim 24: the NPU needs a multiple of 16}}
  %y = moe.attention %q, %k, %v : (tensor<1x1x32x24xf16>, tensor<1x1x32x24xf16>, tensor<1x1x32x24xf16>) -> tensor<1x1x32x24xf16>
  return %y : tensor<1x1x32x24xf16>
}

// -----

func.func @layout(%q: tensor<1x1x64x32xf16>, %k: tensor<1x1x64x32xf16>, %v: tensor<1x1x64x32xf16>, %l: tensor<1x4x4xi1>) -> tensor<1x1x64x32xf16> {
  // expected-error @+1 {{attention with a block layout has no NPU lowering yet}}
  %y = moe.attention %q, %k, %v layout %l {block_size = 16 : i64} : (tensor<1x1x64x32xf16>, tensor<1x1x64x32xf16>, tensor<1x1x64x32xf16>, tensor<1x4x4xi1>) -> tensor<1x1x64x32xf16>
  return %y : tensor<1x1x64x32xf16>
}
