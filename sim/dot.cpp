// Topology <-> Graphviz DOT through boost::read_graphviz with typed attributes (docs/formats.md).
#include <algorithm>
#include <boost/graph/graphviz.hpp>
#include <boost/property_map/dynamic_property_map.hpp>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

#include "sim/topology.h"

namespace ua2a {

namespace {

constexpr double kGiga = 1e9;
constexpr double kMicro = 1e-6;
/// Marks a required number the file did not give; a negative one it gave is refused as such.
constexpr double kMissing = -std::numeric_limits<double>::infinity();

/// What the DOT file says, before validation: strings for kinds, numbers as read.
struct RawNode {
  std::string id;
  std::string kind;
  int box = 0;
  int socket = 0;
  double forward_gbps = 0;
  double p2p_overhead = 1.0;
};
struct RawEdge {
  std::string kind = "pcie";
  double capacity_gbps = kMissing;  // required
  double latency_us = 0;
};
using RawGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, RawNode, RawEdge>;

/// Graph-level attributes, all optional.
struct RawParams {
  std::string name = "custom";
  std::string transport = "shm";
  double op_cost_us = 5;
  double chunk_bytes = 128 * 1024;
  double shm_flow_cap_gbps = 0;
  double nic_gbps = 25;
  std::string platform = ContentionParams{}.platform;
  std::string gpu;
  std::string p2p;  // "on", "off" or "" (default_p2p by transport and gpu)
  // BoxCalibration: what the box was calibrated on (written by `calibrate --measurements`).
  std::string calibrated_parameters;  // comma list
  double calibrated_points = 0;
  double calibrated_fit_worst = 0;
  double calibrated_loo_worst = 0;
  std::string calibrated_from;
  std::string calibrated_detail;
  std::vector<double> contention;  // contention_attributes() order, in the attributes' units
  RawParams() {
    const ContentionParams defaults;
    for (const ContentionAttribute& a : contention_attributes()) contention.push_back(defaults.*a.member / a.scale);
  }
};

/// DOT numerals have no exponent: such values are written as quoted strings (lexical_cast reads both).
std::string dot_numeral(const std::string& s) {
  return s.find_first_of("eEin") == std::string::npos ? s : "\"" + s + "\"";
}

/// 12 significant digits: enough for any physical figure, and stable under write(read(write(t))).
std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.12g", v);
  return dot_numeral(buf);
}

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

/// "gpu10" after "gpu9": names compare by their text and the numbers inside them.
bool natural_less(const std::string& a, const std::string& b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) && std::isdigit(static_cast<unsigned char>(b[j]))) {
      std::size_t i2 = i, j2 = j;
      while (i2 < a.size() && std::isdigit(static_cast<unsigned char>(a[i2]))) ++i2;
      while (j2 < b.size() && std::isdigit(static_cast<unsigned char>(b[j2]))) ++j2;
      std::string x = a.substr(i, i2 - i), y = b.substr(j, j2 - j);
      x.erase(0, std::min(x.find_first_not_of('0'), x.size()));
      y.erase(0, std::min(y.find_first_not_of('0'), y.size()));
      if (x.size() != y.size()) return x.size() < y.size();
      if (x != y) return x < y;
      i = i2;
      j = j2;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  if (a.size() - i != b.size() - j) return a.size() - i < b.size() - j;
  return a < b;
}

/// Nodes sorted by natural name order: the canonical order of the DOT form and of read_dot.
std::vector<NodeIndex> natural_order(const Topology& t) {
  std::vector<NodeIndex> order(t.node_count());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](NodeIndex a, NodeIndex b) { return natural_less(t.node(a).name, t.node(b).name); });
  return order;
}

/// The largest value an attribute may take: physical figures far past any box (a petabyte a
/// second, a second of latency), so that a typo such as latency_us=1e300 is refused, not simulated.
constexpr double kMaxGbps = 1e6;
constexpr double kMaxMicroseconds = 1e6;

void check_number(double v, double min, double max, const std::string& where, const std::string& attr) {
  if (!std::isfinite(v) || v < min || v > max)
    throw TopologyError(where + ": attribute " + attr + " = " + num(v) + " is invalid: it must be a finite number from " +
                        num(min) + " to " + num(max));
}

