// The probe's patterns, chosen from the box's topology (see probe_patterns.h).
#include "sim/probe_patterns.h"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

#include "schedule/generators.h"
#include "schedule/lower.h"
#include "sim/route.h"
#include "sim/simulate.h"

namespace ua2a {

namespace {

using Flows = std::vector<Flow>;

std::string gpu(std::int32_t i) { return "gpu" + std::to_string(i); }

bool is_cuda_copy(TransportKind t) { return t == TransportKind::cuda_p2p || t == TransportKind::cuda_staged; }

void check_box(const Topology& topology) {
  const auto n = static_cast<std::int32_t>(topology.gpus().size());
  if (n < 2)
    throw TopologyError("probe needs a box of at least 2 GPUs; '" + topology.name + "' has " + std::to_string(n) +
                        ": give --topology a box with its GPUs (a preset, or `topo import` of nvidia-smi topo -m)");
  if (n > kMaxProbeGpus)
    throw TopologyError("probe measures boxes of up to " + std::to_string(kMaxProbeGpus) + " GPUs; '" + topology.name +
                        "' has " + std::to_string(n) + ": probe one box at a time");
  for (NodeIndex v = 0; v < topology.node_count(); ++v)
    if (topology.node(v).box != 0 || topology.node(v).kind == NodeKind::nic)
      throw TopologyError("probe measures one box; '" + topology.name + "' joins several (node " +
                          topology.node(v).name + "): probe each box on its own");
}

/// A resource the probe loads with k disjoint flows: a directed link or a node.
struct SharedResource {
  std::string name;
  bool is_node = false;
};

/// Switch uplinks (a PCIe link between a switch and a CPU or another switch), both directions,
/// in edge order; then the CPUs in node order; then the socket links in edge order.
std::vector<SharedResource> shared_resources(const Topology& t) {
  std::vector<SharedResource> out;
  for (EdgeRef e : t.edges()) {
    const TopoNode& a = t.node(boost::source(e, t.graph));
    const TopoNode& b = t.node(boost::target(e, t.graph));
    const bool up_or_down = a.kind == NodeKind::pcie_switch || b.kind == NodeKind::pcie_switch;
    if (t.link(e).kind == LinkKind::pcie && up_or_down && a.kind != NodeKind::gpu && b.kind != NodeKind::gpu)
      out.push_back({t.link_name(e), false});
  }
  for (NodeIndex v = 0; v < t.node_count(); ++v)
    if (t.node(v).kind == NodeKind::cpu) out.push_back({t.node(v).name, true});
  for (EdgeRef e : t.edges())
    if (t.link(e).kind == LinkKind::socket) out.push_back({t.link_name(e), false});
  return out;
}

RouteCrossing crossing_of(const Topology& t, const Router& router, std::int32_t src, std::int32_t dst) {
  RouteCrossing c;
  std::set<std::string> nodes;
  const Route route = router.route(src, dst);
  for (const FlowModel::Use& use : route.uses) {
    if (use.link >= t.edges().size()) continue;  // a CPU's forwarding resource: not a link
    const EdgeRef e = t.edges()[use.link];
    c.links.push_back(t.link_name(e));
    for (NodeIndex v : {boost::source(e, t.graph), boost::target(e, t.graph)})
      if (t.node(v).kind != NodeKind::gpu) nodes.insert(t.node(v).name);
  }
  c.nodes.assign(nodes.begin(), nodes.end());
  return c;
}

/// Per ordered pair (src, dst): what its route crosses, and how many links it has.
struct PairRoute {
  Flow flow;
  std::size_t hops = 0;
  std::set<std::string> crosses;  ///< link and node names
};

std::vector<PairRoute> pair_routes(const Topology& t, TransportKind transport) {
  const Router router(t, transport, /*contention=*/true);
  const auto n = static_cast<std::int32_t>(t.gpus().size());
  std::vector<PairRoute> out;
  for (std::int32_t a = 0; a < n; ++a)
    for (std::int32_t b = 0; b < n; ++b) {
      if (a == b) continue;
      const RouteCrossing c = crossing_of(t, router, a, b);
      PairRoute p{{a, b}, c.links.size(), {}};
      p.crosses.insert(c.links.begin(), c.links.end());
      p.crosses.insert(c.nodes.begin(), c.nodes.end());
      out.push_back(std::move(p));
    }
  // Shortest routes first, so a resource's flows load as little else as they can; stable, so
  // pairs of equal length stay in (src, dst) order.
  std::stable_sort(out.begin(), out.end(), [](const PairRoute& x, const PairRoute& y) { return x.hops < y.hops; });
  return out;
}

/// Disjoint flows (no GPU twice) crossing `resource`, greedily in `routes` order.
Flows disjoint_flows_through(const std::vector<PairRoute>& routes, const std::string& resource) {
  Flows flows;
  std::set<std::int32_t> used;
  for (const PairRoute& p : routes) {
    if (!p.crosses.count(resource) || used.count(p.flow.first) || used.count(p.flow.second)) continue;
    flows.push_back(p.flow);
    used.insert(p.flow.first);
    used.insert(p.flow.second);
  }
  return flows;
}

/// k = 2, 4, 8, ... below `most`, then `most` itself (nothing when most < 2).
std::vector<std::size_t> flow_counts(std::size_t most) {
  std::vector<std::size_t> ks;
  for (std::size_t k = 2; k < most; k *= 2) ks.push_back(k);
  if (most >= 2) ks.push_back(most);
  return ks;
}

std::string joined(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& name : names) s += (s.empty() ? "" : ", ") + name;
  return s;
}

ProbePattern make(ProbeKind kind, std::string name, Flows flows, TransportKind transport, MeasureOp op,
                  std::uint64_t bytes) {
  ProbePattern p;
  p.kind = kind;
  p.point.name = std::move(name);
  p.point.transport = transport;
  p.point.op = op;
  p.point.bytes = bytes;
  p.point.flows = std::move(flows);
  p.point.metric = MeasureMetric::total;
  return p;
}

/// Every pattern of one transport and direction; names get `suffix`.
void add_patterns(const Topology& t, TransportKind transport, MeasureOp op, std::uint64_t bytes,
                  const std::string& suffix, std::vector<ProbePattern>& out) {
  const auto n = static_cast<std::int32_t>(t.gpus().size());
  auto add = [&](ProbeKind kind, const std::string& name, Flows flows) {
    out.push_back(make(kind, name + suffix, std::move(flows), transport, op, bytes));
  };
  for (std::int32_t a = 0; a < n; ++a)
    for (std::int32_t b = 0; b < n; ++b)
      if (a != b) add(ProbeKind::pair_one_way, gpu(a) + "->" + gpu(b) + " one way", {{a, b}});
  for (std::int32_t a = 0; a < n; ++a)
    for (std::int32_t b = a + 1; b < n; ++b)
      add(ProbeKind::pair_both_ways, gpu(a) + "<->" + gpu(b) + " both ways", {{a, b}, {b, a}});

  // Shared resources: a flow set chosen for several resources is one point naming them all.
  const std::vector<PairRoute> routes = pair_routes(t, transport);
  struct FlowSet {
    Flows flows;
    std::vector<std::string> through;
    bool each_way = false;  ///< k flows each way through a link and its reverse
  };
  std::vector<FlowSet> sets;
  for (const SharedResource& r : shared_resources(t)) {
    const Flows all = disjoint_flows_through(routes, r.name);
    for (std::size_t k : flow_counts(all.size())) {
      Flows flows(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k));
      auto same = std::find_if(sets.begin(), sets.end(), [&](const FlowSet& s) { return s.flows == flows; });
      if (same == sets.end()) sets.push_back({std::move(flows), {r.name}});
      else same->through.push_back(r.name);
    }
  }
  // Both directions of each socket link at once, k flows each way: every GPU sending across the
  // sockets (C13's 8 flows; the issue's +65 % case) is the last of these on two sockets of 4.
  for (EdgeRef e : t.edges()) {
    const NodeIndex from = boost::source(e, t.graph), to = boost::target(e, t.graph);
    if (t.link(e).kind != LinkKind::socket || from > to) continue;  // each link once
    const std::string there = t.link_name(e), back = t.node(to).name + "->" + t.node(from).name;
    const Flows out = disjoint_flows_through(routes, there), in = disjoint_flows_through(routes, back);
    for (std::size_t k : flow_counts(std::min(out.size(), in.size()))) {
      Flows flows(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(k));
      flows.insert(flows.end(), in.begin(), in.begin() + static_cast<std::ptrdiff_t>(k));
      sets.push_back({std::move(flows), {there, back}, true});
    }
  }
  for (FlowSet& set : sets) {
    const std::string name = set.each_way ? std::to_string(set.flows.size() / 2) + " flows each way through " +
                                                joined(set.through)
                                          : std::to_string(set.flows.size()) + " flows through " + joined(set.through);
    add(ProbeKind::shared_resource, name, set.flows);
    out.back().through = set.through;
  }

