#pragma once
/// A schedule: who sends which piece of which block to whom, in which order.
#include <cstdint>
#include <string>
#include <vector>

#include "schedule/block.h"

namespace ua2a {

/// One piece on the wire: chunk `chunk` of part `part` of block (src, dst).
struct Transfer {
  Rank src = 0;
  Rank dst = 0;
  std::uint16_t part = 0;
  std::uint32_t chunk = 0;
  std::uint64_t bytes = 0;
  BlockId block() const { return {src, dst}; }
  friend bool operator==(const Transfer&, const Transfer&) = default;
};

/// A set of transfers that may run at the same time.
struct Round {
  std::vector<Transfer> transfers;
  friend bool operator==(const Round&, const Round&) = default;
};

/// How a schedule's rounds are to be read.
enum class ScheduleKind {
  pairing,   ///< every global round is a matching; paired ranks exchange both ways
  directed,  ///< every global round sends to one peer and receives from another (shift)
  grouped,   ///< one round with every transfer (NCCL all-to-all)
  per_rank,  ///< no global rounds: each rank has its own order of exchanges (staircase)
};

/// N ranks and either global rounds or one order of exchanges per rank.
struct Schedule {
  std::int32_t ranks = 0;
  std::string algo;
  ScheduleKind kind = ScheduleKind::pairing;
  Payload payload;
  /// Global rounds (every kind but per_rank).
  std::vector<Round> rounds;
  /// per_rank only: rank_orders[r][i] is r's i-th exchange; each transfer in it involves r, and
  /// the same exchange appears in the peer's order at the peer's own position.
  std::vector<std::vector<Round>> rank_orders;
  /// The discipline the schedule is meant to be lowered with ("" when the file did not say; the
  /// JSON's optional "discipline"). Commands given no --discipline use it: a synthesised schedule
  /// runs exactly as it was chosen.
  std::string discipline;

  std::size_t transfer_count() const;
  friend bool operator==(const Schedule&, const Schedule&) = default;
};

std::string to_string(ScheduleKind kind);
ScheduleKind parse_schedule_kind(const std::string& name);

/// Appends every piece (part x chunk) of block (src, dst) to `round`, in part-major order.
void add_block(Round& round, Rank src, Rank dst, const Payload& payload);

/// The same exchanges in the same order with every block cut as `payload` (its parts and chunks):
/// each round (or exchange) keeps its blocks in the order they first appear. For running a
/// schedule file at another shape (the layer's forward and reverse exchanges).
Schedule with_payload(const Schedule& schedule, const Payload& payload);

/// Unordered pairs {a, b} (a < b) exchanging in `round`, sorted by a. For pairing schedules.
std::vector<std::pair<Rank, Rank>> round_pairs(const Round& round);

}  // namespace ua2a