/// The attributes read as numbers (the rest are text): 2 for whole numbers, 1 for reals, 0 for text.
int numeric_attribute(const std::string& name) {
  if (name == "box" || name == "socket") return 2;
  const auto ends = [&](const std::string& suffix) {
    return name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends("_gbps") || ends("_us") || name == "p2p_overhead" || name == "chunk_bytes" || name == "calibrated_points" ||
      name == "calibrated_fit_worst" || name == "calibrated_loo_worst")
    return 1;
  for (const ContentionAttribute& a : contention_attributes())
    if (name == a.name) return 1;
  return 0;
}

/// A numeric attribute's value checked where its name is known: Boost's own conversion failed
/// with "bad lexical cast" and no attribute ("24 GB", box=99999999999).
void check_numeric_value(const std::string& name, std::string value) {
  const int kind = numeric_attribute(name);
  if (kind == 0) return;
  if (value.size() >= 2 && value.front() == '"') value = value.substr(1, value.size() - 2);
  char* end = nullptr;
  errno = 0;
  if (kind == 2) {
    const long long v = std::strtoll(value.c_str(), &end, 10);
    if (value.empty() || end != value.c_str() + value.size() || errno != 0 || v < 0 || v > 1000000)
      throw TopologyError("DOT attribute " + name + "=" + value + " is not a whole number from 0 to 1000000");
    return;
  }
  std::strtod(value.c_str(), &end);
  if (value.empty() || end != value.c_str() + value.size())  // not *end: a NUL byte would end the number
    throw TopologyError("DOT attribute " + name + "=\"" + value + "\" is not a number: write " + name +
                        "=VALUE, no unit (*_gbps are GB/s, *_us microseconds)");
}

