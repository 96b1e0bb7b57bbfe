#pragma once
/// The box a schedule runs on: a Boost.Graph graph of GPUs, PCIe switches, CPU sockets (root
/// complexes), host memory and NICs, joined by full-duplex links stored as two directed edges,
/// each with its own capacity (bytes/s) and latency (s). Presets cite
/// docs/reference/pcie-facts.md; the DOT form is described in docs/formats.md.
#include <boost/graph/adjacency_list.hpp>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "schedule/printable.h"

namespace ua2a {

/// A topology file or preset that cannot be used; the message names the input and the fix.
struct TopologyError : std::invalid_argument {
  explicit TopologyError(const std::string& what) : std::invalid_argument(printable(what)) {}
};

enum class NodeKind : std::uint8_t { gpu, pcie_switch, cpu, memory, nic };
/// "gpu", "switch", "cpu", "memory", "nic" (the DOT `kind` attribute).
std::string to_string(NodeKind kind);
NodeKind parse_node_kind(const std::string& name);

enum class LinkKind : std::uint8_t { pcie, socket, memory, nvlink, network };
/// "pcie", "socket", "memory", "nvlink", "network" (the DOT `kind` attribute of an edge).
std::string to_string(LinkKind kind);
LinkKind parse_link_kind(const std::string& name);

/// One device. Names are unique: gpu0.., sw0.., cpu0.., mem0.., nic0.. (numbered over all boxes).
struct TopoNode {
  std::string name;
  NodeKind kind = NodeKind::gpu;
  std::int32_t box = 0;     ///< which box of a multi-box topology
  std::int32_t socket = 0;  ///< global CPU socket index (NUMA node) the device hangs off
  /// cpu only: bytes/s the root complex forwards for GPU peer-to-peer traffic, shared by all P2P
  /// flows through this CPU; 0 = not limited.
  double forward_bytes_per_s = 0;
  /// cpu only: bytes charged per forwarded P2P byte (6/5 on Intel hosts: 64 B TLPs).
  double p2p_overhead = 1.0;
};

/// One direction of a physical link.
struct TopoLink {
  std::uint32_t id = 0;  ///< index into Topology::edges(), set when the edge is added
  double capacity_bytes_per_s = 0;
  double latency_s = 0;
  LinkKind kind = LinkKind::pcie;
};

using TopologyGraph =
    boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, TopoNode, TopoLink>;
using NodeIndex = TopologyGraph::vertex_descriptor;
using EdgeRef = TopologyGraph::edge_descriptor;

/// How a transfer between two GPUs is routed and what moves it (sim/route.h). Named apart from
/// the backend's Transport (the interface that moves real bytes), which cli/ sees in the same
/// namespace. shm and p2p are NCCL's SHM and P2P transports (SM kernels); cuda-p2p and
/// cuda-staged are CUDA peer copies (copy engines) with P2P on, and with P2P off (the driver
/// stages through host memory).
enum class TransportKind : std::uint8_t { shm, p2p, nvlink, network, cuda_p2p, cuda_staged };
std::string to_string(TransportKind t);
TransportKind parse_transport(const std::string& name);

/// The contention model's parameters (docs/simulate.md, "The contention model"). An interleaving
/// loss alpha makes a resource crossed by k streams run at C / (1 + alpha (k - 1)); by resource
/// and by engine (copy engines: ce; SM kernels: sm). Defaults: the fit to pcie-facts.md
/// (sim/calibration.cpp names the lines), the same for every platform the data covers.
struct ContentionParams {
  std::string platform = "intel-xeon";  ///< label of the platform row it came from
  double gpu_ce_alpha = 0.25;   ///< a GPU's own link, copy engines serving many peers (C10-C13, C15, C16)
  double gpu_sm_alpha = 0;      ///< the same, SM kernels (C1 host-staged: no loss)
  double rc_ce_alpha = 0;       ///< a root port forwarding peer traffic, copy engines (C11 vs C12, C16)
  double rc_sm_alpha = 4.5;     ///< the same, SM stores (C1 P2P)
  double uplink_alpha = 0;      ///< a switch uplink (C16: 16 flows share fairly; C4)
  double memory_alpha = 0;      ///< host memory serving staged copies (C1 host-staged)
  double read_window_bytes = 129000;  ///< non-posted bytes in flight per reading stream (C13)
  double nccl_fifo_bytes = 4194304;   ///< NCCL's FIFO per connection: the window of shm and p2p
  double nccl_channels = 2;           ///< NCCL's channels per PCIe peer (NCCL_MIN/MAX_P2P_NCHANNELS)
  double nccl_channel_bytes_per_s = 19.65e9;  ///< what one channel (one SM block) moves (C18)
};

/// The contention parameters by their DOT attribute (and `topo import` option) names: the value
/// in the attribute's unit is member / scale (nccl_channel_gbps: GB/s; the rest as stored).
struct ContentionAttribute {
  const char* name;
  double ContentionParams::*member;
  double scale;
  const char* help;
};
const std::vector<ContentionAttribute>& contention_attributes();

/// A host platform: what its root complex does to peer traffic. The contention model's losses
/// are fitted across the platforms of pcie-facts.md together (the data cannot tell them apart),
/// so the rows differ in the TLP overhead alone.
struct PlatformInfo {
  const char* name;
  const char* description;
  double p2p_overhead;
};
const std::vector<PlatformInfo>& platforms();
/// Throws TopologyError listing the platforms.
const PlatformInfo& find_platform(const std::string& name);

/// What a box was calibrated on (`calibrate --measurements`, sim/box_calibration.h): the
/// parameters fitted to its own measurements, how many points, and the fit's errors. Empty:
/// uncalibrated (docs/simulate.md, "How sure").
struct BoxCalibration {
  std::vector<std::string> parameters;  ///< fitted on this box: they apply whatever its GPU
  std::uint32_t points = 0;
  double fit_worst = 0;  ///< worst |predicted / measured - 1| with every point in the fit
  double loo_worst = 0;  ///< worst over the points, each fitted without it
  std::string from;      ///< the measurement files
  std::string detail;    ///< per fitted parameter: its value and the points it was fitted on
  bool empty() const { return points == 0; }
};

/// Model parameters that are not links: software costs and the staging pipeline.
struct TopoParams {
  TransportKind transport = TransportKind::shm;  ///< default transport of the box
  double op_cost_s = 0;                  ///< per-operation software cost added to each transfer
  std::uint64_t chunk_bytes = 128 * 1024;  ///< pipeline fill of staged or chunked transfers
  /// Cap on one host-staged (shm) flow, bytes/s; 0 = none.
  double shm_flow_cap_bytes_per_s = 0;
  double nic_bytes_per_s = 25e9;  ///< per direction, used by join_boxes
  ContentionParams contention;
  /// The GPUs' kind ("rtx4090", "rtxpro6000", ...; "" unknown): a default fitted on one kind of
  /// box applies only to boxes of that kind (sim/contention_policy.h).
  std::string gpu;
  BoxCalibration calibration;
  /// Whether the GPUs reach each other peer-to-peer over PCIe (the driver's P2P mode): off for
  /// GeForce cards on the stock driver (pcie-facts.md: NCCL falls back to SHM), on with the
  /// P2P-patched driver or on cards whose driver allows it. Decides which transports a comparison
  /// ranks (plan/study.h); the simulator itself routes whatever it is asked to.
  bool p2p = false;
};

/// The P2P mode a box has when nothing says otherwise: on when its own transport needs it
/// (p2p, cuda-p2p, nvlink), else by the GPU kind: off for GeForce cards ("rtx" or "gtx" followed
/// by a digit: rtx4090, rtx5090) and for an unknown kind (""), on for the rest (rtxpro6000, l40s,
/// h100: their drivers allow it).
bool default_p2p(TransportKind box_transport, const std::string& gpu_kind);
/// Whether `gpu_kind` names a GeForce card (whose stock driver has P2P off).
bool geforce_gpu(const std::string& gpu_kind);
/// Whether `t` moves bytes GPU to GPU over PCIe peer-to-peer (p2p, cuda-p2p).
bool needs_p2p(TransportKind t);

/// A named graph plus its parameters. GPU i (in the order GPUs were added) is rank i.
struct Topology {
  std::string name;
  TopologyGraph graph;
  TopoParams params;

