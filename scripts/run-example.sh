#!/usr/bin/env bash
# The README's main job on the bundled example (examples/mixtral-moe: a
# Mixtral-style MoE block exported by torch, an input and torch's output):
# installs what is missing, builds, compiles the model to a shared library
# for this CPU, runs it on the input, checks it against the reference and
# prints the latency; then compiles it for the npu-910b-like NPU (its f32
# matmuls in f16 on the cube) and runs that program in the simulator, which
# checks it the same way and prints the simulated time.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${MOE_BUILD_DIR:-$root/build}
example=$root/examples/mixtral-moe

"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" moe-compile moe-run

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
start=$(date +%s%N)
"$build/bin/moe-compile" "$example/model.onnx" -o "$out/model.so"
end=$(date +%s%N)
echo "compiled $example/model.onnx to a shared library in $(((end - start) / 1000000)) ms"
"$build/bin/moe-run" "$out/model.so" --data "$example/test_data_set_0" --bench 100

"$build/bin/moe-compile" "$example/model.onnx" --target=npu-910b-like --npu-matmul-type=f16 \
  -o "$out/model.npu"
echo "compiled $example/model.onnx for npu-910b-like; simulated:"
"$build/bin/moe-run" "$out/model.npu" --data "$example/test_data_set_0" --rtol 2e-2 --atol 2e-3
