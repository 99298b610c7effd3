// A Mixtral-8x7B sparse MoE block at the moe level: RMSNorm, router (softmax,
// top-2, renormalised) and eight SwiGLU experts of width 14336 over hidden
// size 4096, for any number of tokens. scripts/run-example.sh compiles it
// with --moe-optimize-pipeline and checks the result against the lines below.

// CHECK-LABEL: func @mixtral_moe_block
// CHECK: moe.rms_norm
// CHECK: %[[W:.*]], %[[I:.*]] = moe.route softmax %{{.*}} {k = 2 : i64, renormalize}
// CHECK: %[[XS:.*]], %[[PERM:.*]], %[[OFF:.*]] = moe.dispatch %{{.*}}, %[[I]] {num_experts = 8 : i64}
// CHECK: moe.grouped_matmul %[[XS]], %{{.*}}, %[[OFF]] : {{.*}} -> tensor<?x14336xf32>
// CHECK: moe.grouped_matmul %[[XS]], %{{.*}}, %[[OFF]] : {{.*}} -> tensor<?x14336xf32>
// CHECK: math.exp
// CHECK: moe.grouped_matmul %{{.*}}, %{{.*}}, %[[OFF]] : {{.*}} -> tensor<?x4096xf32>
// CHECK: moe.combine %{{.*}}, %[[PERM]], %[[W]]
// CHECK-NOT: moe.experts
func.func @mixtral_moe_block(%x: tensor<?x4096xf32>, %norm: tensor<4096xf32>,
    %router: tensor<4096x8xf32>, %w1: tensor<8x14336x4096xf32>,
    %w2: tensor<8x4096x14336xf32>, %w3: tensor<8x14336x4096xf32>) -> tensor<?x4096xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %h = moe.rms_norm %x, %norm {epsilon = 1.0e-5 : f64} : tensor<?x4096xf32>, tensor<4096xf32>
  %tokens = tensor.dim %x, %c0 : tensor<?x4096xf32>
  %init = tensor.empty(%tokens) : tensor<?x8xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%init : tensor<?x8xf32>) -> tensor<?x8xf32>
  %logits = linalg.matmul ins(%h, %router : tensor<?x4096xf32>, tensor<4096x8xf32>)
                          outs(%acc : tensor<?x8xf32>) -> tensor<?x8xf32>
  %weights, %experts = moe.route softmax %logits {k = 2 : i64, renormalize}
      : tensor<?x8xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
  %y = moe.experts swiglu %h, %weights, %experts fc1 %w1 fc2 %w2 fc3 %w3
      : (tensor<?x4096xf32>, tensor<?x2xf32>, tensor<?x2xi32>, tensor<8x14336x4096xf32>,
         tensor<8x4096x14336xf32>, tensor<8x14336x4096xf32>) -> tensor<?x4096xf32>
  return %y : tensor<?x4096xf32>
}