  Topology() = default;
  /// Copies rebuild the edge and name indexes: edge descriptors point into their own graph.
  Topology(const Topology& other);
  Topology& operator=(const Topology& other);
  Topology(Topology&& other) noexcept;
  Topology& operator=(Topology&& other) noexcept;

  /// Adds a node; throws TopologyError when the name is taken or empty.
  NodeIndex add_node(const TopoNode& node);
  /// Adds a full-duplex link: edges a->b and b->a with the same capacity and latency.
  void add_link(NodeIndex a, NodeIndex b, double bytes_per_s, double latency_s, LinkKind kind);
  /// Adds one direction; `link.id` is assigned.
  EdgeRef add_edge(NodeIndex from, NodeIndex to, TopoLink link);
  /// Directed edges in the order they were added; edges()[i] has link id i.
  const std::vector<EdgeRef>& edges() const { return edges_; }
  /// GPU node indices, in rank order.
  const std::vector<NodeIndex>& gpus() const { return gpus_; }
  std::optional<NodeIndex> find(const std::string& name) const;
  const TopoNode& node(NodeIndex v) const { return graph[v]; }
  const TopoLink& link(EdgeRef e) const { return graph[e]; }
  std::size_t node_count() const { return boost::num_vertices(graph); }
  std::size_t edge_count() const { return boost::num_edges(graph); }
  /// "<from>-><to>", as the simulation JSON names links.
  std::string link_name(EdgeRef e) const;

 private:
  void rebuild_index();
  std::vector<NodeIndex> gpus_;
  std::vector<EdgeRef> edges_;
  std::unordered_map<std::string, NodeIndex> by_name_;
};

/// A preset box: name, a one-line description and its builder.
struct PresetInfo {
  const char* name;
  const char* description;
  Topology (*make)();
};
/// The one table of presets: 4090x4, 4090x8-2s, 4090x8-2s-sw, 4090x8-sw2, h100x8-nvs.
const std::vector<PresetInfo>& presets();
/// Builds preset `name`; throws TopologyError with a "did you mean" otherwise.
Topology make_preset(const std::string& name);

inline constexpr std::int32_t kMaxBoxes = 128;
/// K copies of `box`, each with one NIC on its first socket, joined by a network switch "net0".
/// K = 1 returns the box unchanged. Throws TopologyError outside 1..kMaxBoxes.
Topology join_boxes(const Topology& box, std::int32_t boxes);

/// Graphviz DOT (a digraph, one edge per direction); read_dot(write_dot(t)) gives t back.
std::string write_dot(const Topology& topology);
/// Reads DOT through boost::read_graphviz with typed attributes; throws TopologyError naming
/// the node, edge or attribute at fault.
Topology read_dot(const std::string& text);

/// A preset name, or else a DOT file path.
Topology load_topology(const std::string& name_or_path);

}  // namespace ua2a
