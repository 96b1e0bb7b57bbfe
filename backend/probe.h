#pragma once
/// Timing flows started together, for `ulysses-a2a probe`: a set of (source, destination) rank
/// pairs, `bytes` each, lowered with lower_concurrent into one grouped step and run on one of the
/// transports (threads, cuda-peer, nccl) over buffers allocated once and reused for every set.
///
/// Every run, warm-up included: fresh pseudo-random words in the flows' send blocks (never zero,
/// a function of the run's seed, the source, the destination and the word's index: probe_word),
/// the flows' receive slots cleared to zero, then the timed execute, then every received word
/// compared with what its source sent. The transports' delivery ledger records the warm-up runs
/// (and the first run when there is none): its host functions would add to the timed GPU runs.
/// A transport's first run sets it up (NCCL's communicators) and is never timed: with no warm-up
/// asked for, one untimed run is made anyway. Times are host wall-clock from the start of
/// execute to the end of every rank's stream.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "backend/transport.h"
#include "schedule/ledger.h"

namespace ua2a {

/// Word `index` of the block rank `src` sends `dst` in the run seeded `seed`: a hash (splitmix64
/// finaliser) that is never zero, so a slot left cleared shows. Host and device compute it alike.
#if defined(__CUDACC__)
__host__ __device__
#endif
inline std::uint32_t probe_word(std::uint64_t seed, std::uint32_t src, std::uint32_t dst, std::uint64_t index) {
  std::uint64_t z = seed ^ (static_cast<std::uint64_t>(src) << 48) ^ (static_cast<std::uint64_t>(dst) << 32) ^ index;
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  const auto w = static_cast<std::uint32_t>(z ^ (z >> 32));
  return w != 0 ? w : 0x9e3779b9u;
}

struct FlowProbeConfig {
  std::string transport = "threads";  ///< threads, cuda-peer or nccl (backend/transport.h)
  std::uint32_t warmup = 2;           ///< untimed runs per flow set
  std::uint32_t iterations = 10;      ///< timed runs per flow set; the figure is their mean
  std::uint64_t seed = 1;
  /// GPUs: more ranks than visible GPUs places rank r on GPU r % count (a smoke test of the
  /// machinery, not a measurement of the box); without it that is refused.
  bool share_gpus = false;
  TransportOptions transport_options;  ///< timeout, NCCL's; peer_writes and peer_streams are set per run
  /// Tests: makes the transport (over host buffers) instead of the table's `transport`.
  std::function<std::unique_ptr<Transport>(const TransportOptions&)> make;
};

/// One flow set to time.
struct FlowRun {
  std::vector<std::pair<Rank, Rank>> flows;
  /// cuda-peer: the source's stream issues each copy (it writes); else the destination's (reads).
  bool peer_writes = true;
  /// cuda-peer: peer access on between the flows' GPUs (P2P; refused where the driver cannot), or
  /// off, so the driver stages every copy through host memory.
  bool peer_access = true;
};

struct FlowTiming {
  std::vector<double> seconds;      ///< per timed run
  double mean_s = 0;
  double min_s = 0;
  std::uint32_t runs = 0;           ///< warm-up + timed, every one data-checked
  std::uint64_t wrong_words = 0;    ///< received words, over every run, not equal to what was sent
  std::uint32_t ledger_runs = 0;    ///< runs the delivery ledger recorded
  LedgerReport ledger;              ///< the first failing ledger's report, else the last one's
  bool ledger_ok = true;            ///< every recorded run: each flow's pieces exactly once, nothing else
  bool ok() const { return wrong_words == 0 && ledger_ok; }
};

/// Largest `bytes` per flow a probe takes (buffers are ranks x ranks x bytes, twice).
inline constexpr std::uint64_t kMaxProbeFlowBytes = std::uint64_t{1} << 32;

/// Host or device buffers for every rank, allocated once (ranks x ranks blocks of `bytes`, twice:
/// send and receive, as the transports address them), and the timing loop over them.
class FlowProber {
 public:
  /// Throws std::invalid_argument for bytes that are 0, not a multiple of 4 or above
  /// kMaxProbeFlowBytes, or a transport name not in the table; TransportError when the transport
  /// is not built in, no GPU is visible for a GPU transport, or fewer GPUs than ranks without
  /// share_gpus.
  FlowProber(const FlowProbeConfig& config, std::int32_t ranks, std::uint64_t bytes);
  ~FlowProber();
  FlowProber(const FlowProber&) = delete;
  FlowProber& operator=(const FlowProber&) = delete;

  /// Runs `run` warmup + iterations times. Throws std::invalid_argument for a flow naming a rank
  /// out of range, a flow to itself or a flow listed twice; TransportError on a failure of the
  /// machine (a CUDA or NCCL error, a timeout, P2P asked where the driver refuses it).
  FlowTiming time(const FlowRun& run);
  /// "host" or the GPUs the ranks run on.
  std::string device() const;

  /// The buffers and the work on them, per kind of memory (host here, device in cuda/probe_gpu.cu).
  class Buffers;

 private:
  FlowProbeConfig config_;
  std::int32_t ranks_;
  std::uint64_t bytes_;
  std::uint64_t runs_done_ = 0;  ///< seeds every run differently, across flow sets too
  std::unique_ptr<Buffers> buffers_;
  std::map<bool, std::unique_ptr<Transport>> transports_;  ///< by peer_writes
};

/// Visible GPUs a and b can reach each other peer to peer (cudaDeviceCanAccessPeer both ways);
/// false without CUDA or outside the visible GPUs.
bool gpus_can_peer(int a, int b);

}  // namespace ua2a
