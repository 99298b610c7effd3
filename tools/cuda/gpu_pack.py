#!/usr/bin/env python3
"""Packs everything a GPU check needs into one folder, built here.

The GPU machine has the driver, Python with numpy, onnx and PyTorch, but no
LLVM or MLIR: moe-compile and moe-run cannot run there. So the CUDA
libraries are compiled here, next to their inputs and reference outputs,
and tools/cuda/gpu_run.py (copied in) runs them there through the C API
with ctypes, compares, and times the benchmark models against PyTorch.

    tools/cuda/gpu_pack.py --tools build/bin --target cuda-sm90 --out build/gpu-pack
    (on the GPU machine)  python3 build/gpu-pack/gpu_run.py

--emulate packs CPU libraries built with --emulate-gpu-on-cpu instead: the
same run works here, which checks the pack and the runner without a GPU.
"""
import argparse
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "bench"))
import e2e  # noqa: E402

# Benchmark models: (name, make_models.moe_block arguments) and the
# attention block; inputs are made on the GPU machine (random), so only the
# libraries travel. Sizes keep the pack under the 64 MiB a device call
# carries (the issue-8 blocks' weights alone are hundreds of MB).
BENCH_MOE = [
    ("bench_mixtral_prefill64", ("mixtral", 256, 512, 8, 2, 64, 0)),
    ("bench_mixtral_decode", ("mixtral", 256, 512, 8, 2, 1, 0)),
]
BENCH_ATTENTION = ("bench_gqa_causal4096", 16, 4, 64, 4096)


def compile_model(args, model, out, flags):
    cmd = [args.moe_compile, str(model), f"--target={args.target}", "-o", str(out)] + flags
    if args.emulate:
        cmd.append("--emulate-gpu-on-cpu")
    subprocess.run(cmd, check=True, capture_output=True, text=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tools", default=str(ROOT / "build" / "bin"))
    ap.add_argument("--target", default="cuda-sm90")
    ap.add_argument("--out", default=str(ROOT / "build" / "gpu-pack"))
    ap.add_argument("--emulate", action="store_true")
    args = ap.parse_args()
    args.moe_compile = str(pathlib.Path(args.tools) / "moe-compile")
    out = pathlib.Path(args.out)
    if out.exists():
        shutil.rmtree(out)
    (out / "models").mkdir(parents=True)
    (out / "bench").mkdir()
    with tempfile.TemporaryDirectory() as tmp:
        for name, model, data, flags, tolerance in e2e.models(pathlib.Path(tmp)):
            folder = out / "models" / name
            folder.mkdir()
            compile_model(args, model, folder / "model.so", flags)
            for f in sorted(pathlib.Path(data).glob("*put_*.*")):
                shutil.copy(f, folder / f.name)
            tol = dict(zip(tolerance[::2], tolerance[1::2]))
            (folder / "tolerance.json").write_text(json.dumps(
                {"rtol": float(tol.get("--rtol", 1e-3)), "atol": float(tol.get("--atol", 1e-5))}))
        import make_models
        import cuda_compare
        for name, (style, hidden, ffn, experts, top_k, seq, shared) in BENCH_MOE:
            make_models.moe_block(tmp, name, style, hidden, ffn, experts, top_k, seq, shared=shared)
            folder = out / "bench" / name
            folder.mkdir()
            compile_model(args, pathlib.Path(tmp) / name / "model.onnx", folder / "model.so", [])
            (folder / "torch.json").write_text(json.dumps(
                {"kind": "moe", "style": style, "hidden": hidden, "ffn": ffn, "experts": experts,
                 "top_k": top_k, "seq": seq, "shared": shared}))
        name, heads, kv_heads, dim, seq = BENCH_ATTENTION
        made = cuda_compare.attention_model(tmp, name, heads, kv_heads, dim, seq)
        folder = out / "bench" / name
        folder.mkdir()
        compile_model(args, made / "model.onnx", folder / "model.so", [])
        (folder / "torch.json").write_text(json.dumps(
            {"kind": "attention", "heads": heads, "kv_heads": kv_heads, "dim": dim, "seq": seq}))
    shutil.copy(HERE / "gpu_run.py", out / "gpu_run.py")
    shutil.copy(ROOT / "test" / "Frontend" / "Onnx" / "Inputs" / "export_moe_block.py",
                out / "export_moe_block.py")
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"packed {out}: {size / 2**20:.1f} MiB ({'emulated' if args.emulate else args.target})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
