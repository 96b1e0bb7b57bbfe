#!/usr/bin/env bash
# The whole test suite: installs dependencies, then
#   1. builds (with CUDA when a toolkit is present) and runs every test (GPU tests skip without a GPU),
#   2. builds again with -fsanitize=address,undefined (CPU parts) and runs every test,
#   3. builds the libFuzzer targets with clang and runs each for a short while,
#   4. builds the GPU slice exactly as the lent GPU machine will (scripts/device-check.sh
#      --build-only: against .device-deps/ alone, sm_90): 302 s measured on a shared 2-core
#      machine (configure 7 s, build 295 s; 368 s when the machine was busier).
# python3-torch (install-deps.sh, for tests/python) adds about 1 min to a first install (171
# packages, 147 MB of archives, 635 MB installed; 50 s to unpack and set up here) and 45
# CPU-seconds to stage 1's ctest (the four tests alone: 58 s of wall time with -j2 on this 2-core
# machine at a load average of 6-8 from other builds); the sanitized stage leaves them out.
# Prints one closing line "stages: N passed, N failed" (each stage: a build, a ctest run of the
# whole suite, or one fuzz target) and exits non-zero on any failure.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/install-deps.sh || exit 1
fuzz_seconds=${UA2A_FUZZ_SECONDS:-20}
# install-deps.sh installed spin and SimGrid: their tests fail here instead of skipping.
export UA2A_REQUIRE_TOOLS=1
# Leak suppressions by exact frame, for Graphviz's and fontconfig's caches (tests/lsan.supp); the
# suppressed counts stay off stderr, where the CLI tests read the command's messages.
export LSAN_OPTIONS="suppressions=$root/tests/lsan.supp:print_suppressions=0"
passed=0
failed=0

stage() {  # stage NAME COMMAND...: runs one stage, counts it
  local name=$1
  shift
  echo "=== $name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "=== FAILED: $name"; fi
}

run_ctest() {  # run_ctest DIR: runs the suite of one build tree
  (cd "$1" && ctest --output-on-failure -j2 --timeout 900)
}

run_ctest_sanitized() {  # run_ctest_sanitized DIR: the same, with leak checks and UBSan stacks
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 run_ctest "$1"
}

stage "build" bash scripts/build.sh build-test -DUA2A_REQUIRE_ALL=ON
stage "tests" run_ctest build-test
# Without MPI: Open MPI's initialisation leaks by design and would fail every leak check.
stage "build (asan+ubsan)" bash scripts/build.sh build-asan -DUA2A_SANITIZE=ON -DUA2A_CUDA=OFF \
  -DCMAKE_DISABLE_FIND_PACKAGE_MPI=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
stage "tests (asan+ubsan)" run_ctest_sanitized build-asan
fuzz_targets=$(sed -n 's/^ua2a_add_fuzzer(\(fuzz_[a-z_]*\).*/\1/p' tests/fuzz/CMakeLists.txt | tr '\n' ' ')
stage "build (fuzz)" env UA2A_TARGETS="$fuzz_targets" bash scripts/build.sh build-fuzz -DUA2A_FUZZ=ON -DUA2A_TESTS=OFF -DUA2A_CUDA=OFF \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang
for target in build-fuzz/tests/fuzz/fuzz_*; do
  [ -x "$target" ] || continue
  name=$(basename "$target")
  corpus="tests/fuzz/corpus/${name#fuzz_}"
  work=$(mktemp -d)
  [ -d "$corpus" ] && cp -r "$corpus/." "$work/"
  mkdir -p build-fuzz/crashes
  stage "fuzz $name (${fuzz_seconds}s)" "$target" -max_total_time="$fuzz_seconds" -max_len=65536 -rss_limit_mb=4096 \
    -print_final_stats=0 -artifact_prefix=build-fuzz/crashes/ "$work"
  rm -rf "$work"
done

# The device slice: proves the GPU run's configuration builds from .device-deps alone. Without
# nvcc there is nothing of it to prove here; say so instead of passing silently.
device_slice() {
  [ -f .device-deps/root/usr/share/cmake/CLI11/CLI11Config.cmake ] || bash scripts/device-prepare.sh || return 1
  BUILD="$root/build-device-ci" bash scripts/device-check.sh --build-only
}
if command -v nvcc >/dev/null || [ -x /usr/local/cuda/bin/nvcc ]; then
  stage "device slice (device-check.sh --build-only)" device_slice
else
  echo "=== skipped: device slice (device-check.sh --build-only): no nvcc on this machine, the GPU build is unproven here"
fi

echo "stages: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
