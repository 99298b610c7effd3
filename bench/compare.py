#!/usr/bin/env python3
"""Times each benchmark model compiled by moe against ONNX Runtime on the
same inputs and thread count, in one run, and this machine's matmul against
its measured fp32 FMA peak. Prints ratios (machines here are shared and
noisy: absolute times mean little).

    compare.py --build BUILD --models DIR --ort-dir NODE_MODULES_PARENT
               [--runs 20] [--threads 1] [--fma-peak BINARY]
               [--read-bandwidth BINARY] [--only NAME_PREFIX ...]

A model with limits.json also gets the fraction of this machine's limit each
side reaches: its FLOPs over the measured FMA peak (times threads), or, for
one token through an MoE block, the chosen experts' weight bytes over the
measured read bandwidth at those threads.
"""
import argparse
import json
import os
import subprocess
import sys


def moe_time(args, folder):
    """moe-compile (with the folder's moe-flags.txt, if any) and moe-run."""
    lib = os.path.join(folder, "model.so")
    flags = []
    if os.path.exists(os.path.join(folder, "moe-flags.txt")):
        with open(os.path.join(folder, "moe-flags.txt")) as f:
            flags = f.read().split()
    # Sums of 1024 products: float32 rounding, not errors (quantized
    # models say their own tolerance).
    tolerance = {"atol": 1e-3, "rtol": 1e-3}
    if os.path.exists(os.path.join(folder, "tolerance.json")):
        with open(os.path.join(folder, "tolerance.json")) as f:
            tolerance.update(json.load(f))
    subprocess.run([os.path.join(args.build, "bin", "moe-compile"),
                    os.path.join(folder, "model.onnx"), "-o", lib] + flags, check=True)
    proc = subprocess.run([os.path.join(args.build, "bin", "moe-run"), lib, "--data",
                           os.path.join(folder, "test_data_set_0"), "--bench", str(args.runs),
                           "--threads", str(args.threads), "--json",
                           "--atol", str(tolerance["atol"]), "--rtol", str(tolerance["rtol"])],
                          capture_output=True, text=True)
    report = json.loads(proc.stdout)
    return report["bench"]["median_ms"], report["ok"]


