#!/usr/bin/env python3
"""Runs moe-compile over the ONNX backend node tests and reports.

Each model.onnx of Debian's libonnx-testdata whose ops are all in the ONNX
frontend's scope (the list below: the frontend issue's, plus Cos and Sin, which
in-graph rotary tables need) is compiled to the
chosen phase. Tests of those ops that the issues leave out are counted apart
with their reason: string tensors, optional and sequence values (not dense
tensors), and Dropout in training mode (the list has Dropout for inference). Prints the count converted / in scope and every failure with
the compiler's first error line, grouped by op; exits non-zero if a run
crashed (a signal rather than an error exit) or fewer than --min-converted
tests convert.

    tools/conformance/node-tests.py --moe-compile build/bin/moe-compile [--phase moe]
    tools/conformance/node-tests.py --moe-compile build/bin/moe-compile \
        --moe-run build/bin/moe-run [--jobs 2]

With --moe-run each converting test is also compiled to a shared library and
run on its test_data_set_* folders, and its outputs compared with the
reference ones: the report then counts tests that compile, run and match.
--target picks the library's target (cuda-sm90 runs on a GPU).

    tools/conformance/node-tests.py --moe-compile build/bin/moe-compile \
        --ptxas cuda-sm80,cuda-sm90

With --ptxas each converting test is compiled to PTX for each CUDA target
and ptxas (on PATH) must accept it for that GPU: no GPU needed.
"""
import argparse
import collections
import concurrent.futures
import os
import tempfile
import pathlib
import subprocess
import sys

import onnx

TESTDATA = pathlib.Path("/usr/share/libonnx-testdata/data/node")

IN_SCOPE = set("""
Add Sub Mul Div Pow Sqrt Reciprocal Neg Exp Log Erf Tanh Cos Sin Sigmoid Relu LeakyRelu Elu Selu Celu Softplus
HardSigmoid HardSwish Gelu Clip Min Max Sum Mean Floor Ceil Round Sign Abs Mod Equal Less LessOrEqual
Greater GreaterOrEqual Not And Or Xor IsNaN IsInf Where Cast CastLike MatMul Gemm Einsum Softmax LogSoftmax
ReduceSum ReduceMean ReduceMax ReduceMin ReduceProd ReduceL2 ReduceSumSquare ArgMax ArgMin TopK CumSum
LayerNormalization Transpose Reshape Flatten Squeeze Unsqueeze Concat Split Slice Expand Tile Gather
GatherElements GatherND ScatterND ScatterElements OneHot NonZero Range Trilu Shape Size ConstantOfShape
Constant Identity Dropout QuantizeLinear DequantizeLinear DynamicQuantizeLinear MatMulInteger QLinearMatMul
Attention RMSNormalization RotaryEmbedding
""".split())
IN_SCOPE_CONTRIB = set("""MoE QMoE GroupQueryAttention MultiHeadAttention SparseAttention MatMulNBits
RotaryEmbedding SimplifiedLayerNormalization SkipSimplifiedLayerNormalization""".split())


# Tests whose numerics are known not to match, and why. They count as not
# matching; the report lists them apart from unexpected failures.
EXPECTED_NUMERIC_FAILURES = {
    "test_cast_FLOAT_to_BFLOAT16": "the test data (ONNX 1.12) truncates to bfloat16; "
                                   "the compiler rounds to nearest even, as ONNX 1.13+ specifies",
    **{name: "the test data's 'like' input has rank 1 where the model declares rank 2; "
             "the C API refuses the call"
       for name in ("test_castlike_BFLOAT16_to_FLOAT", "test_castlike_BFLOAT16_to_FLOAT_expanded",
                    "test_castlike_FLOAT_to_BFLOAT16", "test_castlike_FLOAT_to_BFLOAT16_expanded")},
}


def ops_of(model):
    return {(n.domain if n.domain not in ("", "ai.onnx") else "", n.op_type) for n in model.graph.node}


def in_scope(ops):
    return all((d == "" and o in IN_SCOPE) or (d == "com.microsoft" and o in IN_SCOPE_CONTRIB)
               or (d == "" and o == "SimplifiedLayerNormalization") for d, o in ops)


