#include "backend/cuda/gpu_layer.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "backend/cuda/check.h"
#include "backend/cuda/kernels.h"
#include "backend/runner.h"

namespace ua2a {

namespace {

/// Device memory owned RAII-style.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(int device, std::uint64_t bytes) : device_(device) {
    if (bytes == 0) return;
    UA2A_CUDA_CHECK(cudaSetDevice(device));
    UA2A_CUDA_CHECK(cudaMalloc(&ptr_, bytes));
  }
  ~DeviceBuffer() {
    if (ptr_ && UA2A_CUDA_WARN(cudaSetDevice(device_))) UA2A_CUDA_WARN(cudaFree(ptr_));
  }
  DeviceBuffer(DeviceBuffer&& o) noexcept : device_(o.device_), ptr_(std::exchange(o.ptr_, nullptr)) {}
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    std::swap(device_, o.device_);
    std::swap(ptr_, o.ptr_);
    return *this;
  }
  std::byte* get() const { return static_cast<std::byte*>(ptr_); }

 private:
  int device_ = 0;
  void* ptr_ = nullptr;
};

/// A non-blocking stream owned RAII-style: synchronised and destroyed with its owner, also when a
/// constructor throws halfway (the GpuLayer constructor used to leak the streams made before).
class Stream {
 public:
  Stream() = default;
  explicit Stream(int device) : device_(device) {
    UA2A_CUDA_CHECK(cudaSetDevice(device));
    UA2A_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  }
  ~Stream() {
    if (stream_ && UA2A_CUDA_WARN(cudaSetDevice(device_)) && UA2A_CUDA_WARN(cudaStreamSynchronize(stream_)))
      UA2A_CUDA_WARN(cudaStreamDestroy(stream_));
  }
  Stream(Stream&& o) noexcept : device_(o.device_), stream_(std::exchange(o.stream_, nullptr)) {}
  Stream& operator=(Stream&& o) noexcept {
    std::swap(device_, o.device_);
    std::swap(stream_, o.stream_);
    return *this;
  }
  operator cudaStream_t() const { return stream_; }

 private:
  int device_ = 0;
  cudaStream_t stream_ = nullptr;
};

/// A timing event owned RAII-style.
class Event {
 public:
  Event() = default;
  explicit Event(int device) : device_(device) {
    UA2A_CUDA_CHECK(cudaSetDevice(device));
    UA2A_CUDA_CHECK(cudaEventCreate(&event_));
  }
  ~Event() {
    if (event_ && UA2A_CUDA_WARN(cudaSetDevice(device_))) UA2A_CUDA_WARN(cudaEventDestroy(event_));
  }
  Event(Event&& o) noexcept : device_(o.device_), event_(std::exchange(o.event_, nullptr)) {}
  Event& operator=(Event&& o) noexcept {
    std::swap(device_, o.device_);
    std::swap(event_, o.event_);
    return *this;
  }
  operator cudaEvent_t() const { return event_; }

 private:
  int device_ = 0;
  cudaEvent_t event_ = nullptr;
};

constexpr int kStages = 7;

/// One rank's GPU resources. The stream is declared last so that it is destroyed first: its
/// work finishes before the buffers it uses are freed.
struct RankGpu {
  Rank rank = 0;
  int device = 0;
  DeviceBuffer workspace;             // regions A | B | O
  DeviceBuffer inputs[3], text[3], out;
  /// Each stage's own start and end: the end is recorded right behind the stage's work, before
  /// the barrier, so a stage's time excludes the barrier and the host's gap before the next one
  /// (they shared one event with the next stage's start).
  Event starts[kStages], ends[kStages];
  Stream stream;
};

}  // namespace

struct GpuLayer::Impl {
  LayerPlan plan;
  std::vector<RankGpu> ranks;
  int gpus = 0;
  std::uint64_t free_before = 0;
  std::uint64_t peak_used = 0;

