#pragma once
/// Pictures of a schedule's structure as DOT text, every node pinned (Graphviz's "nop" engine,
/// i.e. `neato -n`, only routes the edges):
///   - pairings: every rank on one circle, every exchange an edge coloured by its round, with a
///     legend of rounds; for the round-robin schedule this is the 1-factorisation of K_N;
///   - rounds: one small circle per round showing that round's matching, panels in a grid.
/// Pairing and grouped schedules draw one undirected edge per pair and round; directed (shift)
/// schedules draw an arrow per sender and receiver; per-rank schedules (staircase) draw an arrow
/// from every rank to its partner at exchange i, "round" i meaning each rank's i-th exchange.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "schedule/schedule.h"

namespace ua2a::viz {

/// Pictures of more ranks than this are unreadable; the writers refuse them.
inline constexpr std::int32_t kMaxPictureRanks = 128;

/// One line of a picture: ranks `from` and `to` exchange (an arrow from -> to when directed).
struct Arc {
  Rank from = 0;
  Rank to = 0;
  friend bool operator==(const Arc&, const Arc&) = default;
};

/// The arcs of every round, sorted, each pair once per round whatever its parts and chunks.
struct RoundArcs {
  bool directed = false;
  std::vector<std::vector<Arc>> rounds;
  std::size_t arc_count() const;
};

/// What to draw for `schedule` (see the file comment for each schedule kind).
RoundArcs round_arcs(const Schedule& schedule);

struct PairingsOptions {
  /// Draw this round in its colour and every other round thin and grey: at N = 32 the 496 pairs
  /// of K_N hide any one round, and this picks one out in place.
  std::optional<std::size_t> highlight;
};

/// DOT for the pairings picture. Graph elements: N rank nodes and one edge per arc, plus the
/// legend: per round two invisible anchors, one sample edge and one label node, and a heading.
/// Throws std::invalid_argument for 0 or more than kMaxPictureRanks ranks, or a highlighted round
/// the schedule does not have.
std::string pairings_dot(const Schedule& schedule, const PairingsOptions& options = {});

/// DOT for the rounds grid: per round a title node, N rank nodes and that round's arcs.
/// Throws std::invalid_argument for 0 or more than kMaxPictureRanks ranks.
std::string rounds_dot(const Schedule& schedule);

}  // namespace ua2a::viz
