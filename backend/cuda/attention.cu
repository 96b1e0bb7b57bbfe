// The simple GPU attention (non-causal, any length, D in {64, 128}): plain float32 arithmetic, a
// second kernel to check the flash kernel against (attention_forward, flash/flash_launch.cu).
//
// One thread block: kWarps warps x kRowsPerWarp query rows of one head. Per tile of kKeys = 32
// keys, K and V are staged in shared memory as float32; lane i scores key i of the tile against
// each of its warp's rows (a full dot product, no shuffles), then the warp updates the online
// softmax (running max m, sum l) and its accumulators, lane i owning dims i, i+32, ...
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cmath>
#include <stdexcept>

#include "backend/cuda/check.h"
#include "backend/cuda/kernels.h"

namespace ua2a {

namespace {

template <int kHeadDim>
struct AttentionTraits {
  static constexpr int kWarps = 4;
  static constexpr int kRowsPerWarp = 4;
  static constexpr int kRowsPerBlock = kWarps * kRowsPerWarp;
  static constexpr int kKeys = 32;                  // one key per lane
  static constexpr int kDimsPerLane = kHeadDim / 32;
  static constexpr int kKStride = kHeadDim + 1;     // padding: lane i reads row i, no bank conflicts
  static constexpr int kSmemFloats = kKeys * kKStride + kKeys * kHeadDim + kRowsPerBlock * kHeadDim;
  static_assert(kHeadDim % 32 == 0, "a lane owns kHeadDim / 32 output dims");
};

template <class T>
__device__ float load_float(const T* p);
template <>
__device__ float load_float(const __nv_bfloat16* p) { return __bfloat162float(*p); }
template <>
__device__ float load_float(const __half* p) { return __half2float(*p); }
template <class T>
__device__ void store_float(T* p, float x);
template <>
__device__ void store_float(__nv_bfloat16* p, float x) { *p = __float2bfloat16_rn(x); }
template <>
__device__ void store_float(__half* p, float x) { *p = __float2half_rn(x); }

__device__ float warp_max(float v) {
  for (int off = 16; off > 0; off /= 2) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, off));
  return v;
}
__device__ float warp_sum(float v) {
  for (int off = 16; off > 0; off /= 2) v += __shfl_xor_sync(0xffffffffu, v, off);
  return v;
}

