#include "sim/route.h"

#include <algorithm>
#include <stdexcept>

namespace ua2a {

namespace {

constexpr std::uint32_t kNone = 0xffffffffu;

/// Which links a mode may use, and which node kinds it may pass through (the ends always count).
bool edge_allowed(int mode, LinkKind k) {
  switch (mode) {
    case 0: return k == LinkKind::pcie || k == LinkKind::socket || k == LinkKind::memory;  // shm
    case 1: return k == LinkKind::pcie || k == LinkKind::socket;                            // p2p
    case 2: return k == LinkKind::nvlink;                                                   // nvlink
    default: return k == LinkKind::pcie || k == LinkKind::socket || k == LinkKind::network;  // network
  }
}

bool transit_allowed(int mode, NodeKind k) {
  if (k == NodeKind::pcie_switch) return true;
  if (k == NodeKind::cpu) return mode != 2;
  if (k == NodeKind::nic) return mode == 3;
  return false;  // GPUs and host memory are ends only
}

}  // namespace

Router::Router(const Topology& topology, TransportKind transport, bool contention, bool tlp_on_path)
    : topology_(topology), transport_(transport), contention_(contention), tlp_on_path_(contention && tlp_on_path) {
  for (EdgeRef e : topology.edges()) {
    const TopoLink& l = topology.link(e);
    resources_.push_back({topology.link_name(e), topology.node(boost::source(e, topology.graph)).name,
                          topology.node(boost::target(e, topology.graph)).name, to_string(l.kind),
                          l.capacity_bytes_per_s});
  }
  for (EdgeRef e : topology.edges())
    hops_.push_back({boost::source(e, topology.graph), topology.link(e).capacity_bytes_per_s, topology.link(e).latency_s});
  gpu_node_ = topology.gpus();
  for (NodeIndex v = 0; v < topology.node_count(); ++v) {
    node_box_.push_back(topology.node(v).box);
    node_socket_.push_back(topology.node(v).socket);
    node_kind_.push_back(topology.node(v).kind);
    out_begin_.push_back(static_cast<std::uint32_t>(out_edges_.size()));
    for (auto [it, end] = boost::out_edges(v, topology.graph); it != end; ++it)
      out_edges_.push_back({boost::target(*it, topology.graph), topology.link(*it).id, topology.link(*it).kind});
  }
  out_begin_.push_back(static_cast<std::uint32_t>(out_edges_.size()));
  forward_resource_.assign(topology.node_count(), -1);
  std::int32_t sockets = 0, boxes = 0;
  for (NodeIndex v = 0; v < topology.node_count(); ++v) {
    sockets = std::max(sockets, topology.node(v).socket + 1);
    boxes = std::max(boxes, topology.node(v).box + 1);
  }
  memory_by_socket_.assign(sockets, -1);
  nic_by_box_.assign(boxes, kNone);
  for (NodeIndex v = 0; v < topology.node_count(); ++v) {
    const TopoNode& n = topology.node(v);
    if (n.kind == NodeKind::cpu && n.forward_bytes_per_s > 0 && !contention_) {
      forward_resource_[v] = static_cast<std::int32_t>(resources_.size());
      resources_.push_back({n.name + "/p2p-forward", n.name, n.name, "forward", n.forward_bytes_per_s});
    }
    if (n.kind == NodeKind::memory && memory_by_socket_[n.socket] < 0) memory_by_socket_[n.socket] = v;
  }
  trees_.resize(topology.node_count() * kModes);
  merge_mark_.assign(resources_.size(), 0);
  // Fail early, with the first pair that has no route, rather than in the middle of a run.
  const auto& gpus = topology.gpus();
  if (gpus.size() > 1) route(0, static_cast<std::int32_t>(gpus.size() - 1));
}

const std::vector<std::uint32_t>& Router::tree(NodeIndex source, Mode mode) const {
  std::vector<std::uint32_t>& parents = trees_[source * kModes + mode];
  if (!parents.empty()) return parents;
  parents.assign(node_kind_.size(), kNone);
  // Breadth first over the flat out-edge lists (in the graph's own order, so the same tree):
  // there is one tree per GPU and mode, each spanning every box (N trees of N/8 boxes each).
  bfs_queue_.assign(1, source);
  bfs_seen_.assign(node_kind_.size(), 0);
  bfs_seen_[source] = 1;
  for (std::size_t head = 0; head < bfs_queue_.size(); ++head) {
    const NodeIndex v = bfs_queue_[head];
    if (v != source && !transit_allowed(mode, node_kind_[v])) continue;
    for (std::uint32_t i = out_begin_[v]; i < out_begin_[v + 1]; ++i) {
      const OutEdge& e = out_edges_[i];
      if (bfs_seen_[e.target] || !edge_allowed(mode, e.kind)) continue;
      bfs_seen_[e.target] = 1;
      parents[e.target] = e.link;
      bfs_queue_.push_back(e.target);
    }
  }
  return parents;
}

void Router::append_path(Route& r, NodeIndex from, NodeIndex to, Mode mode) const {
  const auto& parents = tree(from, mode);
  static constexpr const char* kModeNames[] = {"host-staged (shm)", "p2p", "nvlink", "network"};
  if (from != to && parents[to] == kNone)
    throw std::invalid_argument("no " + std::string(kModeNames[mode]) + " path from " + topology_.node(from).name +
                                " to " + topology_.node(to).name + " on topology '" + topology_.name +
                                "': choose another --transport (shm, p2p, cuda-p2p, cuda-staged, nvlink) or fix the topology");
  const std::size_t first = r.uses.size();
  double overhead_on_path = 1;  // contention model: a CPU's TLP overhead, charged on every link
  for (NodeIndex v = to; v != from;) {
    const std::uint32_t id = parents[v];
    const Hop& hop = hops_[id];
    r.uses.push_back({id, 1.0});
    r.latency_s += hop.latency;
    r.min_capacity = std::min(r.min_capacity, hop.capacity);
    v = hop.source;
    if (tlp_on_path_ && mode == kP2p && v != from && node_kind_[v] == NodeKind::cpu)
      overhead_on_path = std::max(overhead_on_path, topology_.node(v).p2p_overhead);
    if (mode == kP2p && v != from && forward_resource_[v] >= 0) {
      const Resource& fwd = resources_[forward_resource_[v]];
      const double overhead = topology_.node(v).p2p_overhead;
      r.uses.push_back({static_cast<FlowModel::LinkId>(forward_resource_[v]), overhead});
      r.min_capacity = std::min(r.min_capacity, fwd.capacity_bytes_per_s / overhead);
    }
  }
  std::reverse(r.uses.begin() + static_cast<std::ptrdiff_t>(first), r.uses.end());
  if (overhead_on_path != 1)
    for (std::size_t i = first; i < r.uses.size(); ++i) r.uses[i].weight *= overhead_on_path;
}

Route Router::route(std::int32_t src, std::int32_t dst) const {
  Route r;
  route(src, dst, r);
  return r;
}

void Router::route(std::int32_t src, std::int32_t dst, Route& r) const {
  const NodeIndex a = gpu_node_.at(src), b = gpu_node_.at(dst);
  r.uses.clear();
  r.latency_s = 0;
  r.min_capacity = FlowModel::kUncapped;
  r.staged = false;
  r.transport = transport_;
  if (node_box_[a] != node_box_[b]) {
    r.transport = TransportKind::network;
    r.staged = true;
    append_path(r, a, b, kNetwork);  // one BFS path: simple, so no link twice
    return;
  }
  switch (transport_) {
    case TransportKind::shm:
    case TransportKind::cuda_staged: {
      const std::int32_t socket = node_socket_[b];
      const std::int64_t mem = socket < static_cast<std::int32_t>(memory_by_socket_.size()) ? memory_by_socket_[socket] : -1;
      if (mem < 0)
        throw std::invalid_argument("topology '" + topology_.name + "' has no memory node on socket " +
                                    std::to_string(socket) + " (of " + topology_.node(b).name +
                                    "): add one (kind=memory) or use --transport p2p");
      append_path(r, a, static_cast<NodeIndex>(mem), kShm);
      append_path(r, static_cast<NodeIndex>(mem), b, kShm);
      merge_repeats(r);  // two paths joined at the memory may share a link
      r.staged = true;
      break;
    }
    case TransportKind::p2p:
    case TransportKind::cuda_p2p: append_path(r, a, b, kP2p); break;
    case TransportKind::nvlink: append_path(r, a, b, kNvlink); break;
    case TransportKind::network: append_path(r, a, b, kNetwork); r.staged = true; break;
  }
}

void Router::merge_repeats(Route& r) const {
  // A path that crosses one link twice (possible in odd imported topologies) charges it twice.
  // Marks find a repeat in one pass; the quadratic merge runs only when there is one.
  ++merge_epoch_;
  bool repeated = false;
  for (const FlowModel::Use& u : r.uses) {
    repeated |= merge_mark_[u.link] == merge_epoch_;
    merge_mark_[u.link] = merge_epoch_;
  }
  if (!repeated) return;
  for (std::size_t i = 0; i < r.uses.size(); ++i)
    for (std::size_t j = i + 1; j < r.uses.size();)
      if (r.uses[j].link == r.uses[i].link) {
        r.uses[i].weight += r.uses[j].weight;
        r.uses.erase(r.uses.begin() + static_cast<std::ptrdiff_t>(j));
      } else {
        ++j;
      }
}

}  // namespace ua2a
