// Pack and unpack kernels. One "row" is D contiguous elements; D / 8 lanes share a row, each
// moving 16 bytes (8 elements) so every access is a full vector and a warp covers 2 or 4 rows.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>

#include <stdexcept>

#include "backend/cuda/check.h"
#include "backend/cuda/kernels.h"

namespace ua2a {

namespace {

constexpr int kThreads = 256;
constexpr int kElemsPerLane = 8;  // 16 bytes of bf16/fp16

/// The packed-side byte offsets of row r (within a tensor) of tensor t of block j.
struct PackedOffsets {
  std::uint64_t data;
  std::uint64_t scale;
};

__device__ PackedOffsets packed_offsets(const RowMap& m, std::uint32_t j, std::uint32_t t, std::uint64_t r) {
  const std::uint64_t rows = m.seq * m.heads;
  const std::uint64_t base = j * m.block_stride;
  if (!m.fp8) return {base + (t * rows + r) * m.head_dim * 2, 0};
  return {base + (t * rows + r) * m.head_dim, base + m.tensors * rows * m.head_dim + (t * rows + r) * 4};
}

template <class T>
__device__ float to_float(T x);
template <>
__device__ float to_float(__nv_bfloat16 x) { return __bfloat162float(x); }
template <>
__device__ float to_float(__half x) { return __half2float(x); }
template <class T>
__device__ T from_float(float x);
template <>
__device__ __nv_bfloat16 from_float(float x) { return __float2bfloat16_rn(x); }
template <>
__device__ __half from_float(float x) { return __float2half_rn(x); }

/// Max over the `lanes` lanes sharing a row: xor offsets below `lanes` stay inside the group.
__device__ float group_max(float v, int lanes) {
  for (int off = lanes / 2; off > 0; off /= 2) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, off));
  return v;
}

/// Pointers travel by value in the kernel parameters (3 tensors at most). Selected with
/// branches, never p[t] with a run-time t: indexing a parameter array at run time copies it to
/// local memory (a 24-byte stack frame) and makes the strided side's 16-byte accesses generic
/// loads and stores instead of global ones (ptxas -v, cuobjdump -sass; see
/// tests/backend/kernel_resources_test.sh).
struct Tensors {
  void* p[3];
  __device__ void* at(std::uint32_t t) const { return t == 0 ? p[0] : t == 1 ? p[1] : p[2]; }
};

/// Grid: x covers (row, lane) of one tensor of one block, y = block * tensors + tensor.
struct RowCoord {
  bool active;
  std::uint32_t j, t, lane;
  std::uint64_t r, tok, hh;
};

/// 32-bit index arithmetic with a shift for the lane: a 64-bit division costs more instructions
/// than a 16-byte move is worth, and would make these memory-bound kernels compute-bound.
/// grid_of() guarantees that s * h * lanes fits in 32 bits.
__device__ RowCoord row_coord(const RowMap& m) {
  RowCoord c;
  const std::uint32_t lanes_log2 = m.head_dim == 128 ? 4 : 3;  // D / 8 lanes per row
  const std::uint32_t gid = blockIdx.x * blockDim.x + threadIdx.x;
  const std::uint32_t rows = static_cast<std::uint32_t>(m.seq * m.heads);
  const std::uint32_t heads = static_cast<std::uint32_t>(m.heads);
  const std::uint32_t r = gid >> lanes_log2;
  const std::uint32_t tok = r / heads;
  c.j = blockIdx.y / m.tensors;
  c.t = blockIdx.y - c.j * m.tensors;
  c.lane = gid & ((1u << lanes_log2) - 1);
  c.active = r < rows;
  c.r = r;
  c.tok = tok;
  c.hh = r - tok * heads;
  return c;
}

