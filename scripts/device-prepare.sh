#!/usr/bin/env bash
# device-prepare.sh: run on a development machine (Debian 12, network to its package mirror)
# before a device run. Unpacks what the GPU slice needs beyond CUDA, CMake and ninja into the
# ignored folder .device-deps/, which travels to the GPU machine with the device tool's `carry`
# (that machine has no Debian development packages and no network):
#   nlohmann-json3-dev, libcli11-dev (headers and CMake configs), googletest (sources, built there),
#   and NCCL's header nccl.h from this machine's CUDA toolkit (Debian 12 has no libnccl-dev in
#   main; the CUDA 13 install here ships nccl.h beside its libnccl, the GPU machine has the
#   library through PyTorch's nvidia-nccl wheel).
# Nothing is copied into the repository. Prints the folder's size; fails above 48 MiB.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEPS=$ROOT/.device-deps
PACKAGES=(nlohmann-json3-dev libcli11-dev googletest)
LIMIT_MIB=48

die() { echo "device-prepare: $*" >&2; exit 1; }
command -v apt-get >/dev/null && command -v dpkg >/dev/null || die "needs apt-get and dpkg (a Debian machine)"

rm -rf "$DEPS"
mkdir -p "$DEPS/debs" "$DEPS/root" "$DEPS/nccl/include"
# apt-get download writes as the _apt user where it can: a folder _apt owns spares the warning.
chown _apt "$DEPS/debs" 2>/dev/null || true
(cd "$DEPS/debs" && apt-get download -q "${PACKAGES[@]}") ||
  die "apt-get download failed: run 'apt-get update' first (packages: ${PACKAGES[*]})"
for deb in "$DEPS"/debs/*.deb; do dpkg -x "$deb" "$DEPS/root"; done
rm -rf "$DEPS/debs" "$DEPS/root/usr/share/doc"

# shellcheck source=cuda-root.sh
. "$ROOT/scripts/cuda-root.sh"
cuda=$(cuda_root || true)
# nccl.h: NCCL_HOME's, else the CUDA toolkit's, else a system libnccl-dev's.
header=""
for candidate in ${NCCL_HOME:+$NCCL_HOME/include/nccl.h} ${cuda:+$cuda/include/nccl.h} /usr/include/nccl.h; do
  [ -f "$candidate" ] && { header=$candidate; break; }
done
[ -n "$header" ] || die "nccl.h not found (looked in \$NCCL_HOME/include, ${cuda:-the CUDA toolkit (none found)}/include and /usr/include): set NCCL_HOME to an NCCL install"
cp "$header" "$DEPS/nccl/include/"

[ -f "$DEPS/root/usr/share/cmake/nlohmann_json/nlohmann_jsonConfig.cmake" ] || die "nlohmann-json's CMake config is missing"
[ -f "$DEPS/root/usr/share/cmake/CLI11/CLI11Config.cmake" ] || die "CLI11's CMake config is missing"
[ -f "$DEPS/root/usr/src/googletest/CMakeLists.txt" ] || die "googletest's sources are missing"
kib=$(du -sk "$DEPS" | cut -f1)
echo "device-prepare: $DEPS holds $((kib / 1024)).$(((kib % 1024) * 10 / 1024)) MiB ($(find "$DEPS" -type f | wc -l) files):" \
  "${PACKAGES[*]}, nccl.h $(sed -n 's/^#define NCCL_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\).*/\2/p' "$header" | paste -sd.)"
[ "$kib" -le $((LIMIT_MIB * 1024)) ] || die "$DEPS is over $LIMIT_MIB MiB"