  std::byte* region_a(const RankGpu& g) const { return g.workspace.get(); }
  std::byte* region_b(const RankGpu& g) const { return region_a(g) + plan.region_a_bytes; }
  std::byte* region_o(const RankGpu& g) const { return region_b(g) + plan.region_b_bytes; }
  ExchangeBuffers buffers(bool forward) const {
    ExchangeBuffers b;
    b.block_stride = forward ? plan.fwd_block_stride : plan.rev_block_stride;
    for (const RankGpu& g : ranks)
      b.ranks.push_back({g.rank, forward ? region_a(g) : region_b(g), forward ? region_b(g) : region_a(g), g.device,
                         g.stream});
    return b;
  }
  /// Runs stage `i` on every rank between its start and end events, then a barrier.
  template <class F>
  void stage(int i, F&& enqueue) {
    for (RankGpu& g : ranks) {
      UA2A_CUDA_CHECK(cudaSetDevice(g.device));
      UA2A_CUDA_CHECK(cudaEventRecord(g.starts[i], g.stream));
    }
    enqueue();
    for (RankGpu& g : ranks) {
      UA2A_CUDA_CHECK(cudaSetDevice(g.device));
      UA2A_CUDA_CHECK(cudaEventRecord(g.ends[i], g.stream));
    }
    for (RankGpu& g : ranks) {
      UA2A_CUDA_CHECK(cudaSetDevice(g.device));
      UA2A_CUDA_CHECK(cudaStreamSynchronize(g.stream));
    }
  }
  void record_memory() {
    std::size_t free = 0, total = 0;
    UA2A_CUDA_CHECK(cudaSetDevice(ranks.front().device));
    UA2A_CUDA_CHECK(cudaMemGetInfo(&free, &total));
    if (free_before > free) peak_used = std::max<std::uint64_t>(peak_used, free_before - free);
  }
};

GpuLayer::GpuLayer(const LayerPlan& plan, std::vector<Rank> local_ranks) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.plan = plan;
  m.gpus = gpu_count();
  if (m.gpus == 0)
    throw TransportError("no CUDA GPU is visible to this process: use --transport threads, or run on a GPU machine");
  // Everything below is owned by the ranks (RAII): a throw anywhere releases what was made.
  for (Rank r : local_ranks) {
    RankGpu g;
    g.rank = r;
    g.device = r % m.gpus;
    g.stream = Stream(g.device);
    for (int i = 0; i < kStages; ++i) g.starts[i] = Event(g.device), g.ends[i] = Event(g.device);
    for (int t = 0; t < 3; ++t) {
      g.inputs[t] = DeviceBuffer(g.device, plan.input_bytes);
      g.text[t] = DeviceBuffer(g.device, plan.text_bytes);
    }
    g.out = DeviceBuffer(g.device, plan.input_bytes);
    m.ranks.push_back(std::move(g));
  }
  // The layer's own memory starts here: the user's tensors above are not part of it.
  std::size_t free = 0, total = 0;
  UA2A_CUDA_CHECK(cudaSetDevice(m.ranks.front().device));
  UA2A_CUDA_CHECK(cudaMemGetInfo(&free, &total));
  m.free_before = free;
  for (RankGpu& g : m.ranks) g.workspace = DeviceBuffer(g.device, plan.workspace_bytes());
  // Peer access where the hardware allows it; cudaMemcpyPeerAsync stages through the host otherwise.
  for (int a = 0; a < m.gpus; ++a)
    for (int b = 0; b < m.gpus; ++b) {
      int can = 0;
      if (a == b || cudaDeviceCanAccessPeer(&can, a, b) != cudaSuccess || !can) continue;
      UA2A_CUDA_CHECK(cudaSetDevice(a));
      const cudaError_t e = cudaDeviceEnablePeerAccess(b, 0);
      if (e == cudaErrorPeerAccessAlreadyEnabled) cudaGetLastError();  // enabled by an earlier layer: fine
      else UA2A_CUDA_CHECK(e);
    }
}

GpuLayer::~GpuLayer() = default;  // the ranks own their streams, events and buffers

