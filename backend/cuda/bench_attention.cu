// bench_attention: the flash kernel's TFLOP/s on one GPU with each key tile, every output judged:
// poisoned before it is written, against the simple kernel over the whole output and against
// float64 on sampled query rows (the first, the tile edges, the middle and the last tile), NaN
// and Inf counted as failures, each against a stated bound (output_error.h).
#include <cuda_runtime.h>

#include <cmath>
#include <thread>
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
  std::size_t bytes = 0;
  explicit DeviceBuffer(std::size_t n) : bytes(n) { UA2A_CUDA_CHECK(cudaMalloc(&p, n)); }
  ~DeviceBuffer() { UA2A_CUDA_WARN(cudaFree(p)); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
};

/// q, k, v [seq, heads, D] of the bench's inputs (input_value, seed 7), one thread per share.
std::vector<std::uint16_t> host_tensor(std::uint32_t t, std::uint64_t seq, std::uint64_t heads, std::uint64_t d,
                                       ElemType elem) {
  std::vector<std::uint16_t> x(seq * heads * d);
  const std::uint64_t n = x.size(), threads = std::max(1u, std::thread::hardware_concurrency());
  {
    std::vector<std::jthread> pool;  // joined at the end of this scope, before `x` is returned
    for (std::uint64_t w = 0; w < threads; ++w)
      pool.emplace_back([&, w] {
        for (std::uint64_t i = n * w / threads; i < n * (w + 1) / threads; ++i)
          x[i] = float_to_elem(input_value(t, i / (heads * d), (i / d) % heads, i % d, 7), elem);
      });
  }
  return x;
}

std::vector<std::uint16_t> download(const DeviceBuffer& b, cudaStream_t stream) {
  std::vector<std::uint16_t> h(b.bytes / 2);
  UA2A_CUDA_CHECK(cudaMemcpyAsync(h.data(), b.p, b.bytes, cudaMemcpyDeviceToHost, stream));
  UA2A_CUDA_CHECK(cudaStreamSynchronize(stream));
  return h;
}

/// The sampled rows of an output [seq, heads, D]: [rows, heads, D], as attention_rows_f64 lays them.
std::vector<std::uint16_t> rows_of(const std::vector<std::uint16_t>& out, const std::vector<std::uint64_t>& rows,
                                   std::uint64_t row_elems) {
  std::vector<std::uint16_t> r;
  r.reserve(rows.size() * row_elems);
  for (std::uint64_t i : rows) r.insert(r.end(), out.begin() + i * row_elems, out.begin() + (i + 1) * row_elems);
  return r;
}

/// Seconds of one launch of `f` on `stream` (no warm-up: the simple kernel takes seconds).
template <class F>
double time_once(cudaStream_t stream, F&& f) {
  cudaEvent_t a, b;
  UA2A_CUDA_CHECK(cudaEventCreate(&a));
  UA2A_CUDA_CHECK(cudaEventCreate(&b));
  UA2A_CUDA_CHECK(cudaEventRecord(a, stream));
  f();
  UA2A_CUDA_CHECK(cudaEventRecord(b, stream));
  UA2A_CUDA_CHECK(cudaEventSynchronize(b));
  float ms = 0;
  UA2A_CUDA_CHECK(cudaEventElapsedTime(&ms, a, b));
  UA2A_CUDA_WARN(cudaEventDestroy(a));
  UA2A_CUDA_WARN(cudaEventDestroy(b));
  return ms * 1e-3;
}

}  // namespace

AttentionBench bench_attention(std::uint64_t seq, std::uint64_t heads, std::uint64_t head_dim, ElemType elem,
                               std::uint32_t iterations) {
  if (gpu_count() == 0) throw TransportError("attention benchmarks need a GPU; none is visible");
  AttentionBench r;
  r.seq = seq, r.heads = heads, r.head_dim = head_dim;
  UA2A_CUDA_CHECK(cudaSetDevice(0));
  cudaDeviceProp prop{};
  UA2A_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
  r.device = prop.name;
  r.compute_capability = prop.major * 10 + prop.minor;
  const std::size_t elems = seq * heads * head_dim;
  const std::vector<std::uint16_t> hq = host_tensor(0, seq, heads, head_dim, elem),
                                   hk = host_tensor(1, seq, heads, head_dim, elem),
                                   hv = host_tensor(2, seq, heads, head_dim, elem);
  DeviceBuffer q(elems * 2), k(elems * 2), v(elems * 2), out(elems * 2), out_simple(elems * 2);
  cudaStream_t stream;
  UA2A_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  struct StreamGuard {
    cudaStream_t s;
    ~StreamGuard() { UA2A_CUDA_WARN(cudaStreamDestroy(s)); }
  } guard{stream};
  for (const auto& [dst, src] : {std::pair{&q, &hq}, {&k, &hk}, {&v, &hv}})
    UA2A_CUDA_CHECK(cudaMemcpyAsync(dst->p, src->data(), elems * 2, cudaMemcpyHostToDevice, stream));
  // 0xFF bytes are NaN in bf16 and fp16: an element a kernel leaves unwritten is non-finite.
  auto poison = [&](const DeviceBuffer& b) { UA2A_CUDA_CHECK(cudaMemsetAsync(b.p, 0xFF, b.bytes, stream)); };
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  const double flops = 4.0 * static_cast<double>(seq) * seq * head_dim * heads;
  const AttentionParams params{q.p, k.p, v.p, out.p, seq, heads, head_dim, scale, elem};

  // The oracle: float64 on the sampled rows, from the host copies of the same inputs.
  r.sampled_rows = sampled_attention_rows(seq);
  const std::vector<double> f64 = attention_rows_f64({hq.data(), hk.data(), hv.data(), nullptr, seq, heads, head_dim,
                                                      scale, elem},
                                                     r.sampled_rows);
  const std::uint64_t row_elems = heads * head_dim;

  AttentionParams simple = params;
  simple.out = out_simple.p;
  poison(out_simple);
  r.simple_seconds = time_once(stream, [&] { attention_forward_simple(simple, stream); });
  r.simple_tflops = flops / r.simple_seconds / 1e12;
  const std::vector<std::uint16_t> simple_out = download(out_simple, stream);
  r.simple_vs_f64 = output_error(rows_of(simple_out, r.sampled_rows, row_elems), elem, f64);

  const std::uint32_t own = flash_block_n(head_dim);
  std::vector<std::uint32_t> tiles = {own};
  if (head_dim == 128) tiles.push_back(own == 64 ? 32 : 64);  // the other GPU class's tile, forced
  for (std::uint32_t block_n : tiles) {
    FlashTile t;
    t.block_n = block_n;
    t.device_choice = block_n == own;
    poison(out);
    t.seconds = time_on(stream, iterations, [&] { attention_forward(params, stream, block_n); });
    t.tflops = flops / t.seconds / 1e12;
    const std::vector<std::uint16_t> got = download(out, stream);
    t.vs_simple = output_error(got, elem, simple_out);
    t.vs_f64 = output_error(rows_of(got, r.sampled_rows, row_elems), elem, f64);
    t.blocks_per_sm = flash_blocks_per_sm(head_dim, block_n);
    t.documented_blocks_per_sm = documented_flash_blocks_per_sm(r.compute_capability, head_dim, block_n);
    if (t.device_choice) r.flash_seconds = t.seconds, r.flash_tflops = t.tflops;
    r.tiles.push_back(t);
  }
  return r;
}

}  // namespace ua2a
