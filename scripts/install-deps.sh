#!/usr/bin/env bash
# Installs every build and test dependency from Debian packages. Idempotent: skips apt when all
# packages are present already. Needs root (or sudo) on Debian 12.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev
  libgtest-dev libgmock-dev libcli11-dev libboost-graph-dev nlohmann-json3-dev
  libgraphviz-dev graphviz spin libsimgrid-dev
  libopenmpi-dev  # optional: MPI bootstrap of the nccl transport (backend); builds without it
  python3-torch  # tests/python: the PyTorch package's multi-process tests (torch 1.13, CPU, gloo)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
