#include "sim/topology.h"

#include <algorithm>
#include <cctype>
#include <utility>

namespace ua2a {

namespace {

template <typename Enum, std::size_t N>
Enum parse_named(const std::string& name, const char* const (&names)[N], const char* what) {
  for (std::size_t i = 0; i < N; ++i)
    if (name == names[i]) return static_cast<Enum>(i);
  std::string all;
  for (const char* n : names) all += std::string(all.empty() ? "" : ", ") + n;
  throw TopologyError("unknown " + std::string(what) + " '" + name + "': use one of " + all);
}

constexpr const char* kNodeKinds[] = {"gpu", "switch", "cpu", "memory", "nic"};
constexpr const char* kLinkKinds[] = {"pcie", "socket", "memory", "nvlink", "network"};
constexpr const char* kTransports[] = {"shm", "p2p", "nvlink", "network", "cuda-p2p", "cuda-staged"};

}  // namespace

std::string to_string(NodeKind kind) { return kNodeKinds[static_cast<int>(kind)]; }
NodeKind parse_node_kind(const std::string& name) { return parse_named<NodeKind>(name, kNodeKinds, "node kind"); }
std::string to_string(LinkKind kind) { return kLinkKinds[static_cast<int>(kind)]; }
LinkKind parse_link_kind(const std::string& name) { return parse_named<LinkKind>(name, kLinkKinds, "link kind"); }
std::string to_string(TransportKind t) { return kTransports[static_cast<int>(t)]; }
TransportKind parse_transport(const std::string& name) { return parse_named<TransportKind>(name, kTransports, "transport"); }

bool geforce_gpu(const std::string& kind) {
  return kind.size() > 3 && (kind.rfind("rtx", 0) == 0 || kind.rfind("gtx", 0) == 0) &&
         std::isdigit(static_cast<unsigned char>(kind[3]));
}

bool needs_p2p(TransportKind t) { return t == TransportKind::p2p || t == TransportKind::cuda_p2p; }

bool default_p2p(TransportKind box_transport, const std::string& gpu_kind) {
  if (needs_p2p(box_transport) || box_transport == TransportKind::nvlink) return true;
  return !gpu_kind.empty() && !geforce_gpu(gpu_kind);
}

Topology::Topology(const Topology& other) : name(other.name), graph(other.graph), params(other.params) {
  rebuild_index();
}

Topology& Topology::operator=(const Topology& other) {
  if (this != &other) {
    name = other.name;
    graph = other.graph;
    params = other.params;
    rebuild_index();
  }
  return *this;
}

Topology::Topology(Topology&& other) noexcept
    : name(std::move(other.name)), graph(std::move(other.graph)), params(other.params) {
  rebuild_index();
}

Topology& Topology::operator=(Topology&& other) noexcept {
  name = std::move(other.name);
  graph = std::move(other.graph);
  params = other.params;
  rebuild_index();
  return *this;
}

void Topology::rebuild_index() {
  gpus_.clear();
  by_name_.clear();
  for (NodeIndex v = 0; v < boost::num_vertices(graph); ++v) {
    by_name_[graph[v].name] = v;
    if (graph[v].kind == NodeKind::gpu) gpus_.push_back(v);
  }
  edges_.assign(boost::num_edges(graph), EdgeRef{});
  for (auto [it, end] = boost::edges(graph); it != end; ++it) edges_.at(graph[*it].id) = *it;
}

NodeIndex Topology::add_node(const TopoNode& node) {
  if (node.name.empty()) throw TopologyError("a topology node has an empty name: give every node a name");
  if (by_name_.count(node.name))
    throw TopologyError("topology node '" + node.name + "' appears twice: node names must be unique");
  const NodeIndex v = boost::add_vertex(node, graph);
  by_name_[node.name] = v;
  if (node.kind == NodeKind::gpu) gpus_.push_back(v);
  return v;
}

EdgeRef Topology::add_edge(NodeIndex from, NodeIndex to, TopoLink link) {
  link.id = static_cast<std::uint32_t>(edges_.size());
  const EdgeRef e = boost::add_edge(from, to, link, graph).first;
  edges_.push_back(e);
  return e;
}

void Topology::add_link(NodeIndex a, NodeIndex b, double bytes_per_s, double latency_s, LinkKind kind) {
  add_edge(a, b, {0, bytes_per_s, latency_s, kind});
  add_edge(b, a, {0, bytes_per_s, latency_s, kind});
}

std::optional<NodeIndex> Topology::find(const std::string& node_name) const {
  const auto it = by_name_.find(node_name);
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

std::string Topology::link_name(EdgeRef e) const {
  return graph[boost::source(e, graph)].name + "->" + graph[boost::target(e, graph)].name;
}

Topology join_boxes(const Topology& box, std::int32_t boxes) {
  if (boxes < 1 || boxes > kMaxBoxes)
    throw TopologyError("--boxes " + std::to_string(boxes) + " is out of range: use 1.." + std::to_string(kMaxBoxes));
  if (boxes == 1) return box;
  std::int32_t sockets = 0;
  for (NodeIndex v = 0; v < box.node_count(); ++v) sockets = std::max(sockets, box.node(v).socket + 1);

  Topology out;
  out.name = box.name + "x" + std::to_string(boxes);
  out.params = box.params;
  // Names are renumbered per kind over all boxes, so box b's first GPU is gpu(b * gpus).
  std::vector<std::int32_t> counters(std::size(kNodeKinds), 0);
  auto prefix = [](NodeKind k) -> std::string {
    switch (k) {
      case NodeKind::gpu: return "gpu";
      case NodeKind::pcie_switch: return "sw";
      case NodeKind::cpu: return "cpu";
      case NodeKind::memory: return "mem";
      case NodeKind::nic: return "nic";
    }
    return "node";
  };
  TopoNode fabric{"net0", NodeKind::pcie_switch, 0, 0};
  const NodeIndex net = out.add_node(fabric);
  for (std::int32_t b = 0; b < boxes; ++b) {
    std::vector<NodeIndex> map(box.node_count());
    std::optional<NodeIndex> first_cpu;
    for (NodeIndex v = 0; v < box.node_count(); ++v) {
      TopoNode n = box.node(v);
      n.name = prefix(n.kind) + std::to_string(counters[static_cast<int>(n.kind)]++);
      n.box = b;
      n.socket += b * sockets;
      map[v] = out.add_node(n);
      if (n.kind == NodeKind::cpu && !first_cpu) first_cpu = map[v];
    }
    for (EdgeRef e : box.edges())
      out.add_edge(map[boost::source(e, box.graph)], map[boost::target(e, box.graph)], box.link(e));
    if (!first_cpu) throw TopologyError("box '" + box.name + "' has no cpu node to attach a NIC to");
    TopoNode nic{"nic" + std::to_string(counters[static_cast<int>(NodeKind::nic)]++), NodeKind::nic, b,
                 out.node(*first_cpu).socket};
    const NodeIndex n = out.add_node(nic);
    constexpr double kNicPcieLatencyS = 0.5e-6;  // same PCIe hop latency assumption as the presets
    constexpr double kNetworkLatencyS = 2e-6;    // assumption: one switch hop of an RDMA fabric
    out.add_link(*first_cpu, n, std::max(out.params.nic_bytes_per_s, 24e9), kNicPcieLatencyS, LinkKind::pcie);
    out.add_link(n, net, out.params.nic_bytes_per_s, kNetworkLatencyS, LinkKind::network);
  }
  return out;
}

}  // namespace ua2a