def ort_time(args, folder):
    env = dict(os.environ, NODE_PATH=os.path.join(args.ort_dir, "node_modules"))
    # ort.onnx, when there is one, is the same block in ONNX Runtime's own
    # form of the moe flags (MatMulNBits for --quantize=int4).
    model = "ort.onnx" if os.path.exists(os.path.join(folder, "ort.onnx")) else "model.onnx"
    proc = subprocess.run(["node", os.path.join(os.path.dirname(__file__), "ort.js"), folder,
                           str(args.runs), str(args.threads), model],
                          capture_output=True, text=True, env=env, check=True)
    return json.loads(proc.stdout)["median_ms"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", required=True)
    ap.add_argument("--models", required=True)
    ap.add_argument("--ort-dir", required=True)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--fma-peak")
    ap.add_argument("--read-bandwidth")
    ap.add_argument("--only", action="append", default=[],
                    help="run only the models whose name starts with this (repeatable)")
    args = ap.parse_args()

    peak = None
    if args.fma_peak:
        peak = json.loads(subprocess.run([args.fma_peak], capture_output=True, text=True,
                                         check=True).stdout)
    bandwidth = None
    if args.read_bandwidth:
        bandwidth = json.loads(subprocess.run([args.read_bandwidth, str(args.threads)],
                                              capture_output=True, text=True,
                                              check=True).stdout)["gbps"]

    def limit_fraction(folder, ms):
        path = os.path.join(folder, "limits.json")
        if not os.path.exists(path):
            return ""
        with open(path) as f:
            limits = json.load(f)
        if limits["bytes"] and bandwidth:
            return f"{100 * limits['bytes'] / (ms * 1e-3) * 1e-9 / bandwidth:5.1f}% BW"
        if limits["flops"] and peak:
            gflops = limits["flops"] / (ms * 1e-3) * 1e-9
            return f"{100 * gflops / (peak['gflops'] * args.threads):5.1f}% FMA"
        return ""

    print(f"{'model':<26} {'moe ms':>10} {'ORT ms':>10} {'moe/ORT':>9}  numerics  "
          f"{'moe limit':>10} {'ORT limit':>10}")
    results = {}
    for name in sorted(os.listdir(args.models)):
        folder = os.path.join(args.models, name)
        if not os.path.exists(os.path.join(folder, "model.onnx")):
            continue
        if args.only and not any(name.startswith(prefix) for prefix in args.only):
            continue
        moe_ms, ok = moe_time(args, folder)
        ort_ms = ort_time(args, folder)
        results[name] = (moe_ms, ort_ms)
        print(f"{name:<26} {moe_ms:>10.3f} {ort_ms:>10.3f} {moe_ms / ort_ms:>8.2f}x  "
              f"{'match   ' if ok else 'MISMATCH'}  {limit_fraction(folder, moe_ms):>10} "
              f"{limit_fraction(folder, ort_ms):>10}")
    if bandwidth:
        print(f"read bandwidth, measured on {args.threads} thread(s): {bandwidth:.1f} GB/s")
    for prefix in ("decode", "prefill128"):
        if f"{prefix}_int4" in results and f"{prefix}_fp32" in results:
            # Decode reads every weight once: int4 moves an eighth of fp32's
            # bytes; a prefill's rows share each weight it reads.
            moe_int4, ort_int4 = results[f"{prefix}_int4"]
            moe_fp32, ort_fp32 = results[f"{prefix}_fp32"]
            print(f"{prefix} 4096x4096: int4 is {moe_fp32 / moe_int4:.2f}x faster than fp32 in "
                  f"moe, {ort_fp32 / ort_int4:.2f}x in ORT; int4 moe/ORT MatMulNBits "
                  f"{moe_int4 / ort_int4:.2f}x")
    for name, (moe_q, ort_q) in results.items():
        for suffix, what in (("_int8", "int8"), ("_int8a", "int8 with int8 activations"),
                             ("_bf16", "bf16 matmuls")):
            base = name[:-len(suffix)]
            if name.endswith(suffix) and base in results:
                # The row runs the float row's block with --quantize=int8
                # (and --int8-activations) or --matmul-type=bf16; ONNX
                # Runtime runs the float export on both rows.
                line = (f"{base}: {what} is {results[base][0] / moe_q:.2f}x faster than fp32 in moe"
                        f"; moe {what} / ORT fp32 {moe_q / ort_q:.2f}x")
                if suffix == "_int8a":
                    # ORT runs the block as DynamicQuantizeMatMul there.
                    line += (f" ({results[base][1] / ort_q:.2f}x in ORT); moe / ORT "
                             f"DynamicQuantizeMatMul {moe_q / ort_q:.2f}x")
                print(line)
    for name, (moe_q, ort_q) in results.items():
        base = name[:-len("_int4")]
        if name.endswith("_int4") and base in results:
            # The int4 row runs the float row's block with --quantize=int4;
            # ONNX Runtime runs it as MatMulNBits.
            moe_f, ort_f = results[base]
            print(f"{base}: int4 is {moe_f / moe_q:.2f}x faster than fp32 in moe "
                  f"({ort_f / ort_q:.2f}x in ORT); moe int4 / ORT MatMulNBits {moe_q / ort_q:.2f}x")
    if peak and "matmul1024" in results:
        flops = 2.0 * 1024 ** 3
        moe_gflops = flops / (results["matmul1024"][0] * 1e-3) * 1e-9
        ort_gflops = flops / (results["matmul1024"][1] * 1e-3) * 1e-9
        # The peak is one core's; T threads can reach at most T times it.
        limit = peak["gflops"] * args.threads
        print(f"fp32 FMA peak of one core, measured ({peak['lanes']} lanes): "
              f"{peak['gflops']:.1f} GFLOP/s; {args.threads} thread(s): {limit:.1f}")
        print(f"matmul 1024^3: moe {moe_gflops:.1f} GFLOP/s = {100 * moe_gflops / limit:.1f}% "
              f"of that; ORT {ort_gflops:.1f} GFLOP/s = {100 * ort_gflops / limit:.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
