#pragma once
/// The timeline of a simulated run as SVG, written directly (Graphviz lays out graphs, not Gantt
/// charts):
///   - one lane per rank with two rows, the rank's sends above its receives; every transfer is a
///     bar from its start to its end, coloured by round, with the round number inside when the bar
///     is wide enough and a tooltip (<title>) with the details; overlapping transfers stack in up
///     to kMaxTracks tracks per row; a black tick marks when the rank finished;
///   - a time axis in s, ms or us with round-number ticks;
///   - lanes of link utilisation (0..100 %) for the links that carried the most bytes, the
///     bottleneck marked.
#include <cstddef>
#include <cstdint>
#include <string>

#include "viz/simulation.h"

namespace ua2a::viz {

struct TimelineOptions {
  std::size_t link_lanes = 8;  ///< how many links to plot (by bytes carried); 0 for none
  std::string title;           ///< empty: "algo, discipline, transport, N ranks on <topology>"
};

/// Runs of more ranks are refused (std::invalid_argument): their lanes would be unreadable.
inline constexpr std::int32_t kMaxTimelineRanks = 1024;

/// Overlapping bars in one row are spread over at most this many tracks; more share the last.
inline constexpr std::size_t kMaxTracks = 4;

/// The SVG document of `run` (one <rect class="transfer"> per transfer, one <path class="util">
/// per plotted link). `topology` names the box in the default title. Throws
/// std::invalid_argument for runs of more than kMaxTimelineRanks ranks.
std::string timeline_svg(const SimulationRun& run, const std::string& topology, const TimelineOptions& options = {});

}  // namespace ua2a::viz
