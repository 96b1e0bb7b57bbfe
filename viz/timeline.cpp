#include "viz/timeline.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <set>
#include <sstream>
#include <stdexcept>

#include "viz/palette.h"
#include "viz/text.h"

namespace ua2a::viz {

namespace {

// Page geometry in SVG pixels, chosen so N = 8 fits a laptop screen and N = 32 stays readable
// when scrolled: 8 px tracks are the smallest that still show a round number inside.
constexpr double kWidth = 1100;
constexpr double kLabelWidth = 175;
constexpr double kRightMargin = 30;
constexpr double kPlotWidth = kWidth - kLabelWidth - kRightMargin;
constexpr double kTrackHeight = 8;
constexpr double kLanePadding = 6;
constexpr double kLinkLaneHeight = 34;
constexpr double kLinkLaneGap = 8;
constexpr double kAxisHeight = 30;
constexpr double kLegendItemWidth = 44;
constexpr double kMinBarWidth = 0.6;     // keeps microsecond transfers visible in a millisecond run
constexpr double kMinLabelledBar = 16;   // narrowest bar that gets its round number
constexpr int kTargetTicks = 8;
constexpr const char* kUtilFill = "#4477AA";    // Paul Tol "bright" blue
constexpr const char* kMarkColour = "#D55E00";  // Okabe-Ito vermillion: the bottleneck

/// A time unit for axis labels.
struct TimeUnit {
  const char* name;
  double per_second;
};

TimeUnit unit_for(double span_s) {
  if (span_s < 1e-3) return {"us", 1e6};
  if (span_s < 1) return {"ms", 1e3};
  return {"s", 1};
}

/// 1, 2 or 5 times a power of ten, giving about kTargetTicks ticks over `span`.
double tick_step(double span) {
  const double raw = span / kTargetTicks;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0})
    if (m * magnitude >= raw) return m * magnitude;
  return 10 * magnitude;
}

std::string number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", x);
  return buf;
}

/// Spreads intervals over tracks: each goes to the first track that is free at its start.
std::vector<std::size_t> assign_tracks(const std::vector<const TransferSpan*>& spans, std::size_t& tracks) {
  std::vector<std::size_t> order(spans.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return spans[a]->start_s < spans[b]->start_s; });
  std::vector<double> track_end;
  std::vector<std::size_t> track(spans.size(), 0);
  for (std::size_t i : order) {
    std::size_t t = 0;
    while (t < track_end.size() && track_end[t] > spans[i]->start_s) ++t;
    if (t == track_end.size()) {
      if (track_end.size() < kMaxTracks)
        track_end.push_back(0);
      else
        t = kMaxTracks - 1;  // beyond the cap, bars overlap in the last track
    }
    track_end[t] = std::max(track_end[t], spans[i]->end_s);
    track[i] = t;
  }
  tracks = std::max<std::size_t>(1, track_end.size());
  return track;
}

class TimelineWriter {
 public:
  TimelineWriter(const SimulationRun& run, const std::string& topology, const TimelineOptions& options)
      : run_(run), topology_(topology), options_(options), rounds_(std::max<std::uint32_t>(1, run.round_count())) {
    if (run.ranks > kMaxTimelineRanks)
      throw std::invalid_argument("cannot draw a timeline of " + std::to_string(run.ranks) + " ranks: at most " +
                                  std::to_string(kMaxTimelineRanks) + " lanes stay readable (simulate fewer ranks)");
    // Legend entries and textures for the rounds that occur only: a round index is data.
    for (const TransferSpan& t : run.transfers) present_.insert(t.round);
    span_s_ = run.time_s;
    for (const TransferSpan& t : run.transfers) span_s_ = std::max(span_s_, t.end_s);
    if (!(span_s_ > 0)) span_s_ = 1e-6;  // an empty run still gets an axis
    unit_ = unit_for(span_s_);
  }

  std::string write() {
    header();
    legend();
    rank_lanes();
    axis();
    link_lanes();
    std::ostringstream doc;
    doc << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth << "\" height=\"" << number(y_ + 10)
        << "\" viewBox=\"0 0 " << kWidth << " " << number(y_ + 10)
        << "\" font-family=\"Helvetica, Arial, sans-serif\">\n"
        << "<rect class=\"background\" x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        << patterns()
        << body_.str() << "</svg>\n";
    return doc.str();
  }

 private:
  double x(double t_s) const { return kLabelWidth + t_s / span_s_ * kPlotWidth; }
  std::string time(double t_s) const { return number(t_s * unit_.per_second) + " " + unit_.name; }

