#include "sim/nvsmi.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <regex>
#include <sstream>

namespace ua2a {

namespace {

constexpr std::size_t kMaxDevices = 1024;
/// The most NVLinks one GPU has (H100 SXM: 18). A GPU whose NV# cells add up to more cannot have
/// that many direct links: its NVLinks go to an NVSwitch, and every NV# cell counts all of them.
constexpr int kMaxNvlinksPerGpu = 18;

enum class Rel { self, pix, pxb, phb, node, sys, nv };

struct Cell {
  Rel rel = Rel::sys;
  int links = 0;  // NV#
};

Cell parse_cell(const std::string& s, const std::string& where) {
  if (s == "X") return {Rel::self};
  if (s == "PIX") return {Rel::pix};
  if (s == "PXB") return {Rel::pxb};
  if (s == "PHB") return {Rel::phb};
  if (s == "NODE") return {Rel::node};
  if (s == "SYS" || s == "SOC") return {Rel::sys};  // SOC: the old name of SYS
  if (s.size() > 2 && s.size() <= 5 && s.rfind("NV", 0) == 0 &&
      std::all_of(s.begin() + 2, s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    const int n = std::stoi(s.substr(2));
    if (n > 0) return {Rel::nv, n};
  }
  throw TopologyError("nvidia-smi topo -m: " + where + " has '" + s +
                      "', which is not in the legend (X, PIX, PXB, PHB, NODE, SYS, NV#)");
}

std::string strip_ansi(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\x1b' && i + 1 < text.size() && text[i + 1] == '[') {
      i += 2;
      while (i < text.size() && !std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
      continue;
    }
    out += text[i];
  }
  return out;
}

std::vector<std::string> tokens(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string t; in >> t;) out.push_back(t);
  return out;
}

bool is_device(const std::string& t) {
  static const std::regex re("(GPU|NIC)[0-9]+|mlx[0-9a-z_]+");
  return t.size() < 32 && std::regex_match(t, re);
}

struct UnionFind {
  std::vector<std::size_t> parent;
  explicit UnionFind(std::size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  std::size_t find(std::size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  }
  void join(std::size_t a, std::size_t b) { parent[find(a)] = find(b); }
};

/// The parsed matrix: device names, cells, NUMA node per device (-1 unknown).
struct Matrix {
  std::vector<std::string> devices;
  std::vector<std::vector<Cell>> cells;
  std::vector<int> numa;
};

Matrix parse_matrix(const std::string& raw) {
  std::istringstream in(strip_ansi(raw));
  Matrix m;
  std::map<std::string, std::size_t> row_of;
  std::vector<bool> seen;
  int line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    const auto t = tokens(line);
    if (t.empty()) continue;
    if (m.devices.empty()) {
      if (!is_device(t[0])) continue;  // banner lines before the header
      for (const auto& name : t) {
        if (!is_device(name)) break;
        if (row_of.count(name)) throw TopologyError("nvidia-smi topo -m: device " + name + " appears twice in the header");
        row_of[name] = m.devices.size();
        m.devices.push_back(name);
      }
      if (m.devices.size() > kMaxDevices)
        throw TopologyError("nvidia-smi topo -m: more than " + std::to_string(kMaxDevices) + " devices");
      m.cells.assign(m.devices.size(), {});
      m.numa.assign(m.devices.size(), -1);
      seen.assign(m.devices.size(), false);
      continue;
    }
    if (t[0] == "Legend:" || t[0] == "Legend") break;
    const auto it = row_of.find(t[0]);
    if (it == row_of.end()) continue;  // e.g. "NIC Legend:" lists
    const std::size_t r = it->second;
    if (seen[r]) throw TopologyError("nvidia-smi topo -m line " + std::to_string(line_no) + ": row " + t[0] + " appears twice");
    seen[r] = true;
    const std::size_t n = m.devices.size();
    if (t.size() < n + 1)
      throw TopologyError("nvidia-smi topo -m line " + std::to_string(line_no) + ": row " + t[0] + " has " +
                          std::to_string(t.size() - 1) + " cells, expected " + std::to_string(n));
    for (std::size_t c = 0; c < n; ++c) m.cells[r].push_back(parse_cell(t[c + 1], "row " + t[0] + ", column " + m.devices[c]));
    // After the matrix: CPU affinity, then NUMA affinity (a number, or N/A).
    if (t.size() >= n + 3 && !t[n + 2].empty() &&
        std::all_of(t[n + 2].begin(), t[n + 2].end(), [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); }) &&
        t[n + 2].size() < 6)
      m.numa[r] = std::stoi(t[n + 2]);
  }
  if (m.devices.empty()) throw TopologyError("nvidia-smi topo -m: no header row with GPU0 ... found: paste the whole output");
  for (std::size_t r = 0; r < m.devices.size(); ++r)
    if (!seen[r]) throw TopologyError("nvidia-smi topo -m: the row of " + m.devices[r] + " is missing");
  for (std::size_t a = 0; a < m.devices.size(); ++a)
    for (std::size_t b = 0; b < m.devices.size(); ++b) {
      if ((a == b) != (m.cells[a][b].rel == Rel::self))
        throw TopologyError("nvidia-smi topo -m: X must be exactly on the diagonal (row " + m.devices[a] + ", column " +
                            m.devices[b] + ")");
      if (m.cells[a][b].rel != m.cells[b][a].rel || m.cells[a][b].links != m.cells[b][a].links)
        throw TopologyError("nvidia-smi topo -m: the matrix is not symmetric at " + m.devices[a] + "/" + m.devices[b]);
    }
  return m;
}

bool same_socket(Rel r) { return r == Rel::pix || r == Rel::pxb || r == Rel::phb || r == Rel::node; }

/// Socket per device. The PCIe relations decide which devices share a socket (anything but SYS
/// joins them; SYS never does), whatever the NUMA column says: a device whose NUMA affinity is
/// N/A, -1 or out of range still lands with the devices it reaches without SYS. The NUMA column
/// only numbers the groups (in the order of their NUMA nodes). A matrix that contradicts itself
/// (SYS inside a group, two NUMA nodes in one group) is refused. NV# cells say nothing about sockets.
std::vector<int> sockets_of(const Matrix& m) {
  const std::size_t n = m.devices.size();
  UnionFind uf(n);
  for (std::size_t a = 0; a < n; ++a)
    for (std::size_t b = a + 1; b < n; ++b)
      if (same_socket(m.cells[a][b].rel)) uf.join(a, b);
  for (std::size_t a = 0; a < n; ++a)
    for (std::size_t b = a + 1; b < n; ++b)
      if (m.cells[a][b].rel == Rel::sys && uf.find(a) == uf.find(b))
        throw TopologyError("nvidia-smi topo -m: " + m.devices[a] + " and " + m.devices[b] +
                            " are SYS (across sockets) but joined through devices they both reach without SYS: "
                            "the matrix contradicts itself; paste it as nvidia-smi printed it");
  std::map<std::size_t, int> numa_of_group;  // group root -> its NUMA node, where the column gives one
  for (std::size_t i = 0; i < n; ++i) {
    if (m.numa[i] < 0) continue;
    const auto [it, fresh] = numa_of_group.emplace(uf.find(i), m.numa[i]);
    if (!fresh && it->second != m.numa[i])
      throw TopologyError("nvidia-smi topo -m: " + m.devices[i] + " has NUMA affinity " + std::to_string(m.numa[i]) +
                          " but reaches a device of NUMA node " + std::to_string(it->second) +
                          " without SYS: the matrix contradicts itself; paste it as nvidia-smi printed it");
  }
  // Groups ordered by NUMA node, then (no NUMA given) by their first device.
  std::vector<std::pair<std::pair<long, std::size_t>, std::size_t>> order;  // ((numa or big, first device), root)
  std::map<std::size_t, std::size_t> first;
  for (std::size_t i = 0; i < n; ++i) first.emplace(uf.find(i), i);
  for (const auto& [root, device] : first) {
    const auto it = numa_of_group.find(root);
    order.push_back({{it == numa_of_group.end() ? 1L << 40 : it->second, device}, root});
  }
  std::sort(order.begin(), order.end());
  std::map<std::size_t, int> index;
  for (std::size_t g = 0; g < order.size(); ++g) index[order[g].second] = static_cast<int>(g);
  std::vector<int> socket(n);
  for (std::size_t i = 0; i < n; ++i) socket[i] = index[uf.find(i)];
  return socket;
}

void check_speed(double v, const char* what) {
  if (!std::isfinite(v) || v <= 0)
    throw TopologyError(std::string("import: ") + what + " must be a positive number of GB/s");
}

}  // namespace

