#include "plan/mapping.h"

#include <algorithm>
#include <deque>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>

namespace ua2a::plan {

namespace {

/// The PCIe tree of the box: for each switch, the node above it (towards its CPU); built by a
/// breadth-first walk from the CPUs over PCIe links through switches.
std::map<NodeIndex, NodeIndex> switch_parents(const Topology& t) {
  std::map<NodeIndex, NodeIndex> parent;
  std::set<NodeIndex> seen;
  std::deque<NodeIndex> queue;
  for (NodeIndex v = 0; v < t.node_count(); ++v)
    if (t.node(v).kind == NodeKind::cpu) queue.push_back(v), seen.insert(v);
  while (!queue.empty()) {
    const NodeIndex v = queue.front();
    queue.pop_front();
    for (auto [it, end] = boost::out_edges(v, t.graph); it != end; ++it) {
      const NodeIndex w = boost::target(*it, t.graph);
      if (t.link(*it).kind != LinkKind::pcie || t.node(w).kind != NodeKind::pcie_switch || seen.count(w)) continue;
      seen.insert(w);
      parent[w] = v;
      queue.push_back(w);
    }
  }
  return parent;
}

/// Where GPU `rank` sits, outermost first: its box, its socket, the switches above it from the
/// top one down, itself. GPUs sharing a prefix share that part of the box.
std::vector<std::string> locality_path(const Topology& t, const std::map<NodeIndex, NodeIndex>& parents, std::int32_t rank) {
  const NodeIndex g = t.gpus().at(static_cast<std::size_t>(rank));
  std::vector<std::string> switches;
  for (auto [it, end] = boost::out_edges(g, t.graph); it != end; ++it) {
    NodeIndex up = boost::target(*it, t.graph);
    if (t.link(*it).kind != LinkKind::pcie || t.node(up).kind != NodeKind::pcie_switch) continue;
    for (std::size_t guard = 0; guard < t.node_count(); ++guard) {
      switches.push_back(t.node(up).name);
      const auto p = parents.find(up);
      if (p == parents.end() || t.node(p->second).kind != NodeKind::pcie_switch) break;
      up = p->second;
    }
    break;
  }
  std::vector<std::string> path = {"box" + std::to_string(t.node(g).box), "socket" + std::to_string(t.node(g).socket)};
  path.insert(path.end(), switches.rbegin(), switches.rend());
  path.push_back(t.node(g).name);
  return path;
}

/// The available GPUs as a tree of their locality paths; leaves are GPUs, taken as they are used.
class LocalityTree {
 public:
  LocalityTree(const Topology& t, const std::vector<std::int32_t>& gpus) {
    nodes_.push_back({});
    const auto parents = switch_parents(t);
    for (std::int32_t g : gpus) {
      std::size_t at = 0;
      std::string key;
      for (const std::string& part : locality_path(t, parents, g)) {
        key += "/" + part;
        auto [it, added] = index_.try_emplace(key, nodes_.size());
        if (added) {
          nodes_.push_back({});
          nodes_[at].children.push_back(it->second);
        }
        at = it->second;
      }
      nodes_[at].gpu = g;
      order_.push_back(g);
    }
    count_free(0);
  }

  /// `n` GPUs as close together as they come: inside the smallest subtree that holds them, else
  /// whole subtrees largest first and the rest where it fits best.
  std::vector<std::int32_t> take(std::int32_t n) { return take_from(0, n); }

  /// `n` GPUs for one of several groups that do not talk to each other (CFG branches): at the
  /// first level where the box splits, in the part with the most free GPUs when they fit there,
  /// so that the groups land in different sockets (or boxes); else as take.
  std::vector<std::int32_t> take_apart(std::int32_t n) {
    std::size_t at = 0;
    while (live_children(at).size() == 1) at = live_children(at).front();
    const auto children = live_children(at);
    if (children.size() > 1) {
      const std::size_t most = *std::max_element(children.begin(), children.end(), [&](std::size_t a, std::size_t b) {
        return nodes_[a].free < nodes_[b].free;
      });
      if (nodes_[most].free >= n) return take_from(most, n);
    }
    return take(n);
  }

  /// Locality order of a GPU (depth-first over the tree), for sorting groups.
  std::size_t position(std::int32_t gpu) const {
    return static_cast<std::size_t>(std::find(order_.begin(), order_.end(), gpu) - order_.begin());
  }

 private:
  struct Node {
    std::vector<std::size_t> children;
    std::int32_t gpu = -1;
    std::int32_t free = 0;
  };

  std::int32_t count_free(std::size_t at) {
    Node& n = nodes_[at];
    if (n.gpu >= 0 && n.children.empty()) return n.free = 1;
    std::int32_t sum = 0;
    for (std::size_t c : n.children) sum += count_free(c);
    return nodes_[at].free = sum;
  }

