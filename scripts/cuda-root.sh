# cuda-root.sh: sourced by device-prepare.sh and device-check.sh. cuda_root prints the CUDA
# toolkit's root (the folder with bin/nvcc and include/cuda_runtime.h), or fails.
# Why not dirname "$(command -v nvcc)": a machine may put a wrapper script on PATH
# (/usr/local/bin/nvcc: exec /usr/local/cuda-13.0/bin/nvcc "$@"), whose folder is no toolkit.
cuda_root() {
  local nvcc candidate
  nvcc=$(command -v nvcc 2>/dev/null || true)
  for candidate in ${CUDA_HOME:-} ${CUDA_PATH:-} \
    ${nvcc:+"$(dirname "$(readlink -f "$nvcc")")/.."} \
    ${nvcc:+"$(sed -n 's|^exec \(/[^ ]*\)/bin/nvcc .*|\1|p' "$nvcc" 2>/dev/null | head -1)"} \
    /usr/local/cuda /usr/local/cuda-*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/nvcc" ] && [ -f "$candidate/include/cuda_runtime.h" ] &&
      { (cd "$candidate" && pwd); return 0; }
  done
  return 1
}
