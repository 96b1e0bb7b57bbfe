#include "viz/topology_picture.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <stdexcept>

#include "viz/palette.h"
#include "viz/text.h"

namespace ua2a::viz {

namespace {

constexpr const char* kIdleColour = "#BBBBBB";     // links that carried nothing
constexpr const char* kUnloadedColour = "#444444"; // links of a picture without a load
constexpr const char* kMarkColour = "#D55E00";     // Okabe-Ito vermillion: the bottleneck
constexpr double kMinPen = 1.2;
constexpr double kLoadPen = 4.0;                   // extra width at 100 % utilisation
constexpr int kLegendSteps = 6;                    // 0, 20, ..., 100 %

struct KindLook {
  const char* kind;
  const char* shape;
  const char* fill;  // light fills (Paul Tol "light" family) that leave the link colours in front
};

constexpr KindLook kLooks[] = {
    {"gpu", "box", "#BBDDFF"},     {"switch", "hexagon", "#DDDDDD"}, {"cpu", "box3d", "#EEDD88"},
    {"memory", "cylinder", "#DDEEBB"}, {"nic", "octagon", "#FFCCDD"}, {"network", "ellipse", "#EEEEEE"},
};

const KindLook& look(const std::string& kind) {
  for (const KindLook& k : kLooks)
    if (kind == k.kind) return k;
  return kLooks[0];
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

PictureLink* find_link(TopologyPicture& p, const std::string& a, const std::string& b) {
  for (PictureLink& l : p.links)
    if ((l.upper == a && l.lower == b) || (l.upper == b && l.lower == a)) return &l;
  return nullptr;
}

std::string percent(double u) { return fixed(100 * u, 0) + "%"; }

double busiest(const PictureLink& l) {
  return std::max(l.down ? l.down->mean_util : 0.0, l.up ? l.up->mean_util : 0.0);
}

bool carried(const PictureLink& l) { return (l.down && l.down->bytes > 0) || (l.up && l.up->bytes > 0); }

// Direction arrows in labels: down and up the tree, or the two ends' names for a link inside a
// tier (its drawing gives no up or down).
constexpr const char* kDown = "\u2193";
constexpr const char* kUp = "\u2191";
constexpr const char* kRight = "\u2192";

std::string bandwidth_label(const PictureLink& l) {
  if (l.down_gbps == l.up_gbps || l.up_gbps == 0) return human_gbps(l.down_gbps);
  if (l.down_gbps == 0) return human_gbps(l.up_gbps);
  return kDown + human_gbps(l.down_gbps) + " " + kUp + human_gbps(l.up_gbps);
}

/// "37%", and under the contention model " 7 streams: 9.6 GB/s" when streams interleaved on it.
std::string direction_label(const std::optional<DirectionLoad>& d) {
  if (!d) return percent(0);
  std::string s = percent(d->mean_util);
  if (d->peak_streams > 1) s += " (" + std::to_string(d->peak_streams) + " streams: " + human_gbps(d->min_capacity_gbps) + ")";
  return s;
}

std::string load_label(const PictureLink& l, bool flat) {
  const std::string down = direction_label(l.down), up = direction_label(l.up);
  if (flat) return l.upper + kRight + l.lower + " " + down + "\n" + l.lower + kRight + l.upper + " " + up;
  return kDown + down + " " + kUp + up;
}

bool is_bottleneck(const TopologyPicture& p, const PictureLink& l) {
  return p.bottleneck == l.upper + "->" + l.lower || p.bottleneck == l.lower + "->" + l.upper;
}

/// `name` with "->" drawn as an arrow.
std::string arrowed(std::string name) {
  if (const auto at = name.find("->"); at != std::string::npos) name.replace(at, 2, kRight);
  return name;
}

/// A node one tier above `name` that links to it, or "" when there is none.
std::string parent_of(const TopologyPicture& p, const std::string& name) {
  const PictureNode* n = p.find(name);
  for (const PictureLink& l : p.links)
    if (l.lower == name && n && p.find(l.upper) && p.find(l.upper)->tier < n->tier) return l.upper;
  return "";
}

std::string bottleneck_font() { return ", fontcolor=" + dot_quote(kMarkColour) + ", fontname=\"Helvetica-Bold\""; }

/// `flat`: a link inside a tier, whose label names the directions (see topology_dot).
std::string edge_attributes(const TopologyPicture& p, const PictureLink& l, bool flat) {
  std::string label = bandwidth_label(l);
  std::string colour = kUnloadedColour, extra;
  double pen = kMinPen;
  if (p.loaded) {
    const double u = busiest(l);
    label += '\n';  // appended in two steps: GCC 12 warns falsely (-Wrestrict) on "\n" + string
    label += load_label(l, flat);
    colour = carried(l) ? utilisation_colour(u) : kIdleColour;
    pen += kLoadPen * u;
    if (is_bottleneck(p, l)) {
      label = "BOTTLENECK " + arrowed(p.bottleneck) + "\n" + label;
      pen += 2;
      extra = bottleneck_font();
    }
  }
  return "[label=" + dot_quote(label) +
         ", color=" + dot_quote(colour) + ", penwidth=" + fixed(pen, 2) +
         ", tooltip=" + dot_quote(l.upper + " - " + l.lower + (l.kind.empty() ? "" : " (" + l.kind + ")")) + extra +
         "]";
}

/// A node's look; a node with a loaded resource (a CPU forwarding P2P traffic) shows its
/// utilisation in its label and border, and is marked when that resource is the bottleneck.
std::string node_attributes(const TopologyPicture& p, const PictureNode& n) {
  const KindLook& k = look(n.kind);
  std::string label = n.name, border = "black", extra;
  double pen = 1.0;
  if (n.load) {
    const std::string what = n.resource.substr(n.resource.find('/') + 1);  // "p2p-forward"
    label += "\n" + what + " " + percent(n.load->mean_util);
    border = n.load->bytes > 0 ? utilisation_colour(n.load->mean_util) : kIdleColour;
    pen = kMinPen + kLoadPen * n.load->mean_util;
    if (p.bottleneck == n.resource) {
      label = "BOTTLENECK " + n.resource + "\n" + label;
      pen += 2;
      extra = bottleneck_font();
    }
  }
  return "[shape=" + std::string(k.shape) + ", fillcolor=" + dot_quote(k.fill) + ", label=" + dot_quote(label) +
         ", color=" + dot_quote(border) + ", penwidth=" + fixed(pen, 2) + ", tooltip=" + dot_quote(n.kind) + extra +
         "]";
}

/// The utilisation scale as an HTML-like table: one cell per step, dark cells with white text.
std::string legend_node() {
  std::string cells;
  for (int i = 0; i < kLegendSteps; ++i) {
    const double u = static_cast<double>(i) / (kLegendSteps - 1);
    const std::string fill = utilisation_colour(u);
    cells += "<TD BGCOLOR=\"" + fill + "\" WIDTH=\"44\"><FONT COLOR=\"" + text_colour_on(fill) + "\">" + percent(u) +
             "</FONT></TD>";
  }
  cells += std::string("<TD BGCOLOR=\"") + kIdleColour + "\">idle</TD>";
  return "  legend [shape=plaintext, style=solid, fillcolor=white, margin=0, label=<<TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"0\" "
         "CELLPADDING=\"4\"><TR><TD COLSPAN=\"" +
         std::to_string(kLegendSteps + 1) +
         "\" BORDER=\"0\">mean utilisation of the busier direction (link colour and width)</TD></TR><TR>" + cells +
         "</TR></TABLE>>];\n";
}

}  // namespace

const PictureNode* TopologyPicture::find(const std::string& name) const {
  for (const PictureNode& n : nodes)
    if (n.name == name) return &n;
  return nullptr;
}

PictureNode node_from_name(const std::string& name) {
  if (starts_with(name, "cpu")) return {name, "cpu", Tier::host};
  if (starts_with(name, "mem")) return {name, "memory", Tier::memory};
  if (starts_with(name, "sw")) return {name, "switch", Tier::pcie_switch};
  if (starts_with(name, "nic")) return {name, "nic", Tier::device};
  if (starts_with(name, "net")) return {name, "network", Tier::network};
  return {name, "gpu", Tier::device};
}

void add_direction(TopologyPicture& p, const std::string& from, const std::string& to, double gbps,
                   const std::string& kind) {
  const PictureNode* a = p.find(from);
  const PictureNode* b = p.find(to);
  if (!a || !b) throw std::invalid_argument("link " + from + "->" + to + " joins a node the picture lacks");
  PictureLink* link = find_link(p, from, to);
  if (!link) {
    const bool from_upper = a->tier != b->tier ? a->tier < b->tier : from < to;
    link = &p.links.emplace_back(PictureLink{.upper = from_upper ? from : to, .lower = from_upper ? to : from});
    link->kind = kind;
  }
  (link->upper == from ? link->down_gbps : link->up_gbps) = gbps;
}

TopologyPicture picture_from_run(const std::string& topology_name, const SimulationRun& run) {
  TopologyPicture p{.name = topology_name};
  for (const LinkLoad& l : run.links)
    for (const std::string& n : {l.from, l.to})
      if (!p.find(n)) p.nodes.push_back(node_from_name(n));
  for (const LinkLoad& l : run.links)
    if (l.from != l.to) add_direction(p, l.from, l.to, l.capacity_gbps, l.kind);
  apply_load(p, run);
  return p;
}

void apply_load(TopologyPicture& p, const SimulationRun& run) {
  for (const LinkLoad& l : run.links) {
    if (l.from == l.to) {
      auto node = std::find_if(p.nodes.begin(), p.nodes.end(), [&](const PictureNode& n) { return n.name == l.from; });
      if (node == p.nodes.end())
        throw std::invalid_argument("the simulation's resource " + l.name + " is in node " + l.from +
                                    ", which topology '" + p.name +
                                    "' lacks: render with the topology the simulation ran on");
      node->resource = l.name;
      node->load = DirectionLoad{l.mean_util, l.peak_util, l.bytes, l.peak_streams, l.min_capacity_gbps};
      continue;
    }
    PictureLink* link = find_link(p, l.from, l.to);
    if (!link)
      throw std::invalid_argument("the simulation's link " + l.name + " is not in topology '" + p.name +
                                  "': render with the topology the simulation ran on");
    // The load of another box's link (same names, other capacities) would be drawn as this one's.
    const double capacity = link->upper == l.from ? link->down_gbps : link->up_gbps;
    if (l.capacity_gbps > 0 && std::abs(capacity - l.capacity_gbps) > 1e-6 * std::max(capacity, l.capacity_gbps))
      throw std::invalid_argument("the simulation's link " + l.name + " has " + human_gbps(l.capacity_gbps) +
                                  ", topology '" + p.name + "' " + human_gbps(capacity) +
                                  ": render with the topology the simulation ran on");
    (link->upper == l.from ? link->down : link->up) =
        DirectionLoad{l.mean_util, l.peak_util, l.bytes, l.peak_streams, l.min_capacity_gbps};
  }
  p.loaded = true;
  p.bottleneck = run.bottleneck;
  std::ostringstream caption;
  caption << run.algo << ", " << run.discipline << ", " << run.transport << ", " << run.ranks << " ranks, "
          << human_bytes(static_cast<std::uint64_t>(run.block_bytes)) << " blocks: " << fixed(run.time_s * 1e3, 3)
          << " ms, busbw " << human_gbps(run.busbw_gbps) << ", efficiency " << percent(run.efficiency);
  p.caption = caption.str();
}

std::string topology_dot(const TopologyPicture& p) {
  std::ostringstream out;
  const std::string title = p.caption.empty() ? p.name : p.name + "\n" + p.caption;
  out << "digraph " << dot_quote("topology") << " {\n"
      << "  graph [layout=dot, rankdir=TB, nodesep=0.3, ranksep=1.0, bgcolor=white, pad=0.25, "
         "fontname=\"Helvetica\", fontsize=16, labelloc=t, label="
      << dot_quote(title) << "];\n"
      << "  node [fontname=\"Helvetica\", fontsize=12, style=filled, penwidth=1.0, margin=\"0.12,0.06\"];\n"
      << "  edge [dir=none, fontname=\"Helvetica\", fontsize=9];\n";
  // One row per tier, top-down: what dot would guess from the edges, made explicit. Not for a
  // tier with a link inside it (see the flat edges below): rank=same with flat edges also trips
  // Graphviz 2.42's stale rank array; the edges from the tier above keep that row anyway.
  std::map<Tier, std::vector<std::string>> tiers;
  for (const PictureNode& n : p.nodes) tiers[n.tier].push_back(n.name);
  for (const PictureLink& l : p.links) {
    const PictureNode* a = p.find(l.upper);
    const PictureNode* b = p.find(l.lower);
    if (a && b && a->tier == b->tier) tiers.erase(a->tier);
  }
  for (const auto& [tier, names] : tiers) {
    out << "  { rank=same;";
    for (const std::string& n : names) out << " " << dot_quote(n) << ";";
    out << " }\n";
  }
  for (const PictureNode& n : p.nodes) out << "  " << dot_quote(n.name) << " " << node_attributes(p, n) << ";\n";
  for (std::size_t i = 0; i < p.links.size(); ++i) {
    const PictureLink& l = p.links[i];
    const PictureNode* a = p.find(l.upper);
    const PictureNode* b = p.find(l.lower);
    if (!(a && b && a->tier == b->tier)) {
      out << "  " << dot_quote(l.upper) << " -> " << dot_quote(l.lower) << " " << edge_attributes(p, l, false)
          << ";\n";
      continue;
    }
    // A link inside a tier (the socket link) is a "flat" edge to dot, and Graphviz 2.42's dot
    // makes room for a flat edge's label by reallocating its rank array, then frees the stale
    // copy in gvFreeLayout (heap corruption, seen under valgrind with the h100x8-nvs preset).
    // So the label becomes a borderless node in the middle of the link, drawn as two unlabelled
    // halves; constraint=false keeps both ends on their row.
    const std::string mid = dot_quote("link" + std::to_string(i));
    std::string attributes = edge_attributes(p, l, true);
    const std::size_t label_end = attributes.find(", color=");
    out << "  " << mid << " [shape=plaintext, style=solid, fillcolor=white, fontsize=9, margin=0.02, "
        << attributes.substr(1, label_end - 1) << (is_bottleneck(p, l) ? bottleneck_font() : "") << "];\n";
    attributes = "[constraint=false, " + attributes.substr(label_end + 2);
    out << "  " << dot_quote(l.upper) << " -> " << mid << " " << attributes << ";\n"
        << "  " << mid << " -> " << dot_quote(l.lower) << " " << attributes << ";\n";
    // An invisible edge from the row above puts the label on the link's row (rank=same would
    // trip the same bug).
    if (const std::string parent = parent_of(p, l.upper); !parent.empty())
      out << "  " << dot_quote(parent) << " -> " << mid << " [style=invis];\n";
  }
  if (p.loaded) out << legend_node() << "  { rank=sink; legend; }\n";
  out << "}\n";
  return out.str();
}

}  // namespace ua2a::viz
