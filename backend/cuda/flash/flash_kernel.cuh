#pragma once
// Flash attention, layer 4: the kernel body (FlashAttention-2's forward, mma.sync m16n8k16).
//
// One thread block = kBlockM query rows of one head, 4 warps of 16 rows each. Q passes through
// K/V stage 1 of shared memory once into registers (A fragments); K and V tiles of kBlockN keys
// are double-buffered in shared memory through cp.async, so the next tile loads while this one is
// multiplied. Per tile:
//   S = Q K^T (fp32 accumulators), mask keys past the end and padding keys, online softmax per row (running max
//   and sum in fp32, exp2 with the scale folded into log2 e), P rounded to bf16/fp16 as the A
//   operand of O += P V (the accumulator layout of two adjacent 16x8 S tiles is exactly the A
//   layout of one 16x16 step, so P never touches shared memory), V read transposed by
//   ldmatrix.trans. At the end O is divided by the row sums and stored for rows inside the
//   sequence. The CPU mirror of this arithmetic is attention_tiled_cpu (backend/attention.h).
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

#include "backend/cuda/flash/flash_params.h"

namespace ua2a::flash {

template <typename T> struct Mma;
template <> struct Mma<__nv_bfloat16> {
  static __device__ __forceinline__ void run(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  }
  static __device__ __forceinline__ uint32_t pack(float lo, float hi) {
    __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
    return *reinterpret_cast<uint32_t*>(&v);
  }
  static __device__ __forceinline__ void store(void* p, float lo, float hi) {
    *reinterpret_cast<__nv_bfloat162*>(p) = __floats2bfloat162_rn(lo, hi);
  }
};
template <> struct Mma<__half> {
  static __device__ __forceinline__ void run(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  }
  static __device__ __forceinline__ uint32_t pack(float lo, float hi) {
    __half2 v = __floats2half2_rn(lo, hi);
    return *reinterpret_cast<uint32_t*>(&v);
  }
  static __device__ __forceinline__ void store(void* p, float lo, float hi) {
    *reinterpret_cast<__half2*>(p) = __floats2half2_rn(lo, hi);
  }
};

__device__ __forceinline__ uint32_t smem_addr(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

/// 16-byte async copy; rows past the sequence are zero-filled (src-size 0), never read.
__device__ __forceinline__ void cp_async16(void* dst, const void* src, bool valid) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_addr(dst)), "l"(src),
               "r"(valid ? 16 : 0));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N>
__device__ __forceinline__ void cp_async_wait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(N)); }

__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr(p)));
}
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr(p)));
}

/// Copies `rows` x kHeadDim elements of one head, starting at token `row0`, into smem (pitch kPitch).
template <typename Tr, typename T>
__device__ __forceinline__ void load_tile(T* smem, const T* gmem, int row0, int rows, const Params& p) {
  constexpr int kVecs = Tr::kHeadDim / 8;  // 16-byte vectors per row
  for (int i = threadIdx.x; i < rows * kVecs; i += Tr::kThreads) {
    const int r = i / kVecs, c = (i % kVecs) * 8;
    const int token = row0 + r;
    const bool valid = token < p.seq;
    const T* src = gmem + static_cast<int64_t>(valid ? token : 0) * p.row_stride + c;
    cp_async16(smem + r * Tr::kPitch + c, src, valid);
  }
}

