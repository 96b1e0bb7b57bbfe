#!/usr/bin/env bash
# The main job on its built-in default: installs dependencies, builds, and runs `ulysses-a2a
# report`: every schedule of the study proved (verify) and timed (simulate) for Wan2.1-14B 480p on
# an 8 x RTX 4090 dual-socket box, the layer checked end to end on the CPU, and the report, its
# JSON and its pictures written to ./out.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/install-deps.sh
bash scripts/build.sh build -DUA2A_TESTS=OFF >build.log 2>&1 || { tail -40 build.log; exit 1; }
./build/cli/ulysses-a2a report --out out
