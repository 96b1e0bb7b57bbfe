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

/// Above 48 KiB of dynamic shared memory a kernel must opt in. The attribute belongs to the
/// function on the current device, so once per device, not on every launch.
template <int kHeadDim, int kBlockN, typename T>
void opt_in_shared_memory() {
  using Tr = flash::Traits<kHeadDim, kBlockN>;
  if constexpr (Tr::kSmemBytes > 48 * 1024) {
    const auto kernel = flash::flash_forward_kernel<Tr, T>;
    static OptIn opt_in;
    int device = 0;
    UA2A_CUDA_CHECK(cudaGetDevice(&device));
    std::lock_guard lock(opt_in.mu);
    if (device >= OptIn::kMaxDevices || !opt_in.done[device]) {
      UA2A_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, Tr::kSmemBytes));
      if (device < OptIn::kMaxDevices) opt_in.done[device] = true;
    }
  }
}

template <int kHeadDim, int kBlockN, typename T>
void launch(const flash::Params& p, cudaStream_t stream) {
  using Tr = flash::Traits<kHeadDim, kBlockN>;
  const auto kernel = flash::flash_forward_kernel<Tr, T>;
  opt_in_shared_memory<kHeadDim, kBlockN, T>();
  const dim3 grid(static_cast<unsigned>((p.seq + Tr::kBlockM - 1) / Tr::kBlockM), static_cast<unsigned>(p.heads));
  kernel<<<grid, Tr::kThreads, Tr::kSmemBytes, stream>>>(p);
  UA2A_CUDA_CHECK(cudaGetLastError());
}

/// Keys per tile at D = 128 on the current device: 64 where two such blocks fit in an SM's shared
/// memory (H200: three), else 32 (RTX 4090, 100 KiB per SM: one 64-key block, two 32-key ones).
/// D = 64 always takes 64 keys (two blocks fit even 100 KiB).
int block_n_128() {
  constexpr int kReservedPerBlock = 1024;  // shared memory the runtime keeps per block (sm_80 on)
  int device = 0, per_sm = 0;
  UA2A_CUDA_CHECK(cudaGetDevice(&device));
  UA2A_CUDA_CHECK(cudaDeviceGetAttribute(&per_sm, cudaDevAttrMaxSharedMemoryPerMultiprocessor, device));
  return per_sm >= 2 * (flash::Traits<128, 64>::kSmemBytes + kReservedPerBlock) ? 64 : 32;
}

bool aligned16(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 16 == 0; }

}  // namespace

void attention_forward(const AttentionParams& a, cudaStream_t stream, std::uint32_t block_n) {
  if (a.head_dim != 64 && a.head_dim != 128)
    throw std::invalid_argument("attention takes head dims 64 and 128, got " + std::to_string(a.head_dim));
  if (a.seq == 0 || a.seq > 0x7fffffffu || a.heads == 0 || a.heads > 65535 || a.seq * a.heads * a.head_dim > 0x7fffffffu * 8ull)
    throw std::invalid_argument("attention shape out of range: seq " + std::to_string(a.seq) + ", heads " +
                                std::to_string(a.heads));
  // cp.async moves 16-byte vectors: every row of every tensor must start on a 16-byte boundary.
  if (!aligned16(a.q) || !aligned16(a.k) || !aligned16(a.v) || !aligned16(a.out))
    throw std::invalid_argument("attention needs 16-byte aligned q, k, v and out");
  if (block_n != 0 && block_n != 64 && !(block_n == 32 && a.head_dim == 128))
    throw std::invalid_argument("flash attention key tiles: 64, or 32 at head dim 128; got " + std::to_string(block_n));
  check_padding(a);
  if (block_n == 0) block_n = static_cast<std::uint32_t>(flash_block_n(a.head_dim));
  const flash::Params p{a.q,
                        a.k,
                        a.v,
                        a.out,
                        static_cast<int>(a.seq),
                        static_cast<int>(a.heads),
                        static_cast<int>(a.heads * a.head_dim),
                        a.scale * static_cast<float>(M_LOG2E),
                        static_cast<int>(a.pad_begin),
                        static_cast<int>(a.pad_end)};
  // The one runtime-to-compile-time dispatch: head dim x key tile x element type.
  const bool bf16 = a.elem == ElemType::bf16;
  if (a.head_dim == 64) bf16 ? launch<64, 64, __nv_bfloat16>(p, stream) : launch<64, 64, __half>(p, stream);
  else if (block_n == 64) bf16 ? launch<128, 64, __nv_bfloat16>(p, stream) : launch<128, 64, __half>(p, stream);
  else bf16 ? launch<128, 32, __nv_bfloat16>(p, stream) : launch<128, 32, __half>(p, stream);
}

std::uint32_t flash_block_n(std::uint64_t head_dim) { return head_dim == 64 ? 64 : block_n_128(); }

namespace {

template <int kHeadDim, int kBlockN>
int blocks_per_sm() {
  using Tr = flash::Traits<kHeadDim, kBlockN>;
  opt_in_shared_memory<kHeadDim, kBlockN, __nv_bfloat16>();
  int blocks = 0;
  UA2A_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(
      &blocks, flash::flash_forward_kernel<Tr, __nv_bfloat16>, Tr::kThreads, Tr::kSmemBytes));
  return blocks;
}

}  // namespace

int flash_blocks_per_sm(std::uint64_t head_dim, std::uint32_t block_n) {
  if (head_dim == 64 && block_n == 64) return blocks_per_sm<64, 64>();
  if (head_dim == 128 && block_n == 64) return blocks_per_sm<128, 64>();
  if (head_dim == 128 && block_n == 32) return blocks_per_sm<128, 32>();
  throw std::invalid_argument("flash attention has no (head dim " + std::to_string(head_dim) + ", " +
                              std::to_string(block_n) + "-key) configuration: 64 with 64 keys, 128 with 32 or 64");
}

}  // namespace ua2a