template <class T, bool kFp8>
__global__ void __launch_bounds__(kThreads) pack_kernel(RowMap m, Tensors src, std::byte* packed) {
  const RowCoord c = row_coord(m);
  uint4 v = make_uint4(0, 0, 0, 0);
  if (c.active) {
    const T* row = static_cast<const T*>(src.at(c.t)) + m.strided_row(c.j, c.tok, c.hh);
    v = reinterpret_cast<const uint4*>(row)[c.lane];
  }
  const PackedOffsets at = packed_offsets(m, c.j, c.t, c.r);
  if constexpr (!kFp8) {
    if (c.active) reinterpret_cast<uint4*>(packed + at.data)[c.lane] = v;
  } else {
    const T* x = reinterpret_cast<const T*>(&v);
    float f[kElemsPerLane];
    float absmax = 0.0f;
    // The scale from the finite elements only, as quantize_row_fp8: an infinity must not turn the
    // whole row into NaN. A non-finite element is converted as NaN, which gives kFp8NaN.
    for (int i = 0; i < kElemsPerLane; ++i) {
      f[i] = to_float(x[i]);
      if (isfinite(f[i])) absmax = fmaxf(absmax, fabsf(f[i]));
    }
    absmax = group_max(absmax, static_cast<int>(m.head_dim / kElemsPerLane));  // all lanes take part
    // The same two float32 quotients as quantize_row_fp8 on the CPU: identical codes. A row too
    // small for a finite inverse scale becomes a zero row there and here (kFp8MinAbsmax).
    const bool zero_row = !(absmax >= kFp8MinAbsmax);
    const float inv = zero_row ? 0.0f : kFp8Max / absmax;
    if (!c.active) return;
    auto scaled = [&](float v) { return isfinite(v) ? v * inv : __int_as_float(0x7fffffff); };
    __nv_fp8x2_storage_t codes[kElemsPerLane / 2];
    for (int i = 0; i < kElemsPerLane / 2; ++i)
      codes[i] = __nv_cvt_float2_to_fp8x2(make_float2(scaled(f[2 * i]), scaled(f[2 * i + 1])), __NV_SATFINITE, __NV_E4M3);
    reinterpret_cast<uint2*>(packed + at.data)[c.lane] = *reinterpret_cast<const uint2*>(codes);
    if (c.lane == 0) *reinterpret_cast<float*>(packed + at.scale) = zero_row ? 0.0f : absmax / kFp8Max;
  }
}

template <class T, bool kFp8>
__global__ void __launch_bounds__(kThreads) unpack_kernel(RowMap m, const std::byte* packed, Tensors dst) {
  const RowCoord c = row_coord(m);
  if (!c.active) return;
  const PackedOffsets at = packed_offsets(m, c.j, c.t, c.r);
  T* row = static_cast<T*>(dst.at(c.t)) + m.strided_row(c.j, c.tok, c.hh);
  if constexpr (!kFp8) {
    reinterpret_cast<uint4*>(row)[c.lane] = reinterpret_cast<const uint4*>(packed + at.data)[c.lane];
  } else {
    const float scale = *reinterpret_cast<const float*>(packed + at.scale);
    const uint2 raw = reinterpret_cast<const uint2*>(packed + at.data)[c.lane];
    const auto* codes = reinterpret_cast<const __nv_fp8x2_storage_t*>(&raw);
    uint4 out;
    T* y = reinterpret_cast<T*>(&out);
    for (int i = 0; i < kElemsPerLane / 2; ++i) {
      // e4m3 -> half is exact, so this equals the CPU's fp8_e4m3_to_float(code) * scale.
      const __half2 h2 = __half2(__nv_cvt_fp8x2_to_halfraw2(codes[i], __NV_E4M3));
      y[2 * i] = from_float<T>(__low2float(h2) * scale);
      y[2 * i + 1] = from_float<T>(__high2float(h2) * scale);
    }
    reinterpret_cast<uint4*>(row)[c.lane] = out;
  }
}

