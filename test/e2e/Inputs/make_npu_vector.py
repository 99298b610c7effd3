#!/usr/bin/env python3
"""f16 models for the NPU's vector unit, and numpy's results (computed in
f32 from the f16 inputs, rounded to f16 once).

    make_npu_vector.py OUT_DIR KIND DIMS [--seed S]

KIND: softmax (Softmax over the last axis, times a weight row), rmsnorm
(RMSNormalization-23 with a weight), silu (x * sigmoid(x) * y, a SwiGLU's
elementwise half), scale (x * 0.125 - 1 + bias row / 2).
DIMS: e.g. 64x128 or 2x3x40x96.
"""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("kind", choices=["softmax", "rmsnorm", "silu", "scale"])
p.add_argument("dims")
p.add_argument("--seed", type=int, default=3)
args = p.parse_args()
shape = [int(d) for d in args.dims.split("x")]
rng = np.random.default_rng(args.seed)
f16 = TensorProto.FLOAT16
x = rng.standard_normal(shape).astype(np.float16)
w = (1 + 0.5 * rng.standard_normal(shape[-1])).astype(np.float16)
xf, wf = x.astype(np.float32), w.astype(np.float32)
inputs = [helper.make_tensor_value_info("x", f16, shape)]
feeds = [x]
inits = [numpy_helper.from_array(w, "w")]
opset = 17
if args.kind == "softmax":
    nodes = [helper.make_node("Softmax", ["x"], ["s"], axis=-1, name="softmax"),
             helper.make_node("Mul", ["s", "w"], ["out"], name="scale")]
    e = np.exp(xf - xf.max(-1, keepdims=True))
    ref = e / e.sum(-1, keepdims=True) * wf
elif args.kind == "rmsnorm":
    opset = 23
    nodes = [helper.make_node("RMSNormalization", ["x", "w"], ["out"], axis=-1, epsilon=1e-5,
                              name="norm")]
    ref = xf / np.sqrt((xf * xf).mean(-1, keepdims=True) + 1e-5) * wf
elif args.kind == "silu":
    y = rng.standard_normal(shape).astype(np.float16)
    inputs.append(helper.make_tensor_value_info("y", f16, shape))
    feeds.append(y)
    inits = []
    nodes = [helper.make_node("Sigmoid", ["x"], ["g"], name="gate"),
             helper.make_node("Mul", ["x", "g"], ["a"], name="silu"),
             helper.make_node("Mul", ["a", "y"], ["out"], name="up")]
    ref = xf / (1 + np.exp(-xf)) * y.astype(np.float32)
else:
    c = lambda name, v: numpy_helper.from_array(np.array(v, np.float16), name)
    inits += [c("eighth", 0.125), c("one", 1.0), c("two", 2.0)]
    nodes = [helper.make_node("Mul", ["x", "eighth"], ["a"], name="mul"),
             helper.make_node("Sub", ["a", "one"], ["b"], name="sub"),
             helper.make_node("Div", ["w", "two"], ["h"], name="half"),
             helper.make_node("Add", ["b", "h"], ["out"], name="add")]
    ref = xf * 0.125 - 1 + wf / 2
graph = helper.make_graph(nodes, "g", inputs, [helper.make_tensor_value_info("out", f16, shape)],
                          inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
model.ir_version = 10 if opset == 23 else 8
os.makedirs(os.path.join(args.out, "data"), exist_ok=True)
onnx.save(model, os.path.join(args.out, "model.onnx"))
for i, v in enumerate(feeds):
    np.save(os.path.join(args.out, "data", f"input_{i}.npy"), v)
np.save(os.path.join(args.out, "data", "output_0.npy"), ref.astype(np.float16))
