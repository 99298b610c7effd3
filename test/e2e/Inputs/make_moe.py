#!/usr/bin/env python3
"""ONNX Runtime's com.microsoft MoE op and numpy's result.

    make_moe.py OUT_DIR KIND

KIND relu: 4 experts, top-2, biases, routing weights as they are; silu:
8 experts, top-2, weights renormalised over the two; qmoe4 and qmoe8: the
silu model as QMoE, its weights 4- or 8-bit unsigned with zero point
2^(bits-1) and a scale per output row (the float weights are the
dequantised ones); qmoe8a: qmoe8 over 40 tokens, the reference computed
as moe-compile --int8-activations defines it (each expert product's
input row rounded to int8, half to even, at 127 / max|row|; integer sums;
back to floats by max|row| / 127 and the weight scale, in f32).
Weights in the linear-layer layout: fc1 [E, inter, hidden], fc2 [E,
hidden, inter]. Some tokens are sent to the same expert, some experts get
none.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out, kind = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(11)
int8_activations = kind == "qmoe8a"
if int8_activations:
    kind = "qmoe8"
T, H, I = (40 if int8_activations else 9), 16, 32
E = 4 if kind == "relu" else 8
x = rng.standard_normal((T, H)).astype(np.float32)
router = rng.standard_normal((T, E)).astype(np.float32)
router[:, E - 1] -= 10  # the last expert is chosen by no token
w1 = (rng.standard_normal((E, I, H)) / 4).astype(np.float32)
w2 = (rng.standard_normal((E, H, I)) / 4).astype(np.float32)
bits = {"qmoe4": 4, "qmoe8": 8}.get(kind)
if bits:
    def quantized(shape):
        q = rng.integers(0, 2 ** bits, shape).astype(np.uint8)
        scale = (rng.random(shape[:2]) * 0.05 + 0.01).astype(np.float32)
        w = ((q.astype(np.float32) - 2 ** (bits - 1)) * scale[:, :, None]).astype(np.float32)
        packed = q if bits == 8 else (q[..., 0::2] | (q[..., 1::2] << 4)).astype(np.uint8)
        return w, packed, scale
    w1, q1, s1 = quantized((E, I, H))
    w2, q2, s2 = quantized((E, H, I))
b1 = rng.standard_normal((E, I)).astype(np.float32)
b2 = rng.standard_normal((E, H)).astype(np.float32)
normalize = kind != "relu"



def int8_product(q, zp, scale, row):
    """q [N, K] integers times `row` [K] quantized to int8, in f32."""
    row = row.astype(np.float32)
    top = np.float32(max(np.abs(row).max(), np.float32(1e-12)))
    qx = np.rint(row / top * np.float32(127)).astype(np.int64)
    sums = (q.astype(np.int64) - zp) @ qx
    return (sums.astype(np.float32) * (top / np.float32(127)) * scale).astype(np.float32)


probs = np.exp(router - router.max(axis=1, keepdims=True))
probs /= probs.sum(axis=1, keepdims=True)
y = np.zeros((T, H))
for t in range(T):
    top = np.argsort(-probs[t], kind="stable")[:2]
    w = probs[t, top]
    if normalize:
        w = w / w.sum()
    for e, weight in zip(top, w):
        if int8_activations:
            h = int8_product(q1[e], 128, s1[e], x[t])
            h = h / (np.float32(1) + np.exp(-h))
            y[t] += weight * int8_product(q2[e], 128, s2[e], h)
            continue
        h = w1[e].astype(np.float64) @ x[t]
        if kind == "relu":
            h = np.maximum(h + b1[e], 0)
            o = w2[e] @ h + b2[e]
        else:
            h = h / (1 + np.exp(-h))
            o = w2[e] @ h
        y[t] += weight * o

if bits:
    inputs = ["x", "router", "fc1", "fc1_s", "", "fc2", "fc2_s"]
    init = [numpy_helper.from_array(q1, "fc1"), numpy_helper.from_array(s1, "fc1_s"),
            numpy_helper.from_array(q2, "fc2"), numpy_helper.from_array(s2, "fc2_s")]
    node = helper.make_node("QMoE", inputs, ["y"], domain="com.microsoft", k=2,
                            activation_type="silu", normalize_routing_weights=1,
                            expert_weight_bits=bits)
else:
    inputs = ["x", "router", "fc1", "b1" if kind == "relu" else "", "fc2"]
    if kind == "relu":
        inputs.append("b2")
    init = [numpy_helper.from_array(w1, "fc1"), numpy_helper.from_array(w2, "fc2")]
    if kind == "relu":
        init += [numpy_helper.from_array(b1, "b1"), numpy_helper.from_array(b2, "b2")]
    node = helper.make_node("MoE", inputs, ["y"], domain="com.microsoft", k=2,
                            activation_type=kind, normalize_routing_weights=int(normalize))
graph = helper.make_graph([node], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [T, H]),
                           helper.make_tensor_value_info("router", TensorProto.FLOAT, [T, E])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [T, H])], init)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                helper.make_opsetid("com.microsoft", 1)])
model.ir_version = 8
os.makedirs(os.path.join(out, "data"), exist_ok=True)
onnx.save(model, os.path.join(out, "model.onnx"))
for name, array in (("input_0", x), ("input_1", router), ("output_0", y.astype(np.float32))):
    np.save(os.path.join(out, "data", name + ".npy"), array)
