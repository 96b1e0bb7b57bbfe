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
  bool check = false;            ///< compare with the CPU reference (and check the ledgers)
  std::uint32_t seed = 1;
  TransportOptions transport_options;
};

struct RunReport {
  LayerPlan plan;
  std::string transport;
  std::string device;              ///< "host" or the GPUs used
  std::vector<Rank> local_ranks;   ///< ranks this process ran
  StageTimes times;                ///< mean seconds per timed iteration
  std::uint64_t workspace_bytes_per_rank = 0;  ///< regions A + B + O (device memory on GPUs)
  /// GPUs: device memory the layer added per rank, measured with cudaMemGetInfo (0 on the CPU).
  std::uint64_t measured_bytes_per_rank = 0;
  bool checked = false;
  Tolerance tolerance;
  std::vector<RankError> errors;   ///< per rank (empty entries for ranks not local)
  LedgerReport forward_ledger;
  LedgerReport reverse_ledger;
  bool forward_ledger_ok = true;   ///< exactly once for every piece addressed to a local rank
  bool reverse_ledger_ok = true;
  bool ok() const;
};

/// Runs `programs` (check_fit'ed to the shape) warmup + iterations times. The first run records
/// into the ledgers; the last run's outputs are compared with the reference.
RunReport run_layer(const RunConfig& config, const LayerPrograms& programs);

/// Number of CUDA devices usable by this process; 0 without CUDA, without a GPU or on error.
int gpu_count();

}  // namespace ua2a
