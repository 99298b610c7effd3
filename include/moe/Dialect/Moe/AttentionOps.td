//===- AttentionOps.td - Attention, norm and rotary ops ----*- tablegen -*-===//

#ifndef MOE_DIALECT_MOE_ATTENTIONOPS_TD
#define MOE_DIALECT_MOE_ATTENTIONOPS_TD

include "moe/Dialect/Moe/MoeDialect.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Moe_AttentionOp : Moe_Op<"attention", [Pure, AttrSizedOperandSegments,
    InferTypeOpAdaptor]> {
  let summary = "scaled dot-product attention with structured masks";
  let description = [{
    `output = softmax(mask(softcap(scale * Q K^T))) V` per batch and query
    head, with tensors in [batch, heads, seq, head_dim] layout:
    `query` [B, Hq, Sq, D], `key` [B, Hkv, Skv, D], `value` [B, Hkv, Skv, Dv].
    Hq must be a multiple of Hkv: query head h reads kv head h / (Hq / Hkv)
    (MHA when equal, MQA when Hkv = 1, GQA otherwise).

    With `past_key`/`past_value` ([B, Hkv, P, D] / [B, Hkv, P, Dv]) the keys
    are the past ones followed by the new ones, the op also returns
    `present_key`/`present_value` (the concatenation), and query i sits at
    position P + i (causal and window masks align bottom-right).

    The mask is the intersection of:
    - `causal`: query position p sees keys at positions <= p;
    - `window_left = L` / `window_right = R` (-1 unbounded): position p sees
      keys p - L .. p + R; a left window without `causal` needs a right bound;
    - `num_global_tokens = G`: the first G keys are seen by every query and
      the first G queries see every key (needs a window to widen);
    - `layout` (i1, [Hq or 1, ceil((P + Sq) / block_size), ceil(Skv_total /
      block_size)]): a block-sparse pattern over absolute positions (query
      at position p, key at k: block [p / block_size, k / block_size]),
      false blocks masked;
    - `mask` (broadcastable to [B, Hq, Sq, Skv_total]): i1 (false masks) or
      float (added to the scores).
    `scale` defaults to 1/sqrt(D); `softcap` c > 0 applies c * tanh(s / c).
    Rows with every key masked produce zeros.

    ```mlir
    %o = moe.attention %q, %k, %v {causal, window_left = 255 : i64}
        : (tensor<1x16x128x64xf32>, tensor<1x4x128x64xf32>,
           tensor<1x4x128x64xf32>) -> tensor<1x16x128x64xf32>
    ```
  }];
  let arguments = (ins
    Moe_FloatTensorOfRank<4>:$query,
    Moe_FloatTensorOfRank<4>:$key,
    Moe_FloatTensorOfRank<4>:$value,
    Optional<RankedTensorOf<[AnyFloat, I1], [HasAnyRankOfPred<[4]>],
                            "4-d tensor of floats or i1">>:$mask,
    Optional<Moe_FloatTensorOfRank<4>>:$past_key,
    Optional<Moe_FloatTensorOfRank<4>>:$past_value,
    Optional<RankedTensorOf<[I1], [HasAnyRankOfPred<[3]>],
                            "3-d tensor of i1">>:$layout,
    OptionalAttr<F64Attr>:$scale,
    DefaultValuedAttr<F64Attr, "0.0">:$softcap,
    UnitAttr:$causal,
    ConfinedAttr<DefaultValuedAttr<I64Attr, "-1">, [IntMinValue<-1>]>:$window_left,
    ConfinedAttr<DefaultValuedAttr<I64Attr, "-1">, [IntMinValue<-1>]>:$window_right,
    ConfinedAttr<DefaultValuedAttr<I64Attr, "0">, [IntNonNegative]>:$num_global_tokens,
    OptionalAttr<ConfinedAttr<I64Attr, [IntPositive]>>:$block_size);
  let results = (outs Moe_FloatTensorOfRank<4>:$output,
                      Variadic<Moe_FloatTensorOfRank<4>>:$present);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`mask` $mask^)?
    (`past` `(` $past_key^ `,` $past_value `)`)? (`layout` $layout^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def Moe_RmsNormOp : Moe_Op<"rms_norm", [Pure,
    AllTypesMatch<["input", "result"]>]> {
  let summary = "root-mean-square normalisation";
  let description = [{
    Normalises over the dimensions from `axis` to the last:
    `result = input / sqrt(mean(input^2) + epsilon) * scale`, with `scale`
    broadcastable to the normalised dimensions (trailing-aligned).

    ```mlir
    %y = moe.rms_norm %x, %g {epsilon = 1.0e-06 : f64}
        : tensor<?x1024xf32>, tensor<1024xf32>
    ```
  }];
  let arguments = (ins Moe_FloatTensor:$input, Moe_FloatTensor:$scale,
                   DefaultValuedAttr<F64Attr, "1.0e-5">:$epsilon,
                   DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs Moe_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale attr-dict `:` type($input) `,` type($scale)
  }];
  let hasVerifier = 1;
}

def Moe_RopeOp : Moe_Op<"rope", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "rotary position embedding";
  let description = [{
    Rotates the first `rotary_dim` (0 = all) features of `input`
    [B, H, S, D] in pairs by the angle whose cosine and sine are in `cos` and
    `sin` ([P, rotary_dim / 2]) at the token's position: `position_ids`
    [B or 1, S] when given, else 0 .. S-1. Pairs are (2i, 2i+1) with
    `interleaved`, else (i, i + rotary_dim / 2) (the half-split of Llama).

    ```mlir
    %y = moe.rope %x, %cos, %sin positions %pos
        : (tensor<1x16x8x64xf32>, tensor<4096x32xf32>, tensor<4096x32xf32>,
           tensor<1x8xi64>) -> tensor<1x16x8x64xf32>
    ```
  }];
  let arguments = (ins Moe_FloatTensorOfRank<4>:$input,
                   Moe_FloatTensorOfRank<2>:$cos, Moe_FloatTensorOfRank<2>:$sin,
                   Optional<Moe_IndexTensorOfRank<2>>:$position_ids,
                   UnitAttr:$interleaved,
                   ConfinedAttr<DefaultValuedAttr<I64Attr, "0">, [IntNonNegative]>:$rotary_dim);
  let results = (outs Moe_FloatTensorOfRank<4>:$result);
  let assemblyFormat = [{
    $input `,` $cos `,` $sin (`positions` $position_ids^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

#endif // MOE_DIALECT_MOE_ATTENTIONOPS_TD
