// Timing flows started together (probe.h): the timing loop, and the host buffers of the threads
// transport. The device buffers are in cuda/probe_gpu.cu.
#include "backend/probe.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <stdexcept>

#include "backend/layout.h"
#include "backend/probe_buffers.h"
#include "schedule/lower.h"

namespace ua2a {

namespace {

class HostBuffers : public FlowProber::Buffers {
 public:
  HostBuffers(std::int32_t ranks, std::uint64_t stride, std::uint64_t bytes)
      : words_(bytes / 4), send_(ranks), recv_(ranks) {
    const std::uint64_t words_per_rank = stride / 4 * static_cast<std::uint64_t>(ranks);
    exchange_.block_stride = stride;
    for (Rank r = 0; r < ranks; ++r) {
      send_[r].assign(words_per_rank, 0);
      recv_[r].assign(words_per_rank, 0);
      exchange_.ranks.push_back({r, reinterpret_cast<std::byte*>(send_[r].data()),
                                 reinterpret_cast<std::byte*>(recv_[r].data())});
    }
  }
  const ExchangeBuffers& exchange() const override { return exchange_; }
  void prepare(const FlowList& flows, std::uint64_t seed) override {
    for (auto [src, dst] : flows) {
      std::uint32_t* out = block(send_[src], dst);
      for (std::uint64_t i = 0; i < words_; ++i) out[i] = probe_word(seed, src, dst, i);
      std::fill_n(block(recv_[dst], src), words_, 0u);
    }
  }
  void sync() override {}
  std::uint64_t count_wrong(const FlowList& flows, std::uint64_t seed) override {
    std::uint64_t wrong = 0;
    for (auto [src, dst] : flows) {
      const std::uint32_t* in = block(recv_[dst], src);
      for (std::uint64_t i = 0; i < words_; ++i) wrong += in[i] != probe_word(seed, src, dst, i);
    }
    return wrong;
  }
  void set_peer_access(const FlowList&, bool) override {}  // host memory: nothing to switch
  std::string device() const override { return "host (CPU threads)"; }

 private:
  std::uint32_t* block(std::vector<std::uint32_t>& buffer, Rank slot) {
    return buffer.data() + static_cast<std::uint64_t>(slot) * (exchange_.block_stride / 4);
  }
  std::uint64_t words_;
  std::vector<std::vector<std::uint32_t>> send_, recv_;
  ExchangeBuffers exchange_;
};

void check_flows(const FlowList& flows, std::int32_t ranks) {
  std::set<std::pair<Rank, Rank>> seen;
  for (auto [src, dst] : flows) {
    const std::string flow = std::to_string(src) + "->" + std::to_string(dst);
    if (src < 0 || dst < 0 || src >= ranks || dst >= ranks)
      throw std::invalid_argument("flow " + flow + " names a rank outside 0.." + std::to_string(ranks - 1));
    if (src == dst) throw std::invalid_argument("flow " + flow + " goes nowhere: give two different ranks");
    if (!seen.insert({src, dst}).second) throw std::invalid_argument("flow " + flow + " is listed twice");
  }
  if (flows.empty()) throw std::invalid_argument("a flow set needs at least one flow");
}

/// The ledger holds every flow's pieces once, at its destination and slot, and nothing else
/// arrived. It expects every off-diagonal block; those of no flow are missing by design.
bool ledger_holds_exactly(const LedgerReport& r, std::uint64_t flow_pieces) {
  return r.duplicated_count == 0 && r.misplaced_count == 0 && r.arrived == flow_pieces &&
         r.missing_count == r.expected - flow_pieces;
}

}  // namespace

FlowProber::FlowProber(const FlowProbeConfig& config, std::int32_t ranks, std::uint64_t bytes)
    : config_(config), ranks_(ranks), bytes_(bytes) {
  if (bytes == 0 || bytes % 4 != 0 || bytes > kMaxProbeFlowBytes)
    throw std::invalid_argument("bytes per flow " + std::to_string(bytes) + " must be a multiple of 4 between 4 and " +
                                std::to_string(kMaxProbeFlowBytes));
  if (ranks < 2) throw std::invalid_argument("flows need at least 2 ranks, got " + std::to_string(ranks));
  const std::uint64_t stride = (bytes + kBlockAlign - 1) / kBlockAlign * kBlockAlign;
  if (config.make) {
    buffers_ = std::make_unique<HostBuffers>(ranks, stride, bytes);
    return;
  }
  const TransportInfo& info = find_transport(config.transport);
  if (!info.available) make_transport(config.transport, config.transport_options);  // throws: not built in
  if (info.host_memory) {
    buffers_ = std::make_unique<HostBuffers>(ranks, stride, bytes);
  } else {
#if UA2A_HAVE_CUDA
    buffers_ = make_gpu_probe_buffers(ranks, stride, bytes, config.share_gpus);
#endif
  }
}

FlowProber::~FlowProber() = default;

std::string FlowProber::device() const { return buffers_->device(); }

FlowTiming FlowProber::time(const FlowRun& run) {
  check_flows(run.flows, ranks_);
  const ProgramSet programs = lower_concurrent(ranks_, run.flows, bytes_);
  const std::uint64_t flow_pieces = run.flows.size() * programs.payload.pieces_per_block();
  // One transport per direction, kept: NCCL's communicators take seconds to set up.
  std::unique_ptr<Transport>& transport = transports_[run.peer_writes];
  const bool fresh = transport == nullptr;
  if (fresh) {
    TransportOptions options = config_.transport_options;
    options.peer_writes = run.peer_writes;
    options.peer_streams = true;  // the flows start together, not one after another per rank
    transport = config_.make ? config_.make(options) : make_transport(config_.transport, options);
  }
  if (config_.transport == "cuda-peer") buffers_->set_peer_access(run.flows, run.peer_access);
  // A fresh transport's first run sets it up: never timed, even with no warm-up asked for.
  const std::uint32_t warmup = fresh ? std::max(config_.warmup, 1u) : config_.warmup;
  FlowTiming t;
  for (std::uint32_t i = 0; i < warmup + config_.iterations; ++i) {
    const std::uint64_t seed = config_.seed * 0x100000001b3ull + runs_done_++;
    buffers_->prepare(run.flows, seed);
    std::optional<DeliveryLedger> ledger;
    if (i < std::max(warmup, 1u)) ledger.emplace(ranks_, programs.payload);  // untimed, or the first
    const auto t0 = std::chrono::steady_clock::now();
    transport->execute(programs, buffers_->exchange(), ledger ? &*ledger : nullptr);
    buffers_->sync();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ++t.runs;
    t.wrong_words += buffers_->count_wrong(run.flows, seed);
    if (ledger) {
      ++t.ledger_runs;
      const LedgerReport r = ledger->report();
      if (t.ledger_ok) t.ledger = r;
      t.ledger_ok = t.ledger_ok && ledger_holds_exactly(r, flow_pieces);
    }
    if (i >= warmup) t.seconds.push_back(seconds);
  }
  if (!t.seconds.empty()) {
    t.mean_s = std::accumulate(t.seconds.begin(), t.seconds.end(), 0.0) / static_cast<double>(t.seconds.size());
    t.min_s = *std::min_element(t.seconds.begin(), t.seconds.end());
  }
  return t;
}

#if !UA2A_HAVE_CUDA
bool gpus_can_peer(int, int) { return false; }
#endif

}  // namespace ua2a
