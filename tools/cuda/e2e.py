#!/usr/bin/env python3
"""The end-to-end models compiled for CUDA: PTX checks here, runs on a GPU.

The models are the e2e tests' own (made by the same scripts, at the same
sizes) plus the bundled example; each comes with its inputs and the
reference outputs of numpy or torch.

    tools/cuda/e2e.py --tools build/bin --ptxas cuda-sm80,cuda-sm90
        compile every model to PTX for each target and assemble it with
        ptxas (on PATH): no GPU needed; CI runs this.
    tools/cuda/e2e.py --tools build/bin --run cuda-sm90
        compile every model to a library for the target and run it with
        moe-run on its inputs, comparing with the reference (needs a GPU).
    tools/cuda/e2e.py --tools build/bin --run cuda-sm90 --fake-driver DIR
        the real libraries against DIR/libcuda.so.1 built from
        test/e2e/Inputs/fake_libcuda.c: no kernel runs, but every kernel
        must be in the PTX, every launch legal, every run buffer freed.
    tools/cuda/e2e.py --tools build/bin --run cuda-sm90 --emulate
        the same with moe-compile --emulate-gpu-on-cpu: the kernels' threads
        run as CPU loops, which checks the lowering's numerics without a GPU.

Prints one line per model and target and a summary; exits non-zero when
anything fails.
"""
import argparse
import concurrent.futures
import os
import pathlib
import re
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
E2E = ROOT / "test" / "e2e" / "Inputs"
ONNX = ROOT / "test" / "Frontend" / "Onnx" / "Inputs"
PYTHON = "/usr/bin/python3"