dim3 grid_of(const RowMap& m) {
  const std::uint64_t threads = m.seq * m.heads * (m.head_dim / kElemsPerLane);
  const std::uint64_t x = (threads + kThreads - 1) / kThreads;
  const std::uint64_t y = static_cast<std::uint64_t>(m.blocks) * m.tensors;
  if (x * kThreads > 0xffffffffu || y > 65535)  // row_coord's 32-bit thread index
    throw std::invalid_argument("pack/unpack grid too large: " + std::to_string(m.blocks) + " ranks x " +
                                std::to_string(m.seq * m.heads) + " rows; use fewer tokens per rank");
  return dim3(static_cast<unsigned>(x), static_cast<unsigned>(y));
}

void check_map(const RowMap& m) {
  if (m.head_dim != 64 && m.head_dim != 128)
    throw std::invalid_argument("pack/unpack take head dims 64 and 128, got " + std::to_string(m.head_dim));
  if (m.block_stride % 16 != 0) throw std::invalid_argument("packed block stride must be a multiple of 16 bytes");
}

/// The one runtime-to-compile-time dispatch: element type x FP8.
template <template <class, bool> class Launch, class... Args>
void dispatch(ElemType elem, bool fp8, Args&&... args) {
  if (elem == ElemType::bf16)
    fp8 ? Launch<__nv_bfloat16, true>::run(args...) : Launch<__nv_bfloat16, false>::run(args...);
  else
    fp8 ? Launch<__half, true>::run(args...) : Launch<__half, false>::run(args...);
}

template <class T, bool kFp8>
struct PackLaunch {
  static void run(const RowMap& m, const Tensors& src, std::byte* packed, cudaStream_t stream) {
    pack_kernel<T, kFp8><<<grid_of(m), kThreads, 0, stream>>>(m, src, packed);
    UA2A_CUDA_CHECK(cudaGetLastError());
  }
};

template <class T, bool kFp8>
struct UnpackLaunch {
  static void run(const RowMap& m, const std::byte* packed, const Tensors& dst, cudaStream_t stream) {
    unpack_kernel<T, kFp8><<<grid_of(m), kThreads, 0, stream>>>(m, packed, dst);
    UA2A_CUDA_CHECK(cudaGetLastError());
  }
};

}  // namespace

void pack_gpu(const RowMap& map, ElemType elem, const void* const* src, std::byte* packed, cudaStream_t stream) {
  check_map(map);
  check_vector_alignment(map, src, packed);
  Tensors t{};
  for (std::uint32_t i = 0; i < map.tensors; ++i) t.p[i] = const_cast<void*>(src[i]);
  dispatch<PackLaunch>(elem, map.fp8, map, t, packed, stream);
}

void unpack_gpu(const RowMap& map, ElemType elem, const std::byte* packed, void* const* dst, cudaStream_t stream) {
  check_map(map);
  const void* tensors[3] = {dst[0], map.tensors > 1 ? dst[1] : nullptr, map.tensors > 2 ? dst[2] : nullptr};
  check_vector_alignment(map, tensors, packed);
  Tensors t{};
  for (std::uint32_t i = 0; i < map.tensors; ++i) t.p[i] = dst[i];
  dispatch<UnpackLaunch>(elem, map.fp8, map, packed, t, stream);
}

void append_text_gpu(const void* text, std::uint64_t tokens, std::uint64_t heads_total, std::uint64_t first_head,
                     std::uint64_t heads, std::uint64_t head_dim, void* dst, std::uint64_t row0, cudaStream_t stream) {
  if (tokens == 0) return;
  constexpr std::uint64_t kElem = 2;
  const std::uint64_t width = heads * head_dim * kElem;
  UA2A_CUDA_CHECK(cudaMemcpy2DAsync(static_cast<std::byte*>(dst) + row0 * width, width,
                                    static_cast<const std::byte*>(text) + first_head * head_dim * kElem,
                                    heads_total * head_dim * kElem, width, tokens, cudaMemcpyDeviceToDevice, stream));
}

}  // namespace ua2a
