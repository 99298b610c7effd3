#!/usr/bin/env python3
"""An f16 (--f32: f32) attention and numpy's result: ONNX Attention-23 (GQA when the kv
heads are fewer; causal with --causal), or with --window W a moe-level MLIR
module (moe.attention with window_left = W, causal; --global G first tokens
that see and are seen by every position; --softcap C scores c tanh(s / c)),
which ONNX's Attention-23 cannot say.

    make_npu_attention.py OUT_DIR B H HKV S L D [--causal] [--window W [--global G]]
                          [--softcap C] [--mask] [--past P] [--seed S] [--f32]
                          [--dynamic-past]

With --mask the ONNX model takes an additive f16 attn_mask [B, 1, S, P + L]:
a distance bias, and in batch 1 the last 16 keys masked with -inf.

The reference computes in f32 from the f16 inputs; query i sees key j when
j <= i (causal) and j >= i - W (window). With --past P the model also takes
a KV cache of P positions (inputs past_key, past_value; outputs present_key,
present_value): the keys are the P cached ones followed by the L new ones,
and query i sits at position P + i.
"""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper

p = argparse.ArgumentParser()
p.add_argument("out")
for name in ("b", "h", "hkv", "s", "l", "d"):
    p.add_argument(name, type=int)
p.add_argument("--causal", action="store_true")
p.add_argument("--window", type=int, default=-1)
p.add_argument("--past", type=int, default=0)
p.add_argument("--global", dest="global_tokens", type=int, default=0)
p.add_argument("--softcap", type=float, default=0.0)
p.add_argument("--mask", action="store_true")
p.add_argument("--seed", type=int, default=11)
p.add_argument("--f32", action="store_true", help="f32 inputs and outputs (the CPU's flash form)")
p.add_argument("--dynamic-past", action="store_true",
               help="the cache's length (and the keys' in the mask and presents) symbolic")
a = p.parse_args()
dtype = np.float32 if a.f32 else np.float16
onnx_type = TensorProto.FLOAT if a.f32 else TensorProto.FLOAT16
mlir_type = "f32" if a.f32 else "f16"
rng = np.random.default_rng(a.seed)
q = rng.standard_normal((a.b, a.h, a.s, a.d)).astype(dtype)
k = rng.standard_normal((a.b, a.hkv, a.l, a.d)).astype(dtype)
v = rng.standard_normal((a.b, a.hkv, a.l, a.d)).astype(dtype)
causal = a.causal or a.window >= 0
pk = rng.standard_normal((a.b, a.hkv, a.past, a.d)).astype(dtype)
pv = rng.standard_normal((a.b, a.hkv, a.past, a.d)).astype(dtype)
present_k = np.concatenate([pk, k], axis=2)
present_v = np.concatenate([pv, v], axis=2)

group = a.h // a.hkv
kf = np.repeat(present_k.astype(np.float32), group, axis=1)
vf = np.repeat(present_v.astype(np.float32), group, axis=1)
scores = q.astype(np.float32) @ kf.transpose(0, 1, 3, 2) / np.sqrt(a.d)
if a.softcap > 0:
    scores = a.softcap * np.tanh(scores / a.softcap)
i = np.arange(a.s)[:, None] + a.past
j = np.arange(a.past + a.l)[None, :]
seen = np.ones((a.s, a.past + a.l), bool)
if causal:
    seen &= j <= i
if a.window >= 0:
    seen &= (j >= i - a.window) | (j < a.global_tokens) | (i < a.global_tokens)
total = a.past + a.l
mask = (-0.05 * np.abs(i - j)[None, None]).repeat(a.b, axis=0).astype(dtype)
if a.b > 1:
    mask[1, :, :, total - 16:] = -np.inf
if a.mask:
    scores = scores + mask.astype(np.float32)
scores = np.where(seen, scores, -np.inf)
e = np.exp(scores - scores.max(-1, keepdims=True))
ref = (e / e.sum(-1, keepdims=True)) @ vf

os.makedirs(os.path.join(a.out, "data"), exist_ok=True)
feeds = [q, k, v] + ([mask] if a.mask else []) + ([pk, pv] if a.past else [])
for n, x in enumerate(feeds):
    np.save(os.path.join(a.out, "data", f"input_{n}.npy"), x)
outputs = [ref.astype(dtype)] + ([present_k, present_v] if a.past else [])
for n, x in enumerate(outputs):
    np.save(os.path.join(a.out, "data", f"output_{n}.npy"), x)
element = onnx_type
if a.window < 0 and a.softcap == 0:
    ins = ["q", "k", "v"] + (["attn_mask"] if a.mask else []) + \
        ((["past_key", "past_value"] if a.mask else ["", "past_key", "past_value"])
         if a.past else [])
    outs = ["y"] + (["present_key", "present_value"] if a.past else [])
    node = helper.make_node("Attention", ins, outs, is_causal=int(causal), name="attention")
    inputs = [helper.make_tensor_value_info("q", element, list(q.shape)),
              helper.make_tensor_value_info("k", element, list(k.shape)),
              helper.make_tensor_value_info("v", element, list(v.shape))]
    if a.mask:
        inputs.append(helper.make_tensor_value_info("attn_mask", element, list(mask.shape)))
    outputs = [helper.make_tensor_value_info("y", element, list(q.shape))]
    if a.past:
        inputs += [helper.make_tensor_value_info("past_key", element, list(pk.shape)),
                   helper.make_tensor_value_info("past_value", element, list(pv.shape))]
        outputs += [helper.make_tensor_value_info("present_key", element, list(present_k.shape)),
                    helper.make_tensor_value_info("present_value", element, list(present_v.shape))]
    if a.dynamic_past:
        for info in inputs + outputs:
            dims = info.type.tensor_type.shape.dim
            if info.name in ("past_key", "past_value"):
                dims[2].dim_param = "past"
            elif info.name in ("present_key", "present_value"):
                dims[2].dim_param = "total"
            elif info.name == "attn_mask":
                dims[3].dim_param = "total"
    graph = helper.make_graph([node], "g", inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 23)])
    model.ir_version = 10
    onnx.save(model, os.path.join(a.out, "model.onnx"))
else:
    attrs = ", ".join((["causal"] if causal else []) +
                      ([f"window_left = {a.window} : i64"] if a.window >= 0 else []) +
                      ([f"num_global_tokens = {a.global_tokens} : i64"]
                       if a.global_tokens else []) +
                      ([f"softcap = {a.softcap} : f64"] if a.softcap > 0 else []))
    qt = f"tensor<{a.b}x{a.h}x{a.s}x{a.d}x{mlir_type}>"
    kt = f"tensor<{a.b}x{a.hkv}x{a.l}x{a.d}x{mlir_type}>"
    with open(os.path.join(a.out, "model.mlir"), "w") as f:
        f.write(f"""func.func @main(%q: {qt} {{onnx.name = "q"}}, %k: {kt} {{onnx.name = "k"}},
                  %v: {kt} {{onnx.name = "v"}}) -> ({qt} {{onnx.name = "y"}}) {{
  %y = moe.attention %q, %k, %v {{{attrs}}} : ({qt}, {kt}, {kt}) -> {qt}
  return %y : {qt}
}}
""")
