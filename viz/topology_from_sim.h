#pragma once
/// The picture of a sim Topology (a preset or a DOT file), without load.
#include "sim/topology.h"
#include "viz/topology_picture.h"

namespace ua2a::viz {

/// Every node and every physical link of `topology`, bandwidths in GB/s (10^9 bytes/s).
TopologyPicture picture_from_topology(const Topology& topology);

/// The loaded picture of run `run` of `sim`: the whole topology when the document carries its DOT
/// (idle links included), else the links the run lists.
TopologyPicture picture_of_simulation(const Simulation& sim, const SimulationRun& run);

}  // namespace ua2a::viz
