// The device half of FlowProber (probe.h): each rank's buffers on its GPU, the flows' words
// filled and checked there by small grid-stride kernels (no host copy of the data), and peer
// access switched per flow set.
#include <cuda_runtime.h>

#include <algorithm>
#include <set>
#include <vector>

#include "backend/cuda/check.h"
#include "backend/probe_buffers.h"
#include "backend/runner.h"

namespace ua2a {

namespace {

constexpr int kThreads = 256;
constexpr int kMaxBlocks = 1024;  ///< grid-stride: enough to fill any GPU, few enough to launch fast

int blocks_for(std::uint64_t words) {
  return static_cast<int>(std::min<std::uint64_t>(kMaxBlocks, (words + kThreads - 1) / kThreads));
}

__global__ void fill_words(std::uint32_t* out, std::uint64_t words, std::uint64_t seed, std::uint32_t src,
                           std::uint32_t dst) {
  const std::uint64_t step = static_cast<std::uint64_t>(gridDim.x) * blockDim.x;
  for (std::uint64_t i = blockIdx.x * static_cast<std::uint64_t>(blockDim.x) + threadIdx.x; i < words; i += step)
    out[i] = probe_word(seed, src, dst, i);
}

__global__ void count_wrong_words(const std::uint32_t* in, std::uint64_t words, std::uint64_t seed, std::uint32_t src,
                                  std::uint32_t dst, unsigned long long* wrong) {
  const std::uint64_t step = static_cast<std::uint64_t>(gridDim.x) * blockDim.x;
  unsigned long long mine = 0;
  for (std::uint64_t i = blockIdx.x * static_cast<std::uint64_t>(blockDim.x) + threadIdx.x; i < words; i += step)
    mine += in[i] != probe_word(seed, src, dst, i);
  if (mine) atomicAdd(wrong, mine);
}

class GpuBuffers : public FlowProber::Buffers {
 public:
  GpuBuffers(std::int32_t ranks, std::uint64_t stride, std::uint64_t bytes, bool share_gpus)
      : words_(bytes / 4), gpus_(gpu_count()) {
    if (gpus_ == 0) throw TransportError("no CUDA GPU is visible to this process: the CPU threads transport runs without one");
    if (gpus_ < ranks && !share_gpus)
      throw TransportError(std::to_string(ranks) + " ranks and " + std::to_string(gpus_) +
                           " visible GPUs: every rank needs a GPU of its own, or ranks must share GPUs (a smoke test)");
    enabled_.assign(static_cast<std::size_t>(gpus_) * gpus_, false);
    exchange_.block_stride = stride;
    try {
      allocate(ranks, stride * static_cast<std::uint64_t>(ranks));
    } catch (...) {
      release();  // a constructor that throws runs no destructor
      throw;
    }
  }
  ~GpuBuffers() override { release(); }

  const ExchangeBuffers& exchange() const override { return exchange_; }

  void prepare(const FlowList& flows, std::uint64_t seed) override {
    for (auto [src, dst] : flows) {
      const RankMemory& s = memory_[src];
      UA2A_CUDA_CHECK(cudaSetDevice(s.device));
      fill_words<<<blocks_for(words_), kThreads, 0, s.stream>>>(block(s.send, dst), words_, seed, src, dst);
      UA2A_CUDA_CHECK(cudaGetLastError());
      const RankMemory& d = memory_[dst];
      UA2A_CUDA_CHECK(cudaSetDevice(d.device));
      UA2A_CUDA_CHECK(cudaMemsetAsync(block(d.recv, src), 0, words_ * 4, d.stream));
    }
    sync();
  }

  void sync() override {
    for (const RankMemory& m : memory_) {
      UA2A_CUDA_CHECK(cudaSetDevice(m.device));
      UA2A_CUDA_CHECK(cudaStreamSynchronize(m.stream));
    }
  }

  std::uint64_t count_wrong(const FlowList& flows, std::uint64_t seed) override {
    std::set<Rank> receivers;
    for (auto [src, dst] : flows) {
      const RankMemory& d = memory_[dst];
      UA2A_CUDA_CHECK(cudaSetDevice(d.device));
      if (receivers.insert(dst).second) UA2A_CUDA_CHECK(cudaMemsetAsync(d.wrong, 0, sizeof(unsigned long long), d.stream));
      count_wrong_words<<<blocks_for(words_), kThreads, 0, d.stream>>>(block(d.recv, src), words_, seed, src, dst,
                                                                        d.wrong);
      UA2A_CUDA_CHECK(cudaGetLastError());
    }
    std::uint64_t wrong = 0;
    for (Rank r : receivers) {
      const RankMemory& d = memory_[r];
      unsigned long long count = 0;
      UA2A_CUDA_CHECK(cudaSetDevice(d.device));
      UA2A_CUDA_CHECK(cudaMemcpyAsync(&count, d.wrong, sizeof count, cudaMemcpyDeviceToHost, d.stream));
      UA2A_CUDA_CHECK(cudaStreamSynchronize(d.stream));
      wrong += count;
    }
    return wrong;
  }