template <typename Tr, typename T>
__global__ void __launch_bounds__(Tr::kThreads, Tr::kMinBlocks) flash_forward_kernel(const Params p) {
  extern __shared__ __align__(16) unsigned char smem_raw[];
  T* smem = reinterpret_cast<T*>(smem_raw);  // [kStages][K | V][kBlockN][kPitch]
  auto k_stage = [&](int stage) { return smem + stage * Tr::kStageElems; };
  auto v_stage = [&](int stage) { return smem + stage * Tr::kStageElems + Tr::kBlockN * Tr::kPitch; };
  T* q_s = k_stage(1);  // Q passes through stage 1 once, before the first prefetch fills it

  const int head = blockIdx.y;
  const int m0 = blockIdx.x * Tr::kBlockM;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const T* q = static_cast<const T*>(p.q) + head * Tr::kHeadDim;
  const T* k = static_cast<const T*>(p.k) + head * Tr::kHeadDim;
  const T* v = static_cast<const T*>(p.v) + head * Tr::kHeadDim;
  const int n_tiles = (p.seq + Tr::kBlockN - 1) / Tr::kBlockN;

  load_tile<Tr>(q_s, q, m0, Tr::kBlockM, p);
  load_tile<Tr>(k_stage(0), k, 0, Tr::kBlockN, p);
  load_tile<Tr>(v_stage(0), v, 0, Tr::kBlockN, p);
  cp_async_commit();
  cp_async_wait<0>();
  __syncthreads();

  // Q fragments stay in registers for the whole loop: 16 rows x kHeadDim per warp.
  // A fragments of Q: x4 matrices = rows 0-7/8-15 x cols 0-7/8-15 of each 16x16 k-step.
  uint32_t q_frag[Tr::kKSteps][4];
  {
    const T* base = q_s + (warp * 16 + (lane % 16)) * Tr::kPitch + (lane / 16) * 8;
    for (int kk = 0; kk < Tr::kKSteps; ++kk) ldmatrix_x4(q_frag[kk], base + kk * 16);
  }
  __syncthreads();  // every warp holds its Q before the prefetch of tile 1 overwrites stage 1
  float o_acc[Tr::kNTilesO][4] = {};
  float row_max[2] = {-INFINITY, -INFINITY};  // rows lane/4 and lane/4 + 8 of this warp's 16
  float row_sum[2] = {0.f, 0.f};

  for (int j = 0; j < n_tiles; ++j) {
    const int stage = j % Tr::kStages;
    if (j + 1 < n_tiles) {  // prefetch the next K/V tile into the other stage
      const int next = (j + 1) % Tr::kStages;
      load_tile<Tr>(k_stage(next), k, (j + 1) * Tr::kBlockN, Tr::kBlockN, p);
      load_tile<Tr>(v_stage(next), v, (j + 1) * Tr::kBlockN, Tr::kBlockN, p);
      cp_async_commit();
      cp_async_wait<1>();
    } else {
      cp_async_wait<0>();
    }
    __syncthreads();
    const T* ks = k_stage(stage);
    const T* vs = v_stage(stage);

    // S = Q K^T for this warp's 16 rows x kBlockN keys.
    float s_acc[Tr::kNTilesS][4] = {};
    for (int nt = 0; nt < Tr::kNTilesS; nt += 2) {
      // B fragments for two n-tiles: K rows nt*8 .. nt*8+15, k cols per k-step.
      for (int kk = 0; kk < Tr::kKSteps; ++kk) {
        uint32_t b[4];
        // matrices: (keys 0-7, d 0-7), (keys 0-7, d 8-15), (keys 8-15, d 0-7), (keys 8-15, d 8-15)
        const T* addr = ks + (nt * 8 + (lane % 8) + (lane / 16) * 8) * Tr::kPitch + kk * 16 + ((lane / 8) % 2) * 8;
        ldmatrix_x4(b, addr);
        Mma<T>::run(s_acc[nt], q_frag[kk], b[0], b[1]);
        Mma<T>::run(s_acc[nt + 1], q_frag[kk], b[2], b[3]);
      }
    }

    // Mask keys past the end of the sequence (only the last tile has any) and the padding keys
    // [pad_begin, pad_end) (the tiles that overlap them).
    const int key0 = j * Tr::kBlockN;
    if (key0 + Tr::kBlockN > p.seq || (key0 < p.pad_end && key0 + Tr::kBlockN > p.pad_begin)) {
      for (int nt = 0; nt < Tr::kNTilesS; ++nt)
        for (int e = 0; e < 4; ++e) {
          const int key = key0 + nt * 8 + (lane % 4) * 2 + (e % 2);
          if (key >= p.seq || (key >= p.pad_begin && key < p.pad_end)) s_acc[nt][e] = -INFINITY;
        }
    }

    // Online softmax: new running max per row, rescale the old sum and output.
    for (int half = 0; half < 2; ++half) {
      float mx = row_max[half];
      for (int nt = 0; nt < Tr::kNTilesS; ++nt) mx = fmaxf(mx, fmaxf(s_acc[nt][half * 2], s_acc[nt][half * 2 + 1]));
      mx = fmaxf(mx, __shfl_xor_sync(0xffffffff, mx, 1));
      mx = fmaxf(mx, __shfl_xor_sync(0xffffffff, mx, 2));
      // A tile of padding keys before any real key leaves mx at -inf: subtract 0 instead, so every
      // weight and the correction are exp2(-inf) = 0, not NaN (attention_tiled_cpu does the same).
      const float mx_safe = mx == -INFINITY ? 0.f : mx;
      const float correction = exp2f((row_max[half] - mx_safe) * p.scale_log2);  // exp2(-inf) = 0 on the first tile
      row_max[half] = mx;
      row_sum[half] *= correction;
      for (int nt = 0; nt < Tr::kNTilesO; ++nt) {
        o_acc[nt][half * 2] *= correction;
        o_acc[nt][half * 2 + 1] *= correction;
      }
      const float mx_scaled = mx_safe * p.scale_log2;
      for (int nt = 0; nt < Tr::kNTilesS; ++nt)
        for (int e = half * 2; e < half * 2 + 2; ++e) {
          const float pv = exp2f(s_acc[nt][e] * p.scale_log2 - mx_scaled);
          s_acc[nt][e] = pv;
          row_sum[half] += pv;
        }
    }

    // O += P V. The accumulator layout of two adjacent n-tiles of S is the A layout of one k16 step.
    for (int kk = 0; kk < Tr::kBlockN / 16; ++kk) {
      uint32_t a[4];
      a[0] = Mma<T>::pack(s_acc[2 * kk][0], s_acc[2 * kk][1]);
      a[1] = Mma<T>::pack(s_acc[2 * kk][2], s_acc[2 * kk][3]);
      a[2] = Mma<T>::pack(s_acc[2 * kk + 1][0], s_acc[2 * kk + 1][1]);
      a[3] = Mma<T>::pack(s_acc[2 * kk + 1][2], s_acc[2 * kk + 1][3]);
      for (int nt = 0; nt < Tr::kNTilesO; nt += 2) {
        // V is [keys, d]: B (k = key, n = d) needs the transpose; matrices (keys 0-7, d 0-7),
        // (keys 8-15, d 0-7), (keys 0-7, d 8-15), (keys 8-15, d 8-15).
        uint32_t b[4];
        const T* addr = vs + (kk * 16 + (lane % 8) + ((lane / 8) % 2) * 8) * Tr::kPitch + nt * 8 + (lane / 16) * 8;
        ldmatrix_x4_trans(b, addr);
        Mma<T>::run(o_acc[nt], a, b[0], b[1]);
        Mma<T>::run(o_acc[nt + 1], a, b[2], b[3]);
      }
    }
    __syncthreads();  // the stage just read is overwritten by the prefetch of iteration j + 1
  }

  // Finish: row sums across the quad, divide, store rows inside the sequence.
  for (int half = 0; half < 2; ++half) {
    float sum = row_sum[half];
    sum += __shfl_xor_sync(0xffffffff, sum, 1);
    sum += __shfl_xor_sync(0xffffffff, sum, 2);
    const float inv = sum > 0.f ? 1.f / sum : 0.f;
    const int token = m0 + warp * 16 + lane / 4 + half * 8;
    if (token >= p.seq) continue;
    T* out = static_cast<T*>(p.out) + static_cast<int64_t>(token) * p.row_stride + head * Tr::kHeadDim;
    for (int nt = 0; nt < Tr::kNTilesO; ++nt)
      Mma<T>::store(out + nt * 8 + (lane % 4) * 2, o_acc[nt][half * 2] * inv, o_acc[nt][half * 2 + 1] * inv);
  }
}

}  // namespace ua2a::flash