  /// Bars of rounds past the palette's first cycle repeat its colours, so they get a texture
  /// too: diagonal stripes, dots, then vertical stripes (the timeline's form of the line styles
  /// that the graph pictures use).
  std::string fill(std::uint32_t round) const {
    const RoundStyle style = round_style(round, rounds_);
    if (style.line == LineStyle::solid) return style.colour;
    return "url(#round" + std::to_string(round) + ")";
  }

  std::string patterns() const {
    std::ostringstream defs;
    for (std::uint32_t r : present_) {
      const RoundStyle style = round_style(r, rounds_);
      if (style.line == LineStyle::solid) continue;
      defs << "<pattern id=\"round" << r << "\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\">"
           << "<rect width=\"6\" height=\"6\" fill=\"" << style.colour << "\"/>";
      switch (style.line) {
        case LineStyle::dashed:
          defs << "<path d=\"M0,6 L6,0\" stroke=\"white\" stroke-width=\"1.5\"/>";
          break;
        case LineStyle::dotted:
          defs << "<circle cx=\"3\" cy=\"3\" r=\"1.2\" fill=\"white\"/>";
          break;
        default:
          defs << "<path d=\"M3,0 L3,6\" stroke=\"white\" stroke-width=\"1.5\"/>";
      }
      defs << "</pattern>\n";
    }
    const std::string body = defs.str();
    return body.empty() ? "" : "<defs>\n" + body + "</defs>\n";
  }

  void text(double tx, double ty, const std::string& s, const std::string& attrs) {
    body_ << "<text x=\"" << number(tx) << "\" y=\"" << number(ty) << "\" " << attrs << ">" << xml_escape(s)
          << "</text>\n";
  }

  void header() {
    const std::string title = options_.title.empty()
                                  ? run_.algo + ", " + run_.discipline + ", " + run_.transport + ", " +
                                        std::to_string(run_.ranks) + " ranks on " + topology_
                                  : options_.title;
    text(10, 26, title, "font-size=\"18\"");
    std::string facts = "time " + time(run_.time_s) + ", algbw " + human_gbps(run_.algbw_gbps) + ", busbw " +
                        human_gbps(run_.busbw_gbps) + ", bound " + time(run_.bound_s) + " (efficiency " +
                        fixed(100 * run_.efficiency, 0) + " %)";
    if (!run_.bottleneck.empty()) facts += ", bottleneck " + run_.bottleneck;
    text(10, 46, facts, "font-size=\"12\" fill=\"#333333\"");
    y_ = 58;
  }

  void legend() {
    text(10, y_ + 10, present_.empty() ? "no transfers" : "bars by round:", "font-size=\"11\"");
    const auto per_line = static_cast<std::size_t>(kPlotWidth / kLegendItemWidth);
    std::size_t i = 0;
    for (std::uint32_t r : present_) {
      const double lx = kLabelWidth + static_cast<double>(i % per_line) * kLegendItemWidth;
      const double ly = y_ + static_cast<double>(i / per_line) * 16;
      body_ << "<rect class=\"legend\" x=\"" << number(lx) << "\" y=\"" << number(ly + 1)
            << "\" width=\"14\" height=\"10\" fill=\"" << fill(r) << "\"/>\n";
      text(lx + 18, ly + 10, std::to_string(r), "font-size=\"11\"");
      ++i;
    }
    y_ += 16 * std::ceil(static_cast<double>(std::max<std::size_t>(1, present_.size())) / per_line) + 10;
  }

  void grid(double top, double bottom) {
    const double step = tick_step(span_s_ * unit_.per_second) / unit_.per_second;
    for (double t = 0; t <= span_s_ * (1 + 1e-9); t += step)
      body_ << "<line class=\"grid\" x1=\"" << number(x(t)) << "\" y1=\"" << number(top) << "\" x2=\"" << number(x(t))
            << "\" y2=\"" << number(bottom) << "\" stroke=\"#DDDDDD\" stroke-width=\"1\"/>\n";
  }

  void row(const std::vector<const TransferSpan*>& spans, double top, std::size_t& tracks_out) {
    const std::vector<std::size_t> track = assign_tracks(spans, tracks_out);
    for (std::size_t i = 0; i < spans.size(); ++i) bar(*spans[i], top + static_cast<double>(track[i]) * kTrackHeight);
  }