/// Boost's DOT lexer reads an unquoted numeral only as far as DOT's grammar allows and takes the
/// rest as another attribute: `capacity_gbps=2.4e1` became 2.4 (and an ignored `e1`), `24 GB` 24.
/// Every attribute in a [...] list must therefore be `name=value`, and a numeral must end where
/// the value does; anything else is refused here, before Boost reads the text.
void check_attribute_lists(const std::string& text) {
  const std::size_t n = text.size();
  auto id_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || (c & 0x80); };
  int depth = 0;                          // inside [ ... ] when > 0
  enum { key, equals, value } expect = key;
  std::string last_key, last_value, prev;  // prev: the "name=value" before last_key
  auto no_value = [&](const std::string& name) {
    return TopologyError("DOT attribute '" + name + "' has no value" +
                         (prev.empty() ? ": write " + name + "=VALUE"
                                       : " (after " + prev + "): numbers take no unit (*_gbps are GB/s, *_us "
                                         "microseconds); write name=value"));
  };
  // Boost merges a node's declarations into one, the last kind winning: a node's kind given in
  // two statements is refused here instead. A node statement is one ID followed by its [...].
  std::vector<std::string> statement;  // words of the current statement at depth 0
  bool edge_statement = false;
  std::string node_declared;           // the node whose [...] is being read
  std::map<std::string, std::string> kind_of;
  for (std::size_t i = 0; i < n;) {
    const char c = text[i];
    if (std::isspace(static_cast<unsigned char>(c))) { ++i; continue; }
    if (c == '/' && i + 1 < n && text[i + 1] == '/') { while (i < n && text[i] != '\n') ++i; continue; }
    if (c == '#' && (i == 0 || text[i - 1] == '\n')) { while (i < n && text[i] != '\n') ++i; continue; }
    if (c == '/' && i + 1 < n && text[i + 1] == '*') {
      const std::size_t end = text.find("*/", i + 2);
      i = end == std::string::npos ? n : end + 2;
      continue;
    }
    std::size_t j = i + 1;
    bool word = true;  // an ID, numeral or string, as opposed to punctuation
    if (c == '"') {
      while (j < n && text[j] != '"') j += text[j] == '\\' ? 2 : 1;
      j = std::min(j + 1, n);
    } else if (c == '<') {
      for (int nest = 1; j < n && nest > 0; ++j) nest += text[j] == '<' ? 1 : text[j] == '>' ? -1 : 0;
    } else if (c == '-' || c == '.' || std::isdigit(static_cast<unsigned char>(c))) {
      if (c == '-' && j < n && (text[j] == '>' || text[j] == '-')) {
        word = false, ++j;  // an edge operator
      } else {
        while (j < n && (std::isdigit(static_cast<unsigned char>(text[j])) || text[j] == '.')) ++j;
        if (j < n && (id_char(text[j]) || text[j] == '+' || text[j] == '-')) {
          std::size_t k = j;
          while (k < n && (id_char(text[k]) || text[k] == '+' || text[k] == '-' || text[k] == '.')) ++k;
          throw TopologyError("DOT value '" + text.substr(i, k - i) + "'" +
                              (last_key.empty() ? "" : " of " + last_key) +
                              " is not a number DOT reads whole: write it out (2.4e1 as 24) or quote it (\"" +
                              text.substr(i, k - i) + "\")");
        }
      }
    } else if (id_char(c)) {
      while (j < n && id_char(text[j])) ++j;
    } else {
      word = false;
    }
    const std::string token = text.substr(i, j - i);
    i = j;
    if (!word) {
      if (depth > 0 && expect != key && (token == "]" || token == "," || token == ";")) throw no_value(last_key);
      if (token == "[") {
        const bool keyword = statement.size() == 1 && (statement[0] == "graph" || statement[0] == "node" || statement[0] == "edge");
        node_declared = depth == 0 && statement.size() == 1 && !edge_statement && !keyword ? statement[0] : "";
        ++depth, expect = key, prev.clear();
      } else if (token == "]" && depth > 0) {
        if (--depth == 0) statement.clear(), edge_statement = false, node_declared.clear();
      } else if (depth > 0 && token == "=" && expect == equals) {
        expect = value;
      } else if (depth == 0) {
        if (token == "->" || token == "--") edge_statement = true;
        else if (token == ";" || token == "{" || token == "}") statement.clear(), edge_statement = false;
      }
      continue;
    }
    if (depth == 0) {
      statement.push_back(token.size() >= 2 && token.front() == '"' ? token.substr(1, token.size() - 2) : token);
      continue;
    }
    if (expect == equals) throw no_value(last_key);  // a second word where '=' belongs
    if (expect == key) {
      last_key = token, expect = equals;
    } else {
      last_value = token, expect = key, prev = last_key + "=" + last_value;
      check_numeric_value(last_key, last_value);
      if (last_key == "kind" && !node_declared.empty()) {
        const auto [it, fresh] = kind_of.emplace(node_declared, last_value);
        if (!fresh)
          throw TopologyError("node '" + node_declared + "' is declared twice (kind " + it->second + ", then " +
                              last_value + "): declare each node once");
      }
    }
  }
}

/// The graph's calibrated_* attributes into a BoxCalibration; names must be contention parameters.
void read_calibration(const RawParams& raw, TopoParams& params) {
  BoxCalibration& c = params.calibration;
  check_number(raw.calibrated_points, 0, 1e6, "graph", "calibrated_points");
  check_number(raw.calibrated_fit_worst, 0, 1e6, "graph", "calibrated_fit_worst");
  check_number(raw.calibrated_loo_worst, 0, 1e6, "graph", "calibrated_loo_worst");
  if (raw.calibrated_points != std::floor(raw.calibrated_points) || raw.calibrated_points > 1e6)
    throw TopologyError("graph: calibrated_points = " + num(raw.calibrated_points) + " must be a whole number of points");
  c.points = static_cast<std::uint32_t>(raw.calibrated_points);
  c.fit_worst = raw.calibrated_fit_worst;
  c.loo_worst = raw.calibrated_loo_worst;
  c.from = raw.calibrated_from;
  c.detail = raw.calibrated_detail;
  std::stringstream list(raw.calibrated_parameters);
  for (std::string name; std::getline(list, name, ',');) {
    if (name.empty()) continue;
    bool known = false;
    for (const ContentionAttribute& a : contention_attributes()) known = known || name == a.name;
    for (const char* link : {"gpu_link_scale", "uplink_scale", "socket_scale", "memory_scale", "shm_flow_cap_gbps", "p2p_overhead"})
      known = known || name == link;
    if (!known)
      throw TopologyError("graph: calibrated_parameters names '" + name +
                          "', which is no parameter of the model: write it as calibrate does (docs/formats.md)");
    c.parameters.push_back(name);
  }
  if (c.points == 0 && !c.parameters.empty())
    throw TopologyError("graph: calibrated_parameters is set but calibrated_points is 0: give the number of points");
}

