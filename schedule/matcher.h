#pragma once
/// The semantics of design.md in code, once: FIFO matching per ordered pair, step completion and
/// zero-buffer rendezvous. verify drives it without time, sim with a clock, the backend with real
/// copies. Work is linear in the number of operations.
///
/// Use: start(); then repeatedly pop_match() and, once the data of a match has moved, complete()
/// it. When no match is outstanding and !finished(), the programs are deadlocked and pending()
/// says which rank waits on which operation.
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "schedule/program.h"

namespace ua2a {

/// An operation: rank and index into that rank's ops.
struct OpRef {
  Rank rank = 0;
  std::uint32_t index = 0;
  friend bool operator==(const OpRef&, const OpRef&) = default;
};

/// A send matched with its receive (k-th send a->b with the k-th receive at b from a).
struct Match {
  OpRef send;
  OpRef recv;
};

/// A match whose block, part, chunk or byte count differ: an error, never a silent delivery.
struct Mismatch {
  OpRef send;
  OpRef recv;
  std::string what;  ///< "bytes 0 != 1597440", ...
};

struct MatcherOptions {
  /// Sends of at most this many bytes complete when posted (buffered). Unset: zero-buffer, a send
  /// completes only when its receive is matched and the data moved (the worst case).
  std::optional<std::uint64_t> eager_bytes;
};

enum class OpState : std::uint8_t { unposted, posted, matched, completed };

class Matcher {
 public:
  /// Keeps a reference to `programs`: they must outlive the matcher.
  explicit Matcher(const ProgramSet& programs, MatcherOptions options = {});

  /// Posts the first step of every rank.
  void start();
  /// Takes the oldest match not yet handed out; false when none is outstanding.
  bool pop_match(Match& out);
  /// Marks both operations of `match` complete; advances ranks whose step completed.
  void complete(const Match& match);

  bool finished() const { return ranks_done_ == static_cast<std::int32_t>(programs_.programs.size()); }
  bool rank_done(Rank r) const { return step_[r] >= programs_.programs[r].step_count(); }
  /// Index of the step rank r is executing (= step_count() once done).
  std::uint32_t current_step(Rank r) const { return step_[r]; }
  OpState state(OpRef op) const { return state_[id(op)]; }
  const Op& op(OpRef ref) const { return programs_.programs[ref.rank].ops[ref.index]; }
  /// Operations of r's current step that have not completed.
  std::vector<OpRef> pending(Rank r) const;
  const std::vector<Mismatch>& mismatches() const { return mismatches_; }
  /// Number of steps completed over all ranks (the step-completion events so far).
  std::uint64_t steps_completed() const { return steps_completed_; }
  const ProgramSet& programs() const { return programs_; }

 private:
  static constexpr std::uint32_t kNone = 0xffffffffu;
  /// Unmatched posted ops of one ordered pair, all of the same kind: an intrusive FIFO list.
  struct Queue {
    std::uint32_t head = kNone;
    std::uint32_t tail = kNone;
  };

  /// The queues of the ordered pairs that hold unmatched ops, in an open-addressing hash table
  /// (linear probing, backward-shift deletion). A queue that empties is removed, so the table
  /// holds only live pairs and stays in cache: the flat N x N table it replaces is 134 MB at
  /// N = 4096 and missed the cache on nearly every post (4.8 s of a 4096-rank round-robin run).
  class Channels {
   public:
    struct Slot {
      std::uint64_t key = 0;  ///< 0: free; else (from * N + to + 1) | kSends when it queues sends
      Queue queue;
    };
    static constexpr std::uint64_t kSends = std::uint64_t{1} << 40;
    Channels();
    /// The live queue of `pair` (from * N + to), or nullptr.
    Slot* find(std::uint64_t pair);
    /// Adds a queue for an absent `pair` holding the single op `op_id`.
    void insert(std::uint64_t pair, bool sends, std::uint32_t op_id);
    void erase(Slot* slot);

   private:
    std::size_t home(std::uint64_t key) const;
    void grow();
    std::vector<Slot> slots_;
    std::size_t size_ = 0;
    int shift_ = 0;
  };

  /// How far ahead pop_match() warms the caches: step offsets of a match kWarmSteps ahead, then
  /// the ops of its ranks' next steps kWarmOps ahead (enough misses in flight, yet still cached).
  static constexpr std::size_t kWarmOps = 16;
  static constexpr std::size_t kWarmSteps = 32;

  std::uint32_t id(OpRef op) const { return base_[op.rank] + op.index; }
  void post_step(Rank r);
  void post(Rank r, std::uint32_t index);
  void match(OpRef send, OpRef recv);
  void complete_op(Rank r, std::uint32_t op_id);
  void advance_ready_ranks();

  const ProgramSet& programs_;
  MatcherOptions options_;
  std::vector<std::uint32_t> base_;      // first global op id of each rank
  std::vector<OpState> state_;
  std::vector<std::uint32_t> next_;      // channel queue links
  std::vector<std::uint32_t> step_;      // current step per rank
  std::vector<std::uint32_t> remaining_; // incomplete ops of the current step per rank
  Channels channels_;
  std::vector<Rank> ready_ranks_;        // ranks whose current step just completed
  std::deque<Match> matches_;
  std::vector<Mismatch> mismatches_;
  std::int32_t ranks_done_ = 0;
  std::uint64_t steps_completed_ = 0;
};

}  // namespace ua2a
