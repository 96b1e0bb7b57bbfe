#include "schedule/matcher.h"

#include <stdexcept>
#include <string>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace ua2a {

namespace {

constexpr std::size_t kInitialSlots = 1024;

/// Sizes `v` to `n` copies of `value`, asking Linux for transparent huge pages first. The
/// per-op arrays are touched rank by rank in round order, a page per rank per round: with 4 KiB
/// pages nearly every access misses the TLB at N = 4096 (33 M ops).
template <class T>
void assign_huge(std::vector<T>& v, std::size_t n, T value) {
  v.reserve(n);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr std::uintptr_t kHuge = std::uintptr_t{2} << 20;
  const auto begin = (reinterpret_cast<std::uintptr_t>(v.data()) + kHuge - 1) & ~(kHuge - 1);
  const auto end = (reinterpret_cast<std::uintptr_t>(v.data() + n)) & ~(kHuge - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);  // a hint; failure is harmless
#endif
  v.assign(n, value);
}

}  // namespace

Matcher::Channels::Channels() : slots_(kInitialSlots) {
  shift_ = 64;
  for (std::size_t n = kInitialSlots; n > 1; n >>= 1) --shift_;
}

std::size_t Matcher::Channels::home(std::uint64_t key) const {
  // Fibonacci hashing of the pair (the kind bit is masked off): consecutive pairs spread out.
  return static_cast<std::size_t>(((key & (kSends - 1)) * 0x9E3779B97F4A7C15ull) >> shift_);
}

Matcher::Channels::Slot* Matcher::Channels::find(std::uint64_t pair) {
  const std::uint64_t key = pair + 1;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = home(key);; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (s.key == 0) return nullptr;
    if ((s.key & (kSends - 1)) == key) return &s;
  }
}

void Matcher::Channels::insert(std::uint64_t pair, bool sends, std::uint32_t op_id) {
  if (2 * (size_ + 1) > slots_.size()) grow();  // load factor at most 1/2 keeps probes short
  const std::uint64_t key = (pair + 1) | (sends ? kSends : 0);
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = home(key);
  while (slots_[i].key != 0) i = (i + 1) & mask;
  slots_[i] = {key, {op_id, op_id}};
  ++size_;
}

void Matcher::Channels::erase(Slot* slot) {
  // Backward-shift deletion: pull later entries of the probe run into the hole, so lookups never
  // need tombstones and the table never fills up with dead slots.
  const std::size_t mask = slots_.size() - 1;
  std::size_t hole = static_cast<std::size_t>(slot - slots_.data());
  for (std::size_t j = (hole + 1) & mask; slots_[j].key != 0; j = (j + 1) & mask) {
    const std::size_t want = home(slots_[j].key);
    // Entry j may move into the hole unless its home lies cyclically in (hole, j].
    const bool stays = hole <= j ? (want > hole && want <= j) : (want > hole || want <= j);
    if (stays) continue;
    slots_[hole] = slots_[j];
    hole = j;
  }
  slots_[hole] = {};
  --size_;
}

void Matcher::Channels::grow() {
  std::vector<Slot> old(slots_.size() * 2);
  old.swap(slots_);
  --shift_;
  size_ = 0;
  const std::size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.key == 0) continue;
    std::size_t i = home(s.key);
    while (slots_[i].key != 0) i = (i + 1) & mask;
    slots_[i] = s;
    ++size_;
  }
}

Matcher::Matcher(const ProgramSet& programs, MatcherOptions options) : programs_(programs), options_(options) {
  const std::size_t ranks = programs.programs.size();
  if (ranks != static_cast<std::size_t>(programs.ranks))
    throw std::invalid_argument("program set declares " + std::to_string(programs.ranks) + " ranks but holds " +
                                std::to_string(ranks) + " programs");
  const std::size_t total = programs.op_count();
  if (total >= kNone) throw std::invalid_argument("too many operations for one matcher: " + std::to_string(total));
  base_.resize(ranks);
  std::uint32_t next_id = 0;
  for (std::size_t r = 0; r < ranks; ++r) {
    base_[r] = next_id;
    const Program& p = programs.programs[r];
    if (p.rank != static_cast<Rank>(r))
      throw std::invalid_argument("program " + std::to_string(r) + " says it is rank " + std::to_string(p.rank));
    for (const Op& op : p.ops)
      if (op.peer < 0 || op.peer >= static_cast<Rank>(ranks))
        throw std::invalid_argument("rank " + std::to_string(r) + ": " + describe(op) + " names peer outside 0.." +
                                    std::to_string(ranks - 1));
    next_id += static_cast<std::uint32_t>(p.ops.size());
  }
  assign_huge(state_, total, OpState::unposted);
  assign_huge(next_, total, kNone);
  step_.assign(ranks, 0);
  remaining_.assign(ranks, 0);
}

void Matcher::start() {
  for (Rank r = 0; r < static_cast<Rank>(programs_.programs.size()); ++r) {
    if (programs_.programs[r].step_count() == 0) {
      ++ranks_done_;
      continue;
    }
    post_step(r);
  }
  advance_ready_ranks();
}

void Matcher::post_step(Rank r) {
  const Program& p = programs_.programs[r];
  const std::uint32_t begin = p.step_begin[step_[r]], end = p.step_begin[step_[r] + 1];
  remaining_[r] = end - begin;
  for (std::uint32_t i = begin; i < end; ++i) post(r, i);
}

