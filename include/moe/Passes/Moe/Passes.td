//===- Passes.td - Passes on the moe dialect ---------------*- tablegen -*-===//

#ifndef MOE_PASSES_MOE_PASSES_TD
#define MOE_PASSES_MOE_PASSES_TD

include "mlir/Pass/PassBase.td"

def MoeDecomposeExperts : Pass<"moe-decompose-experts"> {
  let summary = "Split moe.experts into dispatch, grouped matmuls and combine";
  let description = [{
    Rewrites each `moe.experts` whose number of experts is static into the
    dropless form: `moe.dispatch` groups the token slots by expert, one
    `moe.grouped_matmul` per projection runs each expert on its own tokens
    only, the activation (and the gate product of swiglu) is an elementwise
    `linalg.generic`, and `moe.combine` adds the weighted rows back in token
    order. Shared experts become dense contractions added to the result,
    scaled by the sigmoid of their gate when there is one.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::tensor::TensorDialect"];
}

def MoeRaiseMoe : Pass<"moe-raise-moe"> {
  let summary = "Raise exported MoE expert loops to moe.route + moe.experts";
  let description = [{
    Runs on the onnx level, before conversion. A HuggingFace MoE block
    exported by torch is its Python loop unrolled: per expert, NonZero over
    a one-hot slice of the top-k indices, a Gather of the chosen tokens, the
    expert FFN, a Gather of each slot's routing weight and a
    ScatterElements added into the output. A sum whose every term is such
    an expert (all E of the routing, each once, FFNs of one form with
    constant weights: swiglu, silu, relu or gelu, with or without biases),
    plus at most one shared expert (optionally gated by a sigmoid, as in
    Qwen-MoE), becomes `moe.route` (softmax or sigmoid scoring, top-k,
    renormalisation, scaling read from the graph) and one `moe.experts`
    with the weights stacked per expert. DeepSeek's group-limited routers
    (groups scored by their best expert or best two, the other groups'
    experts filled with a constant, V3's correction bias for the choice and
    the weights gathered from the unbiased scores) become the group
    attributes and bias of `moe.route`. Reshapes that keep rows, same-type
    casts, identities and no-op expands are seen through, so other sizes,
    expert counts, top-k, opsets and symbolic batch/sequence raise alike;
    anything else is left as it is.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::moe::MoeDialect"];
}

def MoeRaiseAttention : Pass<"moe-raise-attention"> {
  let summary = "Raise exported scaled dot-product attention to moe.attention";
  let description = [{
    Runs on the onnx level, before conversion. softmax((Q K^T) * scale +
    mask) V as torch exports it (a MatMul by a transposed K, Div or Mul by
    constants on either side, an additive mask, Softmax over the keys, a
    MatMul by V) becomes `moe.attention`. GQA's repeat_kv in front of K and
    V (Unsqueeze at axis 2, Expand along it, Reshape) is undone, so the op
    reads the kv heads themselves. A mask whose values are 0 and -inf
    (constants, or Trilu of a filled constant as torch's triu gives) and
    whose visible keys form a causal or sliding-window band becomes the
    `causal` / `window_left` / `window_right` attributes; any other additive
    float mask stays an operand. Anything else is left as it is.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::moe::MoeDialect"];
}

def MoeRefineOnnxShapes : Pass<"moe-refine-onnx-shapes"> {
  let summary = "Make static the onnx result dims that follow from operands";
  let description = [{
    Runs on the onnx level, before raising and conversion. ONNX's shape
    inference leaves unknown the dims of shapes that exporters compute in
    the graph (torch's expand idiom over Shape nodes) and of everything
    downstream. In program order, the result shapes of elementwise and
    broadcasting nodes, Expand, Reshape, Slice, Transpose, Squeeze,
    Unsqueeze, MatMul, Concat and ConstantOfShape are re-inferred from their
    operands (shape operands folded) and the dims that become known are made
    static. Static dims are never changed; results that reach anything but
    onnx nodes keep their types.
  }];
}

def MoeRaiseRope : Pass<"moe-raise-rope"> {
  let summary = "Raise exported rotary embeddings to moe.rope";
  let description = [{
    Runs on the onnx level, before conversion. HuggingFace's
    x * cos + rotate_half(x) * sin (rotate_half: Concat of the negated second
    half and the first half over the last axis) on a [B, H, S, D] input
    becomes `moe.rope` when cos and sin are provably half-split tables:
    Cos / Sin of Concat(freqs, freqs) computed in the graph (as a whole
    model's export computes them from the position ids), with one row per
    token for the whole batch. cos/sin given as graph inputs could hold
    anything and are left as they are.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::moe::MoeDialect"];
}

def MoeRaiseNorms : Pass<"moe-raise-norms"> {
  let summary = "Raise exported RMSNorm to moe.rms_norm, LayerNorm to its node";
  let description = [{
    Runs on the onnx level, before conversion. HuggingFace's RMSNorm as
    torch exports it, w * (x * 1/sqrt(mean(x^2, -1) + eps)) (Pow or a Mul
    of x by itself, ReduceMean over the last axis kept, Add of epsilon,
    Sqrt, Reciprocal or a Div, a Mul by x and a Mul by a 1-d weight, in
    either operand order), becomes one `moe.rms_norm` over the last axis.
    LayerNorm as torch exports it before opset 17, the same normalisation of
    x - mean(x, -1) times a 1-d weight plus a 1-d bias (optional), becomes
    one opset-17 `LayerNormalization` node over the last axis.
  }];
  let dependentDialects = ["::mlir::moe::MoeDialect"];
}

def MoeLowerQuantOps : Pass<"moe-lower-quant-ops"> {
  let summary = "moe.quantize, moe.dequantize, moe.qmatmul and moe.rms_norm as linalg";
  let description = [{
    Each op becomes one `linalg.generic` that computes its definition
    element by element: the scale and zero point are read through an
    indexing map for their layout (per tensor, per axis, blocked), and
    moe.qmatmul dequantizes each weight inside the contraction, so no float
    copy of the weights is made; over constant int4 weights it keeps them
    packed two to a byte and computes per group (LowerPackedQMatmul.cpp).
    A dequantized constant int4 tensor is stored packed as well, each
    element unpacked from its byte. moe.rms_norm becomes a sum of squares and
    an elementwise normalisation. This is the portable form every target
    can take; targets with integer matmul units use their own lowering
    instead.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::tensor::TensorDialect"];
}

def MoeLowerToLinalg : Pass<"moe-lower-to-linalg"> {
  let summary = "Every moe op a target without its own kernels takes, as linalg";
  let description = [{
    The patterns of moe-lower-quant-ops (quantization ops and rms_norm),
    plus moe.rope as one elementwise generic and moe.attention in its
    direct form: Q K^T with the kv heads repeated for GQA, one elementwise
    pass for scale, softcap and every mask kind (causal, window, global
    tokens, block layout, explicit mask), a softmax whose fully masked rows
    give zeros, then P V; and the dropless MoE ops: moe.route (scores,
    ranks, top-k by rank, renormalised), moe.dispatch (a counting sort),
    moe.grouped_matmul (a matmul per expert over its rows only) and
    moe.combine (the inverse permutation and a weighted sum). Narrow floats
    are computed in f32. Group-limited routing ranks the groups first and
    leaves the experts of the groups ranked too low their outside score.
    With `weight-tiles`, moe.qmatmul of constant 8-bit weights by a static
    number of rows that 8 divides is the weight dequantized (stored k-major)
    feeding a float matmul, which the CPU backend computes one tile of
    weights at a time inside the matmul; and a matmul of fewer rows by a
    weight dequantized from 8-bit constants (QDQ) becomes moe.qmatmul over
    the transposed integers; and per-channel 8-bit experts are kept once,
    k-major: an expert with 8 rows or more multiplies a float weight
    dequantized from them (which the CPU backend computes a panel at a
    time beside the rows), fewer rows read the integers directly.
    With `grouped-by-row`, moe.grouped_matmul is one op over all rows, each
    reading its expert's weights (integer ones dequantized as they are read,
    int4 kept packed): a GPU runs it as one kernel, with no loop over experts
    whose bounds are data.
    With `int8-activations`, moe.qmatmul of 8-bit weights with one scale
    per output channel or per tensor (experts' included: each expert then
    is one such product) quantizes its input rows at run time (round half
    to even of x * 127 / max|x| per row) and multiplies integers: an i32
    matmul generic, whose sums, less zero point times the row's integer
    sum, one elementwise pass scales by max|x| / 127 and the weight scale.
  }];
  let options = [
    Option<"groupedByRow", "grouped-by-row", "bool", /*default=*/"false",
           "moe.grouped_matmul as one op over all rows (for GPUs)">,
    Option<"weightTiles", "weight-tiles", "bool", /*default=*/"false",
           "8-bit qmatmul of many static rows as a dequantized weight feeding a "
           "float matmul, and per-channel 8-bit experts likewise (for the CPU, which "
           "tiles the dequantization into it)">,
    Option<"int8Activations", "int8-activations", "bool", /*default=*/"false",
           "products by 8-bit weights (per channel or per tensor) quantize their input "
           "rows to int8 at run time and sum integers in i32">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect"];
}

def MoeFuseSiblingMatmuls : Pass<"moe-fuse-sibling-matmuls"> {
  let summary = "Matmuls of one input by constant weights into one matmul";
  let description = [{
    Matmul generics (C = A B from zero, f32) that read the same input A by
    different constant static weights B_i [K, N_i] (attention's Q, K and V
    projections) become one matmul by the weights concatenated along N at
    compile time; each original result is a slice of it. The input is read
    once and narrow projections join a GEMM wide enough for the register
    tiles.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def MoeFuseElementwiseChains : Pass<"moe-fuse-elementwise-chains"> {
  let summary = "Fuse chains of elementwise linalg ops into their consumers";
  let description = [{
    An elementwise generic whose only user reads it element for element
    (through broadcasts too) is fused into that user, so a chain (scale,
    add, activation, casts) reads its inputs once and writes one result
    instead of a buffer per op. Whether reductions take producers is the
    target's call (`into-reductions`): on a CPU a producer fused into a
    reduction turns a contiguous read into a strided one (measured slower
    on the attention benchmark, 6.3 -> 8.8 ms); on a GPU, where every op is
    a kernel, the reducing thread recomputes the producer on values it
    reads anyway and a launch and a round trip through memory are saved.
    Contractions never take producers.

    With `through-concats` an elementwise op reading a concatenation (the
    rotary `x * cos + Concat(-x[..., h:], x[..., :h]) * sin` with tables
    given as graph inputs) becomes one op per concatenated piece over its
    slice of the result, so the concatenation is never written and the
    piece's producer (the negation) fuses in: one pass over x instead of
    five.
  }];
  let options = [
    Option<"intoReductions", "into-reductions", "bool", /*default=*/"false",
           "Fuse producers into reductions too">,
    Option<"throughConcats", "through-concats", "bool", /*default=*/"false",
           "Once the chains are fused, compute an elementwise op that reads a "
           "tensor.concat piece by piece (one op per concatenated input, each "
           "written in place) and fuse each piece's producer into it">,
  ];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def MoeQuantizeWeights : Pass<"moe-quantize-weights"> {
  let summary = "Weight-only int8/int4 quantization of constant matmul weights";
  let description = [{
    Post-training, data-free: every matmul of an activation by a constant
    f32 weight [K, N] becomes `moe.qmatmul` over integer weights [N, K]
    quantized per output channel (`group-size=0`) or per group of K, with
    symmetric (signed, no zero point) or asymmetric (unsigned with zero
    points) ranges. With `clip-search`, each channel or group tries ranges
    clipped to 100%, 97.5%, ... 50% of its extremes and keeps the one with
    the least squared error of the dequantised weights, instead of plain
    round-to-nearest over the full range. `layers=non-router` (the
    default) leaves matmuls that feed `moe.route` (the router) in float.
    When the module carries a target (`npu.target`), its element types
    decide: weights of a width it lacks are refused with a diagnostic, or,
    with `nearest-legal`, stored in the narrowest width it has above.
  }];
  let options = [
    Option<"bits", "bits", "int64_t", "8", "Weight bits: 8 or 4">,
    Option<"groupSize", "group-size", "int64_t", "0",
           "Weights per scale along K (0: one scale per output channel)">,
    Option<"symmetric", "symmetric", "bool", "true",
           "Signed weights without zero points (else unsigned with zero points)">,
    Option<"clipSearch", "clip-search", "bool", "true",
           "Search a clipping ratio per channel or group (else round-to-nearest)">,
    Option<"layers", "layers", "std::string", "\"non-router\"",
           "Which matmuls: all, or non-router (routers stay float)">,
    Option<"minColumns", "min-columns", "int64_t", "64",
           "Matmuls with fewer output columns stay float: they save little, and "
           "are the routers of exports not raised to moe.route">,
    Option<"nearestLegal", "nearest-legal", "bool", "false",
           "On a target without the requested width, use the next wider one it has">,
    Option<"report", "report", "std::string", "",
           "Write each layer's weight error (max and RMS, relative) to this file ('-': stderr)">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::moe::MoeDialect"];
}

#endif // MOE_PASSES_MOE_PASSES_TD
