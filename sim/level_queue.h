#pragma once
/// The constraints of one progressive filling, each with its current level, for the question
/// "which binds next?": the links that several unfixed flows share (their level is the rate those
/// flows would get if the link bound now) and each flow's own bound. The answer is the smallest
/// level, ties to the smallest `tie` (the flow model's order, so rates stay bit-identical).
///
/// Why not heaps: a fill changes the levels of most shared links, and symmetric runs are full of
/// equal levels. Binary heaps paid a mispredicted sift for every re-key, for every constraint
/// made moot before it could bind, and for every tie (perf, N = 256: about 200 heap operations per
/// fill of 101 shared links and 114 bounds, half of the fill). Here one scan of a dense array
/// collects *every* constraint at the lowest level, in tie order, and hands them out one after
/// the other while they stay there; a change costs a compare, and a rescan is needed once per
/// distinct level.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "sim/scratch_array.h"

namespace ua2a {

class LevelQueue {
 public:
  using Id = std::uint32_t;
  using Tie = std::uint64_t;
  struct Tightest {
    double level;
    Tie tie;
    Id id;
  };

  /// Makes room for ids below `count` (and so for `count` constraints): call before add().
  void reserve_ids(std::size_t count) {
    if (position_.size() < count) {
      position_.resize(count, kAbsent);
      batched_.resize(count, 0);
    }
    level_.reserve(count);
    tie_.reserve(count);
    id_.reserve(count);
  }
  void clear() {
    for (Id id : id_) position_[id] = kAbsent;
    level_.clear();
    tie_.clear();
    id_.clear();
    drop_batch();
  }
  bool empty() const { return id_.empty(); }
  std::size_t size() const { return id_.size(); }
  bool contains(Id id) const { return position_[id] != kAbsent; }

  void add(Id id, double level, Tie tie) {
    position_[id] = static_cast<Id>(id_.size());
    level_.push_back(level);
    tie_.push_back(tie);
    id_.push_back(id);
    if (batch_valid_) drop_batch();
  }
  void set_level(Id id, double level) {
    level_[position_[id]] = level;
    // Levels only rise as flows are fixed, but rounding can lower one by an ulp: a constraint
    // that joins or undercuts the lowest level invalidates the batch. A batched one that rises is
    // skipped when its turn comes.
    if (batch_valid_ && (level < batch_level_ || (level == batch_level_ && !batched_[id]))) drop_batch();
  }
  void remove(Id id) {
    const Id i = position_[id];
    position_[id] = kAbsent;
    const Id last = static_cast<Id>(id_.size() - 1);
    if (i != last) {
      level_[i] = level_[last];
      tie_[i] = tie_[last];
      id_[i] = id_[last];
      position_[id_[i]] = i;
    }
    level_.pop_back();
    tie_.pop_back();
    id_.pop_back();
  }

  /// The constraint that binds next; the queue must not be empty.
  Tightest tightest() {
    for (;;) {
      if (!batch_valid_) collect_lowest();
      for (; batch_head_ < batch_.size(); ++batch_head_) {
        const Id id = batch_[batch_head_];
        if (contains(id) && level_[position_[id]] == batch_level_) return {batch_level_, tie_[position_[id]], id};
        batched_[id] = 0;
      }
      drop_batch();
    }
  }

 private:
  static constexpr Id kAbsent = std::numeric_limits<Id>::max();

  /// Batches every constraint at the lowest level, in tie order.
  void collect_lowest() {
    drop_batch();
    const double lowest = minimum();
    for (std::size_t i = 0; i < level_.size(); ++i)
      if (level_[i] == lowest) {
        batch_.push_back(id_[i]);
        batched_[id_[i]] = 1;
      }
    std::sort(batch_.begin(), batch_.end(), [&](Id a, Id b) { return tie_[position_[a]] < tie_[position_[b]]; });
    batch_level_ = lowest;
    batch_valid_ = true;
  }
  /// Four running minima, not one: a single one waits on the previous compare for every level.
  double minimum() const {
    constexpr double kNone = std::numeric_limits<double>::infinity();
    double low[4] = {kNone, kNone, kNone, kNone};
    const std::size_t n = level_.size();
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4)
      for (std::size_t k = 0; k < 4; ++k) low[k] = std::min(low[k], level_[i + k]);
    for (; i < n; ++i) low[0] = std::min(low[0], level_[i]);
    return std::min(std::min(low[0], low[1]), std::min(low[2], low[3]));
  }
  void drop_batch() {
    for (std::size_t i = batch_head_; i < batch_.size(); ++i) batched_[batch_[i]] = 0;
    batch_.clear();
    batch_head_ = 0;
    batch_valid_ = false;
  }

  ScratchArray<double> level_;  // room for every id: reserve_ids
  ScratchArray<Tie> tie_;
  ScratchArray<Id> id_;
  std::vector<Id> position_;           // per id: index in the arrays, or kAbsent
  std::vector<std::uint8_t> batched_;  // per id: waiting in batch_
  std::vector<Id> batch_;              // the constraints at batch_level_, by tie, from batch_head_ on
  std::size_t batch_head_ = 0;
  double batch_level_ = 0;
  bool batch_valid_ = false;
};

}  // namespace ua2a
