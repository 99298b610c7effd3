#!/usr/bin/env bash
# Remakes the bundled example: a Mixtral-style sparse MoE block (hidden 32,
# ffn 64, 4 experts, top-2, 16 tokens) exported by Debian's torch, with one
# input and torch's own output as the reference. Seeded, so it is the same
# model each time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
/usr/bin/python3 "$root/test/Frontend/Onnx/Inputs/export_moe_block.py" \
  "$here/model.onnx" --data "$here/test_data_set_0" \
  --hidden 32 --ffn 64 --experts 4 --top-k 2 --seq 16 --opset 14 2>/dev/null
