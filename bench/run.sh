#!/usr/bin/env bash
# The benchmark (its own command, not part of the tests): moe against ONNX
# Runtime 1.30 CPU on the same models, inputs and threads, and the compiled
# matmul against this machine's measured FMA peak.
#
#   bench/run.sh [--runs N] [--threads T]
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
/usr/bin/python3 "$root/bench/make_models.py" "$work/models"
/usr/lib/llvm-22/bin/clang -O2 -march=native "$root/bench/fma_peak.c" -o "$work/fma_peak"
/usr/bin/python3 "$root/bench/compare.py" --build "$build" --models "$work/models" \
  --ort-dir "$work/ort" --fma-peak "$work/fma_peak" "$@"
