#!/usr/bin/env bash
# On a machine with an NVIDIA GPU and its driver: builds, then runs every
# CUDA check that needs the GPU in one go, each against the numpy/torch or
# ONNX reference outputs:
#   - the e2e models and the bundled example (tools/cuda/e2e.py --run),
#   - the ONNX node tests' numerics compiled for the GPU,
#   - lit's tests gated by REQUIRES: cuda-gpu,
# and then the GPU benchmark (bench/cuda_compare.py: against PyTorch on the
# same GPU where PyTorch has CUDA).
# The target follows the GPU's compute capability (override: MOE_CUDA_TARGET).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export PATH=/usr/lib/llvm-22/bin:$PATH:/usr/local/cuda/bin
"$root/scripts/build.sh"
target=${MOE_CUDA_TARGET:-}
if [[ -z $target ]]; then
  cap=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d ' .')
  case $cap in
    80|86|89|90) target=cuda-sm$cap ;;
    *) target=cuda-sm80 ;;   # PTX for sm_80 runs on every later GPU
  esac
fi
echo "== GPU: $(nvidia-smi -L 2>/dev/null | head -1 || echo unknown); target $target"
status=0
echo "== e2e models on the GPU"
/usr/bin/python3 "$root/tools/cuda/e2e.py" --tools "$root/build/bin" --run "$target" || status=1
echo "== ONNX node tests on the GPU"
/usr/bin/python3 "$root/tools/conformance/node-tests.py" --moe-compile "$root/build/bin/moe-compile" \
  --moe-run "$root/build/bin/moe-run" --target "$target" --jobs 4 || status=1
echo "== lit (REQUIRES: cuda-gpu tests included)"
lit -q "$root/build/test" || status=1
echo "== benchmark"
/usr/bin/python3 "$root/bench/cuda_compare.py" --tools "$root/build/bin" --target "$target" || status=1
exit $status
