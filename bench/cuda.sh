#!/usr/bin/env bash
# The GPU benchmark (needs an NVIDIA GPU and driver): moe's CUDA libraries
# against PyTorch on the same GPU where PyTorch has CUDA.
#   bench/cuda.sh [--runs N] [--target cuda-sm90]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" moe-compile moe-run
/usr/bin/python3 "$root/bench/cuda_compare.py" --tools "$root/build/bin" "$@"
