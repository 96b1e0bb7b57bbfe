#pragma once
/// Structural checks on a schedule, before any execution: rounds that should be matchings are,
/// every off-diagonal piece is scheduled exactly once, byte counts agree with the payload, and how
/// balanced and how short the schedule is next to the lower bound.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "schedule/ledger.h"
#include "schedule/schedule.h"

namespace ua2a {

/// A round in which a rank has more than one partner (pairing) or more than one destination or
/// source (directed): the round is not a matching.
struct RoundConflict {
  std::size_t round = 0;
  Rank rank = 0;
  std::vector<Rank> peers;  ///< every partner (pairing), destination or source (directed) of `rank`
  std::string what;         ///< "partners", "destinations" or "sources"
};

/// A transfer whose byte count is not what the payload says for its (part, chunk).
struct SizeError {
  std::size_t round = 0;  ///< round index, or the position in the sender's order (per-rank)
  Transfer transfer;
  std::uint64_t expected_bytes = 0;
};

/// Bytes a rank sends and receives, in total and at most in one round.
struct RankLoad {
  std::uint64_t bytes_out = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t max_round_bytes_out = 0;
  std::uint64_t max_round_bytes_in = 0;
};

struct StructureReport {
  static constexpr std::size_t kMaxListed = 64;  ///< examples kept per kind; counts are exact

  ScheduleKind kind = ScheduleKind::pairing;
  /// Whether "every round is a matching" applies (pairing and directed schedules).
  bool matching_applies = false;
  std::uint64_t conflict_count = 0;
  std::vector<RoundConflict> conflicts;

  /// Every scheduled transfer recorded as an arrival at dst in the slot for src: missing and
  /// duplicated pieces, and pieces outside the payload (misplaced: bad part or chunk).
  LedgerReport coverage;
  std::uint64_t self_send_count = 0;  ///< transfers with src == dst (never counted as coverage)
  std::vector<Transfer> self_sends;

  std::uint64_t size_error_count = 0;
  std::vector<SizeError> size_errors;

  std::vector<RankLoad> loads;  ///< per rank
  /// Every rank sends and receives the same total, and in every round all ranks that send, send
  /// the same bytes (and likewise for receiving). A quality figure, not a correctness property.
  bool balanced = true;

  /// Rounds (global schedules) or the longest per-rank order (per-rank schedules).
  std::size_t rounds = 0;
  /// The fewest rounds any schedule of this kind needs for N ranks: N-1 for pairings with even N,
  /// N with odd N (at most (N-1)/2 pairs per round), N-1 for directed and per-rank, 1 for grouped.
  std::size_t round_lower_bound = 0;

  bool matchings_ok() const { return conflict_count == 0; }
  bool coverage_ok() const { return coverage.ok() && self_send_count == 0; }
  bool sizes_ok() const { return size_error_count == 0; }
  /// The correctness properties (balance and round count are quality figures).
  bool ok() const { return matchings_ok() && coverage_ok() && sizes_ok(); }
};

/// The fewest rounds a schedule of `kind` needs to exchange every block among `ranks` ranks.
std::size_t round_lower_bound(ScheduleKind kind, std::int32_t ranks);

/// Runs every structural check on `schedule`. Throws std::invalid_argument only for a schedule
/// that cannot be checked at all (no ranks, a transfer naming a rank outside 0..N-1).
StructureReport check_structure(const Schedule& schedule);

}  // namespace ua2a
