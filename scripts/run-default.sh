#!/usr/bin/env bash
# The main job on its built-in default: installs dependencies, builds, and runs ulysses-a2a's
# default report (8 ranks, round-robin, Wan2.1-14B shapes) into ./out.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/install-deps.sh
bash scripts/build.sh build -DUA2A_TESTS=OFF >/dev/null
./build/cli/ulysses-a2a schedule --ranks 8 --algo round-robin
