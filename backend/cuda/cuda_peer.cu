#include "backend/cuda/cuda_peer.h"

#include <map>
#include <memory>
#include <vector>

#include "backend/cuda/check.h"
#include "backend/cuda/record_landed.h"
#include "backend/peer_plan.h"

namespace ua2a {

namespace {

/// Reusable events per device: a wait captures the event's state when enqueued, so an event may
/// be recorded again by the next execute.
class EventPool {
 public:
  ~EventPool() {
    for (auto& [device, events] : events_)
      for (cudaEvent_t e : events) cudaEventDestroy(e);
  }
  void reset() { used_.clear(); }
  cudaEvent_t take(int device) {
    auto& list = events_[device];
    std::size_t& used = used_[device];
    if (used == list.size()) {
      cudaEvent_t e;
      UA2A_CUDA_CHECK(cudaSetDevice(device));
      UA2A_CUDA_CHECK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
      list.push_back(e);
    }
    return list[used++];
  }

 private:
  std::map<int, std::vector<cudaEvent_t>> events_;
  std::map<int, std::size_t> used_;
};

/// Side streams per (issuing rank, peer), created on first use on the rank's device.
class LaneStreams {
 public:
  ~LaneStreams() {
    for (auto& [key, lane] : lanes_)
      if (UA2A_CUDA_WARN(cudaSetDevice(lane.device))) UA2A_CUDA_WARN(cudaStreamDestroy(lane.stream));
  }
  cudaStream_t get(Rank rank, std::int32_t peer, int device) {
    auto [it, fresh] = lanes_.try_emplace({rank, peer}, Lane{device, nullptr});
    if (fresh || it->second.device != device) {
      if (!fresh) UA2A_CUDA_CHECK(cudaStreamDestroy(it->second.stream));  // the rank moved to another GPU
      UA2A_CUDA_CHECK(cudaSetDevice(device));
      UA2A_CUDA_CHECK(cudaStreamCreateWithFlags(&it->second.stream, cudaStreamNonBlocking));
      it->second.device = device;
    }
    return it->second.stream;
  }

 private:
  struct Lane {
    int device;
    cudaStream_t stream;
  };
  std::map<std::pair<Rank, std::int32_t>, Lane> lanes_;
};

class CudaPeerTransport : public Transport {
 public:
  explicit CudaPeerTransport(const TransportOptions& options)
      : plan_options_{options.peer_writes, options.peer_streams} {}
  std::string name() const override { return "cuda-peer"; }
  void execute(const ProgramSet& programs, const ExchangeBuffers& buffers, DeliveryLedger* ledger) override;

 private:
  PeerPlanOptions plan_options_;
  EventPool events_;
  LaneStreams lanes_;
};

cudaStream_t stream_of(const RankBuffers& b) { return static_cast<cudaStream_t>(b.stream); }

void CudaPeerTransport::execute(const ProgramSet& programs, const ExchangeBuffers& buffers, DeliveryLedger* ledger) {
  if (buffers.ranks.size() != static_cast<std::size_t>(programs.ranks))
    throw std::invalid_argument("cuda-peer runs all ranks in one process: got buffers for " +
                                std::to_string(buffers.ranks.size()) + " of " + std::to_string(programs.ranks));
  for (std::size_t r = 0; r < buffers.ranks.size(); ++r)
    if (buffers.ranks[r].device < 0 || buffers.ranks[r].stream == nullptr || buffers.ranks[r].rank != static_cast<Rank>(r))
      throw std::invalid_argument("cuda-peer needs device buffers and a stream for every rank, in rank order");
  // The whole plan is made (and a bad program refused) before anything is enqueued.
  const StreamPlan plan = plan_peer_copies(programs, buffers.block_stride, plan_options_);
  events_.reset();
  std::vector<cudaEvent_t> events(plan.events);
  for (const StreamCommand& c : plan.commands) {
    const RankBuffers& b = buffers.ranks[c.stream];  // the issuing rank
    const cudaStream_t stream = c.lane < 0 ? stream_of(b) : lanes_.get(c.stream, c.lane, b.device);
    UA2A_CUDA_CHECK(cudaSetDevice(b.device));
    switch (c.kind) {
      case StreamCommand::Kind::record:
        events[c.event] = events_.take(b.device);
        UA2A_CUDA_CHECK(cudaEventRecord(events[c.event], stream));
        break;
      case StreamCommand::Kind::wait:
        UA2A_CUDA_CHECK(cudaStreamWaitEvent(stream, events[c.event], 0));
        break;
      case StreamCommand::Kind::copy: {
        const RankBuffers& from = buffers.ranks[c.from];
        const RankBuffers& to = buffers.ranks[c.to];
        UA2A_CUDA_CHECK(cudaMemcpyPeerAsync(to.recv + c.dst_offset, to.device, from.send + c.src_offset, from.device,
                                            c.bytes, stream));
        if (ledger && c.send.kind == OpKind::send)
          record_landed_on(stream, *ledger, programs.payload, c.to, c.dst_offset, buffers.block_stride, c.send);
        break;
      }
    }
  }
}

}  // namespace

std::unique_ptr<Transport> make_cuda_peer_transport(const TransportOptions& options) {
  return std::make_unique<CudaPeerTransport>(options);
}

}  // namespace ua2a
