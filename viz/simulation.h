#pragma once
/// The simulation document (`ulysses-a2a simulate --json`) as viz reads it: the contract between
/// sim/ and viz/ is the file format, not sim's types (docs/render.md lists the fields).
///
///   {"format": "ulysses-a2a/simulation", "version": 1, "topology": {"name": ..., "dot"?: ...},
///    "runs": [{"algo", "discipline", "transport", "ranks", "block_bytes", "chunks", "time_s",
///              "algbw_gbps", "busbw_gbps", "bound_s", "efficiency", "bottleneck",
///              "rank_finish_s": [...], "links": [...], "transfers": [...]}]}
///
/// Extra fields are ignored. The reader validates every field it uses and throws FormatError
/// naming it ("runs[0].transfers[3].end_s: ...").
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "schedule/block.h"

namespace ua2a::viz {

/// One direction of a link, or a resource inside one node (from == to, e.g. a CPU forwarding
/// peer-to-peer traffic: "cpu0/p2p-forward"): what crossed it and how busy it was.
struct LinkLoad {
  std::string name;  ///< "<from>-><to>" for a link
  std::string from;
  std::string to;
  std::string kind;  ///< optional: "pcie", "socket", ..., "forward"; empty when absent
  double capacity_gbps = 0;
  double bytes = 0;
  double busy_s = 0;
  double peak_util = 0;
  double mean_util = 0;
  /// Contention model, for resources with an interleaving loss (else 0): most streams at once and
  /// the capacity at that count.
  std::uint32_t peak_streams = 0;
  double min_capacity_gbps = 0;
  /// Piecewise-constant utilisation (0..1): (t_s, u) holds from t_s until the next point.
  std::vector<std::pair<double, double>> util;
};

/// One transfer as it happened on the simulated clock.
struct TransferSpan {
  Rank src = 0;
  Rank dst = 0;
  std::uint32_t part = 0;
  std::uint32_t chunk = 0;
  double bytes = 0;
  std::uint32_t step = 0;
  std::uint32_t round = 0;  ///< schedule round, or the sender's exchange index (per-rank schedules)
  double start_s = 0;
  double end_s = 0;
};

/// One simulated run of one schedule under one discipline and transport.
struct SimulationRun {
  std::string algo;
  std::string discipline;
  std::string transport;
  std::int32_t ranks = 0;
  double block_bytes = 0;
  std::uint32_t chunks = 1;
  double time_s = 0;
  double algbw_gbps = 0;
  double busbw_gbps = 0;
  double bound_s = 0;
  double efficiency = 0;
  std::string bottleneck;  ///< a link (or node resource) name, or empty
  std::vector<double> rank_finish_s;
  std::vector<LinkLoad> links;
  std::vector<TransferSpan> transfers;

  /// The link called `name`, or nullptr.
  const LinkLoad* find_link(const std::string& name) const;
  /// Rounds seen in the transfers (largest round + 1).
  std::uint32_t round_count() const;
};

struct Simulation {
  std::string topology_name;
  std::string topology_dot;  ///< optional: the topology as DOT text
  std::vector<SimulationRun> runs;
};

inline constexpr const char* kSimulationFormat = "ulysses-a2a/simulation";
inline constexpr int kSimulationVersion = 1;

/// Parses and validates a simulation document; throws ua2a::FormatError naming the field.
Simulation simulation_from_json(const std::string& text);
/// runs[index]; throws std::invalid_argument naming the index and the number of runs.
const SimulationRun& select_run(const Simulation& sim, std::size_t index);

}  // namespace ua2a::viz
