// bench_attention: the flash kernel's TFLOP/s on one GPU, and the simple kernel on the same
// inputs (speed and agreement) where it is affordable.
#include <cuda_runtime.h>

#include <cmath>
#include <vector>

#include "backend/bench.h"
#include "backend/cuda/check.h"
#include "backend/cuda/kernels.h"
#include "backend/cuda/timing.h"
#include "backend/reference.h"
#include "backend/runner.h"

namespace ua2a {

namespace {

/// Device buffer owned through RAII.
struct DeviceBuffer {
  void* p = nullptr;
  explicit DeviceBuffer(std::size_t bytes) { UA2A_CUDA_CHECK(cudaMalloc(&p, bytes)); }
  ~DeviceBuffer() { UA2A_CUDA_WARN(cudaFree(p)); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
};

}  // namespace

AttentionBench bench_attention(std::uint64_t seq, std::uint64_t heads, std::uint64_t head_dim, ElemType elem,
                               std::uint32_t iterations, bool with_simple) {
  if (gpu_count() == 0) throw TransportError("attention benchmarks need a GPU; none is visible");
  AttentionBench r;
  r.seq = seq, r.heads = heads, r.head_dim = head_dim;
  UA2A_CUDA_CHECK(cudaSetDevice(0));
  cudaDeviceProp prop{};
  UA2A_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
  r.device = prop.name;
  const std::size_t elems = seq * heads * head_dim;
  std::vector<std::uint16_t> host(elems);
  DeviceBuffer q(elems * 2), k(elems * 2), v(elems * 2), out(elems * 2), out_simple(elems * 2);
  cudaStream_t stream;
  UA2A_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  for (std::uint32_t t = 0; t < 3; ++t) {
    for (std::size_t i = 0; i < elems; ++i)
      host[i] = float_to_elem(input_value(t, i / (heads * head_dim), (i / head_dim) % heads, i % head_dim, 7), elem);
    // On the kernels' stream, and finished before `host` is refilled (the legacy stream would not
    // order against a non-blocking stream).
    UA2A_CUDA_CHECK(cudaMemcpyAsync(t == 0 ? q.p : t == 1 ? k.p : v.p, host.data(), elems * 2, cudaMemcpyHostToDevice,
                                    stream));
    UA2A_CUDA_CHECK(cudaStreamSynchronize(stream));
  }
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  const double flops = 4.0 * static_cast<double>(seq) * seq * head_dim * heads;
  const AttentionParams flash{q.p, k.p, v.p, out.p, seq, heads, head_dim, scale, elem};
  r.flash_seconds = time_on(stream, iterations, [&] { attention_forward(flash, stream); });
  r.flash_tflops = flops / r.flash_seconds / 1e12;
  if (with_simple) {
    AttentionParams simple = flash;
    simple.out = out_simple.p;
    r.simple_tflops = flops / time_on(stream, 1, [&] { attention_forward_simple(simple, stream); }) / 1e12;
    std::vector<std::uint16_t> a(elems), b(elems);
    UA2A_CUDA_CHECK(cudaMemcpyAsync(a.data(), out.p, elems * 2, cudaMemcpyDeviceToHost, stream));
    UA2A_CUDA_CHECK(cudaMemcpyAsync(b.data(), out_simple.p, elems * 2, cudaMemcpyDeviceToHost, stream));
    UA2A_CUDA_CHECK(cudaStreamSynchronize(stream));
    for (std::size_t i = 0; i < elems; ++i)
      r.max_abs_vs_simple = std::max<double>(r.max_abs_vs_simple, std::fabs(elem_to_float(a[i], elem) - elem_to_float(b[i], elem)));
  }
  UA2A_CUDA_WARN(cudaStreamDestroy(stream));
  return r;
}

}  // namespace ua2a
