#include "backend/cuda/cuda_peer.h"

#include <map>
#include <vector>

#include "backend/cuda/check.h"

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

/// Per-rank progress while enqueueing.
struct RankState {
  std::int64_t entered = -1;           ///< last step whose ready event is recorded
  cudaEvent_t ready = nullptr;         ///< ready event of step `entered`
  std::vector<std::pair<cudaEvent_t, std::uint32_t>> pending;  ///< (done event, send step)
};

class CudaPeerTransport : public Transport {
 public:
  explicit CudaPeerTransport(const TransportOptions&) {}
  std::string name() const override { return "cuda-peer"; }
  void execute(const ProgramSet& programs, const ExchangeBuffers& buffers, DeliveryLedger* ledger) override;

 private:
  void enter(const RankBuffers& b, RankState& s, std::uint32_t step);
  EventPool events_;
};

cudaStream_t stream_of(const RankBuffers& b) { return static_cast<cudaStream_t>(b.stream); }

void CudaPeerTransport::enter(const RankBuffers& b, RankState& s, std::uint32_t step) {
  if (s.entered >= static_cast<std::int64_t>(step)) return;
  UA2A_CUDA_CHECK(cudaSetDevice(b.device));
  std::erase_if(s.pending, [&](const auto& p) {
    if (p.second >= step) return false;
    UA2A_CUDA_CHECK(cudaStreamWaitEvent(stream_of(b), p.first, 0));
    return true;
  });
  s.ready = events_.take(b.device);
  UA2A_CUDA_CHECK(cudaEventRecord(s.ready, stream_of(b)));
  s.entered = step;
}

std::vector<std::uint32_t> step_of_ops(const Program& p) {
  std::vector<std::uint32_t> step(p.ops.size());
  for (std::size_t k = 0; k < p.step_count(); ++k)
    for (std::uint32_t i = p.step_begin[k]; i < p.step_begin[k + 1]; ++i) step[i] = static_cast<std::uint32_t>(k);
  return step;
}

void CudaPeerTransport::execute(const ProgramSet& programs, const ExchangeBuffers& buffers, DeliveryLedger* ledger) {
  if (buffers.ranks.size() != static_cast<std::size_t>(programs.ranks))
    throw std::invalid_argument("cuda-peer runs all ranks in one process: got buffers for " +
                                std::to_string(buffers.ranks.size()) + " of " + std::to_string(programs.ranks));
  for (std::size_t r = 0; r < buffers.ranks.size(); ++r)
    if (buffers.ranks[r].device < 0 || buffers.ranks[r].stream == nullptr || buffers.ranks[r].rank != static_cast<Rank>(r))
      throw std::invalid_argument("cuda-peer needs device buffers and a stream for every rank, in rank order");
  check_programs(programs);  // refuse a deadlocking program before enqueueing anything
  events_.reset();
  const std::uint64_t stride = buffers.block_stride;
  std::vector<RankState> state(programs.ranks);
  std::vector<std::vector<std::uint32_t>> steps;
  for (const Program& p : programs.programs) steps.push_back(step_of_ops(p));
  auto index_of = [&](Rank r, const Op& op) { return static_cast<std::size_t>(&op - programs.programs[r].ops.data()); };

  for (Rank r = 0; r < programs.ranks; ++r) {  // the diagonal copies, in each rank's step 0
    const RankBuffers& b = buffers.ranks[r];
    for (const Op& op : programs.programs[r].ops) {
      if (op.kind != OpKind::copy) continue;
      enter(b, state[r], steps[r][index_of(r, op)]);
      UA2A_CUDA_CHECK(cudaMemcpyAsync(b.recv + r * stride, b.send + r * stride, op.bytes, cudaMemcpyDeviceToDevice,
                                      stream_of(b)));
    }
  }
  drive_serially(programs, [&](const Op& send, Rank from, const Op& recv, Rank to) {
    const RankBuffers& a = buffers.ranks[from];
    const RankBuffers& b = buffers.ranks[to];
    const std::uint32_t send_step = steps[from][index_of(from, send)];
    enter(a, state[from], send_step);
    enter(b, state[to], steps[to][index_of(to, recv)]);
    UA2A_CUDA_CHECK(cudaSetDevice(b.device));
    UA2A_CUDA_CHECK(cudaStreamWaitEvent(stream_of(b), state[from].ready, 0));
    UA2A_CUDA_CHECK(cudaMemcpyPeerAsync(b.recv + recv_offset(programs.payload, stride, recv), b.device,
                                        a.send + send_offset(programs.payload, stride, send), a.device, recv.bytes,
                                        stream_of(b)));
    const cudaEvent_t done = events_.take(b.device);
    UA2A_CUDA_CHECK(cudaEventRecord(done, stream_of(b)));
    state[from].pending.emplace_back(done, send_step);
    if (ledger) ledger->record(to, recv.block.src, send.block, send.part, send.chunk);
  });
  // The exchange ends when every copy out of a rank's send buffer is done: later work on the
  // rank's stream (unpack into the same memory) must not overtake them.
  for (Rank r = 0; r < programs.ranks; ++r) {
    const RankBuffers& b = buffers.ranks[r];
    UA2A_CUDA_CHECK(cudaSetDevice(b.device));
    for (const auto& [event, step] : state[r].pending) UA2A_CUDA_CHECK(cudaStreamWaitEvent(stream_of(b), event, 0));
  }
}

}  // namespace

std::unique_ptr<Transport> make_cuda_peer_transport(const TransportOptions& options) {
  return std::make_unique<CudaPeerTransport>(options);
}

}  // namespace ua2a