  Flows everyone;
  for (std::int32_t a = 0; a < n; ++a)
    for (std::int32_t b = 0; b < n; ++b)
      if (a != b) everyone.push_back({a, b});
  add(ProbeKind::all_to_all, "all-to-all, " + std::to_string(n) + " GPUs at once", everyone);
  out.back().point.metric = MeasureMetric::busbw;
  out.back().point.collective = "all_to_all";
  out.back().point.size_bytes = bytes * static_cast<std::uint64_t>(n);  // nccl-tests' size: N blocks

  const auto rounds = circle_rounds(n);
  for (std::size_t i = 0; i < rounds.size(); ++i) {
    Flows flows;
    for (const auto& [a, b] : rounds[i]) flows.insert(flows.end(), {{a, b}, {b, a}});
    add(ProbeKind::round, "round-robin round " + std::to_string(i + 1) + " of " + std::to_string(rounds.size()) +
                              ", pairs both ways", flows);
  }
}

}  // namespace

std::string to_string(ProbeKind kind) {
  switch (kind) {
    case ProbeKind::pair_one_way: return "pair one way";
    case ProbeKind::pair_both_ways: return "pair both ways";
    case ProbeKind::shared_resource: return "shared resource";
    case ProbeKind::all_to_all: return "all-to-all";
    case ProbeKind::round: return "round";
  }
  return "?";
}

