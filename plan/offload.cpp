// Host-to-GPU weight streaming on a box (offload.h): a small event loop over the flow model.
#include "plan/offload.h"

#include <deque>
#include <limits>
#include <stdexcept>

#include "sim/flow_model.h"

namespace ua2a::plan {

namespace {

/// The directed edges (link ids) of the fewest-hop path from `from` to `to` over PCIe and memory
/// links only (weights do not cross the socket link: each socket's memory holds a copy, as
/// pinned host buffers per NUMA node do), or empty.
std::vector<std::uint32_t> pcie_path(const Topology& t, NodeIndex from, NodeIndex to) {
  constexpr auto kNone = std::numeric_limits<std::uint32_t>::max();
  std::vector<std::uint32_t> via(t.node_count(), kNone);
  std::vector<bool> seen(t.node_count(), false);
  std::deque<NodeIndex> queue{from};
  seen[from] = true;
  while (!queue.empty()) {
    const NodeIndex v = queue.front();
    queue.pop_front();
    if (v == to) break;
    for (auto [e, end] = boost::out_edges(v, t.graph); e != end; ++e) {
      const TopoLink& link = t.link(*e);
      if (link.kind != LinkKind::pcie && link.kind != LinkKind::memory) continue;
      const NodeIndex w = boost::target(*e, t.graph);
      if (seen[w] || (t.node(w).kind == NodeKind::gpu && w != to)) continue;  // never through another GPU
      seen[w] = true;
      via[w] = link.id;
      queue.push_back(w);
    }
  }
  std::vector<std::uint32_t> path;
  if (!seen[to]) return path;
  for (NodeIndex v = to; v != from;) {
    const EdgeRef e = t.edges()[via[v]];
    path.insert(path.begin(), via[v]);
    v = boost::source(e, t.graph);
  }
  return path;
}

}  // namespace

HostReadTime host_to_gpus(const Topology& t, const std::vector<std::int32_t>& gpus, double bytes) {
  HostReadTime out;
  if (gpus.empty() || !(bytes > 0)) return out;
  FlowModel model;
  for (const EdgeRef& e : t.edges()) model.add_link(t.link(e).capacity_bytes_per_s);
  std::vector<FlowModel::FlowId> flows;
  std::vector<double> left;
  for (std::int32_t g : gpus) {
    const NodeIndex gpu = t.gpus().at(static_cast<std::size_t>(g));
    const TopoNode& node = t.node(gpu);
    std::vector<std::uint32_t> path;
    for (NodeIndex v = 0; v < t.node_count() && path.empty(); ++v)
      if (t.node(v).kind == NodeKind::memory && t.node(v).socket == node.socket && t.node(v).box == node.box)
        path = pcie_path(t, v, gpu);
    if (path.empty())
      throw std::invalid_argument("topology '" + t.name + "': " + node.name +
                                  " has no PCIe path from a host memory node on its socket, so CPU offload cannot be "
                                  "timed: add the memory node (docs/formats.md, topology DOT)");
    std::vector<FlowModel::Use> uses;
    for (std::uint32_t id : path) uses.push_back({id, 1.0});
    out.link_bytes.resize(t.edges().size(), 0.0);
    for (std::uint32_t id : path) out.link_bytes[id] += bytes;
    flows.push_back(model.add_flow(uses));
    left.push_back(bytes);
  }
  model.solve();
  // The first binding link: the most loaded relative to its capacity.
  double worst = 0;
  out.slowest_bytes_per_s = std::numeric_limits<double>::infinity();
  for (const EdgeRef& e : t.edges()) {
    const double use = model.load(t.link(e).id) / t.link(e).capacity_bytes_per_s;
    if (use > worst + 1e-12) worst = use, out.bottleneck = t.link_name(e);
  }
  for (FlowModel::FlowId f : flows) out.slowest_bytes_per_s = std::min(out.slowest_bytes_per_s, model.rate(f));
  // Advance to each finish; the others speed up as links free.
  std::size_t active = flows.size();
  while (active > 0) {
    double step = std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < flows.size(); ++i)
      if (left[i] > 0) step = std::min(step, left[i] / model.rate(flows[i]));
    out.seconds += step;
    for (std::size_t i = 0; i < flows.size(); ++i) {
      if (left[i] <= 0) continue;
      left[i] -= model.rate(flows[i]) * step;
      if (left[i] <= bytes * 1e-12) {
        left[i] = 0;
        model.remove_flow(flows[i]);
        --active;
      }
    }
    if (active > 0) model.solve();
  }
  return out;
}

}  // namespace ua2a::plan
