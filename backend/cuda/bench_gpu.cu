// GPU halves of bench.h: exchanges over device buffers and the kernels against a device copy.
#include <cuda_runtime.h>

#include <array>
#include <chrono>
#include <vector>

#include "backend/bench.h"
#include "backend/cpu_kernels.h"
#include "backend/cuda/check.h"
#include "backend/cuda/kernels.h"
#include "backend/cuda/timing.h"
#include "backend/reference.h"
#include "backend/runner.h"

namespace ua2a {

void fill_send(std::uint32_t* send, const ProgramSet& p, Rank src);
std::uint64_t count_wrong(const std::uint32_t* recv, const ProgramSet& p, Rank dst);
ExchangeTiming finish_timing(const ProgramSet& p, double seconds, std::uint64_t wrong);

namespace {

struct DeviceRank {
  int device = 0;
  cudaStream_t stream = nullptr;
  void* send = nullptr;
  void* recv = nullptr;
};

/// Device buffers and streams for every rank, freed at scope exit.
class DeviceRanks {
 public:
  DeviceRanks(std::int32_t ranks, std::uint64_t bytes) : ranks_(ranks) {
    const int gpus = gpu_count();
    if (gpus == 0) throw TransportError("no CUDA GPU is visible to this process");
    for (DeviceRank& r : ranks_) {
      r.device = static_cast<int>(&r - ranks_.data()) % gpus;
      UA2A_CUDA_CHECK(cudaSetDevice(r.device));
      UA2A_CUDA_CHECK(cudaStreamCreateWithFlags(&r.stream, cudaStreamNonBlocking));
      UA2A_CUDA_CHECK(cudaMalloc(&r.send, bytes));
      UA2A_CUDA_CHECK(cudaMalloc(&r.recv, bytes));
    }
  }
  ~DeviceRanks() {
    for (DeviceRank& r : ranks_) {
      if (!UA2A_CUDA_WARN(cudaSetDevice(r.device))) continue;
      UA2A_CUDA_WARN(cudaStreamDestroy(r.stream));
      UA2A_CUDA_WARN(cudaFree(r.send));
      UA2A_CUDA_WARN(cudaFree(r.recv));
    }
  }
  std::vector<DeviceRank>& ranks() { return ranks_; }
  void sync() {
    for (DeviceRank& r : ranks_) {
      UA2A_CUDA_CHECK(cudaSetDevice(r.device));
      UA2A_CUDA_CHECK(cudaStreamSynchronize(r.stream));
    }
  }