  void bar(const TransferSpan& t, double top) {
    const RoundStyle style = round_style(t.round, rounds_);
    const double bx = x(t.start_s), w = std::max(kMinBarWidth, x(t.end_s) - bx);
    body_ << "<rect class=\"transfer\" x=\"" << number(bx) << "\" y=\"" << number(top + 0.5) << "\" width=\""
          << number(w) << "\" height=\"" << number(kTrackHeight - 1) << "\" fill=\"" << fill(t.round)
          << "\" stroke=\"white\" stroke-width=\"0.5\"><title>" << t.src << " -> " << t.dst << ", round " << t.round
          << ", step " << t.step << ", part " << t.part << ", chunk " << t.chunk << ", "
          << human_bytes(static_cast<std::uint64_t>(t.bytes)) << ", " << xml_escape(time(t.start_s)) << " to "
          << xml_escape(time(t.end_s)) << "</title></rect>\n";
    if (w >= kMinLabelledBar)
      text(bx + w / 2, top + kTrackHeight - 1.2, std::to_string(t.round),
           "font-size=\"7\" text-anchor=\"middle\" fill=\"" + text_colour_on(style.colour) + "\"");
  }

  void rank_lanes() {
    std::vector<std::vector<const TransferSpan*>> sends(run_.ranks), recvs(run_.ranks);
    for (const TransferSpan& t : run_.transfers) {
      sends[t.src].push_back(&t);
      recvs[t.dst].push_back(&t);
    }
    // Grid lines go first so bars cover them; their extent is known only after the lanes.
    std::ostringstream lanes;
    std::swap(lanes, body_);
    const double top = y_;
    for (Rank r = 0; r < run_.ranks; ++r) {
      const double lane_top = y_;
      std::size_t send_tracks = 1, recv_tracks = 1;
      std::ostringstream bars;
      std::swap(bars, body_);
      row(sends[r], lane_top + kLanePadding / 2, send_tracks);
      const double recv_top = lane_top + kLanePadding / 2 + static_cast<double>(send_tracks) * kTrackHeight;
      row(recvs[r], recv_top, recv_tracks);
      std::swap(bars, body_);
      const double height = static_cast<double>(send_tracks + recv_tracks) * kTrackHeight + kLanePadding;
      if (r % 2 == 0)
        body_ << "<rect class=\"lane\" x=\"0\" y=\"" << number(lane_top) << "\" width=\"" << kWidth << "\" height=\""
              << number(height) << "\" fill=\"#F2F2F2\"/>\n";
      text(10, lane_top + height / 2 + 4, "rank " + std::to_string(r), "font-size=\"12\"");
      // Each row's name at its middle; a rule between the rows when they are several tracks deep.
      const double send_mid = (lane_top + kLanePadding / 2 + recv_top) / 2;
      const double recv_mid = recv_top + static_cast<double>(recv_tracks) * kTrackHeight / 2;
      text(kLabelWidth - 6, send_mid + 3, "send", "font-size=\"8\" fill=\"#666666\" text-anchor=\"end\"");
      text(kLabelWidth - 6, recv_mid + 3, "recv", "font-size=\"8\" fill=\"#666666\" text-anchor=\"end\"");
      if (send_tracks + recv_tracks > 2)
        body_ << "<line class=\"rule\" x1=\"" << kLabelWidth << "\" y1=\"" << number(recv_top) << "\" x2=\""
              << kLabelWidth + kPlotWidth << "\" y2=\"" << number(recv_top) << "\" stroke=\"#999999\" "
              << "stroke-width=\"0.5\"/>\n";
      body_ << bars.str();
      if (static_cast<std::size_t>(r) < run_.rank_finish_s.size()) {
        const double fx = x(run_.rank_finish_s[r]);
        body_ << "<line class=\"finish\" x1=\"" << number(fx) << "\" y1=\"" << number(lane_top + 1) << "\" x2=\""
              << number(fx) << "\" y2=\"" << number(lane_top + height - 1)
              << "\" stroke=\"black\" stroke-width=\"2\"><title>rank " << r << " done at "
              << xml_escape(time(run_.rank_finish_s[r])) << "</title></line>\n";
      }
      y_ += height;
    }
    std::swap(lanes, body_);
    grid(top, y_);
    body_ << lanes.str();
  }

  void axis() {
    const double step = tick_step(span_s_ * unit_.per_second) / unit_.per_second;
    body_ << "<line class=\"axis\" x1=\"" << kLabelWidth << "\" y1=\"" << number(y_) << "\" x2=\""
          << kLabelWidth + kPlotWidth << "\" y2=\"" << number(y_) << "\" stroke=\"black\"/>\n";
    for (double t = 0; t <= span_s_ * (1 + 1e-9); t += step) {
      body_ << "<line class=\"tick\" x1=\"" << number(x(t)) << "\" y1=\"" << number(y_) << "\" x2=\"" << number(x(t))
            << "\" y2=\"" << number(y_ + 5) << "\" stroke=\"black\"/>\n";
      text(x(t), y_ + 17, number(t * unit_.per_second), "font-size=\"11\" text-anchor=\"middle\"");
    }
    text(kLabelWidth - 6, y_ + 17, unit_.name, "font-size=\"11\" text-anchor=\"end\"");
    y_ += kAxisHeight;
  }