Topology import_nvidia_smi(const std::string& text, const NvsmiOptions& o) {
  for (auto [v, what] : {std::pair{o.gpu_link_gbps, "--gpu-link-gbps"}, {o.uplink_gbps, "--uplink-gbps"},
                         {o.socket_gbps, "--socket-gbps"}, {o.memory_gbps, "--memory-gbps"},
                         {o.cpu_forward_gbps, "--cpu-forward-gbps"}, {o.nvlink_gbps_per_link, "--nvlink-gbps"}})
    check_speed(v, what);
  if (!(o.p2p_overhead >= 1) || !std::isfinite(o.p2p_overhead))
    throw TopologyError("import: --p2p-overhead must be >= 1 (1.2 on Intel hosts)");
  // A UTF-8 byte-order mark (an editor's save) is no part of the header row.
  const Matrix m = parse_matrix(text.rfind("\xEF\xBB\xBF", 0) == 0 ? text.substr(3) : text);
  const std::size_t n = m.devices.size();
  const std::vector<int> socket = sockets_of(m);
  const int sockets = *std::max_element(socket.begin(), socket.end()) + 1;

  Topology t;
  t.name = o.name;
  t.params.op_cost_s = 5e-6;
  t.params.shm_flow_cap_bytes_per_s = o.shm_flow_cap_gbps * 1e9;
  t.params.contention = o.contention;
  t.params.gpu = o.gpu;
  constexpr double kHop = 0.5e-6, kMem = 0.1e-6;
  std::vector<NodeIndex> cpu(sockets);
  for (int s = 0; s < sockets; ++s) {
    cpu[s] = t.add_node({"cpu" + std::to_string(s), NodeKind::cpu, 0, s, o.cpu_forward_gbps * 1e9, o.p2p_overhead});
    const NodeIndex mem = t.add_node({"mem" + std::to_string(s), NodeKind::memory, 0, s});
    t.add_link(cpu[s], mem, o.memory_gbps * 1e9 / 2, kMem, LinkKind::memory);
  }
  for (int s = 0; s + 1 < sockets; ++s) t.add_link(cpu[s], cpu[s + 1], o.socket_gbps * 1e9, kHop, LinkKind::socket);

  // Devices on one PIX/PXB path share a switch (PXB: cascaded switches, taken as one).
  UnionFind uf(n);
  for (std::size_t a = 0; a < n; ++a)
    for (std::size_t b = a + 1; b < n; ++b)
      if (m.cells[a][b].rel == Rel::pix || m.cells[a][b].rel == Rel::pxb) uf.join(a, b);
  std::map<std::size_t, std::size_t> group_size;
  for (std::size_t i = 0; i < n; ++i) ++group_size[uf.find(i)];
  std::map<std::size_t, NodeIndex> switch_of;
  std::vector<NodeIndex> node(n);
  int gpus = 0, nics = 0;
  bool all_nvlink = true;
  for (std::size_t i = 0; i < n; ++i) {
    const bool gpu = m.devices[i].rfind("GPU", 0) == 0;
    const std::string name = gpu ? "gpu" + std::to_string(gpus++) : "nic" + std::to_string(nics++);
    node[i] = t.add_node({name, gpu ? NodeKind::gpu : NodeKind::nic, 0, socket[i]});
    NodeIndex parent = cpu[socket[i]];
    const std::size_t root = uf.find(i);
    if (group_size[root] > 1) {
      if (!switch_of.count(root)) {
        const NodeIndex sw = t.add_node({"sw" + std::to_string(switch_of.size()), NodeKind::pcie_switch, 0, socket[i]});
        t.add_link(sw, cpu[socket[i]], o.uplink_gbps * 1e9, kHop, LinkKind::pcie);
        switch_of[root] = sw;
      }
      parent = switch_of[root];
    }
    t.add_link(node[i], parent, o.gpu_link_gbps * 1e9, kHop, LinkKind::pcie);
  }
  // NV# through an NVSwitch (an HGX box shows NV18 for every pair) is one link from each GPU to
  // the switch, not a direct 18-link bundle between every pair.
  std::vector<int> nv_sum(n, 0), nv_max(n, 0);
  for (std::size_t a = 0; a < n; ++a)
    for (std::size_t b = 0; b < n; ++b)
      if (m.cells[a][b].rel == Rel::nv) nv_sum[a] += m.cells[a][b].links, nv_max[a] = std::max(nv_max[a], m.cells[a][b].links);
  const bool nvswitch = *std::max_element(nv_sum.begin(), nv_sum.end()) > kMaxNvlinksPerGpu;
  if (nvswitch) {
    const NodeIndex fabric = t.add_node({"nvs0", NodeKind::pcie_switch, 0, 0});
    for (std::size_t i = 0; i < n; ++i)
      if (nv_max[i] > 0) t.add_link(node[i], fabric, nv_max[i] * o.nvlink_gbps_per_link * 1e9, kHop, LinkKind::nvlink);
  }
  for (std::size_t a = 0; a < n; ++a)
    for (std::size_t b = a + 1; b < n; ++b) {
      const bool both_gpus = t.node(node[a]).kind == NodeKind::gpu && t.node(node[b]).kind == NodeKind::gpu;
      if (m.cells[a][b].rel == Rel::nv) {
        if (!nvswitch)
          t.add_link(node[a], node[b], m.cells[a][b].links * o.nvlink_gbps_per_link * 1e9, kHop, LinkKind::nvlink);
      } else if (both_gpus) {
        all_nvlink = false;
      }
    }
  if (gpus == 0) throw TopologyError("nvidia-smi topo -m: the matrix has no GPU rows");
  t.params.transport = all_nvlink && gpus > 1 ? TransportKind::nvlink : TransportKind::shm;
  t.params.p2p = o.p2p.value_or(default_p2p(t.params.transport, t.params.gpu));
  return t;
}

}  // namespace ua2a
