#include "bench/peers/platform_from_sim.h"

#include <cmath>
#include <stdexcept>

namespace ua2a::peers {

Platform platform_from_sim(const Topology& topology, const Router& router) {
  Platform platform;
  const auto& edges = topology.edges();
  for (std::size_t i = 0; i < router.resources().size(); ++i) {
    const ua2a::Resource& r = router.resources()[i];
    // Resources are the topology's directed edges in order, then the CPUs' forwarding resources.
    const double latency = i < edges.size() ? topology.link(edges[i]).latency_s : 0.0;
    platform.resources.push_back({r.name, r.capacity_bytes_per_s, latency});
  }
  const double shm_cap = topology.params.shm_flow_cap_bytes_per_s;
  // The returned platform is a copy: the route function holds its own copy of the resources.
  platform.route = [&router, resources = platform.resources, shm_cap](Rank src, Rank dst) {
    const ua2a::Route route = router.route(src, dst);
    peers::Route out;
    double latency = 0;
    for (const FlowModel::Use& u : route.uses) {
      if (u.weight != 1.0)
        throw std::invalid_argument("route " + std::to_string(src) + "->" + std::to_string(dst) + " charges " +
                                    resources.at(u.link).name + " with weight " + std::to_string(u.weight) +
                                    ": SimGrid routes cannot; compare with p2p_overhead = 1 or another transport");
      out.resources.push_back(static_cast<std::int32_t>(u.link));
      latency += resources.at(u.link).latency_s;
    }
    if (std::abs(latency - route.latency_s) > 1e-12 * (1 + route.latency_s))
      throw std::logic_error("route latency is not the sum of its links' latencies");
    if (route.staged && route.transport == TransportKind::shm && shm_cap > 0) out.cap_bytes_per_s = shm_cap;
    return out;
  };
  return platform;
}

void disable_extras(Topology& topology, bool zero_latency) {
  topology.params.op_cost_s = 0;
  topology.params.chunk_bytes = 0;
  if (zero_latency)
    for (EdgeRef e : topology.edges()) topology.graph[e].latency_s = 0;
}

}  // namespace ua2a::peers
