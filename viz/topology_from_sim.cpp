#include "viz/topology_from_sim.h"

namespace ua2a::viz {

namespace {

constexpr double kBytesPerGB = 1e9;

PictureNode picture_node(const TopoNode& n) {
  // The network fabric joining boxes is a switch in sim's model but sits below the NICs here.
  if (n.name.rfind("net", 0) == 0) return {n.name, "network", Tier::network};
  switch (n.kind) {
    case NodeKind::cpu: return {n.name, "cpu", Tier::host};
    case NodeKind::memory: return {n.name, "memory", Tier::memory};
    case NodeKind::pcie_switch: return {n.name, "switch", Tier::pcie_switch};
    case NodeKind::nic: return {n.name, "nic", Tier::device};
    case NodeKind::gpu: break;
  }
  return {n.name, "gpu", Tier::device};
}

}  // namespace

TopologyPicture picture_from_topology(const Topology& t) {
  TopologyPicture p{.name = t.name};
  for (auto [v, end] = boost::vertices(t.graph); v != end; ++v) p.nodes.push_back(picture_node(t.node(*v)));
  for (auto [e, end] = boost::edges(t.graph); e != end; ++e) {
    const TopoLink& link = t.link(*e);
    add_direction(p, t.node(boost::source(*e, t.graph)).name, t.node(boost::target(*e, t.graph)).name,
                  link.capacity_bytes_per_s / kBytesPerGB, to_string(link.kind));
  }
  return p;
}

TopologyPicture picture_of_simulation(const Simulation& sim, const SimulationRun& run) {
  if (sim.topology_dot.empty()) return picture_from_run(sim.topology_name, run);
  TopologyPicture p = picture_from_topology(read_dot(sim.topology_dot));
  apply_load(p, run);
  return p;
}

}  // namespace ua2a::viz