void GpuLayer::upload(const LayerInputs& inputs) {
  // On the rank's own stream: cudaMemcpy runs on the legacy stream, which does not order against
  // the non-blocking rank streams, and from pageable memory it may return before the DMA landed,
  // so the first pack could read the previous inputs.
  for (RankGpu& g : impl_->ranks) {
    UA2A_CUDA_CHECK(cudaSetDevice(g.device));
    for (int t = 0; t < 3; ++t) {
      UA2A_CUDA_CHECK(cudaMemcpyAsync(g.inputs[t].get(), inputs.qkv.at(g.rank)[t].data(), impl_->plan.input_bytes,
                                      cudaMemcpyHostToDevice, g.stream));
      if (impl_->plan.text_bytes)
        UA2A_CUDA_CHECK(cudaMemcpyAsync(g.text[t].get(), inputs.text[t].data(), impl_->plan.text_bytes,
                                        cudaMemcpyHostToDevice, g.stream));
    }
  }
  // The host vectors may change once this returns.
  for (RankGpu& g : impl_->ranks) {
    UA2A_CUDA_CHECK(cudaSetDevice(g.device));
    UA2A_CUDA_CHECK(cudaStreamSynchronize(g.stream));
  }
}

void GpuLayer::poison() {
  // 0xFF bytes are NaN in bf16 and fp16: an element the layer fails to write fails the check.
  for (RankGpu& g : impl_->ranks) {
    UA2A_CUDA_CHECK(cudaSetDevice(g.device));
    UA2A_CUDA_CHECK(cudaMemsetAsync(g.workspace.get(), 0xFF, impl_->plan.workspace_bytes(), g.stream));
    UA2A_CUDA_CHECK(cudaMemsetAsync(g.out.get(), 0xFF, impl_->plan.input_bytes, g.stream));
  }
  for (RankGpu& g : impl_->ranks) {
    UA2A_CUDA_CHECK(cudaSetDevice(g.device));
    UA2A_CUDA_CHECK(cudaStreamSynchronize(g.stream));
  }
}

void GpuLayer::run(const LayerPrograms& programs, Transport& transport, LayerLedgers ledgers, StageTimes* times) {
  Impl& m = *impl_;
  check_fit(m.plan, programs);
  const LayerShape& s = m.plan.shape;
  const std::uint64_t h = s.heads_per_rank(), D = s.head_dim, attn = m.plan.attn_tensor_bytes;
  const RowMap fwd_pack = pack_map(m.plan, Exchange::qkv), fwd_unpack = unpack_map(m.plan, Exchange::qkv);
  const RowMap rev_pack = pack_map(m.plan, Exchange::out), rev_unpack = unpack_map(m.plan, Exchange::out);
  auto each = [&](auto&& f) {
    for (RankGpu& g : m.ranks) {
      UA2A_CUDA_CHECK(cudaSetDevice(g.device));
      f(g);
    }
  };
  m.stage(0, [&] {
    each([&](RankGpu& g) {
      const void* src[3] = {g.inputs[0].get(), g.inputs[1].get(), g.inputs[2].get()};
      pack_gpu(fwd_pack, s.elem, src, m.region_a(g), g.stream);
    });
  });
  m.stage(1, [&] { transport.execute(programs.forward, m.buffers(true), ledgers.forward); });
  m.stage(2, [&] {
    each([&](RankGpu& g) {
      void* dst[3] = {m.region_a(g), m.region_a(g) + attn, m.region_a(g) + 2 * attn};
      unpack_gpu(fwd_unpack, s.elem, m.region_b(g), dst, g.stream);
      for (int t = 0; t < 3; ++t)
        append_text_gpu(g.text[t].get(), s.text_tokens, s.heads, g.rank * h, h, D, dst[t], s.ranks * s.seq_per_rank,
                        g.stream);
    });
  });
  m.stage(3, [&] {
    each([&](RankGpu& g) {
      attention_forward(layer_attention(s, m.region_a(g), m.region_a(g) + attn, m.region_a(g) + 2 * attn, m.region_o(g)),
                        g.stream);
    });
  });
  m.stage(4, [&] {
    each([&](RankGpu& g) {
      const void* src[1] = {m.region_o(g)};
      pack_gpu(rev_pack, s.elem, src, m.region_b(g), g.stream);
    });
  });
  m.stage(5, [&] { transport.execute(programs.reverse, m.buffers(false), ledgers.reverse); });
  m.stage(6, [&] {
    each([&](RankGpu& g) {
      void* dst[1] = {g.out.get()};
      unpack_gpu(rev_unpack, s.elem, m.region_a(g), dst, g.stream);
    });
  });
  m.record_memory();
  if (!times) return;
  double stage_s[kStages] = {};
  for (RankGpu& g : m.ranks)
    for (int i = 0; i < kStages; ++i) {
      float ms = 0;
      UA2A_CUDA_CHECK(cudaEventElapsedTime(&ms, g.starts[i], g.ends[i]));
      stage_s[i] = std::max(stage_s[i], ms * 1e-3);
    }
  StageTimes t;
  t.pack = stage_s[0], t.exchange = stage_s[1], t.unpack = stage_s[2], t.attention = stage_s[3];
  t.reverse_pack = stage_s[4], t.reverse_exchange = stage_s[5], t.reverse_unpack = stage_s[6];
  *times += t;
}

