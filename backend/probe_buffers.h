#pragma once
/// The memory side of FlowProber (backend/probe.h): host buffers (probe.cpp) or device buffers
/// (cuda/probe_gpu.cu), each filling, clearing and checking the flows' blocks where they live.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "backend/probe.h"

namespace ua2a {

using FlowList = std::vector<std::pair<Rank, Rank>>;

class FlowProber::Buffers {
 public:
  virtual ~Buffers() = default;
  /// Every rank's send and receive buffers, `stride` bytes per block, as the transports take them.
  virtual const ExchangeBuffers& exchange() const = 0;
  /// Before a run: probe_word(seed, ...) into the flows' send blocks, zero into their receive
  /// slots; returns when both are done.
  virtual void prepare(const FlowList& flows, std::uint64_t seed) = 0;
  /// Returns when every rank's stream has finished its work (host: at once).
  virtual void sync() = 0;
  /// Words of the flows' receive slots that differ from probe_word(seed, ...) of their source.
  virtual std::uint64_t count_wrong(const FlowList& flows, std::uint64_t seed) = 0;
  /// cuda-peer: turns peer access between the flows' GPUs on (refused where the driver cannot) or off.
  virtual void set_peer_access(const FlowList& flows, bool on) = 0;
  virtual std::string device() const = 0;
};

#if UA2A_HAVE_CUDA
/// Device buffers: rank r on visible GPU r (r % count with share_gpus). Throws TransportError
/// without a GPU, or with fewer GPUs than ranks and no share_gpus.
std::unique_ptr<FlowProber::Buffers> make_gpu_probe_buffers(std::int32_t ranks, std::uint64_t stride,
                                                            std::uint64_t bytes, bool share_gpus);
#endif

}  // namespace ua2a