Topology build(const RawGraph& raw, const RawParams& params) {
  Topology t;
  t.name = params.name;
  t.params.transport = parse_transport(params.transport);
  check_number(params.op_cost_us, 0, kMaxMicroseconds, "graph", "op_cost_us");
  check_number(params.chunk_bytes, 1, 1e15, "graph", "chunk_bytes");
  check_number(params.shm_flow_cap_gbps, 0, kMaxGbps, "graph", "shm_flow_cap_gbps");
  check_number(params.nic_gbps, 1e-9, kMaxGbps, "graph", "nic_gbps");
  t.params.op_cost_s = params.op_cost_us * kMicro;
  t.params.chunk_bytes = static_cast<std::uint64_t>(params.chunk_bytes);
  t.params.shm_flow_cap_bytes_per_s = params.shm_flow_cap_gbps * kGiga;
  t.params.nic_bytes_per_s = params.nic_gbps * kGiga;
  t.params.contention.platform = find_platform(params.platform).name;
  t.params.gpu = params.gpu;
  if (params.p2p == "on" || params.p2p == "off")
    t.params.p2p = params.p2p == "on";
  else if (params.p2p.empty())
    t.params.p2p = default_p2p(t.params.transport, t.params.gpu);
  else
    throw TopologyError("graph: p2p = '" + params.p2p + "': use on (the GPUs reach each other peer-to-peer: a " +
                        "P2P-capable driver) or off (the stock GeForce driver)");
  read_calibration(params, t.params);
  for (std::size_t i = 0; i < contention_attributes().size(); ++i) {
    const ContentionAttribute& a = contention_attributes()[i];
    check_number(params.contention[i], 0, 1e12, "graph", a.name);
    t.params.contention.*a.member = params.contention[i] * a.scale;
  }

  std::vector<std::size_t> order(boost::num_vertices(raw));
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return natural_less(raw[a].id, raw[b].id); });
  std::vector<NodeIndex> map(order.size());
  for (std::size_t v : order) {
    const RawNode& n = raw[v];
    const std::string where = "node '" + n.id + "'";
    if (n.kind.empty()) throw TopologyError(where + " has no kind: add kind=gpu|switch|cpu|memory|nic");
    NodeKind kind;
    try {
      kind = parse_node_kind(n.kind);
    } catch (const TopologyError& e) {
      throw TopologyError(where + ": " + e.what());
    }
    if (n.box < 0 || n.socket < 0) throw TopologyError(where + ": box and socket must be >= 0");
    check_number(n.forward_gbps, 0, kMaxGbps, where, "forward_gbps");
    check_number(n.p2p_overhead, 1e-9, 100, where, "p2p_overhead");
    map[v] = t.add_node({n.id, kind, n.box, n.socket, n.forward_gbps * kGiga, n.p2p_overhead});
  }
  std::vector<RawGraph::edge_descriptor> raw_edges;
  for (auto [it, end] = boost::edges(raw); it != end; ++it) raw_edges.push_back(*it);
  std::stable_sort(raw_edges.begin(), raw_edges.end(), [&](const auto& a, const auto& b) {
    return std::pair(map[boost::source(a, raw)], map[boost::target(a, raw)]) <
           std::pair(map[boost::source(b, raw)], map[boost::target(b, raw)]);
  });
  for (std::size_t i = 1; i < raw_edges.size(); ++i)
    if (boost::source(raw_edges[i], raw) == boost::source(raw_edges[i - 1], raw) &&
        boost::target(raw_edges[i], raw) == boost::target(raw_edges[i - 1], raw))
      throw TopologyError("edge " + raw[boost::source(raw_edges[i], raw)].id + "->" + raw[boost::target(raw_edges[i], raw)].id +
                          " is declared twice: one edge per direction, with its capacity_gbps");
  for (const auto& edge : raw_edges) {
    const auto* it = &edge;
    const RawEdge& e = raw[*it];
    const std::string from = raw[boost::source(*it, raw)].id, to = raw[boost::target(*it, raw)].id;
    const std::string where = "edge " + from + "->" + to;
    if (from == to) throw TopologyError(where + " is a self-loop: remove it");
    if (e.capacity_gbps == kMissing) throw TopologyError(where + " has no capacity_gbps: give its bandwidth in GB/s");
    check_number(e.capacity_gbps, 1e-9, kMaxGbps, where, "capacity_gbps");
    check_number(e.latency_us, 0, kMaxMicroseconds, where, "latency_us");
    LinkKind kind;
    try {
      kind = parse_link_kind(e.kind);
    } catch (const TopologyError& err) {
      throw TopologyError(where + ": " + err.what());
    }
    t.add_edge(map[boost::source(*it, raw)], map[boost::target(*it, raw)],
               {0, e.capacity_gbps * kGiga, e.latency_us * kMicro, kind});
  }
  if (t.gpus().empty()) throw TopologyError("the topology has no node with kind=gpu: add the GPUs");
  return t;
}

}  // namespace

