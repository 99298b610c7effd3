#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs every
# test. Ends with "N passed, N failed" and a non-zero exit on any failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${MOE_BUILD_DIR:-$root/build}

"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
/usr/lib/llvm-22/bin/lit -sv "$build/test" | tee "$log" || status=$?

count() { sed -n "s/^ *$1 *: *\([0-9]*\).*/\1/p" "$log" | head -n 1; }
passed=$(count Passed); failed=$(count Failed)
echo "${passed:-0} passed, ${failed:-0} failed"
if [[ $status -ne 0 || -z $passed ]]; then
  exit 1
fi
