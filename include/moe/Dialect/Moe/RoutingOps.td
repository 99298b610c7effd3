//===- RoutingOps.td - Expert routing and expert FFN ops ---*- tablegen -*-===//

#ifndef MOE_DIALECT_MOE_ROUTINGOPS_TD
#define MOE_DIALECT_MOE_ROUTINGOPS_TD

include "moe/Dialect/Moe/MoeDialect.td"
include "moe/Dialect/Moe/MoeEnums.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Moe_RouteOp : Moe_Op<"route", [Pure, InferTypeOpAdaptor]> {
  let summary = "router logits to top-k expert weights and indices";
  let description = [{
    Scores the router logits of each token (`softmax` over experts, or an
    elementwise `sigmoid`), picks the top `k` experts and returns their
    weights and indices (i32), best first.

    - `bias` (shape [E]) is added to the scores for the selection only; the
      weights are the unbiased scores (DeepSeek-V3's correction bias).
    - `n_group`/`topk_group`: experts are split into `n_group` equal groups
      of consecutive experts; a group scores by its best biased score
      (`group_score = max`, DeepSeek-V2) or the sum of its two best
      (`sum_top2`, DeepSeek-V3); the experts of the groups not among the
      `topk_group` best compete for the top k with the score
      `outside_group_score` instead of theirs: -inf (the default) excludes
      them; HuggingFace's gates fill 0.0, which excludes them only while
      the biased scores of the kept experts stay positive.
    - `renormalize`: the k weights of a token are divided by their sum.
    - `routed_scaling_factor` multiplies the final weights.

    Example (Mixtral: softmax, top-2, renormalised):

    ```mlir
    %w, %i = moe.route softmax %logits {k = 2 : i64, renormalize}
        : tensor<?x8xf32> -> tensor<?x2xf32>, tensor<?x2xi32>
    ```
  }];
  let arguments = (ins
    Moe_FloatTensorOfRank<2>:$logits,
    Optional<Moe_FloatTensorOfRank<1>>:$bias,
    ConfinedAttr<I64Attr, [IntPositive]>:$k,
    Moe_ScoringAttr:$scoring,
    UnitAttr:$renormalize,
    ConfinedAttr<DefaultValuedAttr<I64Attr, "1">, [IntPositive]>:$n_group,
    ConfinedAttr<DefaultValuedAttr<I64Attr, "1">, [IntPositive]>:$topk_group,
    DefaultValuedAttr<Moe_GroupScoreAttr, "::mlir::moe::GroupScore::Max">:$group_score,
    DefaultValuedAttr<F64Attr, "-::std::numeric_limits<double>::infinity()">:$outside_group_score,
    DefaultValuedAttr<F64Attr, "1.0">:$routed_scaling_factor);
  let results = (outs Moe_FloatTensorOfRank<2>:$weights,
                      Moe_I32TensorOfRank<2>:$indices);
  let assemblyFormat = [{
    $scoring $logits (`bias` $bias^)? attr-dict `:` type($logits)
    (`,` type($bias)^)? `->` type($weights) `,` type($indices)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def Moe_ExpertsOp : Moe_Op<"experts", [Pure, AttrSizedOperandSegments,
    AllTypesMatch<["tokens", "result"]>]> {
  let summary = "routed expert FFNs combined by routing weights";
  let description = [{
    For each token t and each of its k slots j, expert e = indices[t, j]
    computes an FFN of the token and the result is the weighted sum
    `result[t] = sum_j weights[t, j] * ffn_e(tokens[t])` (an index outside
    [0, E) contributes nothing), plus the shared experts when present.

    Weights are stacked per expert in the layout of a linear layer
    (out x in): `fc1` [E, I, H], `fc2` [E, H, I], `fc3` [E, I, H]; biases
    `fc1_bias` [E, I], `fc2_bias` [E, H], `fc3_bias` [E, I].

    - `relu`, `gelu`, `silu`: ffn(x) = fc2(act(fc1(x))); fc3 must be absent.
    - `swiglu`: ffn(x) = fc2(silu(fc1(x)) * fc3(x)); fc3 is required.

    Shared experts are always on, for every token, with the same activation:
    `shared_fc1` [S, H], `shared_fc2` [H, S], `shared_fc3` [S, H] (several
    DeepSeek shared experts are one FFN of width S). With `shared_gate` [H]
    the shared output is scaled by sigmoid(tokens[t] . shared_gate)
    (Qwen-MoE).

    Example (Mixtral, 8 experts):

    ```mlir
    %y = moe.experts swiglu %x, %w, %i fc1 %w1 fc2 %w2 fc3 %w3
        : (tensor<?x64xf32>, tensor<?x2xf32>, tensor<?x2xi32>,
           tensor<8x128x64xf32>, tensor<8x64x128xf32>, tensor<8x128x64xf32>)
        -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins
    Moe_FloatTensorOfRank<2>:$tokens,
    Moe_FloatTensorOfRank<2>:$weights,
    Moe_IndexTensorOfRank<2>:$indices,
    Moe_FloatTensorOfRank<3>:$fc1,
    Moe_FloatTensorOfRank<3>:$fc2,
    Optional<Moe_FloatTensorOfRank<3>>:$fc3,
    Optional<Moe_FloatTensorOfRank<2>>:$fc1_bias,
    Optional<Moe_FloatTensorOfRank<2>>:$fc2_bias,
    Optional<Moe_FloatTensorOfRank<2>>:$fc3_bias,
    Optional<Moe_FloatTensorOfRank<2>>:$shared_fc1,
    Optional<Moe_FloatTensorOfRank<2>>:$shared_fc2,
    Optional<Moe_FloatTensorOfRank<2>>:$shared_fc3,
    Optional<Moe_FloatTensorOfRank<1>>:$shared_gate,
    Moe_ActivationAttr:$activation);
  let results = (outs Moe_FloatTensorOfRank<2>:$result);
  let assemblyFormat = [{
    $activation $tokens `,` $weights `,` $indices `fc1` $fc1 `fc2` $fc2
    (`fc3` $fc3^)? (`fc1_bias` $fc1_bias^)? (`fc2_bias` $fc2_bias^)?
    (`fc3_bias` $fc3_bias^)? (`shared_fc1` $shared_fc1^)?
    (`shared_fc2` $shared_fc2^)? (`shared_fc3` $shared_fc3^)?
    (`shared_gate` $shared_gate^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let extraClassDeclaration = [{
    /// True for the activations that multiply by a second projection (fc3).
    bool isGated() { return getActivation() == Activation::Swiglu; }

  private:
    ::llvm::LogicalResult verifySharedExperts();
  public:
  }];
  let hasVerifier = 1;
}

def Moe_DispatchOp : Moe_Op<"dispatch", [Pure, InferTypeOpAdaptor]> {
  let summary = "group token slots by expert (counting sort)";
  let description = [{
    Sorts the T*k token slots (slot s = t*k + j chose expert indices[t, j])
    by expert, stably, and gathers the token of each slot:
    `permutation[r]` is the slot at sorted row r, `sorted_tokens[r]` is
    `tokens[permutation[r] / k]`, and rows `offsets[e]` to `offsets[e+1]`
    belong to expert e. Slots whose index is outside [0, E) sort after
    `offsets[E]`.

    ```mlir
    %xs, %perm, %off = moe.dispatch %x, %i {num_experts = 8 : i64}
        : tensor<?x64xf32>, tensor<?x2xi32>
        -> tensor<?x64xf32>, tensor<?xi32>, tensor<9xi32>
    ```
  }];
  let arguments = (ins Moe_FloatTensorOfRank<2>:$tokens,
                   Moe_IndexTensorOfRank<2>:$indices,
                   ConfinedAttr<I64Attr, [IntPositive]>:$num_experts);
  let results = (outs Moe_FloatTensorOfRank<2>:$sorted_tokens,
                      Moe_I32TensorOfRank<1>:$permutation,
                      Moe_I32TensorOfRank<1>:$offsets);
  let assemblyFormat = [{
    $tokens `,` $indices attr-dict `:` type($tokens) `,` type($indices)
    `->` type($sorted_tokens) `,` type($permutation) `,` type($offsets)
  }];
  let hasVerifier = 1;
}

def Moe_GroupedMatmulOp : Moe_Op<"grouped_matmul", [Pure, InferTypeOpAdaptor]> {
  let summary = "ragged batched matmul over expert groups";
  let description = [{
    Rows `offsets[e]` to `offsets[e+1]` of `lhs` [N, K] are multiplied by the
    transpose of `rhs[e]` ([E, M, K], linear-layer layout) and `bias[e]` is
    added. Rows outside [offsets[0], offsets[E]) are zero. Offsets are
    ascending (moe.dispatch's are); others are clamped to the rows, and
    lowerings may then group rows differently, but every row of the result
    is written.

    ```mlir
    %h = moe.grouped_matmul %xs, %w1, %off
        : (tensor<?x64xf32>, tensor<8x128x64xf32>, tensor<9xi32>)
        -> tensor<?x128xf32>
    ```
  }];
  let arguments = (ins Moe_FloatTensorOfRank<2>:$lhs,
                   Moe_FloatTensorOfRank<3>:$rhs, Moe_I32TensorOfRank<1>:$offsets,
                   Optional<Moe_FloatTensorOfRank<2>>:$bias);
  let results = (outs Moe_FloatTensorOfRank<2>:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs `,` $offsets (`bias` $bias^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Moe_CombineOp : Moe_Op<"combine", [Pure, InferTypeOpAdaptor]> {
  let summary = "weighted scatter-add of expert rows back to token order";
  let description = [{
    `result[t] = sum_j weights[t, j] * expert_outputs[r]` where r is the
    sorted row whose `permutation[r]` is slot t*k + j: the inverse of
    `moe.dispatch`.

    ```mlir
    %y = moe.combine %ys, %perm, %w
        : (tensor<?x64xf32>, tensor<?xi32>, tensor<?x2xf32>) -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins Moe_FloatTensorOfRank<2>:$expert_outputs,
                   Moe_I32TensorOfRank<1>:$permutation,
                   Moe_FloatTensorOfRank<2>:$weights);
  let results = (outs Moe_FloatTensorOfRank<2>:$result);
  let assemblyFormat = [{
    $expert_outputs `,` $permutation `,` $weights attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // MOE_DIALECT_MOE_ROUTINGOPS_TD