std::string write_dot(const Topology& t) {
  std::ostringstream out;
  const TopoParams& p = t.params;
  out << "digraph topology {\n  graph [name=" << quoted(t.name) << ", transport=" << quoted(to_string(p.transport))
      << ", op_cost_us=" << num(p.op_cost_s / kMicro) << ", chunk_bytes=" << p.chunk_bytes
      << ", shm_flow_cap_gbps=" << num(p.shm_flow_cap_bytes_per_s / kGiga) << ", nic_gbps=" << num(p.nic_bytes_per_s / kGiga)
      << ",\n         platform=" << quoted(p.contention.platform);
  for (const ContentionAttribute& a : contention_attributes()) out << ", " << a.name << "=" << num(p.contention.*a.member / a.scale);
  if (!p.gpu.empty()) out << ",\n         gpu=" << quoted(p.gpu);
  if (p.p2p != default_p2p(p.transport, p.gpu)) out << ", p2p=" << quoted(p.p2p ? "on" : "off");
  if (!p.calibration.empty()) {
    std::string names;
    for (const std::string& n : p.calibration.parameters) names += (names.empty() ? "" : ",") + n;
    out << ",\n         calibrated_parameters=" << quoted(names) << ", calibrated_points=" << p.calibration.points
        << ", calibrated_fit_worst=" << num(p.calibration.fit_worst)
        << ", calibrated_loo_worst=" << num(p.calibration.loo_worst)
        << ",\n         calibrated_from=" << quoted(p.calibration.from)
        << ",\n         calibrated_detail=" << quoted(p.calibration.detail);
  }
  out << "];\n";
  const std::vector<NodeIndex> nodes = natural_order(t);
  std::vector<std::size_t> rank(t.node_count());
  for (std::size_t i = 0; i < nodes.size(); ++i) rank[nodes[i]] = i;
  for (NodeIndex v : nodes) {
    const TopoNode& n = t.node(v);
    out << "  " << quoted(n.name) << " [kind=" << quoted(to_string(n.kind)) << ", box=" << n.box
        << ", socket=" << n.socket;
    if (n.kind == NodeKind::cpu)
      out << ", forward_gbps=" << num(n.forward_bytes_per_s / kGiga) << ", p2p_overhead=" << num(n.p2p_overhead);
    out << "];\n";
  }
  std::vector<EdgeRef> edges = t.edges();
  std::stable_sort(edges.begin(), edges.end(), [&](EdgeRef a, EdgeRef b) {
    return std::pair(rank[boost::source(a, t.graph)], rank[boost::target(a, t.graph)]) <
           std::pair(rank[boost::source(b, t.graph)], rank[boost::target(b, t.graph)]);
  });
  for (EdgeRef e : edges) {
    const TopoLink& l = t.link(e);
    out << "  " << quoted(t.node(boost::source(e, t.graph)).name) << " -> " << quoted(t.node(boost::target(e, t.graph)).name)
        << " [kind=" << quoted(to_string(l.kind)) << ", capacity_gbps=" << num(l.capacity_bytes_per_s / kGiga)
        << ", latency_us=" << num(l.latency_s / kMicro) << "];\n";
  }
  out << "}\n";
  return out.str();
}