# name, generator argv ({dir}: the model's folder; the model is
# {dir}/model.onnx and its data {dir}/data), extra moe-compile flags, and
# moe-run's tolerance flags where they are not its defaults.
MODELS = [
    ("matmul", [E2E / "make_matmul.py", "{dir}", "8", "256", "64"], []),
    ("matmul-decode", [E2E / "make_matmul.py", "{dir}", "1", "1024", "1024"], []),
    ("vector-softmax", [E2E / "make_vector_ops.py", "{dir}", "softmax"], []),
    ("vector-reduce", [E2E / "make_vector_ops.py", "{dir}", "reduce"], []),
    ("vector-layernorm", [E2E / "make_vector_ops.py", "{dir}", "layernorm"], []),
    ("vector-unary", [E2E / "make_vector_ops.py", "{dir}", "unary"], []),
    ("rms-norm", [E2E / "make_rms_norm.py", "{dir}", "-1"], []),
    ("attention-rope", [E2E / "make_attention.py", "{dir}", "rope"], []),
    ("attention-gqa-causal", [E2E / "make_attention.py", "{dir}", "gqa-causal"], []),
    ("attention-mask", [E2E / "make_attention.py", "{dir}", "mask"], []),
    ("attention-past", [E2E / "make_attention.py", "{dir}", "past"], []),
    ("contrib-moe-silu", [E2E / "make_moe.py", "{dir}", "silu"], []),
    ("contrib-qmoe4", [E2E / "make_moe.py", "{dir}", "qmoe4"], []),
    ("contrib-qmoe8", [E2E / "make_moe.py", "{dir}", "qmoe8"], []),
    ("matmul-nbits", [E2E / "make_matmul_nbits.py", "{dir}", "5", "128", "24", "32", "zp", "bias", "3"], []),
    # References of the quantized weights' products (rtn, as the script quantizes).
    ("quant-matmul-i8", [E2E / "make_quant_matmul.py", "{dir}", "5", "128", "64", "8", "0"],
     ["--quantize=int8", "--quantize-method=rtn"]),
    ("quant-matmul-u4", [E2E / "make_quant_matmul.py", "{dir}", "3", "128", "64", "4", "16", "asym"],
     ["--quantize=int4", "--quantize-group=16", "--quantize-asymmetric", "--quantize-method=rtn"]),
    ("torch-mixtral", [ONNX / "export_moe_block.py", "{dir}/model.onnx", "--data", "{dir}/data",
                       "--hidden", "64", "--ffn", "128", "--experts", "4", "--top-k", "2", "--seq", "8"], []),
    # Against the float model's outputs: int8 weights are within a few percent.
    ("torch-mixtral-int8", [ONNX / "export_moe_block.py", "{dir}/model.onnx", "--data", "{dir}/data",
                            "--hidden", "64", "--ffn", "128", "--experts", "4", "--top-k", "2", "--seq", "8"],
     ["--quantize=int8"], ["--rtol", "0.05", "--atol", "0.05"]),
    ("torch-mixtral-int4", [ONNX / "export_moe_block.py", "{dir}/model.onnx", "--data", "{dir}/data",
                            "--hidden", "64", "--ffn", "128", "--experts", "4", "--top-k", "2", "--seq", "8"],
     ["--quantize=int4", "--quantize-group=32"], ["--rtol", "0.1", "--atol", "0.1"]),
    ("torch-deepseek", [ONNX / "export_moe_block.py", "{dir}/model.onnx", "--data", "{dir}/data",
                        "--style", "deepseek", "--scoring", "sigmoid", "--scaling", "1.5", "--shared", "2",
                        "--hidden", "16", "--ffn", "8", "--experts", "8", "--top-k", "4", "--batch", "2",
                        "--seq", "4"], []),
    ("torch-deepseek-v3", [ONNX / "export_moe_block.py", "{dir}/model.onnx", "--data", "{dir}/data",
                           "--style", "deepseek", "--scoring", "sigmoid", "--bias", "0.1",
                           "--n-group", "8", "--topk-group", "3", "--group-score", "top2",
                           "--hidden", "16", "--ffn", "16", "--experts", "32", "--top-k", "6",
                           "--batch", "2", "--seq", "5", "--dynamic"], []),
    ("torch-qwen", [ONNX / "export_moe_block.py", "{dir}/model.onnx", "--data", "{dir}/data",
                    "--style", "qwen", "--hidden", "32", "--ffn", "48", "--shared-ffn", "80",
                    "--experts", "5", "--top-k", "2", "--seq", "7"], []),
    ("torch-moe-dynamic", [ONNX / "export_moe_block.py", "{dir}/model.onnx", "--data", "{dir}/data",
                           "--hidden", "24", "--ffn", "40", "--experts", "6", "--top-k", "3", "--batch", "2",
                           "--seq", "5", "--dynamic", "--opset", "16"], []),
    ("torch-llama-attention", [ONNX / "export_llama_attention.py", "{dir}/model.onnx", "--data", "{dir}/data",
                               "--hidden", "128", "--heads", "4", "--kv-heads", "2", "--seq", "32"], []),
    ("torch-llama-window", [ONNX / "export_llama_attention.py", "{dir}/model.onnx", "--data", "{dir}/data",
                            "--hidden", "128", "--heads", "4", "--kv-heads", "2", "--seq", "96",
                            "--window", "40"], []),
    ("torch-llama-rms-norm", [ONNX / "export_llama_attention.py", "{dir}/model.onnx", "--data",
                              "{dir}/data", "--rms-norm", "--hidden", "128", "--heads", "4", "--kv-heads",
                              "2", "--seq", "64"], []),
]


def make(name, argv, work):
    folder = work / name
    folder.mkdir(parents=True, exist_ok=True)
    args = [PYTHON] + [str(a).replace("{dir}", str(folder)) for a in argv]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"{name}: making the model failed: {proc.stderr.strip()[-300:]}")
    return folder / "model.onnx", folder / "data"


def models(work):
    """(name, model, data, moe-compile flags, moe-run tolerance flags)."""
    yield "bundled-example", ROOT / "examples" / "mixtral-moe" / "model.onnx", \
        ROOT / "examples" / "mixtral-moe" / "test_data_set_0", [], []
    for name, argv, flags, *tolerance in MODELS:
        model, data = make(name, argv, work)
        yield name, model, data, flags, tolerance[0] if tolerance else []


