#pragma once
/// The semantics of design.md in code, once: FIFO matching per ordered pair, step completion and
/// zero-buffer rendezvous. verify drives it without time, sim with a clock, the backend with real
/// copies. Work is linear in the number of operations.
///
/// Use: start(); then repeatedly pop_match() and, once the data of a match has moved, complete()
/// it. When no match is outstanding and !finished(), the programs are deadlocked and pending()
/// says which rank waits on which operation.
#include <cstdint>
#include <memory>
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
  /// Keeps a reference to `programs` and pointers into them: they must outlive the matcher,
  /// unchanged.
  explicit Matcher(const ProgramSet& programs, MatcherOptions options = {});

  /// Posts the first step of every rank.
  void start();
  /// Takes the oldest match not yet handed out; false when none is outstanding.
  bool pop_match(Match& out);
  /// Marks both operations of `match` complete; advances ranks whose step completed.
  void complete(const Match& match);

  bool finished() const { return ranks_done_ == static_cast<std::int32_t>(ranks_.size()); }
  bool rank_done(Rank r) const { return ranks_[r].step >= ranks_[r].steps; }
  /// Index of the step rank r is executing (= step_count() once done).
  std::uint32_t current_step(Rank r) const { return ranks_[r].step; }
  OpState state(OpRef op) const { return state_[id(op)]; }
  const Op& op(OpRef ref) const { return ranks_[ref.rank].ops[ref.index]; }
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
    /// Grows the table if one more queue would fill it over half: call before find().
    void make_room() {
      if (2 * (size_ + 1) > slots_.size()) grow();
    }
    /// The live queue of `pair` (from * N + to), or else the free slot where it would go.
    Slot* find(std::uint64_t pair);
    /// Starts the queue of `pair` with the single op `op_id` in the free slot find() gave.
    void occupy(Slot* free, std::uint64_t pair, bool sends, std::uint32_t op_id) {
      *free = {(pair + 1) | (sends ? kSends : 0), {op_id, op_id}};
      ++size_;
    }
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

  /// What the hot loop needs of one rank, in one cache line's half: its program's arrays, where
  /// it is, and its ops' global ids. Four separate per-rank arrays cost four cache lines a step.
  struct Cursor {
    const Op* ops = nullptr;
    const std::uint32_t* step_begin = nullptr;
    std::uint32_t steps = 0;      // step count
    std::uint32_t step = 0;       // current step
    std::uint32_t remaining = 0;  // incomplete ops of the current step
    std::uint32_t base = 0;       // global id of ops[0]
  };

  /// Matches handed out in order: a ring buffer, whose look-ahead indexing (pop_match warms the
  /// caches for matches further down) is a mask where a deque's is a division.
  class MatchQueue {
   public:
    bool empty() const { return size_ == 0; }
    std::size_t size() const { return size_; }
    const Match& operator[](std::size_t i) const { return ring_[(head_ + i) & (ring_.size() - 1)]; }
    void push(const Match& m) {
      if (size_ == ring_.size()) grow();
      ring_[(head_ + size_) & (ring_.size() - 1)] = m;
      ++size_;
    }
    Match pop() {
      const Match m = ring_[head_];
      head_ = (head_ + 1) & (ring_.size() - 1);
      --size_;
      return m;
    }

   private:
    void grow();
    std::vector<Match> ring_ = std::vector<Match>(64);
    std::size_t head_ = 0;
    std::size_t size_ = 0;
  };

  std::uint32_t id(OpRef op) const { return ranks_[op.rank].base + op.index; }
  void post_step(Rank r);
  void post(Rank r, std::uint32_t index);
  void match(OpRef send, OpRef recv);
  void note_mismatch(OpRef send, OpRef recv);
  void complete_op(Rank r, std::uint32_t op_id);
  void finish(OpRef op);
  void advance_ready_ranks();

  const ProgramSet& programs_;
  MatcherOptions options_;
  std::vector<Cursor> ranks_;
  std::vector<OpState> state_;
  std::unique_ptr<std::uint32_t[]> next_; // channel queue links, by global op id
  Channels channels_;
  std::vector<Rank> ready_ranks_;        // ranks whose current step just completed
  MatchQueue matches_;
  std::vector<Mismatch> mismatches_;
  std::int32_t ranks_done_ = 0;
  std::uint64_t steps_completed_ = 0;
};

}  // namespace ua2a
