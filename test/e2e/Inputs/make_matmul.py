#!/usr/bin/env python3
"""A MatMul model (activation times a constant weight) and numpy's result.

    make_matmul.py OUT_DIR M K N [SEED]
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def write_matmul(out, a, w, c):
    """OUT_DIR/model.onnx computing a @ w (w an initializer), with a as
    input_0 and `c` as the expected output_0."""
    write_model(out, [helper.make_node("MatMul", ["a", "w"], ["c"])], {"w": w}, a, c)


def write_model(out, nodes, initializers, a, c, opset=17):
    """OUT_DIR/model.onnx of `nodes` from input a to output c (of their
    numpy types), with the named numpy `initializers`; a as input_0 and `c`
    as the expected output_0."""
    a_type, c_type = (onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[v.dtype] for v in (a, c))
    graph = helper.make_graph(nodes, "g",
                              [helper.make_tensor_value_info("a", a_type, list(a.shape))],
                              [helper.make_tensor_value_info("c", c_type, list(c.shape))],
                              [numpy_helper.from_array(v, name) for name, v in initializers.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    # IR 10 came with opset 21 (blocked quantization); 8 keeps older readers.
    model.ir_version = 10 if opset >= 21 else 8
    os.makedirs(os.path.join(out, "data"), exist_ok=True)
    onnx.save(model, os.path.join(out, "model.onnx"))
    np.save(os.path.join(out, "data", "input_0.npy"), a)
    np.save(os.path.join(out, "data", "output_0.npy"), c)


if __name__ == "__main__":
    m, k, n = (int(v) for v in sys.argv[2:5])
    rng = np.random.default_rng(int(sys.argv[5]) if len(sys.argv) > 5 else 3)
    a = rng.standard_normal((m, k)).astype(np.float32)
    w = rng.standard_normal((k, n)).astype(np.float32)
    c = (a.astype(np.float64) @ w.astype(np.float64)).astype(np.float32)
    write_matmul(sys.argv[1], a, w, c)
