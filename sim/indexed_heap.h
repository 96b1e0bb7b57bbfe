#pragma once
/// A binary min-heap of (key, id) entries with at most one entry per id and the position of each
/// id kept, so a key changes in place. The flow model's progressive filling re-keys a link every
/// time a flow on it is fixed; with std::push_heap each re-key left a stale entry behind, and
/// pushing and dropping those was half of the solve's time (perf, N = 256, 330-link components).
/// Entries are ordered by key, then id: the same total order as std::pair<double, id>, so the
/// solve fixes flows in the same sequence as before and its rates stay bit-identical.
#include <cstdint>
#include <limits>
#include <vector>

namespace ua2a {

class IndexedMinHeap {
 public:
  using Id = std::uint32_t;
  struct Entry {
    double key = 0;
    Id id = 0;
  };

  /// Makes room for ids below `count`; the heap must be empty.
  void reserve_ids(std::size_t count) {
    if (position_.size() < count) position_.resize(count, kAbsent);
  }
  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  bool contains(Id id) const { return position_[id] != kAbsent; }
  const Entry& top() const { return heap_.front(); }

  void clear() {
    for (const Entry& e : heap_) position_[e.id] = kAbsent;
    heap_.clear();
  }
  /// Adds `id` without ordering; call heapify() before the next top(), pop(), set() or erase().
  void append_unordered(Id id, double key) {
    position_[id] = static_cast<std::uint32_t>(heap_.size());
    heap_.push_back({key, id});
  }
  /// Orders what append_unordered added, in O(size).
  void heapify() {
    for (std::size_t i = heap_.size() / 2; i-- > 0;) sift_down(i);
  }
  void pop() { erase(heap_.front().id); }
  /// Inserts `id` or changes its key.
  void set(Id id, double key) {
    if (!contains(id)) {
      append_unordered(id, key);
      sift_up(heap_.size() - 1);
      return;
    }
    const std::size_t i = position_[id];
    const bool lower = key < heap_[i].key;
    heap_[i].key = key;
    if (lower) sift_up(i);
    else sift_down(i);
  }
  void erase(Id id) {
    const std::size_t i = position_[id];
    position_[id] = kAbsent;
    const Entry last = heap_.back();
    heap_.pop_back();
    if (i == heap_.size()) return;
    place(i, last);
    if (i > 0 && precedes(last, heap_[(i - 1) / 2])) sift_up(i);
    else sift_down(i);
  }

 private:
  static constexpr std::uint32_t kAbsent = std::numeric_limits<std::uint32_t>::max();

  static bool precedes(const Entry& a, const Entry& b) { return a.key < b.key || (a.key == b.key && a.id < b.id); }
  void place(std::size_t i, const Entry& e) {
    heap_[i] = e;
    position_[e.id] = static_cast<std::uint32_t>(i);
  }
  void sift_up(std::size_t i) {
    const Entry e = heap_[i];
    while (i > 0) {
      const std::size_t parent = (i - 1) / 2;
      if (!precedes(e, heap_[parent])) break;
      place(i, heap_[parent]);
      i = parent;
    }
    place(i, e);
  }
  void sift_down(std::size_t i) {
    const Entry e = heap_[i];
    const std::size_t n = heap_.size();
    for (;;) {
      std::size_t child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && precedes(heap_[child + 1], heap_[child])) ++child;
      if (!precedes(heap_[child], e)) break;
      place(i, heap_[child]);
      i = child;
    }
    place(i, e);
  }

  std::vector<Entry> heap_;
  std::vector<std::uint32_t> position_;  // per id: index in heap_, or kAbsent
};

}  // namespace ua2a
