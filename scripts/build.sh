#!/usr/bin/env bash
# Configures and builds one build tree. Usage: scripts/build.sh DIR [cmake options...]
# UA2A_TARGETS="a b" builds only those targets.
set -euo pipefail
dir=${1:?usage: scripts/build.sh DIR [cmake options]}
shift
root=$(cd "$(dirname "$0")/.." && pwd)
cmake -S "$root" -B "$dir" -G Ninja "$@" >"$dir.configure.log" 2>&1 || { cat "$dir.configure.log"; exit 1; }
grep -E "ulysses-a2a:" "$dir.configure.log" || true
# shellcheck disable=SC2086
ninja -C "$dir" -j"$(nproc)" ${UA2A_TARGETS:-}
