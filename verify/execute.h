#pragma once
/// Executes per-rank programs under the semantics of design.md by driving the schedule's matcher
/// (FIFO matching per ordered pair, zero-buffer unless an eager limit is given) and records every
/// arrival in a delivery ledger. Without wildcard receives one zero-buffer run decides
/// deadlock-freedom for every buffering and every interleaving (Siegel and Avrunin, PPoPP 2005).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "schedule/ledger.h"
#include "schedule/matcher.h"
#include "schedule/program.h"

namespace ua2a {

struct ExecuteOptions {
  /// Sends of at most this many bytes complete when posted. Unset: zero-buffer (rendezvous).
  std::optional<std::uint64_t> eager_bytes;
};

/// An operation with where it sits: for counterexamples.
struct OpSite {
  Rank rank = 0;
  std::uint32_t step = 0;   ///< step index in the rank's program
  std::uint32_t index = 0;  ///< op index in the rank's program
  Op op;
};

/// One link of a deadlock: `rank`, at `step`, waits on `ops` (posted, unmatched) whose peer is
/// `waits_for`.
struct WaitLink {
  Rank rank = 0;
  std::uint32_t step = 0;
  std::vector<OpSite> ops;
  Rank waits_for = 0;
};

/// Why execution stopped with ranks unfinished.
struct Deadlock {
  /// A cycle of the wait-for graph, links in order; the last link waits for the first rank.
  /// Empty when the graph has no cycle.
  std::vector<WaitLink> cycle;
  /// Without a cycle: a chain of waits that ends at `finished_rank`, a rank that has finished
  /// (so the last link's operations can never be matched).
  std::vector<WaitLink> chain;
  Rank finished_rank = -1;
  std::uint64_t blocked_ranks = 0;    ///< ranks not finished
  std::uint64_t ranks_on_cycles = 0;  ///< blocked ranks that lie on some wait-for cycle
};

/// A match whose block, part, chunk or bytes differ: both operations, and what differs.
struct MismatchSite {
  OpSite send;
  OpSite recv;
  std::string what;
};

struct ExecutionReport {
  static constexpr std::size_t kMaxListed = 64;  ///< examples kept per kind; counts are exact

  std::optional<std::uint64_t> eager_bytes;  ///< the buffering the run assumed
  std::uint64_t ops = 0;
  std::uint64_t matches = 0;
  std::uint64_t steps_completed = 0;

  std::optional<Deadlock> deadlock;
  std::uint64_t mismatch_count = 0;
  std::vector<MismatchSite> mismatches;
  /// Sends and receives posted but never matched when execution stopped (in a deadlock, the ops
  /// the blocked ranks wait on; after a finished run, eager sends nobody received).
  std::uint64_t unmatched_count = 0;
  std::vector<OpSite> unmatched;
  /// Operations never posted because their rank blocked before reaching them.
  std::uint64_t never_posted = 0;
  LedgerReport delivery;

  bool deadlock_free() const { return !deadlock; }
  bool matches_ok() const { return mismatch_count == 0; }
  bool all_matched() const { return unmatched_count == 0; }
  /// Every piece arrived once, in place, and through a consistent match: a match whose block,
  /// part, chunk or bytes differ moved bytes its receive did not ask for, which is no delivery.
  bool delivery_ok() const { return delivery.ok() && mismatch_count == 0; }
  bool ok() const { return deadlock_free() && matches_ok() && all_matched() && delivery_ok(); }
};

/// Runs `programs` to quiescence and reports every property. Throws std::invalid_argument for a
/// program set the matcher cannot run (program count, peers outside 0..N-1).
ExecutionReport execute(const ProgramSet& programs, const ExecuteOptions& options = {});

/// The step of `program` that holds op `index`.
std::uint32_t step_of(const Program& program, std::uint32_t index);

}  // namespace ua2a