def first_error(text):
    lines = text.strip().splitlines()
    return next((l for l in lines if "error" in l or "MISMATCH" in l), lines[-1] if lines else "")


def check_ptx(args, name, model, flags, target, work):
    ptx = work / f"{name}.{target}.ptx"
    proc = subprocess.run([args.moe_compile, str(model), f"--target={target}", "-o", str(ptx)] + flags,
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        return f"compile: {first_error(proc.stderr)}"
    arch = "sm_" + target.rsplit("sm", 1)[-1]
    proc = subprocess.run(["ptxas", f"-arch={arch}", str(ptx), "-o", os.devnull],
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        return f"ptxas: {first_error(proc.stderr)}"
    return None


def check_run(args, name, model, data, flags, tolerance, target, work):
    lib = work / f"{name}.{target}.so"
    emulate = ["--emulate-gpu-on-cpu"] if args.emulate else []
    proc = subprocess.run([args.moe_compile, str(model), f"--target={target}", "-o", str(lib)] + flags + emulate,
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        return f"compile: {first_error(proc.stderr)}"
    env = None
    if args.fake_driver:
        env = dict(os.environ, LD_LIBRARY_PATH=args.fake_driver)
    proc = subprocess.run([args.moe_run, str(lib), "--data", str(data)] + tolerance,
                          capture_output=True, text=True, timeout=600, env=env)
    if args.fake_driver:
        # No kernel ran: the outputs are not the reference's.
        text = proc.stdout + proc.stderr
        match = re.search(r"fake libcuda: (\d+) launches \((\d+) rejected\), (\d+) run buffers "
                          r"allocated, (\d+) freed", text)
        if proc.returncode not in (0, 1) or "error:" in text or not match:
            return f"run: {first_error(text)}"
        if match.group(2) != "0" or match.group(3) != match.group(4):
            return f"run: {match.group(0)}"
        return None
    if proc.returncode != 0:
        return f"run: {first_error(proc.stdout + proc.stderr)}"
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tools", default=str(ROOT / "build" / "bin"),
                    help="the folder of moe-compile and moe-run (default build/bin)")
    ap.add_argument("--ptxas", help="CUDA targets to compile PTX for and assemble, comma-separated")
    ap.add_argument("--run", help="the CUDA target to compile libraries for and run on this machine's GPU")
    ap.add_argument("--emulate", action="store_true",
                    help="with --run: build CPU libraries that run the kernels as loops (no GPU needed)")
    ap.add_argument("--fake-driver", metavar="DIR",
                    help="with --run: load DIR/libcuda.so.1 (test/e2e/Inputs/fake_libcuda.c) instead of "
                         "the driver: host side only, no kernel runs")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    if not args.ptxas and not args.run:
        ap.error("nothing to do: give --ptxas and/or --run")
    args.moe_compile = str(pathlib.Path(args.tools) / "moe-compile")
    args.moe_run = str(pathlib.Path(args.tools) / "moe-run")
    failures = checks = 0
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        jobs = []
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            for name, model, data, flags, tolerance in models(work):
                for target in (args.ptxas.split(",") if args.ptxas else []):
                    jobs.append((f"{name} {target} ptxas",
                                 pool.submit(check_ptx, args, name, model, flags, target, work)))
                if args.run:
                    how = "emulated" if args.emulate else "fake driver" if args.fake_driver else "run"
                    jobs.append((f"{name} {args.run} {how}",
                                 pool.submit(check_run, args, name, model, data, flags, tolerance, args.run, work)))
            for what, job in jobs:
                checks += 1
                error = job.result()
                failures += error is not None
                print(f"{'FAIL' if error else 'ok  '} {what}" + (f": {error}" if error else ""))
    print(f"cuda e2e: {checks - failures} of {checks} checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
