#!/usr/bin/env python3
"""An f16 MatMul model with both operands as inputs, and numpy's result
(exact products and sums, rounded to f16 once: what the cube computes up to
its f32 accumulation).

    make_npu_matmul.py OUT_DIR M K N [--chain P] [--model-only] [--seed S]

--chain P multiplies the product by a third input [N, P] (the first
product then lives in global memory between the two); --model-only skips
the test data (for timing big shapes).
"""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("m", type=int)
p.add_argument("k", type=int)
p.add_argument("n", type=int)
p.add_argument("--chain", type=int, default=0)
p.add_argument("--model-only", action="store_true")
p.add_argument("--seed", type=int, default=5)
args = p.parse_args()
m, k, n = args.m, args.k, args.n
f16 = TensorProto.FLOAT16
inputs = [helper.make_tensor_value_info("a", f16, [m, k]),
          helper.make_tensor_value_info("b", f16, [k, n])]
nodes = [helper.make_node("MatMul", ["a", "b"], ["c"], name="proj")]
out_shape = [m, n]
if args.chain:
    inputs.append(helper.make_tensor_value_info("d", f16, [n, args.chain]))
    nodes.append(helper.make_node("MatMul", ["c", "d"], ["e"], name="proj2"))
    out_shape = [m, args.chain]
graph = helper.make_graph(nodes, "g", inputs,
                          [helper.make_tensor_value_info(nodes[-1].output[0], f16, out_shape)])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
os.makedirs(os.path.join(args.out, "data"), exist_ok=True)
onnx.save(model, os.path.join(args.out, "model.onnx"))
if not args.model_only:
    rng = np.random.default_rng(args.seed)
    a = rng.standard_normal((m, k)).astype(np.float16)
    b = (rng.standard_normal((k, n)) / np.sqrt(k)).astype(np.float16)
    c = (a.astype(np.float64) @ b.astype(np.float64)).astype(np.float16)
    feeds = [a, b]
    if args.chain:
        d = (rng.standard_normal((n, args.chain)) / np.sqrt(n)).astype(np.float16)
        c = (c.astype(np.float64) @ d.astype(np.float64)).astype(np.float16)
        feeds.append(d)
    for i, x in enumerate(feeds):
        np.save(os.path.join(args.out, "data", f"input_{i}.npy"), x)
    np.save(os.path.join(args.out, "data", "output_0.npy"), c)
