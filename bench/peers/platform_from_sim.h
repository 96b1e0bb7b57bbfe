#pragma once
/// The simulator's topology and routing as a SimGrid platform: the same resources, capacities,
/// latencies, routes and per-flow caps, so both simulators solve the same max-min model.
#include "bench/peers/simgrid_runner.h"
#include "sim/route.h"
#include "sim/topology.h"

namespace ua2a::peers {

/// Builds the platform for `topology` under `router`'s transport. Throws std::invalid_argument
/// when a route charges a resource with a weight other than 1 (SimGrid's routes cannot), e.g.
/// P2P forwarding on Intel hosts with its 6/5 overhead.
Platform platform_from_sim(const Topology& topology, const Router& router);

/// Makes `topology` a model both simulators share: switches off what SimGrid has no counterpart
/// for (per-operation software cost, pipeline fill of staged transfers) and sets every link
/// latency to 0, because SimGrid's CM02 shares a link in inverse proportion to each flow's route
/// latency (RTT-fair, like TCP), while ulysses-a2a shares it plainly max-min (PCIe credit flow
/// control has no RTT unfairness). With latencies the two differ by design (docs/validation.md).
void disable_extras(Topology& topology, bool zero_latency = true);

}  // namespace ua2a::peers