  std::vector<std::size_t> live_children(std::size_t at) const {
    std::vector<std::size_t> out;
    for (std::size_t c : nodes_[at].children)
      if (nodes_[c].free > 0) out.push_back(c);
    return out;
  }

  std::vector<std::int32_t> take_from(std::size_t at, std::int32_t n) {
    std::vector<std::int32_t> out;
    if (n <= 0) return out;
    Node& node = nodes_[at];
    if (node.children.empty()) {
      node.free = 0;
      out.push_back(node.gpu);
      return out;
    }
    while (static_cast<std::int32_t>(out.size()) < n) {
      const std::int32_t want = n - static_cast<std::int32_t>(out.size());
      std::size_t best = 0, largest = 0;
      std::int32_t best_free = std::numeric_limits<std::int32_t>::max(), largest_free = 0;
      for (std::size_t c : nodes_[at].children) {
        const std::int32_t f = nodes_[c].free;
        if (f >= want && f < best_free) best = c, best_free = f;
        if (f > largest_free) largest = c, largest_free = f;
      }
      if (largest_free == 0) break;
      const std::vector<std::int32_t> got = best_free != std::numeric_limits<std::int32_t>::max()
                                                ? take_from(best, want)
                                                : take_from(largest, largest_free);
      out.insert(out.end(), got.begin(), got.end());
    }
    nodes_[at].free -= static_cast<std::int32_t>(out.size());
    return out;
  }

  std::vector<Node> nodes_;
  std::map<std::string, std::size_t> index_;
  std::vector<std::int32_t> order_;  ///< GPUs in the order of the tree (depth-first)
};

std::vector<std::int32_t> sorted(std::vector<std::int32_t> v, const LocalityTree& tree) {
  std::sort(v.begin(), v.end(),
            [&](std::int32_t a, std::int32_t b) { return tree.position(a) < tree.position(b); });
  return v;
}

/// "0-3" for a run of consecutive GPUs, else the GPUs by commas ("0,2,5").
std::string group_text(const std::vector<std::int32_t>& g) {
  std::string s;
  for (std::size_t i = 0; i < g.size();) {
    std::size_t j = i;
    while (j + 1 < g.size() && g[j + 1] == g[j] + 1) ++j;
    if (!s.empty()) s += ",";
    s += std::to_string(g[i]);
    if (j > i) s.append("-").append(std::to_string(g[j]));
    i = j + 1;
  }
  return s;
}

/// The lowest part of the box two GPUs share: 0 a PCIe switch, 1 a socket (through its CPU), 2
/// nothing nearer than the socket link or the network.
int shared_level(const Topology& t, const std::map<NodeIndex, NodeIndex>& parents, std::int32_t a, std::int32_t b) {
  const auto pa = locality_path(t, parents, a), pb = locality_path(t, parents, b);
  if (pa[0] != pb[0] || pa[1] != pb[1]) return 2;
  return pa.size() > 3 && pb.size() > 3 && pa[2] == pb[2] ? 0 : 1;
}

}  // namespace

std::vector<std::int32_t> Mapping::gpus() const {
  std::vector<std::int32_t> out;
  for (const auto& branch : groups)
    for (const auto& group : branch) out.insert(out.end(), group.begin(), group.end());
  std::sort(out.begin(), out.end());
  return out;
}

std::int32_t Mapping::span() const {
  const auto all = gpus();
  return all.empty() ? 0 : all.back() + 1;
}

std::string to_string(const Mapping& m) {
  std::string s;
  for (std::size_t c = 0; c < m.groups.size(); ++c) {
    if (c > 0) s += "|";
    for (std::size_t r = 0; r < m.groups[c].size(); ++r) s.append(r > 0 ? ">" : "").append(group_text(m.groups[c][r]));
  }
  return s;
}

std::vector<std::int32_t> parse_gpu_selection(const std::string& text, std::int32_t box_gpus, std::int32_t& count) {
  const std::string fix = ": give a count (1.." + std::to_string(box_gpus) + ") or a list of GPUs of the box (0.." +
                          std::to_string(box_gpus - 1) + ", e.g. 0,1,4,5)";
  auto number = [&](const std::string& item) {
    if (item.empty() || item.size() > 9 || item.find_first_not_of("0123456789") != std::string::npos)
      throw std::invalid_argument("--gpus '" + text + "': '" + item + "' is not a GPU number" + fix);
    return std::stoi(item);
  };
  if (text.find(',') == std::string::npos) {
    count = number(text);
    if (count < 1) throw std::invalid_argument("--gpus must be at least 1 (got " + text + ")" + fix);
    return {};
  }
  std::vector<std::int32_t> out;
  std::string item;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && text[i] != ',') {
      item += text[i];
      continue;
    }
    const std::int32_t g = number(item);
    if (g >= box_gpus)
      throw std::invalid_argument("--gpus '" + text + "': GPU " + item + " is not on the box, which has GPUs 0.." +
                                  std::to_string(box_gpus - 1) + fix);
    if (std::find(out.begin(), out.end(), g) != out.end())
      throw std::invalid_argument("--gpus '" + text + "': GPU " + item + " appears twice" + fix);
    out.push_back(g);
    item.clear();
  }
  std::sort(out.begin(), out.end());
  count = static_cast<std::int32_t>(out.size());
  return out;
}

