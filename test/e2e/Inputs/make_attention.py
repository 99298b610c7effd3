#!/usr/bin/env python3
"""Opset-23 RotaryEmbedding and Attention models with numpy's results.

    make_attention.py OUT_DIR KIND

KIND: rope (half-split, partial rotary dim, position ids), rope-interleaved,
gqa-causal (8 query heads over 2 kv heads, causal), mask (4 heads, a
boolean mask with some fully masked rows, softcap), past (a KV cache: past
keys/values concatenated, causal aligned to the end, present outputs).
The references follow the ONNX operator definitions, written here in numpy.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out, kind = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(5)


def vi(name, array):
    return helper.make_tensor_value_info(name, onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[array.dtype],
                                         list(array.shape))


def save(node, inputs, outputs):
    graph = helper.make_graph([node], "g", [vi(n, a) for n, a in inputs],
                              [vi(n, a) for n, a in outputs])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 23)])
    model.ir_version = 10
    os.makedirs(os.path.join(out, "data"), exist_ok=True)
    onnx.save(model, os.path.join(out, "model.onnx"))
    for prefix, pairs in (("input", inputs), ("output", outputs)):
        for i, (name, array) in enumerate(pairs):
            np.save(os.path.join(out, "data", f"{prefix}_{i}.npy"), array)


def rope(x, cos, sin, pos, rotary, interleaved):
    # x [B, H, S, D]; cos/sin [P, rotary / 2]; pos [B, S]
    c = cos[pos][:, None, :, :]
    s = sin[pos][:, None, :, :]
    rot, rest = x[..., :rotary], x[..., rotary:]
    if interleaved:
        x1, x2 = rot[..., 0::2], rot[..., 1::2]
    else:
        x1, x2 = np.split(rot, 2, axis=-1)
    real, imag = c * x1 - s * x2, s * x1 + c * x2
    if interleaved:
        rot = np.stack([real, imag], axis=-1).reshape(rot.shape)
    else:
        rot = np.concatenate([real, imag], axis=-1)
    return np.concatenate([rot, rest], axis=-1)


def attention(q, k, v, causal=False, mask=None, softcap=0.0, past=0):
    # q [B, Hq, S, D]; k, v [B, Hkv, T, D]
    groups = q.shape[1] // k.shape[1]
    k = np.repeat(k, groups, axis=1)
    v = np.repeat(v, groups, axis=1)
    s = q.astype(np.float64) @ k.astype(np.float64).transpose(0, 1, 3, 2) / np.sqrt(q.shape[-1])
    if softcap > 0:
        s = softcap * np.tanh(s / softcap)
    visible = np.ones(s.shape, dtype=bool)
    if causal:
        qpos = past + np.arange(s.shape[2])[:, None]
        visible &= np.arange(s.shape[3])[None, :] <= qpos
    if mask is not None:
        visible &= np.broadcast_to(mask, s.shape)
    s = np.where(visible, s, -np.inf)
    m = s.max(axis=-1, keepdims=True)
    e = np.where(visible, np.exp(s - np.where(np.isfinite(m), m, 0)), 0)
    total = e.sum(axis=-1, keepdims=True)
    p = np.where(total > 0, e / np.where(total > 0, total, 1), 0)
    return (p @ v.astype(np.float64)).astype(np.float32)


f32 = np.float32
if kind.startswith("rope"):
    interleaved = kind == "rope-interleaved"
    B, H, S, D, P, rotary = 2, 3, 5, 16, 12, 8 if not interleaved else 16
    x = rng.standard_normal((B, H, S, D)).astype(f32)
    angles = rng.uniform(0, 6, (P, rotary // 2))
    cos, sin = np.cos(angles).astype(f32), np.sin(angles).astype(f32)
    pos = rng.integers(0, P, (B, S)).astype(np.int64)
    node = helper.make_node("RotaryEmbedding", ["x", "cos", "sin", "pos"], ["y"],
                            interleaved=int(interleaved), rotary_embedding_dim=rotary)
    save(node, [("x", x), ("cos", cos), ("sin", sin), ("pos", pos)],
         [("y", rope(x, cos, sin, pos, rotary, interleaved).astype(f32))])
elif kind == "gqa-causal":
    q = rng.standard_normal((2, 8, 16, 32)).astype(f32)
    k = rng.standard_normal((2, 2, 16, 32)).astype(f32)
    v = rng.standard_normal((2, 2, 16, 32)).astype(f32)
    node = helper.make_node("Attention", ["q", "k", "v"], ["y"], is_causal=1)
    save(node, [("q", q), ("k", k), ("v", v)], [("y", attention(q, k, v, causal=True))])
elif kind == "mask":
    q = rng.standard_normal((1, 4, 6, 8)).astype(f32)
    k = rng.standard_normal((1, 4, 7, 8)).astype(f32)
    v = rng.standard_normal((1, 4, 7, 8)).astype(f32)
    mask = rng.random((1, 1, 6, 7)) < 0.6
    mask[0, 0, 2, :] = False  # a row with every key masked gives zeros
    node = helper.make_node("Attention", ["q", "k", "v", "mask"], ["y"], softcap=2.0)
    save(node, [("q", q), ("k", k), ("v", v), ("mask", mask)],
         [("y", attention(q, k, v, mask=mask, softcap=2.0))])
elif kind == "past":
    q = rng.standard_normal((1, 4, 3, 8)).astype(f32)
    k = rng.standard_normal((1, 2, 3, 8)).astype(f32)
    v = rng.standard_normal((1, 2, 3, 8)).astype(f32)
    pk = rng.standard_normal((1, 2, 5, 8)).astype(f32)
    pv = rng.standard_normal((1, 2, 5, 8)).astype(f32)
    keys, values = np.concatenate([pk, k], axis=2), np.concatenate([pv, v], axis=2)
    node = helper.make_node("Attention", ["q", "k", "v", "", "pk", "pv"], ["y", "pk_out", "pv_out"],
                            is_causal=1)
    save(node, [("q", q), ("k", k), ("v", v), ("pk", pk), ("pv", pv)],
         [("y", attention(q, keys, values, causal=True, past=5)), ("pk_out", keys),
          ("pv_out", values)])
else:
    sys.exit(f"unknown kind {kind}")
