// Flash attention, layer 3: checks at the API boundary, runtime-to-compile-time dispatch in one
// place, the launch (grid, shared-memory opt-in, launch check). attention_forward is the
// layer's attention; attention_forward_simple (attention.cu) stays as the plain reference kernel.
#include <bitset>
#include <cmath>
#include <mutex>
#include <stdexcept>
#include <string>

#include "backend/cuda/check.h"
#include "backend/cuda/flash/flash_kernel.cuh"
#include "backend/cuda/kernels.h"

namespace ua2a {

namespace {

/// Which devices have a kernel's shared-memory opt-in; one per kernel instantiation.
struct OptIn {
  static constexpr int kMaxDevices = 64;
  std::mutex mu;
  std::bitset<kMaxDevices> done;
};

template <int kHeadDim, typename T>
void launch(const flash::Params& p, cudaStream_t stream) {
  using Tr = flash::Traits<kHeadDim>;
  const auto kernel = flash::flash_forward_kernel<Tr, T>;
  // Above 48 KiB of dynamic shared memory a kernel must opt in. The attribute belongs to the
  // function on the current device, so once per device, not on every launch.
  if constexpr (Tr::kSmemBytes > 48 * 1024) {
    static OptIn opt_in;
    int device = 0;
    UA2A_CUDA_CHECK(cudaGetDevice(&device));
    std::lock_guard lock(opt_in.mu);
    if (device >= OptIn::kMaxDevices || !opt_in.done[device]) {
      UA2A_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, Tr::kSmemBytes));
      if (device < OptIn::kMaxDevices) opt_in.done[device] = true;
    }
  }
  const dim3 grid(static_cast<unsigned>((p.seq + Tr::kBlockM - 1) / Tr::kBlockM), static_cast<unsigned>(p.heads));
  kernel<<<grid, Tr::kThreads, Tr::kSmemBytes, stream>>>(p);
  UA2A_CUDA_CHECK(cudaGetLastError());
}

bool aligned16(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 16 == 0; }

}  // namespace

void attention_forward(const AttentionParams& a, cudaStream_t stream) {
  if (a.head_dim != 64 && a.head_dim != 128)
    throw std::invalid_argument("attention takes head dims 64 and 128, got " + std::to_string(a.head_dim));
  if (a.seq == 0 || a.seq > 0x7fffffffu || a.heads == 0 || a.heads > 65535 || a.seq * a.heads * a.head_dim > 0x7fffffffu * 8ull)
    throw std::invalid_argument("attention shape out of range: seq " + std::to_string(a.seq) + ", heads " +
                                std::to_string(a.heads));
  // cp.async moves 16-byte vectors: every row of every tensor must start on a 16-byte boundary.
  if (!aligned16(a.q) || !aligned16(a.k) || !aligned16(a.v) || !aligned16(a.out))
    throw std::invalid_argument("attention needs 16-byte aligned q, k, v and out");
  const flash::Params p{a.q,
                        a.k,
                        a.v,
                        a.out,
                        static_cast<int>(a.seq),
                        static_cast<int>(a.heads),
                        static_cast<int>(a.heads * a.head_dim),
                        a.scale * static_cast<float>(M_LOG2E)};
  const bool bf16 = a.elem == ElemType::bf16;
  if (a.head_dim == 64) bf16 ? launch<64, __nv_bfloat16>(p, stream) : launch<64, __half>(p, stream);
  else bf16 ? launch<128, __nv_bfloat16>(p, stream) : launch<128, __half>(p, stream);
}

std::uint32_t flash_block_n(std::uint64_t head_dim) {
  return head_dim == 64 ? flash::Traits<64>::kBlockN : flash::Traits<128>::kBlockN;
}

}  // namespace ua2a
