#pragma once
/// Routing: which flow-model resources a transfer between two GPUs uses, under a transport.
///
/// Resources are the topology's directed edges (resource i = edge i) followed by one P2P
/// forwarding resource per CPU with a forwarding capacity. Routes (design.md, issue 4):
///  - shm: source GPU -> host memory on the receiver's socket -> destination GPU; both PCIe
///    crossings, the memory link both ways, and the socket link when the sockets differ. Staged:
///    a pipeline fill of one chunk.
///  - p2p: the PCIe path between the GPUs; each CPU root complex on the way adds its forwarding
///    resource, charged p2p_overhead bytes per byte (6/5 on Intel).
///  - nvlink: the NVLink path (through an NVSwitch); an error where there is none.
///  - network: used for every transfer between different boxes, whatever the transport: PCIe to
///    the source box's NIC, the network, PCIe from the destination box's NIC. Staged.
///  - cuda-p2p routes as p2p, cuda-staged as shm (the driver's staging buffer, receiver's socket).
/// The contention model routes P2P without the forwarding resources: a root complex's small TLPs
/// are charged on the route's links instead (p2p_overhead per byte, as NCCL charges a path).
#include <cstdint>
#include <string>
#include <vector>

#include "sim/flow_model.h"
#include "sim/topology.h"

namespace ua2a {

/// The resources of one transfer and its fixed costs.
struct Route {
  std::vector<FlowModel::Use> uses;
  double latency_s = 0;        ///< sum of link latencies
  double min_capacity = 0;     ///< narrowest resource on the way (bytes/s), for the pipeline fill
  bool staged = false;         ///< store-and-forward through host memory or a NIC
  TransportKind transport = TransportKind::shm;  ///< what was used (network between boxes)
};

/// A flow-model resource as the simulation output names it.
struct Resource {
  std::string name;  ///< "gpu0->cpu0", or "cpu0/p2p-forward" for a forwarding resource
  std::string from;
  std::string to;
  std::string kind;  ///< link kind, or "forward"
  double capacity_bytes_per_s = 0;
};

class Router {
 public:
  /// Throws std::invalid_argument when `transport` has no route on this topology (e.g. nvlink on
  /// a 4090 box), naming the GPUs and the fix.
  /// `contention`: no shared forwarding resources; then `tlp_on_path` charges p2p_overhead on
  /// the route's links.
  Router(const Topology& topology, TransportKind transport, bool contention = false, bool tlp_on_path = true);

  const std::vector<Resource>& resources() const { return resources_; }
  /// The route from rank `src`'s GPU to rank `dst`'s. Computed from cached BFS trees: cheap.
  Route route(std::int32_t src, std::int32_t dst) const;
  /// The same, written over `out`, whose buffer is reused: no allocation per transfer.
  void route(std::int32_t src, std::int32_t dst, Route& out) const;
  TransportKind transport() const { return transport_; }

 private:
  enum Mode { kShm, kP2p, kNvlink, kNetwork, kModes };
  /// BFS parents (edge id per node, or kNone) from `source` under `mode`, cached.
  const std::vector<std::uint32_t>& tree(NodeIndex source, Mode mode) const;
  void append_path(Route& r, NodeIndex from, NodeIndex to, Mode mode) const;
  void merge_repeats(Route& r) const;

  const Topology& topology_;
  TransportKind transport_;
  bool contention_;
  bool tlp_on_path_;
  std::vector<Resource> resources_;
  std::vector<std::int32_t> forward_resource_;  // per node: resource id of its forwarding, or -1
  std::vector<std::int64_t> memory_by_socket_;  // node index of mem<socket>, or -1
  std::vector<NodeIndex> nic_by_box_;
  // Flat copies of what a route needs, so that walking one (once per transfer, a million at
  // N = 1024) touches one cache line per hop rather than the graph's nodes and edges.
  struct Hop {
    NodeIndex source;
    double capacity;
    double latency;
  };
  std::vector<Hop> hops_;                 // per edge id
  std::vector<NodeIndex> gpu_node_;       // per rank
  std::vector<std::int32_t> node_box_;    // per node
  std::vector<std::int32_t> node_socket_; // per node
  // The graph's out-edges as flat lists per node (out_edges_[out_begin_[v] .. out_begin_[v + 1])),
  // for the BFS trees: boost's edge iteration and property lookups were most of their cost.
  struct OutEdge {
    NodeIndex target;
    std::uint32_t link;
    LinkKind kind;
  };
  std::vector<std::uint32_t> out_begin_;
  std::vector<OutEdge> out_edges_;
  std::vector<NodeKind> node_kind_;
  mutable std::vector<NodeIndex> bfs_queue_;
  mutable std::vector<char> bfs_seen_;
  mutable std::vector<std::vector<std::uint32_t>> trees_;  // (node * kModes + mode) -> parents
  mutable std::vector<std::uint32_t> merge_mark_;           // per resource: merge_epoch_ when on the route
  mutable std::uint32_t merge_epoch_ = 0;
};

}  // namespace ua2a
