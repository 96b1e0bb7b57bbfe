#pragma once
/// What `ulysses-a2a probe` measures on a box: a small set of flow patterns chosen from the box's
/// topology, each a MeasurementPoint without its figure (gbps = 0), and what running them will
/// cost, estimated by simulating each pattern on the box.
///
/// Per transport (and, for CUDA peer copies, per direction), in this order:
///  1. every ordered GPU pair one way ("gpu0->gpu4 one way"), then every unordered pair both ways
///     ("gpu0<->gpu4 both ways");
///  2. k flows through each shared resource: each switch uplink (both directions, one at a time),
///     each root complex (CPU), each direction of the socket link. The flows are disjoint GPU
///     pairs (no GPU in two flows, so the resource is what they share) whose routes under that
///     transport cross the resource, the shortest routes first; k = 2, 4, 8, ... and the most the
///     box has (k = 1 is the first pair's one-way point). A flow set already chosen for an
///     earlier resource is not measured twice: that point's name lists every resource it loads
///     ("4 flows through sw0->cpu0, cpu0->cpu1"). Then each socket link both ways at once, k flows
///     each way ("4 flows each way through cpu0->cpu1, cpu1->cpu0": every GPU of two sockets of 4
///     sending across);
///  3. the grouped all-to-all, every GPU to every other at once (metric busbw);
///  4. each round of the round-robin (circle-method) schedule, every pair of the round both ways.
/// Every metric is `total` except the all-to-all's `busbw`: both need only the time until the
/// last flow ends, which is what a transport run can time.
#include <cstdint>
#include <string>
#include <vector>

#include "sim/measurements.h"
#include "sim/topology.h"

namespace ua2a {

/// Which patterns to build.
struct ProbeRequest {
  std::vector<TransportKind> transports;  ///< in order; empty: the box's default transport
  /// Directions of CUDA peer copies (cuda-p2p, cuda-staged); every other transport is probed as
  /// `write` only, since it has no choice of which GPU issues the copy.
  std::vector<MeasureOp> ops{MeasureOp::write};
  std::uint64_t bytes = 64ull << 20;  ///< per flow (p2pmark's 64 MB)
};

inline constexpr std::int32_t kMaxProbeGpus = 64;  ///< the all-to-all's N (N - 1) flows stay <= 4096

/// What kind of pattern a point is (for listings and tests).
enum class ProbeKind : std::uint8_t { pair_one_way, pair_both_ways, shared_resource, all_to_all, round };
std::string to_string(ProbeKind kind);

struct ProbePattern {
  MeasurementPoint point;            ///< gbps = 0; source empty (the runner fills both)
  ProbeKind kind = ProbeKind::pair_one_way;
  std::vector<std::string> through;  ///< shared_resource: the resources its flows all load
};

/// The patterns of `request` on `topology`, in the order above. Throws std::invalid_argument (a
/// TopologyError for the box) when the box has fewer than 2 GPUs, more than kMaxProbeGpus, more
/// than one box, or a transport without a route on it (nvlink on a PCIe box), naming the fix.
std::vector<ProbePattern> probe_patterns(const Topology& topology, const ProbeRequest& request);

/// The directed links and nodes the route of GPU src -> dst under `transport` crosses, by the
/// simulation's names ("sw0->cpu0", and "cpu0" for a node): how patterns are chosen, exposed so
/// tests can check them against the topology by hand.
struct RouteCrossing {
  std::vector<std::string> links;
  std::vector<std::string> nodes;  ///< nodes the route passes through (not its two GPUs)
};
RouteCrossing route_crossing(const Topology& topology, TransportKind transport, std::int32_t src, std::int32_t dst);

/// The figure of `point` when its flows took `seconds` until the last one ended, in GB/s: total =
/// all bytes / seconds; busbw = the busiest sender's bytes / seconds (sim/measurements.h). Throws
/// std::invalid_argument for flow_min and rank_min, which need each flow's own time, and for
/// seconds <= 0.
double figure_gbps(const MeasurementPoint& point, double seconds);

/// Fixed cost of one pattern beyond its simulated transfers (an assumption, stated in
/// docs/probe.md): lowering, planning the copies, fresh data and the delivery check per
/// iteration, and a host synchronisation per iteration.
inline constexpr double kProbeOverheadPerPatternS = 0.05;

/// The simulated time of one iteration of `pattern` on `topology` (contention model).
double simulated_pattern_s(const Topology& topology, const ProbePattern& pattern);

struct ProbeEstimate {
  std::vector<double> iteration_s;  ///< per pattern: one simulated iteration
  std::vector<double> pattern_s;    ///< per pattern: (warmup + iterations) x iteration + overhead
  double total_s = 0;
};
/// What probing `patterns` with `warmup` + `iterations` runs each will take on the box's GPUs.
ProbeEstimate estimate_probe(const Topology& topology, const std::vector<ProbePattern>& patterns,
                             std::uint32_t warmup, std::uint32_t iterations);

}  // namespace ua2a
