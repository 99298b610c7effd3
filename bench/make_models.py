#!/usr/bin/env python3
"""Makes the benchmark models and their inputs (not kept in git).

    make_models.py OUT_DIR [--large]

Each model gets OUT_DIR/<name>/model.onnx, test_data_set_0/input_N.pb (and
the reference output_N.pb), and inputs.json naming the raw little-endian
input files (input_N.bin) and shapes for the ONNX Runtime side. Models
whose cost has a floor write limits.json: the FLOPs they must do and the
bytes they must read (the chosen experts' weights for one token), which
compare.py divides by this machine's measured FMA peak and read bandwidth.

--large adds the issue-8 sizes (hidden 1024: a Mixtral-style block with 8
experts of width 2816, top-2; a DeepSeek-style block with 2 shared and 64
routed experts of width 512, top-6; GQA attention with 16 query and 4 kv
heads of dim 64 at sequence 2048, causal and with a 256-token window, as
blocks with their projections and as the attention alone; the attention
alone with HuggingFace's run-time padding mask, and one decode step over a
KV cache of 2047), a few GB of
exports and minutes of compiling.
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
EXPORTERS = os.path.join(HERE, "..", "test", "Frontend", "Onnx", "Inputs")
E2E_INPUTS = os.path.join(HERE, "..", "test", "e2e", "Inputs")


def save_inputs(folder, names, arrays, outputs=()):
    data = os.path.join(folder, "test_data_set_0")
    os.makedirs(data, exist_ok=True)
    spec = []
    for i, (name, array) in enumerate(zip(names, arrays)):
        with open(os.path.join(data, f"input_{i}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(array, name).SerializeToString())
        array.astype(array.dtype.newbyteorder("<")).tofile(os.path.join(folder, f"input_{i}.bin"))
        spec.append({"name": name, "file": f"input_{i}.bin", "shape": list(array.shape),
                     "dtype": str(array.dtype)})
    for i, (name, array) in enumerate(outputs):
        with open(os.path.join(data, f"output_{i}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(array, name).SerializeToString())
    with open(os.path.join(folder, "inputs.json"), "w") as f:
        json.dump(spec, f)


def matmul(out, n=1024):
    folder = os.path.join(out, f"matmul{n}")
    os.makedirs(folder, exist_ok=True)
    vi = [helper.make_tensor_value_info(x, TensorProto.FLOAT, [n, n]) for x in "abc"]
    graph = helper.make_graph([helper.make_node("MatMul", ["a", "b"], ["c"], name="mm")], "g",
                              vi[:2], vi[2:])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, os.path.join(folder, "model.onnx"))
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    c = (a.astype(np.float64) @ b.astype(np.float64)).astype(np.float32)
    save_inputs(folder, ["a", "b"], [a, b], [("c", c)])


def exported(out, name, script, flags):
    """A torch export; its test data (torch's output) comes from the script."""
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    data = os.path.join(folder, "test_data_set_0")
    subprocess.run([sys.executable, os.path.join(EXPORTERS, script),
                    os.path.join(folder, "model.onnx"), "--data", data] + flags,
                   check=True, stderr=subprocess.DEVNULL)
    model = onnx.load(os.path.join(folder, "model.onnx"))
    names = [i.name for i in model.graph.input]
    arrays = []
    for i in range(len(names)):
        t = onnx.TensorProto()
        with open(os.path.join(data, f"input_{i}.pb"), "rb") as f:
            t.ParseFromString(f.read())
        arrays.append(numpy_helper.to_array(t))
    save_inputs(folder, names, arrays)
    # save_inputs rewrote the inputs only; torch's outputs stay.


def linear_pair(out, prefix, m=1, k=4096, n=4096, block=128):
    """m rows (1: a decode step; 128: a prefill) through a k x n linear
    layer twice, PREFIX_int4 and PREFIX_fp32: int4 MatMulNBits (blocks of
    `block`, zero points), and fp32 MatMul with the same weights
    dequantised, so their rows compare int4 with fp32."""
    nbits = os.path.join(out, f"{prefix}_int4")
    subprocess.run([sys.executable, os.path.join(E2E_INPUTS, "make_matmul_nbits.py"), nbits,
                    str(m), str(k), str(n), str(block), "zp"], check=True)
    a = np.load(os.path.join(nbits, "data", "input_0.npy"))
    y = np.load(os.path.join(nbits, "data", "output_0.npy"))
    save_inputs(nbits, ["A"], [a], [("Y", y)])
    # The fp32 weights: B^T from the reference itself, A @ W = y.
    model = onnx.load(os.path.join(nbits, "model.onnx"))
    init = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    q = np.empty((n, k), np.uint8)
    q[:, 0::2] = init["B"].reshape(n, k // 2) & 15
    q[:, 1::2] = init["B"].reshape(n, k // 2) >> 4
    packed = init["zp"].reshape(n, -1)
    zp = np.empty((n, 2 * packed.shape[1]), np.uint8)
    zp[:, 0::2], zp[:, 1::2] = packed & 15, packed >> 4
    w = ((q.reshape(n, k // block, block).astype(np.float32) - zp[:, :k // block, None]) *
         init["scales"].reshape(n, k // block, 1)).reshape(n, k)
    dense = os.path.join(out, f"{prefix}_fp32")
    os.makedirs(dense, exist_ok=True)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["A", "W"], ["Y"])], "g",
        [helper.make_tensor_value_info("A", TensorProto.FLOAT, [m, k])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [m, n])],
        [numpy_helper.from_array(np.ascontiguousarray(w.T), "W")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, os.path.join(dense, "model.onnx"))
    save_inputs(dense, ["A"], [a], [("Y", y)])


def qdq_matmul(out, name, m, k=2048, n=2048):
    """A linear layer with QDQ int8 weights (DequantizeLinear per channel,
    zero points), as quantization tools export them: m rows (128 prefill,
    1 decode) through the same k x n weights on both sides."""
    folder = os.path.join(out, name)
    subprocess.run([sys.executable, os.path.join(E2E_INPUTS, "make_qdq_matmul.py"), folder,
                    str(m), str(k), str(n)], check=True)
    a = np.load(os.path.join(folder, "data", "input_0.npy"))
    c = np.load(os.path.join(folder, "data", "output_0.npy"))
    save_inputs(folder, ["a"], [a], [("c", c)])
    write_limits(out, name, flops=2 * m * k * n if m > 1 else 0,
                 read_bytes=k * n if m == 1 else 0)


def write_limits(out, name, flops=0, read_bytes=0):
    with open(os.path.join(out, name, "limits.json"), "w") as f:
        json.dump({"flops": flops, "bytes": read_bytes}, f)


def moe_block(out, name, style, hidden, ffn, experts, top_k, seq, shared=0):
    """An exported MoE block and its floor: prefill does the chosen experts'
    FLOPs; one token reads the chosen experts' weights (and the shared ones)."""
    flags = ["--style", style, "--hidden", str(hidden), "--ffn", str(ffn),
             "--experts", str(experts), "--top-k", str(top_k), "--seq", str(seq),
             "--opset", "17"]
    if style == "deepseek":
        flags += ["--shared", str(shared)]
    exported(out, name, "export_moe_block.py", flags)
    expert = 3 * hidden * ffn
    shared_params = 3 * hidden * ffn * shared
    router = hidden * experts
    flops = 2 * seq * (top_k * expert + shared_params + router)
    read = 4 * (top_k * expert + shared_params + router)
    write_limits(out, name, flops=flops, read_bytes=read if seq == 1 else 0)


def quantized_variant(out, source, name, flags, bytes_per_float):
    """A copy of the float block `source` that moe compiles with `flags`;
    its outputs are compared with the float model's (quantized weights are
    not exact), and one token's floor reads `bytes_per_float` bytes per
    float weight byte. Returns the copy's folder."""
    src, folder = os.path.join(out, source), os.path.join(out, name)
    if os.path.exists(folder):
        shutil.rmtree(folder)
    shutil.copytree(src, folder)
    with open(os.path.join(folder, "moe-flags.txt"), "w") as f:
        f.write(flags + "\n")
    with open(os.path.join(folder, "tolerance.json"), "w") as f:
        json.dump({"atol": 0.1, "rtol": 0}, f)
    limits = os.path.join(folder, "limits.json")
    if os.path.exists(limits):
        with open(limits) as f:
            values = json.load(f)
        values["bytes"] = values["bytes"] * bytes_per_float
        with open(limits, "w") as f:
            json.dump(values, f)
    return folder


def int4_variant(out, source, name, block=128):
    """The same block run int4: moe compiles the float export with
    --quantize=int4 (RTN, zero points, blocks of `block`); ONNX Runtime runs
    it rewritten to MatMulNBits with the same scheme (ort.onnx)."""
    # An eighth of the float weights' bytes, plus scales and zero points.
    folder = quantized_variant(out, source, name,
                               f"--quantize=int4 --quantize-group={block} "
                               "--quantize-asymmetric --quantize-method=rtn",
                               (0.5 + 8 / block) / 4)
    subprocess.run([sys.executable, os.path.join(HERE, "to_matmul_nbits.py"),
                    os.path.join(folder, "model.onnx"), os.path.join(folder, "ort.onnx"),
                    str(block)], check=True)


def int8_variant(out, source, name):
    """The same block compiled with --quantize=int8 (per channel, the
    quantizer's default clipping); ONNX Runtime runs the float export, so
    the row compares moe int8 with ORT fp32 (and with the float row)."""
    # A quarter of the float weights' bytes (scales aside).
    quantized_variant(out, source, name, "--quantize=int8", 1 / 4)


def int8_activations_variant(out, source, name):
    """The same block compiled with --quantize=int8 --int8-activations:
    rows quantized per token at run time, integer dot products (VNNI where
    the CPU has it); ONNX Runtime runs it rewritten to DynamicQuantizeMatMul
    (int8 weights per column, activations quantized at run time: ort.onnx)."""
    folder = quantized_variant(out, source, name, "--quantize=int8 --int8-activations", 1 / 4)
    subprocess.run([sys.executable, os.path.join(HERE, "to_dynamic_quant.py"),
                    os.path.join(folder, "model.onnx"), os.path.join(folder, "ort.onnx")],
                   check=True)


def bf16_variant(out, source, name):
    """The same block compiled with --matmul-type=bf16: rows and weights
    rounded to bf16, sums f32 (vdpbf16ps where the CPU has it); ONNX
    Runtime runs the float export, so the row compares moe bf16 with ORT
    fp32 (and with the float row). Its % FMA is of the f32 peak (a bf16 pair
    dot product does twice an FMA's multiply-adds)."""
    quantized_variant(out, source, name, "--matmul-type=bf16", 1 / 2)


def attention_block(out, name, hidden, heads, kv_heads, seq, window=0, core=False,
                    padding=0, dynamic=False, rms_norm=False):
    """The Llama attention block; `core`: its attention alone (q, k, v in),
    where the two compilers' work differs (the projections are the same
    matmuls on both sides and at seq 2048 cost more than a window's
    attention); `padding`: HuggingFace's run-time mask from an
    attention_mask input with that many padded tokens (no band a compiler
    can see: every key tile is computed); `dynamic`: the sequence length a
    symbolic dim (dynamic axes: one library for prompts of any length);
    `rms_norm`: the decoder layer's input RMSNorm in front (computed in the
    fused QKV product's row tiles: its normalised rows never stored)."""
    flags = ["--hidden", str(hidden), "--heads", str(heads), "--kv-heads", str(kv_heads),
             "--seq", str(seq), "--opset", "17"]
    if window:
        flags += ["--window", str(window)]
    if padding:
        flags += ["--mask", "padding", "--padding", str(padding)]
    if core:
        flags += ["--core"]
    if dynamic:
        flags += ["--dynamic-seq"]
    if rms_norm:
        flags += ["--rms-norm"]
    exported(out, name, "export_llama_attention.py", flags)
    dim = hidden // heads
    # Query-key pairs the mask leaves: causal, or at most window + 1 keys
    # (with padding, the causal pairs: what a kernel that read the mask's
    # band could do).
    pairs = sum(min(i + 1, window + 1) if window else i + 1 for i in range(seq))
    projections = 0 if core else 2 * seq * hidden * (2 * hidden + 2 * kv_heads * dim)
    write_limits(out, name, flops=projections + 2 * 2 * heads * dim * pairs)


def attention_decode(out, name, heads, kv_heads, past, dim):
    """One decode step of ONNX Attention-23 with a KV cache of `past`
    positions (causal, GQA), the cache's length symbolic as a decode
    library needs it: its floor is reading the cache once."""
    folder = os.path.join(out, name)
    shutil.rmtree(folder, ignore_errors=True)
    subprocess.run([sys.executable, os.path.join(E2E_INPUTS, "make_npu_attention.py"), folder,
                    "1", str(heads), str(kv_heads), "1", "1", str(dim), "--causal",
                    "--past", str(past), "--f32", "--dynamic-past"], check=True)
    model = onnx.load(os.path.join(folder, "model.onnx"))
    names = [i.name for i in model.graph.input]
    arrays = [np.load(os.path.join(folder, "data", f"input_{i}.npy")) for i in range(len(names))]
    outputs = [(o.name, np.load(os.path.join(folder, "data", f"output_{i}.npy")))
               for i, o in enumerate(model.graph.output)]
    save_inputs(folder, names, arrays, outputs)
    write_limits(out, name, read_bytes=2 * 4 * kv_heads * (past + 1) * dim)


def main():
    out = sys.argv[1]
    if "--large" in sys.argv[2:]:
        moe_block(out, "issue_mixtral_prefill128", "mixtral", 1024, 2816, 8, 2, 128)
        moe_block(out, "issue_mixtral_decode", "mixtral", 1024, 2816, 8, 2, 1)
        int4_variant(out, "issue_mixtral_decode", "issue_mixtral_decode_int4")
        int8_variant(out, "issue_mixtral_decode", "issue_mixtral_decode_int8")
        int8_variant(out, "issue_mixtral_prefill128", "issue_mixtral_prefill128_int8")
        int4_variant(out, "issue_mixtral_prefill128", "issue_mixtral_prefill128_int4")
        int8_activations_variant(out, "issue_mixtral_decode", "issue_mixtral_decode_int8a")
        int8_activations_variant(out, "issue_mixtral_prefill128", "issue_mixtral_prefill128_int8a")
        bf16_variant(out, "issue_mixtral_decode", "issue_mixtral_decode_bf16")
        bf16_variant(out, "issue_mixtral_prefill128", "issue_mixtral_prefill128_bf16")
        moe_block(out, "issue_deepseek_prefill128", "deepseek", 1024, 512, 64, 6, 128, shared=2)
        bf16_variant(out, "issue_deepseek_prefill128", "issue_deepseek_prefill128_bf16")
        moe_block(out, "issue_deepseek_decode", "deepseek", 1024, 512, 64, 6, 1, shared=2)
        int8_activations_variant(out, "issue_deepseek_prefill128",
                                 "issue_deepseek_prefill128_int8a")
        attention_block(out, "issue_gqa_causal2048", 1024, 16, 4, 2048)
        attention_block(out, "issue_gqa_window256_2048", 1024, 16, 4, 2048, window=256)
        attention_block(out, "issue_gqa_causal2048_symbolic", 1024, 16, 4, 2048, dynamic=True)
        attention_block(out, "issue_gqa_rmsnorm_causal2048", 1024, 16, 4, 2048, rms_norm=True)
        attention_block(out, "issue_sdpa_causal2048", 1024, 16, 4, 2048, core=True)
        attention_block(out, "issue_sdpa_window256_2048", 1024, 16, 4, 2048, window=256,
                        core=True)
        attention_block(out, "issue_sdpa_padded2048", 1024, 16, 4, 2048, core=True, padding=100)
        attention_decode(out, "issue_sdpa_decode_cache2048", 16, 4, 2047, 64)
    matmul(out)
    linear_pair(out, "decode")
    linear_pair(out, "prefill128", m=128)
    qdq_matmul(out, "qdq_int8_prefill128", 128)
    qdq_matmul(out, "qdq_int8_decode", 1)
    moe_block(out, "mixtral_moe", "mixtral", 256, 512, 8, 2, 64)
    moe_block(out, "mixtral_moe_decode", "mixtral", 256, 512, 8, 2, 1)
    int4_variant(out, "mixtral_moe_decode", "mixtral_moe_decode_int4")
    int4_variant(out, "mixtral_moe", "mixtral_moe_int4")
    moe_block(out, "deepseek_moe", "deepseek", 256, 128, 32, 6, 64, shared=2)
    attention_block(out, "llama_attention", 256, 8, 2, 128)


if __name__ == "__main__":
    main()
