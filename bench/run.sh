#!/usr/bin/env bash
# The benchmark (its own command, not part of the tests): moe against ONNX
# Runtime 1.30 CPU on the same models, inputs and threads, and the compiled
# matmul against this machine's measured FMA peak.
#
#   bench/run.sh [--runs N] [--threads T] [--large] [--only NAME_PREFIX ...]
#
# --large adds the issue-8 sizes (see make_models.py): GBs of exports.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${MOE_BUILD_DIR:-$root/build}
work=$build/bench

"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" moe-compile moe-run
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  sudo=$([ "$(id -u)" = 0 ] || echo sudo)
  $sudo apt-get install -y nodejs npm
fi
# onnxruntime-node from the npm registry; its install script only fetches
# GPU extras, so it is skipped.
if [ ! -d "$work/ort/node_modules/onnxruntime-node" ]; then
  mkdir -p "$work/ort"
  (cd "$work/ort" && npm install onnxruntime-node@1.30 --ignore-scripts \
     --no-audit --no-fund --silent)
fi
large=
args=()
for arg in "$@"; do
  if [ "$arg" = --large ]; then large=--large; else args+=("$arg"); fi
done
models=$work/models${large:+-large}
/usr/bin/python3 "$root/bench/make_models.py" "$models" $large
/usr/lib/llvm-22/bin/clang -O2 -march=native "$root/bench/fma_peak.c" -o "$work/fma_peak"
/usr/lib/llvm-22/bin/clang -O2 -march=native "$root/bench/read_bandwidth.c" -lpthread \
  -o "$work/read_bandwidth"
/usr/bin/python3 "$root/bench/compare.py" --build "$build" --models "$models" \
  --ort-dir "$work/ort" --fma-peak "$work/fma_peak" \
  --read-bandwidth "$work/read_bandwidth" "${args[@]}"