Mapping map_layout(const Topology& topology, std::int32_t cfg, std::int32_t ring, std::int32_t ulysses,
                   const std::vector<std::int32_t>& available) {
  const auto box = static_cast<std::int32_t>(topology.gpus().size());
  std::vector<std::int32_t> pool = available;
  if (pool.empty())
    for (std::int32_t g = 0; g < box; ++g) pool.push_back(g);
  for (std::int32_t g : pool)
    if (g < 0 || g >= box)
      throw std::invalid_argument("GPU " + std::to_string(g) + " is not on box '" + topology.name + "' (GPUs 0.." +
                                  std::to_string(box - 1) + ")");
  if (cfg < 1 || ring < 1 || ulysses < 1 || static_cast<std::int64_t>(cfg) * ring * ulysses > static_cast<std::int64_t>(pool.size()))
    throw std::invalid_argument("a layout of " + std::to_string(cfg) + " x " + std::to_string(ring) + " x " +
                                std::to_string(ulysses) + " GPUs does not fit the " + std::to_string(pool.size()) +
                                " available on box '" + topology.name + "'");
  LocalityTree tree(topology, pool);
  Mapping m;
  for (std::int32_t c = 0; c < cfg; ++c) {
    const std::vector<std::int32_t> branch = tree.take_apart(ring * ulysses);
    // The branch's Ulysses groups, each packed inside the branch, then in locality order: the
    // ring visits them so, each stop next to the one before.
    LocalityTree inner(topology, sorted(branch, tree));
    std::vector<std::vector<std::int32_t>> stops;
    for (std::int32_t r = 0; r < ring; ++r) stops.push_back(sorted(inner.take(ulysses), tree));
    std::sort(stops.begin(), stops.end(), [&](const auto& a, const auto& b) { return tree.position(a[0]) < tree.position(b[0]); });
    m.groups.push_back(std::move(stops));
  }
  return m;
}

std::vector<std::string> transport_needs(const Topology& topology, const std::string& transport, const Mapping& m) {
  std::vector<std::string> needs;
  if (transport != "p2p" && transport != "cuda-p2p" && transport != "shm") return needs;
  // The pairs that communicate: every pair of a Ulysses group, every ring's neighbours.
  const auto parents = switch_parents(topology);
  int widest = -1, narrowest = 3;
  auto pair = [&](std::int32_t a, std::int32_t b) {
    if (a == b) return;
    const int level = shared_level(topology, parents, a, b);
    widest = std::max(widest, level), narrowest = std::min(narrowest, level);
  };
  for (const auto& branch : m.groups) {
    for (const auto& group : branch)
      for (std::size_t i = 0; i < group.size(); ++i)
        for (std::size_t j = i + 1; j < group.size(); ++j) pair(group[i], group[j]);
    for (std::size_t r = 0; branch.size() > 1 && r < branch.size(); ++r)
      for (std::size_t u = 0; u < branch[r].size(); ++u) pair(branch[r][u], branch[(r + 1) % branch.size()][u]);
  }
  if (widest < 0) return needs;  // nothing is exchanged
  const bool geforce = geforce_gpu(topology.params.gpu);
  if (transport == "shm") {
    if (topology.params.p2p && narrowest == 0)
      needs.push_back("NCCL_P2P_DISABLE=1 (else NCCL takes P2P between GPUs under one PCIe switch)");
    return needs;
  }
  if (geforce)
    needs.push_back("the P2P-patched driver (GeForce: P2P is off on the stock driver; tinygrad/open-gpu-kernel-modules)");
  // SYS, the widest level, also where NODE would do within a socket: the matrix's PHB and NODE
  // are not told apart here, and NVIDIA/nccl #1603 (pcie-facts.md C1) set SYS on one socket.
  if (transport == "p2p" && widest >= 1)
    needs.push_back(std::string("NCCL_P2P_LEVEL=SYS (NCCL uses P2P only under a PCIe switch by default; these GPUs "
                                "talk across ") +
                    (widest == 2 ? "the socket link" : "the CPU's host bridge") + ")");
  return needs;
}

std::vector<std::string> all_to_all_needs(const Topology& topology, const std::string& transport, std::int32_t ranks) {
  std::vector<std::int32_t> group;
  for (std::int32_t r = 0; r < ranks && r < static_cast<std::int32_t>(topology.gpus().size()); ++r) group.push_back(r);
  return transport_needs(topology, transport, Mapping{{{group}}});
}

}  // namespace ua2a::plan
