#!/usr/bin/env python3
"""Runs a pack of tools/cuda/gpu_pack.py: every model library through its C
API (ctypes; no LLVM needed), compared with its reference outputs, then the
benchmark libraries timed against PyTorch on the same GPU.

    python3 gpu_run.py [--runs 20] [--only NAME] [--skip-bench]

Needs numpy and onnx (to read the .pb tensors); PyTorch with CUDA for the
comparison. Exits non-zero when a model fails or does not match.
"""
import argparse
import ctypes
import json
import pathlib
import statistics
import sys
import time

import numpy as np
from onnx import TensorProto, numpy_helper

HERE = pathlib.Path(__file__).resolve().parent
MAX_RANK = 8
DTYPES = {1: np.float32, 2: np.uint8, 3: np.int8, 5: np.int16, 6: np.int32, 7: np.int64,
          9: np.bool_, 10: np.float16, 11: np.float64, 12: np.uint32, 13: np.uint64}


class Tensor(ctypes.Structure):
    _fields_ = [("dtype", ctypes.c_int32), ("rank", ctypes.c_int32),
                ("shape", ctypes.c_int64 * MAX_RANK), ("strides", ctypes.c_int64 * MAX_RANK),
                ("data", ctypes.c_void_p), ("owner", ctypes.c_void_p)]


class Signature(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_int32), ("rank", ctypes.c_int32),
                ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("dim_names", ctypes.POINTER(ctypes.c_char_p))]


class Model:
    def __init__(self, path):
        self.lib = ctypes.CDLL(str(path))
        self.lib.moe_model_input.restype = ctypes.POINTER(Signature)
        self.lib.moe_model_output.restype = ctypes.POINTER(Signature)
        self.lib.moe_model_target.restype = ctypes.c_char_p
        self.inputs = self.lib.moe_model_num_inputs()
        self.outputs = self.lib.moe_model_num_outputs()

    def signature(self, i):
        s = self.lib.moe_model_input(i).contents
        return s.dtype, [s.shape[d] for d in range(s.rank)]

    def run(self, arrays):
        """The outputs as numpy arrays (copies), or raises with the message."""
        ins = (Tensor * max(len(arrays), 1))()
        keep = []
        for t, a in zip(ins, arrays):
            a = np.ascontiguousarray(a)
            keep.append(a)
            code = next(c for c, d in DTYPES.items() if np.dtype(d) == a.dtype)
            t.dtype, t.rank = code, a.ndim
            for d, n in enumerate(a.shape):
                t.shape[d] = n
            t.data = a.ctypes.data
        outs = (Tensor * max(self.outputs, 1))()
        error = ctypes.create_string_buffer(1024)
        status = self.lib.moe_model_run(ins, len(arrays), outs, self.outputs, error, 1024)
        if status != 0:
            raise RuntimeError(f"status {status}: {error.value.decode()}")
        results = []
        for t in outs[:self.outputs]:
            shape = [t.shape[d] for d in range(t.rank)]
            count = int(np.prod(shape)) if shape else 1
            dtype = np.dtype(DTYPES[t.dtype])
            buf = (ctypes.c_char * (count * dtype.itemsize)).from_address(t.data) if count else b""
            results.append(np.frombuffer(bytes(buf), dtype).reshape(shape).copy())
            self.lib.moe_model_release(ctypes.byref(t))
        return results


def read_tensor(path):
    """An input_N/output_N file: a TensorProto (.pb) or numpy's .npy."""
    if path.suffix == ".npy":
        return np.load(path)
    t = TensorProto()
    t.ParseFromString(path.read_bytes())
    return numpy_helper.to_array(t)