def excluded(model):
    """Why a test of in-scope ops is out of scope, or None."""
    graph = model.graph
    for value in list(graph.input) + list(graph.output):
        if not value.type.HasField("tensor_type"):
            return "optional or sequence values"
        if value.type.tensor_type.elem_type == onnx.TensorProto.STRING:
            return "string tensors"
    for node in graph.node:
        if node.op_type in ("Cast", "CastLike") and any(
                a.name == "to" and a.i == onnx.TensorProto.STRING for a in node.attribute):
            return "string tensors"
        if node.op_type == "Dropout" and len(node.input) > 2 and node.input[2]:
            return "Dropout in training mode"
    return None


def run_numerics(test, args):
    """Compiles `test` to a library and checks every data set: None when all
    match, else the first reason."""
    with tempfile.TemporaryDirectory() as tmp:
        lib = pathlib.Path(tmp) / "model.so"
        proc = subprocess.run([args.moe_compile, str(test / "model.onnx"), "-o", str(lib),
                               "--target=" + args.target] + args.compile_flag,
                              capture_output=True, text=True, timeout=300)
        if proc.returncode != 0:
            first = next((l for l in proc.stderr.splitlines() if "error" in l), proc.stderr.strip()[:200])
            return ("compile", first.split("error: ", 1)[-1])
        for data in sorted(test.glob("test_data_set_*")):
            proc = subprocess.run([args.moe_run, str(lib), "--data", str(data),
                                   "--rtol", str(args.rtol), "--atol", str(args.atol)],
                                  capture_output=True, text=True, timeout=300)
            if proc.returncode != 0:
                text = (proc.stdout + proc.stderr).strip().splitlines()
                bad = next((l for l in text if "MISMATCH" in l or "error" in l), text[-1] if text else "")
                kind = "crash" if proc.returncode < 0 else "run"
                return (kind, f"{data.name}: {bad}")
    return None