  void set_peer_access(const FlowList& flows, bool on) override {
    for (auto [src, dst] : flows) {
      const int a = memory_[src].device, b = memory_[dst].device;
      if (a == b) continue;  // ranks sharing a GPU copy within it
      if (on && !gpus_can_peer(a, b))
        throw TransportError("GPUs " + std::to_string(a) + " and " + std::to_string(b) +
                             " cannot reach each other peer to peer (cudaDeviceCanAccessPeer says no: P2P is off in "
                             "the driver or unsupported between them): probe them with copies staged through host "
                             "memory (transport cuda-staged)");
      switch_access(a, b, on);
      switch_access(b, a, on);
    }
  }

  std::string device() const override {
    cudaDeviceProp prop{};
    UA2A_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
    const int used = std::min<int>(gpus_, static_cast<int>(memory_.size()));
    std::string text = std::to_string(used) + " x " + prop.name;
    if (static_cast<int>(memory_.size()) > gpus_)
      text += " (" + std::to_string(memory_.size()) + " ranks share them: a smoke test, not the box)";
    return text;
  }

 private:
  struct RankMemory {
    int device = 0;
    cudaStream_t stream = nullptr;
    void* send = nullptr;
    void* recv = nullptr;
    unsigned long long* wrong = nullptr;
  };
  void allocate(std::int32_t ranks, std::uint64_t buffer) {
    for (Rank r = 0; r < ranks; ++r) {
      RankMemory m;
      m.device = r % gpus_;
      UA2A_CUDA_CHECK(cudaSetDevice(m.device));
      UA2A_CUDA_CHECK(cudaStreamCreateWithFlags(&m.stream, cudaStreamNonBlocking));
      memory_.push_back(m);  // owned from here on: release() frees what was made
      UA2A_CUDA_CHECK(cudaMalloc(&memory_.back().send, buffer));
      UA2A_CUDA_CHECK(cudaMalloc(&memory_.back().recv, buffer));
      UA2A_CUDA_CHECK(cudaMalloc(&memory_.back().wrong, sizeof(unsigned long long)));
      const RankMemory& k = memory_.back();
      exchange_.ranks.push_back({r, static_cast<std::byte*>(k.send), static_cast<std::byte*>(k.recv), k.device, k.stream});
    }
  }
  void release() noexcept {
    for (RankMemory& m : memory_) {
      if (!UA2A_CUDA_WARN(cudaSetDevice(m.device))) continue;
      UA2A_CUDA_WARN(cudaStreamSynchronize(m.stream));
      if (m.send) UA2A_CUDA_WARN(cudaFree(m.send));
      if (m.recv) UA2A_CUDA_WARN(cudaFree(m.recv));
      if (m.wrong) UA2A_CUDA_WARN(cudaFree(m.wrong));
      UA2A_CUDA_WARN(cudaStreamDestroy(m.stream));
    }
    memory_.clear();
  }
  std::uint32_t* block(void* buffer, Rank slot) const {
    return reinterpret_cast<std::uint32_t*>(static_cast<std::byte*>(buffer) + slot * exchange_.block_stride);
  }
  /// Device `from` may (on) or may not (off) access device `to`'s memory directly.
  void switch_access(int from, int to, bool on) {
    const std::size_t i = static_cast<std::size_t>(from) * gpus_ + to;
    if (enabled_[i] == on) return;
    UA2A_CUDA_CHECK(cudaSetDevice(from));
    const cudaError_t e = on ? cudaDeviceEnablePeerAccess(to, 0) : cudaDeviceDisablePeerAccess(to);
    // Already in the asked state (set before this prober): fine, and clear the sticky error.
    if (e == cudaErrorPeerAccessAlreadyEnabled || e == cudaErrorPeerAccessNotEnabled) cudaGetLastError();
    else UA2A_CUDA_CHECK(e);
    enabled_[i] = on;
  }

  std::uint64_t words_;
  int gpus_;
  std::vector<bool> enabled_;  ///< [from * gpus + to]: peer access as this prober last set it
  std::vector<RankMemory> memory_;
  ExchangeBuffers exchange_;
};

}  // namespace

std::unique_ptr<FlowProber::Buffers> make_gpu_probe_buffers(std::int32_t ranks, std::uint64_t stride,
                                                            std::uint64_t bytes, bool share_gpus) {
  return std::make_unique<GpuBuffers>(ranks, stride, bytes, share_gpus);
}

bool gpus_can_peer(int a, int b) {
  const int n = gpu_count();
  if (a == b || a < 0 || b < 0 || a >= n || b >= n) return false;
  int ab = 0, ba = 0;
  if (cudaDeviceCanAccessPeer(&ab, a, b) != cudaSuccess || cudaDeviceCanAccessPeer(&ba, b, a) != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  return ab && ba;
}

}  // namespace ua2a
