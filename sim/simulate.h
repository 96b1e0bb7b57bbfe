#pragma once
/// The executor: runs per-rank programs on a topology with a clock. It drives schedule/'s
/// Matcher (the semantics of design.md, once) and the flow model:
///  - a transfer starts when both ends have posted it (the matcher hands out the match), waits
///    its route latency, the per-operation cost and (staged routes) a pipeline fill of one chunk,
///    then becomes a flow over the route's resources;
///  - when the flow has moved its bytes the match is completed, which may complete steps and post
///    the next ones; their matches start at that same instant;
///  - all events at one instant are applied together and the flow model solved once;
///  - copies of the local block take zero time (they complete inside the matcher).
/// A program that deadlocks or mismatches gives a report with ok = false, never a hang.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "schedule/named.h"
#include "schedule/program.h"
#include "schedule/schedule.h"
#include "sim/route.h"
#include "sim/topology.h"

namespace ua2a {

/// fluid: work-conserving max-min sharing (the bound; SimGrid computes the same). contention:
/// the fluid model without the CPUs' shared forwarding resources, plus the mechanisms below
/// (docs/simulate.md, "The contention model").
enum class SimModel : std::uint8_t { fluid, contention };
std::string to_string(SimModel model);
SimModel parse_sim_model(const std::string& name);
/// The one table of simulation model names (contention, the commands' default; fluid).
const std::vector<NamedValue<SimModel>>& sim_models();

/// The contention model's mechanisms, each switchable (all on by default).
struct Mechanisms {
  bool tlp = true;         ///< a root complex's TLP overhead (p2p_overhead) charged on the P2P route
  bool interleave = true;  ///< resources lose capacity as streams interleave through them
  bool window = true;      ///< a stream's bytes in flight over its round trip cap its rate
  bool channels = true;    ///< an NCCL connection moves at most its channels' rate
};
/// "tlp,interleave,window,channels", "all" or "none"; throws std::invalid_argument naming a bad entry.
Mechanisms parse_mechanisms(const std::string& list);
std::string to_string(const Mechanisms& m);

struct SimOptions {
  std::optional<TransportKind> transport;  ///< default: the topology's
  /// Where to find each transfer's round (the schedule the programs were lowered from); without
  /// it, round = the sender's step.
  const Schedule* schedule = nullptr;
  bool record_transfers = true;  ///< per-transfer start/end (the JSON "transfers")
  bool record_util = true;       ///< utilisation time series per link (the JSON "util")
  /// Event batching, relative to the duration of the transfer whose end opens a batch: events up
  /// to tolerance x that duration later are applied at the same instant (so up to that fraction
  /// of a transfer's bytes may be cut short). 0 (default) batches only equal instants (1e-9
  /// relative) and is exact; large runs (N >= 512) trade a bounded error for far fewer solves.
  double time_tolerance = 0;
  SimModel model = SimModel::fluid;  ///< the library's default; the CLI defaults to contention
  Mechanisms mechanisms;             ///< with model = contention
  /// cuda-p2p: the copy engines read from the peer (non-posted: the read window applies), as
  /// p2pmark does, instead of writing to it.
  bool ce_reads = false;
};

struct LinkReport {
  Resource resource;
  double bytes = 0;        ///< payload bytes that crossed it
  double charged = 0;      ///< bytes charged (payload x weight, e.g. 6/5 for Intel P2P forwarding)
  double busy_s = 0;       ///< integral of utilisation over time
  double peak_util = 0;
  double mean_util = 0;    ///< busy_s / time_s
  std::vector<std::pair<double, double>> util;  ///< (time_s, utilisation) at every change
  // The contention model's interleaving (resources with a loss only; zero otherwise):
  double alpha = 0;               ///< its loss per extra stream
  std::uint32_t peak_streams = 0; ///< most streams that crossed it at once
  double min_capacity = 0;        ///< lowest capacity it had (bytes/s), at peak_streams
  struct StreamPoint {
    double time_s;
    std::uint32_t streams;
    double capacity;  ///< bytes/s
  };
  std::vector<StreamPoint> streams;  ///< at every change of its stream count (with record_util)
};

struct TransferReport {
  Rank src = 0;
  Rank dst = 0;
  std::uint16_t part = 0;
  std::uint32_t chunk = 0;
  std::uint64_t bytes = 0;
  std::uint32_t step = 0;   ///< the sender's program step
  std::uint32_t round = 0;  ///< the schedule round (or the sender's exchange index)
  double start_s = 0;       ///< both ends posted: the match
  double end_s = 0;         ///< data moved: the match completed
};

/// One simulated run: what the JSON "runs" entries hold.
struct SimReport {
  std::string algo;
  std::string discipline;
  std::string transport;
  std::string exchange;  ///< workload label set by the caller ("qkv", "out"); empty: not shown
  std::string model = "fluid";  ///< SimModel
  std::string mechanisms;       ///< contention: the mechanisms on ("tlp,interleave,window")
  /// Set by explain_time (sim/contention.h): the mechanism whose removal shortens the run most,
  /// and the time without it; empty when not asked.
  std::string set_by;
  double time_without_s = 0;
  double fluid_time_s = 0;  ///< the same programs, routes and capacities with every loss off (simulate_explained)
  std::int32_t ranks = 0;
  std::uint64_t block_bytes = 0;
  std::uint32_t chunks = 1;
  bool ok = true;
  std::string error;          ///< deadlock or mismatch, when !ok
  std::vector<Rank> blocked;  ///< ranks still unfinished at a deadlock
  double time_s = 0;
  double algbw_gbps = 0;  ///< nccl-tests: N x block_bytes / time
  double busbw_gbps = 0;  ///< algbw x (N - 1) / N
  double bound_s = 0;     ///< max over resources of charged bytes / capacity
  double efficiency = 0;  ///< bound_s / time_s
  std::string bottleneck; ///< the resource that sets bound_s
  std::vector<double> rank_finish_s;
  std::vector<std::vector<double>> step_end_s;  ///< per rank, when each step completed
  std::vector<LinkReport> links;
  std::vector<TransferReport> transfers;
  std::uint64_t events = 0;  ///< instants processed
  std::uint64_t solves = 0;  ///< flow-model solves
};

/// Runs `programs` on `topology`. Throws std::invalid_argument when the programs need more GPUs
/// than the topology has, or the transport has no route.
SimReport simulate(const Topology& topology, const ProgramSet& programs, const SimOptions& options = {});

/// simulate(), and for the contention model the same programs again with every mechanism off (the
/// bound: fair sharing on the same routes and capacities) and with each mechanism off in turn:
/// fills fluid_time_s, set_by (the mechanism whose removal
/// shortens the run most, or "bandwidth" when none moves it by 1 %) and time_without_s.
SimReport simulate_explained(const Topology& topology, const ProgramSet& programs, const SimOptions& options);

/// The "ulysses-a2a/simulation" JSON document (docs/simulate.md): topology name (and its DOT when
/// `with_dot`) and one entry per run.
std::string simulation_json(const Topology& topology, const std::vector<SimReport>& runs, bool with_dot = false,
                            int indent = 1);
/// Chrome trace-event JSON: one track per rank (steps as slices, transfers as async slices) and a
/// utilisation counter per used link. Opens in Perfetto and chrome://tracing.
std::string simulation_trace(const std::vector<SimReport>& runs);
/// A text table of the runs, best (shortest time) first, with the speedup against `baseline_algo`
/// when a run of that algo is present.
std::string simulation_table(const Topology& topology, const std::vector<SimReport>& runs,
                             const std::string& baseline_algo = "grouped");

}  // namespace ua2a
