#!/usr/bin/env python3
"""Rewrites a float ONNX model for ONNX Runtime's int8 path with int8
activations: every MatMul by an initializer [K, N] with N >= 64 (what
moe-compile --quantize=int8 takes: routers, narrower, stay float) becomes
com.microsoft DynamicQuantizeMatMul with int8 weights, one symmetric scale
per output column (round to nearest over the full range); ORT quantizes
the activations at run time (one scale per call) and multiplies integers,
as moe-compile --quantize=int8 --int8-activations does (one scale per row).

    to_dynamic_quant.py IN.onnx OUT.onnx
"""
import sys

import os

import numpy as np
import onnx
from onnx import helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rewrite_matmuls import rewrite_weight_matmuls  # noqa: E402


def quantize(w):
    """w [K, N] -> int8 [K, N], scales [N]."""
    scale = np.abs(w).max(axis=0).astype(np.float64) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.rint(w / scale), -127, 127).astype(np.int8)
    return q, scale.astype(np.float32)


def main():
    src, dst = sys.argv[1], sys.argv[2]
    model = onnx.load(src)

    def replace(node, w, add):
        q, scales = quantize(w)
        base = node.input[1]
        add(q, base + "_q8")
        add(scales, base + "_scales")
        add(np.zeros(scales.shape, np.int8), base + "_zp")
        return helper.make_node(
            "DynamicQuantizeMatMul", [node.input[0], base + "_q8", base + "_scales", base + "_zp"],
            list(node.output), name=node.name, domain="com.microsoft")

    rewrite_weight_matmuls(model, lambda k, n: n >= 64, replace)
    onnx.save(model, dst)


if __name__ == "__main__":
    main()