Topology read_dot(const std::string& text) {
  RawGraph raw;
  RawParams params;
  boost::dynamic_properties dp(boost::ignore_other_properties);
  dp.property("node_id", boost::get(&RawNode::id, raw));
  dp.property("kind", boost::get(&RawNode::kind, raw));
  dp.property("box", boost::get(&RawNode::box, raw));
  dp.property("socket", boost::get(&RawNode::socket, raw));
  dp.property("forward_gbps", boost::get(&RawNode::forward_gbps, raw));
  dp.property("p2p_overhead", boost::get(&RawNode::p2p_overhead, raw));
  dp.property("kind", boost::get(&RawEdge::kind, raw));
  dp.property("capacity_gbps", boost::get(&RawEdge::capacity_gbps, raw));
  dp.property("latency_us", boost::get(&RawEdge::latency_us, raw));
  dp.property("name", boost::ref_property_map<RawGraph*, std::string>(params.name));
  dp.property("transport", boost::ref_property_map<RawGraph*, std::string>(params.transport));
  dp.property("op_cost_us", boost::ref_property_map<RawGraph*, double>(params.op_cost_us));
  dp.property("chunk_bytes", boost::ref_property_map<RawGraph*, double>(params.chunk_bytes));
  dp.property("shm_flow_cap_gbps", boost::ref_property_map<RawGraph*, double>(params.shm_flow_cap_gbps));
  dp.property("nic_gbps", boost::ref_property_map<RawGraph*, double>(params.nic_gbps));
  dp.property("platform", boost::ref_property_map<RawGraph*, std::string>(params.platform));
  dp.property("gpu", boost::ref_property_map<RawGraph*, std::string>(params.gpu));
  dp.property("p2p", boost::ref_property_map<RawGraph*, std::string>(params.p2p));
  dp.property("calibrated_parameters", boost::ref_property_map<RawGraph*, std::string>(params.calibrated_parameters));
  dp.property("calibrated_points", boost::ref_property_map<RawGraph*, double>(params.calibrated_points));
  dp.property("calibrated_fit_worst", boost::ref_property_map<RawGraph*, double>(params.calibrated_fit_worst));
  dp.property("calibrated_loo_worst", boost::ref_property_map<RawGraph*, double>(params.calibrated_loo_worst));
  dp.property("calibrated_from", boost::ref_property_map<RawGraph*, std::string>(params.calibrated_from));
  dp.property("calibrated_detail", boost::ref_property_map<RawGraph*, std::string>(params.calibrated_detail));
  for (std::size_t i = 0; i < contention_attributes().size(); ++i)
    dp.property(contention_attributes()[i].name, boost::ref_property_map<RawGraph*, double>(params.contention[i]));
  check_attribute_lists(text);
  try {
    if (!boost::read_graphviz(text, raw, dp, "node_id"))
      throw TopologyError("the DOT text is not a graph Boost can read: check the syntax (digraph { a -> b; })");
  } catch (const TopologyError&) {
    throw;
  } catch (const boost::bad_graphviz_syntax& e) {
    throw TopologyError(std::string("DOT syntax error: ") + e.what());
  } catch (const boost::bad_lexical_cast& e) {
    throw TopologyError("a DOT attribute has a value of the wrong type (numbers expected for box, socket, *_gbps, "
                        "*_us, p2p_overhead, chunk_bytes): " + std::string(e.what()));
  } catch (const std::exception& e) {
    throw TopologyError(std::string("cannot read the DOT topology: ") + e.what());
  }
  return build(raw, params);
}

Topology load_topology(const std::string& name_or_path) {
  for (const auto& p : presets())
    if (name_or_path == p.name) return p.make();
  std::ifstream in(name_or_path, std::ios::binary);
  if (!in) make_preset(name_or_path);  // throws the "unknown topology" message with the preset list
  std::ostringstream s;
  s << in.rdbuf();
  try {
    return read_dot(s.str());
  } catch (const TopologyError& e) {
    throw TopologyError("topology file '" + name_or_path + "': " + e.what());
  }
}

}  // namespace ua2a
