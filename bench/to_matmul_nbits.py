#!/usr/bin/env python3
"""Rewrites a float ONNX model for ONNX Runtime's int4 path: every MatMul by
an initializer [K, N] with N >= 64 (what moe-compile --quantize=int4 takes:
routers, narrower, stay float) becomes com.microsoft MatMulNBits with
4-bit weights, round-to-nearest, asymmetric (zero points), in blocks of
BLOCK along K: the scheme of moe-compile --quantize=int4
--quantize-group=BLOCK --quantize-asymmetric --quantize-method=rtn, so both
sides run the same kind of weights.

    to_matmul_nbits.py IN.onnx OUT.onnx [BLOCK]
"""
import sys

import os

import numpy as np
import onnx
from onnx import helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rewrite_matmuls import rewrite_weight_matmuls  # noqa: E402


def quantize(w, block):
    """w [K, N] -> packed [N, K/block, block/2], scales [N*K/block], zero points packed."""
    k, n = w.shape
    blocks = k // block
    g = w.T.reshape(n, blocks, block).astype(np.float64)
    lo = np.minimum(g.min(axis=2), 0.0)
    hi = np.maximum(g.max(axis=2), 0.0)
    scale = (hi - lo) / 15.0
    scale[scale == 0] = 1.0
    zp = np.clip(np.round(-lo / scale), 0, 15).astype(np.uint8)
    q = np.clip(np.round(g / scale[:, :, None]) + zp[:, :, None], 0, 15).astype(np.uint8)
    q = q.reshape(n, k)
    packed = (q[:, 0::2] | (q[:, 1::2] << 4)).astype(np.uint8).reshape(n, blocks, block // 2)
    zpad = np.zeros((n, blocks + blocks % 2), np.uint8)
    zpad[:, :blocks] = zp
    zpacked = (zpad[:, 0::2] | (zpad[:, 1::2] << 4)).reshape(-1)
    return packed, scale.astype(np.float32).reshape(-1), zpacked


def main():
    src, dst = sys.argv[1], sys.argv[2]
    block = int(sys.argv[3]) if len(sys.argv) > 3 else 128
    model = onnx.load(src)

    def replace(node, w, add):
        k, n = w.shape
        packed, scales, zps = quantize(w, block)
        base = node.input[1]
        add(packed, base + "_q4")
        add(scales, base + "_scales")
        add(zps, base + "_zp")
        return helper.make_node(
            "MatMulNBits", [node.input[0], base + "_q4", base + "_scales", base + "_zp"],
            list(node.output), name=node.name, domain="com.microsoft", K=k, N=n, bits=4,
            block_size=block)

    rewrite_weight_matmuls(model, lambda k, n: n >= 64 and k % block == 0, replace)
    onnx.save(model, dst)


if __name__ == "__main__":
    main()
