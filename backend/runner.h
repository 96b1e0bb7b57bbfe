#pragma once
/// Runs the layer end to end on a transport, optionally checking it against the CPU reference
/// and the delivery ledger: what `ulysses-a2a run` and `bench` call.
#include <cstdint>
#include <string>
#include <vector>

#include "backend/layer.h"

namespace ua2a {

struct RunConfig {
  LayerShape shape;
  std::string transport = "threads";
  std::uint32_t warmup = 0;      ///< untimed runs before the timed ones
  std::uint32_t iterations = 1;  ///< timed runs; times are their mean
  /// Check every run, warm-up included, as fully as the first: fresh inputs per run (seed + run
  /// index), workspaces and outputs poisoned with NaN first, fresh ledgers, and the outputs
  /// compared with that run's reference. The times then include the checking overhead (uploads,
  /// the ledgers' host functions); time without --check.
  bool check = false;
  std::uint32_t seed = 1;
  TransportOptions transport_options;
};

struct RunReport {
  LayerPlan plan;
  std::string transport;
  std::string device;              ///< "host" or the GPUs used
  std::vector<Rank> local_ranks;   ///< ranks this process ran
  /// Most ranks that shared one device (8 virtual ranks on one GPU: 8; the host counts as one
  /// device): their stages ran in the same stage time.
  std::uint32_t ranks_per_device = 1;
  std::uint32_t checked_runs = 0;  ///< runs compared with their reference (all of them with check)
  StageTimes times;                ///< mean seconds per timed iteration
  std::uint64_t workspace_bytes_per_rank = 0;  ///< regions A + B + O (device memory on GPUs)
  /// GPUs: device memory the layer added per rank, measured with cudaMemGetInfo (0 on the CPU).
  std::uint64_t measured_bytes_per_rank = 0;
  bool checked = false;
  Tolerance tolerance;
  std::vector<RankError> errors;   ///< per rank, worst over the checked runs (empty for ranks not local)
  LedgerReport forward_ledger;     ///< the first failing run's ledger, else the last run's
  LedgerReport reverse_ledger;
  bool forward_ledger_ok = true;   ///< exactly once for every piece addressed to a local rank
  bool reverse_ledger_ok = true;
  bool ok() const;
};

/// Runs `programs` (check_fit'ed to the shape) warmup + iterations times; with config.check every
/// run is checked (see RunConfig::check).
RunReport run_layer(const RunConfig& config, const LayerPrograms& programs);

/// The attention stage's rate per device in TFLOP/s: 4 S^2 D h per rank (non-causal), times the
/// ranks that shared the busiest device, over the stage time (0 when the stage was not timed).
double attention_tflops(const RunReport& report);

/// Number of CUDA devices usable by this process; 0 without CUDA, without a GPU or on error.
int gpu_count();

}  // namespace ua2a