def check_models(args):
    failed = 0
    for folder in sorted((HERE / "models").iterdir()):
        if args.only and args.only not in folder.name:
            continue
        try:
            model = Model(folder / "model.so")
            numbered = lambda kind: sorted(folder.glob(f"{kind}_*.*"),
                                           key=lambda p: int(p.stem.split("_")[1]))
            inputs = [read_tensor(p) for p in numbered("input")]
            expected = [read_tensor(p) for p in numbered("output")]
            tol = json.loads((folder / "tolerance.json").read_text())
            got = model.run(inputs)
            bad = []
            for i, (g, e) in enumerate(zip(got, expected)):
                if g.shape != e.shape:
                    bad.append(f"output {i}: shape {g.shape}, expected {e.shape}")
                elif not np.allclose(g.astype(np.float64), e.astype(np.float64),
                                     rtol=tol["rtol"], atol=tol["atol"]):
                    err = np.abs(g.astype(np.float64) - e.astype(np.float64)).max()
                    bad.append(f"output {i}: max abs error {err:.3g}")
            start = time.perf_counter()
            for _ in range(args.runs):
                model.run(inputs)
            ms = (time.perf_counter() - start) * 1000 / max(args.runs, 1)
            print(f"{'FAIL' if bad else 'ok  '} {folder.name} ({model.lib.moe_model_target().decode()}, "
                  f"{ms:.3f} ms/run){': ' + '; '.join(bad) if bad else ''}", flush=True)
            failed += bool(bad)
        except Exception as e:  # a crash in the library ends the process anyway
            print(f"FAIL {folder.name}: {e}", flush=True)
            failed += 1
    return failed


def torch_reference(spec, runs):
    """PyTorch's median time in ms on the GPU for the benchmark `spec` (the
    torch.json of a pack), or None without PyTorch or CUDA."""
    try:
        import torch
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None

    def timed(fn):
        for _ in range(3):
            fn()
        torch.cuda.synchronize()
        times = []
        for _ in range(runs):
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record()
            fn()
            b.record()
            torch.cuda.synchronize()
            times.append(a.elapsed_time(b))
        return statistics.median(times)

    with torch.no_grad():
        if spec["kind"] == "attention":
            h, kvh, d, s = spec["heads"], spec["kv_heads"], spec["dim"], spec["seq"]
            q = torch.randn(1, h, s, d, device="cuda")
            k = torch.randn(1, kvh, s, d, device="cuda")
            v = torch.randn(1, kvh, s, d, device="cuda")
            sdpa = torch.nn.functional.scaled_dot_product_attention
            return timed(lambda: sdpa(q, k, v, is_causal=True, enable_gqa=True))
        import importlib.util
        import types
        # In a pack it sits beside this script; in the repository, with the tests.
        script = HERE / "export_moe_block.py"
        if not script.exists():
            script = HERE.parents[1] / "test" / "Frontend" / "Onnx" / "Inputs" / "export_moe_block.py"
        loader = importlib.util.spec_from_file_location("export_moe_block", script)
        module = importlib.util.module_from_spec(loader)
        loader.loader.exec_module(module)
        a = types.SimpleNamespace(style=spec["style"], hidden=spec["hidden"], ffn=spec["ffn"],
                                  experts=spec["experts"], top_k=spec["top_k"], scoring="softmax",
                                  shared=spec["shared"], shared_ffn=96, scaling=2.5, skip_expert=-1)
        block = module.SparseMoe(a).cuda().eval()
        x = torch.randn(1, spec["seq"], spec["hidden"], device="cuda")
        zeros = torch.zeros
        torch.zeros = lambda *s, **k: zeros(*s, **{**k, "device": "cuda"})
        try:
            return timed(lambda: block(x))
        finally:
            torch.zeros = zeros


def bench(args):
    print(f"{'benchmark':28} {'moe ms':>9} {'torch ms':>9} {'torch/moe':>9}")
    rng = np.random.default_rng(0)
    for folder in sorted((HERE / "bench").iterdir()):
        model = Model(folder / "model.so")
        inputs = []
        for i in range(model.inputs):
            dtype, shape = model.signature(i)
            shape = [n if n >= 0 else 1 for n in shape]
            inputs.append(rng.standard_normal(shape).astype(DTYPES[dtype]))
        for _ in range(min(args.runs, 3)):
            model.run(inputs)
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            model.run(inputs)
            times.append((time.perf_counter() - start) * 1000)
        ours = statistics.median(times)
        theirs = torch_reference(json.loads((folder / "torch.json").read_text()), args.runs)
        print(f"{folder.name:28} {ours:9.3f} " +
              (f"{theirs:9.3f} {theirs / ours:9.2f}" if theirs else f"{'-':>9} {'-':>9}"), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--only", help="only the models whose name contains this")
    ap.add_argument("--skip-bench", action="store_true")
    args = ap.parse_args()
    failed = check_models(args)
    print(f"models: {failed} failed", flush=True)
    if not args.skip_bench:
        bench(args)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