void GpuLayer::download(LayerOutputs& outputs) {
  const LayerShape& s = impl_->plan.shape;
  const std::uint64_t h = s.heads_per_rank(), D = s.head_dim;
  outputs.out.assign(s.ranks, {});
  outputs.text_out.assign(s.ranks, {});
  for (RankGpu& g : impl_->ranks) {
    UA2A_CUDA_CHECK(cudaSetDevice(g.device));
    outputs.out[g.rank].resize(s.seq_per_rank * s.heads * D);
    UA2A_CUDA_CHECK(cudaMemcpyAsync(outputs.out[g.rank].data(), g.out.get(), impl_->plan.input_bytes,
                                    cudaMemcpyDeviceToHost, g.stream));
    outputs.text_out[g.rank].resize(s.text_tokens * h * D);
    if (s.text_tokens)
      UA2A_CUDA_CHECK(cudaMemcpyAsync(outputs.text_out[g.rank].data(),
                                      impl_->region_o(g) + s.ranks * s.seq_per_rank * h * D * 2,
                                      s.text_tokens * h * D * 2, cudaMemcpyDeviceToHost, g.stream));
    UA2A_CUDA_CHECK(cudaStreamSynchronize(g.stream));
  }
}

void GpuLayer::synchronize() noexcept {
  for (RankGpu& g : impl_->ranks)
    if (UA2A_CUDA_WARN(cudaSetDevice(g.device))) UA2A_CUDA_WARN(cudaStreamSynchronize(g.stream));
}

std::uint64_t GpuLayer::workspace_bytes_per_rank() const { return impl_->plan.workspace_bytes(); }

std::uint64_t GpuLayer::measured_bytes_per_rank() const {
  const Impl& m = *impl_;
  std::uint64_t on_first = 0;
  for (const RankGpu& g : m.ranks) on_first += g.device == m.ranks.front().device;
  return on_first ? m.peak_used / on_first : 0;
}

std::uint32_t GpuLayer::ranks_per_device() const {
  std::vector<std::uint32_t> per(impl_->gpus, 0);
  for (const RankGpu& g : impl_->ranks) ++per[g.device];
  return *std::max_element(per.begin(), per.end());
}

std::string GpuLayer::device_description() const {
  cudaDeviceProp prop{};
  UA2A_CUDA_CHECK(cudaGetDeviceProperties(&prop, impl_->ranks.front().device));
  return std::to_string(std::min<int>(impl_->gpus, impl_->plan.shape.ranks)) + " x " + prop.name + " (" +
         std::to_string(impl_->ranks.size()) + " ranks)";
}

}  // namespace ua2a