template <class T, int kHeadDim>
__global__ void __launch_bounds__(AttentionTraits<kHeadDim>::kWarps * 32) attention_kernel(AttentionParams p) {
  using Tr = AttentionTraits<kHeadDim>;
  extern __shared__ float smem[];
  float* k_tile = smem;                                // [kKeys][kKStride]
  float* v_tile = k_tile + Tr::kKeys * Tr::kKStride;  // [kKeys][kHeadDim]
  float* q_rows = v_tile + Tr::kKeys * kHeadDim;      // [kRowsPerBlock][kHeadDim]
  const T* q = static_cast<const T*>(p.q);
  const T* k = static_cast<const T*>(p.k);
  const T* v = static_cast<const T*>(p.v);
  T* out = static_cast<T*>(p.out);
  const std::uint64_t head = blockIdx.y, S = p.seq, H = p.heads;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const std::uint64_t row0 = static_cast<std::uint64_t>(blockIdx.x) * Tr::kRowsPerBlock;

  for (int i = threadIdx.x; i < Tr::kRowsPerBlock * kHeadDim; i += blockDim.x) {
    const std::uint64_t row = row0 + i / kHeadDim;
    q_rows[i] = row < S ? load_float(q + (row * H + head) * kHeadDim + i % kHeadDim) * p.scale : 0.0f;
  }
  // Registers only if every loop indexing these arrays is unrolled: one loop left rolled puts
  // them in local memory (the D = 128 instance had a stack frame before; ptxas -v).
  float m[Tr::kRowsPerWarp], l[Tr::kRowsPerWarp], acc[Tr::kRowsPerWarp][Tr::kDimsPerLane];
#pragma unroll
  for (int r = 0; r < Tr::kRowsPerWarp; ++r) {
    m[r] = -INFINITY, l[r] = 0.0f;
#pragma unroll
    for (int d = 0; d < Tr::kDimsPerLane; ++d) acc[r][d] = 0.0f;
  }
  for (std::uint64_t key0 = 0; key0 < S; key0 += Tr::kKeys) {
    __syncthreads();  // the previous tile is no longer read
    for (int i = threadIdx.x; i < Tr::kKeys * kHeadDim; i += blockDim.x) {
      const int kk = i / kHeadDim, d = i % kHeadDim;
      const std::uint64_t key = key0 + kk;
      const bool in = key < S;
      k_tile[kk * Tr::kKStride + d] = in ? load_float(k + (key * H + head) * kHeadDim + d) : 0.0f;
      v_tile[kk * kHeadDim + d] = in ? load_float(v + (key * H + head) * kHeadDim + d) : 0.0f;
    }
    __syncthreads();
    const std::uint64_t key = key0 + lane;
    const bool key_in = key < S && !(key >= p.pad_begin && key < p.pad_end);  // padding keys are masked
#pragma unroll
    for (int r = 0; r < Tr::kRowsPerWarp; ++r) {
      const float* qr = q_rows + (warp * Tr::kRowsPerWarp + r) * kHeadDim;
      float s = 0.0f;
      for (int d = 0; d < kHeadDim; ++d) s += qr[d] * k_tile[lane * Tr::kKStride + d];
      s = key_in ? s : -INFINITY;
      const float m_new = fmaxf(m[r], warp_max(s));
      // -inf while only padding keys were seen: subtract 0 then, so the weights are 0, not NaN.
      const float m_safe = m_new == -INFINITY ? 0.0f : m_new;
      const float correction = expf(m[r] - m_safe);
      const float prob = expf(s - m_safe);
      l[r] = l[r] * correction + warp_sum(prob);
      m[r] = m_new;
#pragma unroll
      for (int d = 0; d < Tr::kDimsPerLane; ++d) acc[r][d] *= correction;
      for (int kk = 0; kk < Tr::kKeys; ++kk) {
        const float pk = __shfl_sync(0xffffffffu, prob, kk);
#pragma unroll
        for (int d = 0; d < Tr::kDimsPerLane; ++d) acc[r][d] += pk * v_tile[kk * kHeadDim + lane + 32 * d];
      }
    }
  }
#pragma unroll
  for (int r = 0; r < Tr::kRowsPerWarp; ++r) {
    const std::uint64_t row = row0 + warp * Tr::kRowsPerWarp + r;
    if (row >= S) continue;
#pragma unroll
    for (int d = 0; d < Tr::kDimsPerLane; ++d)
      store_float(out + (row * H + head) * kHeadDim + lane + 32 * d, acc[r][d] / l[r]);
  }
}

template <class T, int kHeadDim>
void launch(const AttentionParams& p, cudaStream_t stream) {
  using Tr = AttentionTraits<kHeadDim>;
  constexpr int kSmemBytes = Tr::kSmemFloats * sizeof(float);
  static_assert(kSmemBytes <= 48 * 1024, "fits the default shared-memory limit, no attribute needed");
  const dim3 grid(static_cast<unsigned>((p.seq + Tr::kRowsPerBlock - 1) / Tr::kRowsPerBlock),
                  static_cast<unsigned>(p.heads));
  attention_kernel<T, kHeadDim><<<grid, Tr::kWarps * 32, kSmemBytes, stream>>>(p);
  UA2A_CUDA_CHECK(cudaGetLastError());
}

}  // namespace

void attention_forward_simple(const AttentionParams& p, cudaStream_t stream) {
  if (p.head_dim != 64 && p.head_dim != 128)
    throw std::invalid_argument("attention takes head dims 64 and 128, got " + std::to_string(p.head_dim));
  if (p.seq == 0 || p.heads == 0 || p.heads > 65535 || (p.seq + 15) / 16 > 0x7fffffffu)
    throw std::invalid_argument("attention shape out of range: seq " + std::to_string(p.seq) + ", heads " +
                                std::to_string(p.heads));
  check_padding(p);
  const bool bf16 = p.elem == ElemType::bf16;
  if (p.head_dim == 64) bf16 ? launch<__nv_bfloat16, 64>(p, stream) : launch<__half, 64>(p, stream);
  else bf16 ? launch<__nv_bfloat16, 128>(p, stream) : launch<__half, 128>(p, stream);
}

}  // namespace ua2a