RouteCrossing route_crossing(const Topology& topology, TransportKind transport, std::int32_t src, std::int32_t dst) {
  return crossing_of(topology, Router(topology, transport, true), src, dst);
}

std::vector<ProbePattern> probe_patterns(const Topology& topology, const ProbeRequest& request) {
  check_box(topology);
  if (request.bytes == 0) throw std::invalid_argument("probe patterns need bytes per flow > 0");
  std::vector<TransportKind> transports = request.transports;
  if (transports.empty()) transports.push_back(topology.params.transport);
  std::vector<MeasureOp> ops = request.ops;
  if (ops.empty()) ops.push_back(MeasureOp::write);
  // One label per (transport, op) actually probed; names carry it only when there are several.
  std::vector<std::pair<TransportKind, MeasureOp>> combos;
  for (TransportKind t : transports)
    for (MeasureOp op : ops) {
      const MeasureOp applied = is_cuda_copy(t) ? op : MeasureOp::write;
      if (std::find(combos.begin(), combos.end(), std::pair{t, applied}) == combos.end()) combos.push_back({t, applied});
    }
  std::vector<ProbePattern> out;
  for (const auto& [t, op] : combos) {
    Router(topology, t, true);  // throws, naming the fix, where the transport has no route
    const std::string suffix =
        combos.size() == 1 ? "" : " (" + to_string(t) + (is_cuda_copy(t) ? ", " + to_string(op) : "") + ")";
    add_patterns(topology, t, op, request.bytes, suffix, out);
  }
  return out;
}

double figure_gbps(const MeasurementPoint& point, double seconds) {
  if (!(seconds > 0)) throw std::invalid_argument("point '" + point.name + "': a time of " + std::to_string(seconds) + " s has no rate");
  const auto bytes = static_cast<double>(point.bytes);
  switch (point.metric) {
    case MeasureMetric::total: return static_cast<double>(point.flows.size()) * bytes / seconds / 1e9;
    case MeasureMetric::busbw: {
      std::map<std::int32_t, int> sent;
      int busiest = 0;
      for (const auto& [src, dst] : point.flows) busiest = std::max(busiest, ++sent[src]);
      return busiest * bytes / seconds / 1e9;
    }
    case MeasureMetric::flow_min:
    case MeasureMetric::rank_min: break;
  }
  throw std::invalid_argument("point '" + point.name + "': metric " + to_string(point.metric) +
                              " needs each flow's own time; one time for all flows gives total or busbw");
}

double simulated_pattern_s(const Topology& topology, const ProbePattern& pattern) {
  const MeasurementPoint& p = pattern.point;
  std::vector<std::pair<Rank, Rank>> pairs(p.flows.begin(), p.flows.end());
  SimOptions o;
  o.transport = p.transport;
  o.model = SimModel::contention;
  o.ce_reads = p.op == MeasureOp::read && p.transport == TransportKind::cuda_p2p;
  o.record_transfers = false;
  o.record_util = false;
  const SimReport r = simulate(topology, lower_concurrent(static_cast<std::int32_t>(topology.gpus().size()), pairs, p.bytes), o);
  if (!r.ok) throw std::logic_error("probe pattern '" + p.name + "' does not simulate: " + r.error);
  return r.time_s;
}

ProbeEstimate estimate_probe(const Topology& topology, const std::vector<ProbePattern>& patterns,
                             std::uint32_t warmup, std::uint32_t iterations) {
  ProbeEstimate e;
  for (const ProbePattern& p : patterns) {
    const double one = simulated_pattern_s(topology, p);
    e.iteration_s.push_back(one);
    e.pattern_s.push_back((warmup + iterations) * one + kProbeOverheadPerPatternS);
    e.total_s += e.pattern_s.back();
  }
  return e;
}

}  // namespace ua2a
