#include "viz/pairings.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <sstream>
#include <stdexcept>

#include "viz/palette.h"
#include "viz/text.h"

namespace ua2a::viz {

namespace {

// Geometry in inches (written to the DOT in points). Chosen by rendering N = 4, 8, 16, 32 and 64
// and checking that labels stay readable and nodes never touch.
constexpr double kPi = std::numbers::pi;
constexpr double kMinCircleRadius = 1.6;
constexpr double kMinPanelRadius = 0.85;
constexpr double kLegendGap = 0.9;       // circle edge to the legend's first column
constexpr double kLegendRowHeight = 0.3;
constexpr double kLegendColumnWidth = 1.5;
constexpr double kLegendSampleLength = 0.5;
constexpr double kPanelTitleHeight = 0.45;
constexpr double kPanelGap = 0.35;
constexpr const char* kMutedEdge = "#E4E4E4";  // the rounds behind a highlighted one

/// Node size and font for N ranks: smaller as N grows so neighbours on the circle keep apart.
struct NodeLook {
  double width;
  int fontsize;
  double penwidth;  // of the edges
};

NodeLook node_look(std::int32_t ranks, bool panel) {
  if (ranks <= 8) return {panel ? 0.3 : 0.42, panel ? 10 : 14, panel ? 2.0 : 2.6};
  if (ranks <= 16) return {panel ? 0.26 : 0.36, panel ? 9 : 12, panel ? 1.6 : 1.8};
  if (ranks <= 32) return {panel ? 0.22 : 0.3, panel ? 8 : 10, panel ? 1.3 : 1.1};
  return {panel ? 0.16 : 0.22, panel ? 6 : 8, panel ? 1.0 : 0.7};
}

/// Radius that leaves a gap of about one node width between neighbours.
double circle_radius(std::int32_t ranks, double node_width, double min_radius) {
  return std::max(min_radius, ranks * node_width * 1.9 / (2 * kPi));
}

/// A pinned position: inches here, points (1/72 inch) in the DOT, as the "nop" engine reads them.
std::string pos(double x_in, double y_in) {
  constexpr double kPointsPerInch = 72;
  return dot_quote(fixed(x_in * kPointsPerInch, 1) + "," + fixed(y_in * kPointsPerInch, 1) + "!");
}

/// Position of rank r of N on a circle of `radius` around (cx, cy): rank 0 on top, clockwise.
std::string circle_pos(Rank r, std::int32_t ranks, double radius, double cx, double cy) {
  const double angle = kPi / 2 - 2 * kPi * r / ranks;
  return pos(cx + radius * std::cos(angle), cy + radius * std::sin(angle));
}

void check_ranks(const Schedule& s) {
  if (s.ranks < 1 || s.ranks > kMaxPictureRanks)
    throw std::invalid_argument("cannot draw " + std::to_string(s.ranks) + " ranks: pictures take 1 to " +
                                std::to_string(kMaxPictureRanks) + " ranks (lower --ranks)");
}

std::string edge_attributes(std::size_t round, std::size_t rounds, double penwidth, const std::string& tooltip,
                            const std::string& extra = "") {
  const RoundStyle style = round_style(round, rounds);
  // The fourth cycle differs from the first only by width: make it clearly heavier.
  const double width = style.line == LineStyle::bold ? penwidth * 2.2 : penwidth;
  return "[" + extra + "color=" + dot_quote(style.colour) + ", style=" + graphviz_style(style.line) +
         ", penwidth=" + fixed(width, 2) + ", tooltip=" + dot_quote(tooltip) + "]";
}

const char* edge_op(bool directed) { return directed ? " -> " : " -- "; }

std::string describe_arc(std::size_t round, const Arc& a, bool directed) {
  return "round " + std::to_string(round) + ": " + std::to_string(a.from) + (directed ? " -> " : " - ") +
         std::to_string(a.to);
}

void write_header(std::ostringstream& out, const RoundArcs& arcs, const std::string& name,
                  const std::string& title) {
  out << (arcs.directed ? "digraph " : "graph ") << dot_quote(name) << " {\n"
      << "  graph [layout=nop, splines=" << (arcs.directed ? "curved" : "false")
      << ", outputorder=edgesfirst, bgcolor=white, pad=0.25, fontname=\"Helvetica\", fontsize=18, labelloc=t, "
         "label="
      << dot_quote(title + "\n ") << "];\n";  // the empty line keeps the title off rank 0's node
}

std::string schedule_title(const Schedule& s, const RoundArcs& arcs) {
  std::string title = s.algo + ", N = " + std::to_string(s.ranks) + ": " + std::to_string(arcs.rounds.size()) +
                      (s.kind == ScheduleKind::per_rank ? " exchanges per rank" : arcs.rounds.size() == 1 ? " round" : " rounds");
  return title + ", " + std::to_string(arcs.arc_count()) + (arcs.directed ? " arrows" : " pairs");
}

/// The legend: one row per round with a sample line in the round's style, in columns.
void write_legend(std::ostringstream& out, std::size_t rounds, double x0, double height, double penwidth,
                  const std::string& heading, bool directed) {
  const auto rows_per_column =
      std::max<std::size_t>(8, static_cast<std::size_t>(height / kLegendRowHeight));
  const std::size_t rows = std::min(rounds, rows_per_column);
  const double top = (static_cast<double>(rows) - 1) * kLegendRowHeight / 2;
  out << "  legend [shape=plaintext, fixedsize=false, fontsize=13, label=" << dot_quote(heading)
      << ", pos=" << pos(x0 + kLegendSampleLength, top + kLegendRowHeight * 1.2) << "];\n";
  for (std::size_t i = 0; i < rounds; ++i) {
    const double x = x0 + static_cast<double>(i / rows_per_column) * kLegendColumnWidth;
    const double y = top - static_cast<double>(i % rows_per_column) * kLegendRowHeight;
    const std::string id = "legend" + std::to_string(i);
    out << "  " << id << "a [shape=point, width=0.01, style=invis, pos=" << pos(x, y) << "];\n"
        << "  " << id << "b [shape=point, width=0.01, style=invis, pos=" << pos(x + kLegendSampleLength, y)
        << "];\n"
        << "  " << id << "t [shape=plaintext, fontsize=12, width=0.7, label=" << dot_quote(std::to_string(i))
        << ", pos=" << pos(x + kLegendSampleLength + 0.35, y) << "];\n"
        << "  " << id << "a" << edge_op(directed) << id << "b "
        << edge_attributes(i, rounds, penwidth, heading + " " + std::to_string(i), "arrowhead=none, ") << ";\n";
  }
}

}  // namespace

std::size_t RoundArcs::arc_count() const {
  std::size_t n = 0;
  for (const auto& r : rounds) n += r.size();
  return n;
}

RoundArcs round_arcs(const Schedule& s) {
  RoundArcs out;
  out.directed = s.kind == ScheduleKind::directed || s.kind == ScheduleKind::per_rank;
  if (s.kind == ScheduleKind::per_rank) {
    std::size_t exchanges = 0;
    for (const auto& order : s.rank_orders) exchanges = std::max(exchanges, order.size());
    out.rounds.resize(exchanges);
    for (Rank r = 0; r < static_cast<Rank>(s.rank_orders.size()); ++r)
      for (std::size_t i = 0; i < s.rank_orders[r].size(); ++i)
        for (const Transfer& t : s.rank_orders[r][i].transfers)
          if (t.src != t.dst) out.rounds[i].push_back({r, t.src == r ? t.dst : t.src});
  } else {
    for (const Round& round : s.rounds) {
      auto& arcs = out.rounds.emplace_back();
      if (out.directed) {
        for (const Transfer& t : round.transfers)
          if (t.src != t.dst) arcs.push_back({t.src, t.dst});
      } else {
        for (auto [a, b] : round_pairs(round))
          if (a != b) arcs.push_back({a, b});
      }
    }
  }
  for (auto& arcs : out.rounds) {
    std::sort(arcs.begin(), arcs.end(), [](const Arc& x, const Arc& y) {
      return std::pair{x.from, x.to} < std::pair{y.from, y.to};
    });
    arcs.erase(std::unique(arcs.begin(), arcs.end()), arcs.end());
  }
  return out;
}

std::string pairings_dot(const Schedule& s, const PairingsOptions& options) {
  check_ranks(s);
  const RoundArcs arcs = round_arcs(s);
  const std::size_t n = arcs.rounds.size();
  if (options.highlight && *options.highlight >= n)
    throw std::invalid_argument("cannot highlight round " + std::to_string(*options.highlight) + ": " + s.algo +
                                " with " + std::to_string(s.ranks) + " ranks has rounds 0 to " +
                                std::to_string(n == 0 ? 0 : n - 1));
  const NodeLook look = node_look(s.ranks, false);
  const double radius = circle_radius(s.ranks, look.width, kMinCircleRadius);
  std::ostringstream out;
  std::string title = schedule_title(s, arcs);
  if (options.highlight) title += ", round " + std::to_string(*options.highlight) + " highlighted";
  write_header(out, arcs, "pairings", title);
  out << "  node [shape=circle, fixedsize=true, width=" << fixed(look.width, 2) << ", fontsize=" << look.fontsize
      << ", fontname=\"Helvetica\", style=filled, fillcolor=white, penwidth=1.2];\n"
      << "  edge [arrowsize=0.6];\n";
  for (Rank r = 0; r < s.ranks; ++r)
    out << "  r" << r << " [label=\"" << r << "\", pos=" << circle_pos(r, s.ranks, radius, 0, 0) << "];\n";
  // The highlighted round goes last so that it is drawn on top of the grey ones.
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < n; ++i)
    if (i != options.highlight) order.push_back(i);
  if (options.highlight) order.push_back(*options.highlight);
  for (std::size_t i : order)
    for (const Arc& a : arcs.rounds[i]) {
      const std::string tooltip = describe_arc(i, a, arcs.directed);
      out << "  r" << a.from << edge_op(arcs.directed) << "r" << a.to << " "
          << (options.highlight && i != *options.highlight
                  ? "[color=\"" + std::string(kMutedEdge) + "\", penwidth=0.6, arrowsize=0.4, tooltip=" +
                        dot_quote(tooltip) + "]"
                  : edge_attributes(i, n, options.highlight ? std::max(3.0, look.penwidth) : look.penwidth, tooltip))
          << ";\n";
    }
  write_legend(out, n, radius + kLegendGap, 2 * radius, std::max(look.penwidth, 1.6),
               s.kind == ScheduleKind::per_rank ? "exchange" : "round", arcs.directed);
  out << "}\n";
  return out.str();
}

