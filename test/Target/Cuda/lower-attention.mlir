// RUN: moe-opt %s --moe-cuda-lower-attention --split-input-file | FileCheck %s

// One thread per (batch, query head, query row): GQA head h reads kv head
// h / 4, the causal window leaves keys [max(0, i - 40), min(S, i + 1)),
// which is all the loop visits; query and output rows live in registers
// (32 + 2 loop-carried values), the output is written once.
// CHECK-LABEL: func.func @causal_window
// CHECK: %[[Q:.*]] = bufferization.to_buffer %arg0 read_only
// CHECK: %[[OUT:.*]] = memref.alloc() : memref<1x8x96x32xf32>
// CHECK: scf.parallel (%[[B:.*]], %[[H:.*]], %[[I:.*]]) =
// CHECK: %[[KVH:.*]] = arith.divui %[[H]], %c4
// CHECK-COUNT-32: memref.load %[[Q]][%[[B]], %[[H]], %[[I]],
// CHECK: %[[END:.*]] = arith.addi %[[I]], %c1
// CHECK: %[[HI:.*]] = arith.minsi %[[END]], %c96
// CHECK: %[[FROM:.*]] = arith.subi %[[I]], %c40
// CHECK: %[[LO:.*]] = arith.maxsi %[[FROM]], %c0
// CHECK: %[[HI2:.*]] = arith.maxsi %[[HI]], %[[LO]]
// CHECK: scf.for %{{.*}} = %[[LO]] to %[[HI2]] step %{{.*}} iter_args({{.*}}) -> (f32, f32, f32,
// CHECK: math.exp
// CHECK: math.exp
// CHECK: scf.yield
// CHECK-COUNT-32: memref.store {{.*}}, %[[OUT]]
// CHECK: bufferization.to_tensor %[[OUT]] restrict writable
// CHECK-NOT: moe.attention
func.func @causal_window(%q: tensor<1x8x96x32xf32>, %k: tensor<1x2x96x32xf32>, %v: tensor<1x2x96x32xf32>) -> tensor<1x8x96x32xf32> {
  %o = moe.attention %q, %k, %v {causal, window_left = 40 : i64}
      : (tensor<1x8x96x32xf32>, tensor<1x2x96x32xf32>, tensor<1x2x96x32xf32>) -> tensor<1x8x96x32xf32>
  return %o : tensor<1x8x96x32xf32>
}

// -----

// An explicit mask keeps the portable form.
// CHECK-LABEL: func.func @masked
// CHECK: moe.attention
func.func @masked(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>,
                  %m: tensor<1x1x8x8xf32>) -> tensor<1x2x8x16xf32> {
  %o = moe.attention %q, %k, %v mask %m
      : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x1x8x8xf32>) -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// One query row (a decode step) is too few threads: the portable form
// spreads the keys over threads instead.
// CHECK-LABEL: func.func @decode
// CHECK: moe.attention
func.func @decode(%q: tensor<1x8x1x64xf32>, %k: tensor<1x2x512x64xf32>, %v: tensor<1x2x512x64xf32>) -> tensor<1x8x1x64xf32> {
  %o = moe.attention %q, %k, %v {causal}
      : (tensor<1x8x1x64xf32>, tensor<1x2x512x64xf32>, tensor<1x2x512x64xf32>) -> tensor<1x8x1x64xf32>
  return %o : tensor<1x8x1x64xf32>
}
