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

class CudaPeerTransport : public Transport {
 public:
  explicit CudaPeerTransport(const TransportOptions&) {}
  std::string name() const override { return "cuda-peer"; }
  void execute(const ProgramSet& programs, const ExchangeBuffers& buffers, DeliveryLedger* ledger) override;

 private:
  EventPool events_;
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
  const StreamPlan plan = plan_peer_copies(programs, buffers.block_stride);
  events_.reset();
  std::vector<cudaEvent_t> events(plan.events);
  for (const StreamCommand& c : plan.commands) {
    const RankBuffers& b = buffers.ranks[c.stream];
    UA2A_CUDA_CHECK(cudaSetDevice(b.device));
    switch (c.kind) {
      case StreamCommand::Kind::record:
        events[c.event] = events_.take(b.device);
        UA2A_CUDA_CHECK(cudaEventRecord(events[c.event], stream_of(b)));
        break;
      case StreamCommand::Kind::wait:
        UA2A_CUDA_CHECK(cudaStreamWaitEvent(stream_of(b), events[c.event], 0));
        break;
      case StreamCommand::Kind::copy: {
        const RankBuffers& a = buffers.ranks[c.from];
        UA2A_CUDA_CHECK(cudaMemcpyPeerAsync(b.recv + c.dst_offset, b.device, a.send + c.src_offset, a.device, c.bytes,
                                            stream_of(b)));
        if (ledger && c.send.kind == OpKind::send)
          record_landed_on(stream_of(b), *ledger, programs.payload, c.stream, c.dst_offset, buffers.block_stride, c.send);
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
