#!/usr/bin/env bash
# The README's main job on the bundled example: installs what is missing,
# builds, compiles examples/mixtral_block.mlir through the moe-level pipeline,
# checks the result and prints where the time went. (The ONNX frontend and
# the code generators come with later issues; this runs as far as the code
# goes.)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${MOE_BUILD_DIR:-$root/build}
example=$root/examples/mixtral_block.mlir

"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" moe-opt

out=$(mktemp)
trap 'rm -f "$out"' EXIT
start=$(date +%s%N)
"$build/bin/moe-opt" "$example" --moe-optimize-pipeline --mlir-timing -o "$out"
end=$(date +%s%N)
/usr/lib/llvm-22/bin/FileCheck --input-file="$out" "$example"
echo "compiled $example to the moe level: checked (dispatch, grouped matmuls, combine)"
echo "wall time: $(((end - start) / 1000000)) ms"