std::string rounds_dot(const Schedule& s) {
  check_ranks(s);
  const RoundArcs arcs = round_arcs(s);
  const NodeLook look = node_look(s.ranks, true);
  const double radius = circle_radius(s.ranks, look.width, kMinPanelRadius);
  const std::size_t n = arcs.rounds.size();
  // Wider than tall (screens and pages are): about 1.5 columns per row.
  const auto columns = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(std::sqrt(1.5 * n))));
  const double cell_w = 2 * radius + 2 * kPanelGap + look.width, cell_h = cell_w + kPanelTitleHeight;
  std::ostringstream out;
  write_header(out, arcs, "rounds", schedule_title(s, arcs));
  out << "  node [shape=circle, fixedsize=true, width=" << fixed(look.width, 2) << ", fontsize=" << look.fontsize
      << ", fontname=\"Helvetica\", style=filled, fillcolor=white, penwidth=1.0];\n"
      << "  edge [arrowsize=0.5];\n";
  const std::string label = s.kind == ScheduleKind::per_rank ? "exchange " : "round ";
  for (std::size_t i = 0; i < n; ++i) {
    const double cx = static_cast<double>(i % columns) * cell_w;
    const double cy = -static_cast<double>(i / columns) * cell_h;
    // Built by appending: GCC 12 warns falsely (-Wrestrict) on "p" + std::to_string(i).
    std::string p = "p";
    p += std::to_string(i) + "_";
    out << "  " << p << "title [shape=plaintext, fixedsize=false, fontsize=14, style=solid, label="
        << dot_quote(label + std::to_string(i)) << ", pos=" << pos(cx, cy + radius + kPanelTitleHeight) << "];\n";
    for (Rank r = 0; r < s.ranks; ++r)
      out << "  " << p << r << " [label=\"" << r << "\", pos=" << circle_pos(r, s.ranks, radius, cx, cy) << "];\n";
    for (const Arc& a : arcs.rounds[i])
      out << "  " << p << a.from << edge_op(arcs.directed) << p << a.to << " "
          << edge_attributes(i, n, look.penwidth, describe_arc(i, a, arcs.directed)) << ";\n";
  }
  out << "}\n";
  return out.str();
}

}  // namespace ua2a::viz