  /// The links to plot: most bytes first, the bottleneck always included.
  std::vector<const LinkLoad*> busiest_links() const {
    std::vector<const LinkLoad*> links;
    for (const LinkLoad& l : run_.links)
      if (l.bytes > 0) links.push_back(&l);
    std::stable_sort(links.begin(), links.end(), [](const LinkLoad* a, const LinkLoad* b) { return a->bytes > b->bytes; });
    if (links.size() > options_.link_lanes) {
      const LinkLoad* bottleneck = run_.find_link(run_.bottleneck);
      links.resize(options_.link_lanes);
      if (bottleneck && options_.link_lanes > 0 && std::find(links.begin(), links.end(), bottleneck) == links.end())
        links.back() = bottleneck;
    }
    return links;
  }

  void link_lanes() {
    const std::vector<const LinkLoad*> links = busiest_links();
    if (links.empty()) return;
    text(10, y_ + 12,
         "link utilisation: the " + std::to_string(links.size()) +
             " links that carried the most bytes, the bottleneck always among them",
         "font-size=\"13\"");
    y_ += 22;
    const double top = y_;
    std::ostringstream lanes;
    std::swap(lanes, body_);
    for (const LinkLoad* l : links) link_lane(*l);
    std::swap(lanes, body_);
    grid(top, y_);
    body_ << lanes.str();
    axis();
  }

  void link_lane(const LinkLoad& l) {
    const bool bottleneck = l.name == run_.bottleneck;
    const double base = y_ + kLinkLaneHeight;
    body_ << "<rect class=\"lane\" x=\"" << kLabelWidth << "\" y=\"" << number(y_) << "\" width=\"" << kPlotWidth
          << "\" height=\"" << kLinkLaneHeight << "\" fill=\"none\" stroke=\"#BBBBBB\"/>\n";
    // Piecewise constant: each point holds until the next, the last until the end of the run.
    std::ostringstream d;
    // Zero before the first point; each step is a vertical edge then a level.
    d << "M" << number(x(0)) << "," << number(base);
    double level = base;
    for (const auto& [t, u] : l.util) {
      const double uy = base - u * kLinkLaneHeight;
      d << " L" << number(x(t)) << "," << number(level) << " L" << number(x(t)) << "," << number(uy);
      level = uy;
    }
    d << " L" << number(x(span_s_)) << "," << number(level) << " L" << number(x(span_s_)) << "," << number(base)
      << " Z";
    body_ << "<path class=\"util\" d=\"" << d.str() << "\" fill=\"" << kUtilFill << "\" fill-opacity=\"0.85\"><title>"
          << xml_escape(l.name) << ": peak " << fixed(100 * l.peak_util, 0) << " %, mean "
          << fixed(100 * l.mean_util, 0) << " %, " << human_bytes(static_cast<std::uint64_t>(l.bytes))
          << "</title></path>\n";
    text(10, y_ + 13, l.name, bottleneck ? "font-size=\"12\" font-weight=\"bold\" fill=\"" + std::string(kMarkColour) + "\""
                                         : std::string("font-size=\"12\""));
    text(10, y_ + 27,
         (bottleneck ? "bottleneck, " : "") + human_gbps(l.capacity_gbps) + ", mean " + fixed(100 * l.mean_util, 0) + " %",
         "font-size=\"9\" fill=\"" + std::string(bottleneck ? kMarkColour : "#555555") + "\"");
    text(kLabelWidth + kPlotWidth + 3, y_ + 8, "100%", "font-size=\"8\" fill=\"#777777\"");
    y_ += kLinkLaneHeight + kLinkLaneGap;
  }

  const SimulationRun& run_;
  const std::string& topology_;
  const TimelineOptions& options_;
  std::uint32_t rounds_;
  std::set<std::uint32_t> present_;
  double span_s_ = 0;
  TimeUnit unit_{"s", 1};
  double y_ = 0;
  std::ostringstream body_;
};

}  // namespace

std::string timeline_svg(const SimulationRun& run, const std::string& topology, const TimelineOptions& options) {
  return TimelineWriter(run, topology, options).write();
}

}  // namespace ua2a::viz