void Matcher::post(Rank r, std::uint32_t index) {
  const std::uint32_t op_id = base_[r] + index;
  const Op& op = programs_.programs[r].ops[index];
  state_[op_id] = OpState::posted;
  if (op.kind == OpKind::copy) {
    complete_op(r, op_id);
    return;
  }
  const bool is_send = op.kind == OpKind::send;
  const auto n = static_cast<std::uint64_t>(programs_.programs.size());
  const std::uint64_t pair = is_send ? static_cast<std::uint64_t>(r) * n + op.peer : static_cast<std::uint64_t>(op.peer) * n + r;
  Channels::Slot* slot = channels_.find(pair);
  // The queue holds unmatched ops of one kind only: match the oldest of the other kind, FIFO.
  // Its ops belong to this op's peer (the queue of pair a->b holds a's sends or b's receives).
  if (slot && ((slot->key & Channels::kSends) != 0) != is_send) {
    const std::uint32_t other = slot->queue.head;
    slot->queue.head = next_[other];
    if (slot->queue.head == kNone) channels_.erase(slot);
    const OpRef mine{r, index}, theirs{op.peer, other - base_[op.peer]};
    is_send ? match(mine, theirs) : match(theirs, mine);
  } else if (slot) {
    next_[slot->queue.tail] = op_id;
    slot->queue.tail = op_id;
  } else {
    channels_.insert(pair, is_send, op_id);
  }
  if (is_send && options_.eager_bytes && op.bytes <= *options_.eager_bytes && state_[op_id] != OpState::completed)
    complete_op(r, op_id);  // buffered: the sender moves on; the receive still waits for the match
}

void Matcher::match(OpRef s, OpRef r) {
  const Op& a = op(s);
  const Op& b = op(r);
  std::string what;
  auto differ = [&](const char* field, auto x, auto y) {
    if (x != y) what += (what.empty() ? "" : ", ") + std::string(field) + " " + std::to_string(x) + " != " + std::to_string(y);
  };
  differ("block src", a.block.src, b.block.src);
  differ("block dst", a.block.dst, b.block.dst);
  differ("part", a.part, b.part);
  differ("chunk", a.chunk, b.chunk);
  differ("bytes", a.bytes, b.bytes);
  if (!what.empty()) mismatches_.push_back({s, r, what});
  if (state_[id(s)] != OpState::completed) state_[id(s)] = OpState::matched;
  state_[id(r)] = OpState::matched;
  matches_.push_back({s, r});
}

bool Matcher::pop_match(Match& out) {
  if (matches_.empty()) return false;
  out = matches_.front();
  matches_.pop_front();
  // Software pipelining: completing a match posts its ranks' next steps, whose ops sit in
  // programs far apart in memory. Warm them a few matches ahead so those cache misses overlap
  // instead of stalling one after another (the op load was 70% of the matcher's time). Written
  // out here: GCC drops calls to a helper that only prefetches, as if it had no effect.
  if (matches_.size() > kWarmSteps) {
    const Match& m = matches_[kWarmSteps];
    for (const OpRef& o : {m.send, m.recv}) {
      const Program& p = programs_.programs[o.rank];
      if (step_[o.rank] + 2 < p.step_begin.size()) __builtin_prefetch(p.step_begin.data() + step_[o.rank] + 2);
    }
  }
  if (matches_.size() > kWarmOps) {
    const Match& m = matches_[kWarmOps];
    for (const OpRef& o : {m.send, m.recv}) {
      const Program& p = programs_.programs[o.rank];
      const std::uint32_t next = step_[o.rank] + 1;
      if (next >= p.step_count()) continue;
      const std::uint32_t begin = p.step_begin[next], end = p.step_begin[next + 1];
      __builtin_prefetch(p.ops.data() + begin);
      __builtin_prefetch(p.ops.data() + end - 1);
      __builtin_prefetch(state_.data() + base_[o.rank] + begin);
    }
  }
  return true;
}

void Matcher::complete(const Match& m) {
  for (const OpRef& o : {m.send, m.recv}) {
    const std::uint32_t op_id = id(o);
    if (state_[op_id] == OpState::matched) complete_op(o.rank, op_id);
    else if (state_[op_id] != OpState::completed)
      throw std::logic_error("complete() on an operation that was never matched");
  }
  advance_ready_ranks();
}

void Matcher::complete_op(Rank r, std::uint32_t op_id) {
  state_[op_id] = OpState::completed;
  if (--remaining_[r] == 0) ready_ranks_.push_back(r);
}

void Matcher::advance_ready_ranks() {
  // Iterative, not recursive: completing a step may post ops that complete at once (copies,
  // eager sends), which may complete the next step, and so on.
  while (!ready_ranks_.empty()) {
    const Rank r = ready_ranks_.back();
    ready_ranks_.pop_back();
    ++steps_completed_;
    if (++step_[r] == programs_.programs[r].step_count()) {
      ++ranks_done_;
      continue;
    }
    post_step(r);
  }
}

std::vector<OpRef> Matcher::pending(Rank r) const {
  std::vector<OpRef> out;
  if (rank_done(r)) return out;
  const Program& p = programs_.programs[r];
  for (std::uint32_t i = p.step_begin[step_[r]]; i < p.step_begin[step_[r] + 1]; ++i)
    if (state_[base_[r] + i] != OpState::completed) out.push_back({r, i});
  return out;
}

}  // namespace ua2a