def run_ptxas(test, args):
    """Compiles `test` to PTX for each target of --ptxas and assembles it:
    None when ptxas accepts all, else the first reason."""
    with tempfile.TemporaryDirectory() as tmp:
        for target in args.ptxas.split(","):
            ptx = pathlib.Path(tmp) / (target + ".ptx")
            proc = subprocess.run([args.moe_compile, str(test / "model.onnx"), "-o", str(ptx),
                                   "--target=" + target], capture_output=True, text=True, timeout=300)
            if proc.returncode != 0:
                first = next((l for l in proc.stderr.splitlines() if "error" in l), proc.stderr.strip()[:200])
                return ("crash" if proc.returncode < 0 else "compile", f"{target}: {first.split('error: ', 1)[-1]}")
            arch = "sm_" + target.rsplit("sm", 1)[-1]
            proc = subprocess.run(["ptxas", "-arch=" + arch, str(ptx), "-o", os.devnull],
                                  capture_output=True, text=True, timeout=300)
            if proc.returncode != 0:
                return ("assemble", f"{target}: {(proc.stderr.strip().splitlines() or [''])[0]}")
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--moe-compile", required=True)
    ap.add_argument("--phase", default="moe", help="--compile-to phase (default moe)")
    ap.add_argument("--verbose", action="store_true", help="list every failing test")
    ap.add_argument("--moe-run", help="also compile, run and compare (numerics)")
    ap.add_argument("--target", default="cpu", help="with --moe-run: the library's --target")
    ap.add_argument("--compile-flag", action="append", default=[],
                    help="with --moe-run: one more moe-compile flag (repeatable), e.g. --emulate-gpu-on-cpu")
    ap.add_argument("--ptxas", help="also compile to PTX for these CUDA targets (comma-separated) "
                                    "and check that ptxas accepts it")
    ap.add_argument("--min-assembled", type=int, default=0,
                    help="with --ptxas: exit non-zero when fewer tests assemble")
    ap.add_argument("--rtol", type=float, default=1e-3)
    ap.add_argument("--atol", type=float, default=1e-5)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--min-matched", type=int, default=0,
                    help="with --moe-run: exit non-zero when fewer tests match")
    ap.add_argument("--min-converted", type=int, default=0,
                    help="exit non-zero when fewer in-scope tests convert (a regression guard)")
    args = ap.parse_args()

    total = scoped = passed = crashes = 0
    failures = collections.defaultdict(list)
    left_out = collections.Counter()
    converted = []
    for test in sorted(TESTDATA.iterdir()):
        path = test / "model.onnx"
        if not path.exists():
            continue
        total += 1
        model = onnx.load(str(path), load_external_data=False)
        ops = ops_of(model)
        proc = subprocess.run([args.moe_compile, str(path), "--compile-to=" + args.phase, "-o", "/dev/null"],
                              capture_output=True, text=True, timeout=120)
        if proc.returncode not in (0, 1):
            crashes += 1
            print(f"CRASH {test.name} (exit {proc.returncode})", file=sys.stderr)
        if not in_scope(ops):
            continue
        reason = excluded(model)
        if reason:
            left_out[reason] += 1
            continue
        scoped += 1
        if proc.returncode == 0:
            passed += 1
            converted.append(test)
            continue
        first = next((l for l in proc.stderr.splitlines() if "error:" in l), proc.stderr.strip()[:200])
        reason = first.split("error: ", 1)[-1]
        key = ",".join(sorted(o for _, o in ops))
        failures[key].append((test.name, reason))

    print(f"node tests: {total}; in scope: {scoped}; converted to '{args.phase}': {passed} "
          f"({100.0 * passed / max(scoped, 1):.1f}%); crashes: {crashes}")
    for reason, count in sorted(left_out.items()):
        print(f"  left out of scope: {count} with {reason}")
    for key, items in sorted(failures.items(), key=lambda kv: -len(kv[1])):
        print(f"  {len(items):3d} [{key}] e.g. {items[0][0]}: {items[0][1][:160]}")
        if args.verbose:
            for name, reason in items[1:]:
                print(f"        {name}: {reason[:160]}")
    if passed < args.min_converted:
        print(f"regression: {passed} converted, expected at least {args.min_converted}")
        return 1
    if args.ptxas:
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            outcomes = list(pool.map(lambda t: (t, run_ptxas(t, args)), converted))
        assembled = sum(1 for _, o in outcomes if o is None)
        print(f"ptxas ({args.ptxas}): {assembled} of {scoped} in scope compile to PTX that assembles "
              f"({100.0 * assembled / max(scoped, 1):.1f}%)")
        for test, outcome in outcomes:
            if outcome:
                print(f"  fails to {outcome[0]}: {test.name}: {outcome[1][:200]}")
                crashes += outcome[0] == "crash"
        if assembled < args.min_assembled:
            print(f"regression: {assembled} assemble, expected at least {args.min_assembled}")
            return 1
    if args.moe_run:
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            outcomes = list(pool.map(lambda t: (t, run_numerics(t, args)), converted))
        matched = sum(1 for _, o in outcomes if o is None)
        by_kind = collections.defaultdict(list)
        expected = []
        for test, outcome in outcomes:
            if outcome and test.name in EXPECTED_NUMERIC_FAILURES:
                expected.append((test.name, EXPECTED_NUMERIC_FAILURES[test.name]))
            elif outcome:
                by_kind[outcome[0]].append((test.name, outcome[1]))
        print(f"numerics: {matched} of {scoped} in scope compile, run and match "
              f"({100.0 * matched / max(scoped, 1):.1f}%); expected failures: {len(expected)}; "
              f"unexpected: {sum(len(v) for v in by_kind.values())}")
        for name, reason in expected:
            print(f"  expected: {name}: {reason}")
        for kind, items in sorted(by_kind.items()):
            print(f"  {len(items)} fail to {kind}:")
            for name, reason in items if args.verbose else items[:40]:
                print(f"    {name}: {reason[:200]}")
        if any(k == "crash" for k in by_kind):
            crashes += 1
        if matched < args.min_matched:
            print(f"regression: {matched} match, expected at least {args.min_matched}")
            return 1
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