 private:
  std::vector<DeviceRank> ranks_;
};

std::uint64_t stride_of(const ProgramSet& p) { return (p.payload.block_bytes() + kBlockAlign - 1) / kBlockAlign * kBlockAlign; }

struct KernelsVsCpu {
  std::uint64_t pack_bytes_compared = 0, pack_bytes_differing = 0;
  std::uint64_t unpack_elements_compared = 0, unpack_elements_differing = 0;
};

/// One rank's forward pack and unpack on the GPU, each into a poisoned (0xFF) buffer, against
/// pack_cpu and unpack_cpu on the same inputs: the packed blocks byte for byte, the unpacked
/// attention tensors element for element over the image rows (the text rows are appended later).
KernelsVsCpu compare_with_cpu(const LayerPlan& p, const std::array<std::vector<std::uint16_t>, 3>& inputs,
                              const void* const* src, std::byte* packed, void* const* dst, cudaStream_t stream) {
  const LayerShape& s = p.shape;
  const RowMap pm = pack_map(p, Exchange::qkv), um = unpack_map(p, Exchange::qkv);
  UA2A_CUDA_CHECK(cudaMemsetAsync(packed, 0xFF, p.fwd_buffer_bytes(), stream));
  for (int t = 0; t < 3; ++t) UA2A_CUDA_CHECK(cudaMemsetAsync(dst[t], 0xFF, p.attn_tensor_bytes, stream));
  pack_gpu(pm, s.elem, src, packed, stream);
  unpack_gpu(um, s.elem, packed, dst, stream);
  std::vector<std::byte> gpu_packed(p.fwd_buffer_bytes()), cpu_packed(p.fwd_buffer_bytes());
  const std::uint64_t image_elems = s.padded_image_tokens() * s.heads_per_rank() * s.head_dim;
  std::vector<std::vector<std::uint16_t>> gpu_attn(3, std::vector<std::uint16_t>(image_elems)), cpu_attn = gpu_attn;
  UA2A_CUDA_CHECK(cudaMemcpyAsync(gpu_packed.data(), packed, gpu_packed.size(), cudaMemcpyDeviceToHost, stream));
  for (int t = 0; t < 3; ++t)
    UA2A_CUDA_CHECK(cudaMemcpyAsync(gpu_attn[t].data(), dst[t], image_elems * 2, cudaMemcpyDeviceToHost, stream));
  UA2A_CUDA_CHECK(cudaStreamSynchronize(stream));
  const std::uint16_t* cpu_src[3] = {inputs[0].data(), inputs[1].data(), inputs[2].data()};
  pack_cpu(pm, s.elem, cpu_src, cpu_packed.data());
  std::uint16_t* cpu_dst[3] = {cpu_attn[0].data(), cpu_attn[1].data(), cpu_attn[2].data()};
  unpack_cpu(um, s.elem, cpu_packed.data(), cpu_dst);
  KernelsVsCpu d;
  for (std::uint32_t j = 0; j < pm.blocks; ++j)
    for (std::uint64_t i = j * pm.block_stride; i < j * pm.block_stride + p.fwd_block_bytes; ++i)
      d.pack_bytes_differing += gpu_packed[i] != cpu_packed[i], ++d.pack_bytes_compared;
  for (int t = 0; t < 3; ++t)
    for (std::uint64_t i = 0; i < image_elems; ++i)
      d.unpack_elements_differing += gpu_attn[t][i] != cpu_attn[t][i], ++d.unpack_elements_compared;
  return d;
}

}  // namespace

ExchangeTiming time_exchange_gpu(const std::string& transport, const ProgramSet& programs, std::uint32_t warmup,
                                 std::uint32_t iterations, const TransportOptions& options) {
  auto t = make_transport(transport, options);
  const std::uint64_t stride = stride_of(programs), bytes = stride * programs.ranks;
  DeviceRanks dev(programs.ranks, bytes);
  ExchangeBuffers b{stride, {}};
  std::vector<std::uint32_t> host(bytes / 4);
  for (Rank r = 0; r < programs.ranks; ++r) {
    DeviceRank& d = dev.ranks()[r];
    fill_send(host.data(), programs, r);
    UA2A_CUDA_CHECK(cudaSetDevice(d.device));
    // On the rank's stream and waited for: the legacy stream does not order against the
    // non-blocking rank streams, and `host` is refilled for the next rank.
    UA2A_CUDA_CHECK(cudaMemcpyAsync(d.send, host.data(), bytes, cudaMemcpyHostToDevice, d.stream));
    UA2A_CUDA_CHECK(cudaMemsetAsync(d.recv, 0, bytes, d.stream));
    UA2A_CUDA_CHECK(cudaStreamSynchronize(d.stream));
    b.ranks.push_back({r, static_cast<std::byte*>(d.send), static_cast<std::byte*>(d.recv), d.device, d.stream});
  }
  for (std::uint32_t i = 0; i < warmup; ++i) t->execute(programs, b, nullptr);
  dev.sync();
  const auto t0 = std::chrono::steady_clock::now();
  for (std::uint32_t i = 0; i < iterations; ++i) t->execute(programs, b, nullptr);
  dev.sync();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / std::max(1u, iterations);
  std::uint64_t wrong = 0;
  for (Rank r = 0; r < programs.ranks; ++r) {
    UA2A_CUDA_CHECK(cudaSetDevice(dev.ranks()[r].device));
    UA2A_CUDA_CHECK(cudaMemcpyAsync(host.data(), dev.ranks()[r].recv, bytes, cudaMemcpyDeviceToHost, dev.ranks()[r].stream));
    UA2A_CUDA_CHECK(cudaStreamSynchronize(dev.ranks()[r].stream));
    wrong += count_wrong(host.data(), programs, r);
  }
  return finish_timing(programs, s, wrong);
}

KernelBench bench_kernels(const LayerShape& shape, const ProgramSet& forward, std::uint32_t iterations) {
  if (gpu_count() == 0) throw TransportError("kernel benchmarks need a GPU; none is visible");
  const LayerPlan plan = make_plan(shape);
  KernelBench kb;
  UA2A_CUDA_CHECK(cudaSetDevice(0));
  cudaDeviceProp prop{};
  UA2A_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
  kb.device = prop.name;
  cudaStream_t stream;
  UA2A_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  // Inputs q, k, v [s, H, D] with real values (FP8 scales depend on them), packed buffer, outputs.
  const LayerInputs in = make_inputs(shape);
  // q, k, v back to back so the reference copy is one cudaMemcpyAsync of the same bytes.
  std::byte* qkv = nullptr;
  std::byte* copy_dst = nullptr;
  std::byte* packed = nullptr;
  std::vector<void*> q(3), attn(3);
  UA2A_CUDA_CHECK(cudaMalloc(&qkv, 3 * plan.input_bytes));
  UA2A_CUDA_CHECK(cudaMalloc(&copy_dst, 3 * plan.input_bytes));
  LayerShape widest = shape;
  widest.fp8 = false;  // the bf16 wire is the larger packed buffer
  UA2A_CUDA_CHECK(cudaMalloc(&packed, make_plan(widest).fwd_buffer_bytes()));
  for (int t = 0; t < 3; ++t) {
    q[t] = qkv + t * plan.input_bytes;
    UA2A_CUDA_CHECK(cudaMemcpyAsync(q[t], in.qkv[0][t].data(), plan.input_bytes, cudaMemcpyHostToDevice, stream));
    UA2A_CUDA_CHECK(cudaMalloc(&attn[t], plan.attn_tensor_bytes));
  }
  UA2A_CUDA_CHECK(cudaStreamSynchronize(stream));  // the kernels below run on `stream` too
  const double in_bytes = 3.0 * plan.input_bytes;  // q, k, v: read by pack, written by unpack
  kb.copy_gbps = 2 * in_bytes / time_on(stream, iterations, [&] {
    UA2A_CUDA_CHECK(cudaMemcpyAsync(copy_dst, qkv, 3 * plan.input_bytes, cudaMemcpyDeviceToDevice, stream));
  }) / 1e9;
  for (bool fp8 : {false, true}) {
    LayerShape s = shape;
    s.fp8 = fp8;
    const LayerPlan p = make_plan(s);
    const RowMap pm = pack_map(p, Exchange::qkv), um = unpack_map(p, Exchange::qkv);
    const double wire = static_cast<double>(p.fwd_block_bytes) * s.ranks;
    const void* src[3] = {q[0], q[1], q[2]};
    void* dst[3] = {attn[0], attn[1], attn[2]};
    const KernelsVsCpu d = compare_with_cpu(p, in.qkv[0], src, packed, dst, stream);
    (fp8 ? kb.pack_fp8_bytes_differing : kb.pack_bytes_differing) = d.pack_bytes_differing;
    (fp8 ? kb.unpack_fp8_elements_differing : kb.unpack_elements_differing) = d.unpack_elements_differing;
    if (!fp8) kb.pack_bytes_compared = d.pack_bytes_compared, kb.unpack_elements_compared = d.unpack_elements_compared;
    const double tp = time_on(stream, iterations, [&] { pack_gpu(pm, s.elem, src, packed, stream); });
    const double tu = time_on(stream, iterations, [&] { unpack_gpu(um, s.elem, packed, dst, stream); });
    (fp8 ? kb.pack_fp8_gbps : kb.pack_gbps) = (in_bytes + wire) / tp / 1e9;
    (fp8 ? kb.unpack_fp8_gbps : kb.unpack_gbps) = (in_bytes + wire) / tu / 1e9;
    if (fp8) kb.pack_fp8_seconds = tp, kb.unpack_fp8_seconds = tu;
  }
  for (void* a : attn) cudaFree(a);
  cudaFree(qkv);
  cudaFree(packed);
  cudaFree(copy_dst);

  // The exchange of all ranks on GPU 0 against one plain copy of the same N * N blocks.
  {
    auto peer = make_transport("cuda-peer");
    const std::uint64_t stride = stride_of(forward), bytes = stride * forward.ranks;
    std::vector<void*> bufs;
    ExchangeBuffers b{stride, {}};
    std::vector<cudaStream_t> streams(forward.ranks);
    for (Rank r = 0; r < forward.ranks; ++r) {
      void *s = nullptr, *d = nullptr;
      UA2A_CUDA_CHECK(cudaMalloc(&s, bytes));
      UA2A_CUDA_CHECK(cudaMalloc(&d, bytes));
      UA2A_CUDA_CHECK(cudaStreamCreateWithFlags(&streams[r], cudaStreamNonBlocking));
      bufs.push_back(s), bufs.push_back(d);
      b.ranks.push_back({r, static_cast<std::byte*>(s), static_cast<std::byte*>(d), 0, streams[r]});
    }
    auto sync_all = [&] {
      for (cudaStream_t s : streams) UA2A_CUDA_CHECK(cudaStreamSynchronize(s));
    };
    peer->execute(forward, b, nullptr);
    sync_all();
    const auto t0 = std::chrono::steady_clock::now();
    for (std::uint32_t i = 0; i < iterations; ++i) peer->execute(forward, b, nullptr);
    sync_all();
    kb.exchange_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / std::max(1u, iterations);
    const std::uint64_t total = forward.payload.block_bytes() * forward.ranks * forward.ranks;
    void *x = nullptr, *y = nullptr;
    UA2A_CUDA_CHECK(cudaMalloc(&x, total));
    UA2A_CUDA_CHECK(cudaMalloc(&y, total));
    kb.plain_copy_seconds = time_on(streams[0], iterations, [&] {
      UA2A_CUDA_CHECK(cudaMemcpyAsync(y, x, total, cudaMemcpyDeviceToDevice, streams[0]));
    });
    cudaFree(x), cudaFree(y);
    for (void* p : bufs) cudaFree(p);
    for (cudaStream_t s : streams) cudaStreamDestroy(s);
  }
  cudaStreamDestroy(stream);
  return kb;
}

}  // namespace ua2a
