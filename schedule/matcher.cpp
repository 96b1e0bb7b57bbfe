#include "schedule/matcher.h"

#include <stdexcept>
#include <string>

#include "schedule/huge_pages.h"

namespace ua2a {

namespace {

constexpr std::size_t kInitialSlots = 1024;

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
    if (s.key == 0 || (s.key & (kSends - 1)) == key) return &s;
  }
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
  ranks_.resize(ranks);
  std::uint32_t next_id = 0;
  for (std::size_t r = 0; r < ranks; ++r) {
    const Program& p = programs.programs[r];
    if (p.rank != static_cast<Rank>(r))
      throw std::invalid_argument("program " + std::to_string(r) + " says it is rank " + std::to_string(p.rank));
    for (const Op& op : p.ops)
      if (op.peer < 0 || op.peer >= static_cast<Rank>(ranks))
        throw std::invalid_argument("rank " + std::to_string(r) + ": " + describe(op) + " names peer outside 0.." +
                                    std::to_string(ranks - 1));
    ranks_[r] = {p.ops.data(), p.step_begin.data(), static_cast<std::uint32_t>(p.step_count()), 0, 0, next_id};
    next_id += static_cast<std::uint32_t>(p.ops.size());
  }
  assign_huge(state_, total, OpState::unposted);
  // Links are written before they are read (when an op joins a queue behind another), so the
  // array is left unwritten: Linux maps its pages only where a queue ever held two ops.
  next_.reset(new std::uint32_t[total]);
}

void Matcher::MatchQueue::grow() {
  // Full: unroll into a ring twice the size.
  std::vector<Match> bigger(2 * ring_.size());
  for (std::size_t i = 0; i < size_; ++i) bigger[i] = (*this)[i];
  ring_.swap(bigger);
  head_ = 0;
}

void Matcher::start() {
  for (Rank r = 0; r < static_cast<Rank>(ranks_.size()); ++r) {
    if (ranks_[r].steps == 0) {
      ++ranks_done_;
      continue;
    }
    post_step(r);
  }
  advance_ready_ranks();
}

void Matcher::post_step(Rank r) {
  Cursor& c = ranks_[r];
  const std::uint32_t begin = c.step_begin[c.step], end = c.step_begin[c.step + 1];
  c.remaining = end - begin;
  for (std::uint32_t i = begin; i < end; ++i) post(r, i);
}

void Matcher::post(Rank r, std::uint32_t index) {
  const Cursor& c = ranks_[r];
  const std::uint32_t op_id = c.base + index;
  const Op& op = c.ops[index];
  state_[op_id] = OpState::posted;
  if (op.kind == OpKind::copy) {
    complete_op(r, op_id);
    return;
  }
  const bool is_send = op.kind == OpKind::send;
  const auto n = static_cast<std::uint64_t>(ranks_.size());
  const std::uint64_t pair = is_send ? static_cast<std::uint64_t>(r) * n + op.peer : static_cast<std::uint64_t>(op.peer) * n + r;
  channels_.make_room();
  Channels::Slot* slot = channels_.find(pair);
  if (slot->key == 0) {
    channels_.occupy(slot, pair, is_send, op_id);
  } else if (((slot->key & Channels::kSends) != 0) == is_send) {
    next_[slot->queue.tail] = op_id;
    slot->queue.tail = op_id;
  } else {
    // The queue holds unmatched ops of the other kind: match the oldest, FIFO. Its ops belong to
    // this op's peer (the queue of pair a->b holds a's sends or b's receives).
    const std::uint32_t other = slot->queue.head;
    // A queue's last op has no link to read: next_[other] was never written, and reading it was
    // a cache miss on nearly every match of a pairing (a queue there holds one op).
    if (other == slot->queue.tail) channels_.erase(slot);
    else slot->queue.head = next_[other];
    const OpRef mine{r, index}, theirs{op.peer, other - ranks_[op.peer].base};
    is_send ? match(mine, theirs) : match(theirs, mine);
  }
  if (is_send && options_.eager_bytes && op.bytes <= *options_.eager_bytes && state_[op_id] != OpState::completed)
    complete_op(r, op_id);  // buffered: the sender moves on; the receive still waits for the match
}

void Matcher::match(OpRef s, OpRef r) {
  const Op& a = op(s);
  const Op& b = op(r);
  if (a.block != b.block || a.part != b.part || a.chunk != b.chunk || a.bytes != b.bytes) note_mismatch(s, r);
  if (state_[id(s)] != OpState::completed) state_[id(s)] = OpState::matched;
  state_[id(r)] = OpState::matched;
  matches_.push({s, r});
}

void Matcher::note_mismatch(OpRef s, OpRef r) {
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
  mismatches_.push_back({s, r, what});
}

bool Matcher::pop_match(Match& out) {
  if (matches_.empty()) return false;
  out = matches_.pop();
  // Software pipelining: completing a match posts its ranks' next steps, whose ops sit in
  // programs far apart in memory. Warm them a few matches ahead so those cache misses overlap
  // instead of stalling one after another (the op load was 70% of the matcher's time): first the
  // step offsets, which say where the ops are, then the ops. Written out here: GCC drops calls
  // to a helper that only prefetches, as if it had no effect.
  if (matches_.size() > kWarmSteps) {
    const Match& m = matches_[kWarmSteps];
    for (const Rank r : {m.send.rank, m.recv.rank}) {
      const Cursor& c = ranks_[r];
      if (c.step + 2 <= c.steps) __builtin_prefetch(c.step_begin + c.step + 2);
    }
  }
  if (matches_.size() > kWarmOps) {
    const Match& m = matches_[kWarmOps];
    for (const Rank r : {m.send.rank, m.recv.rank}) {
      const Cursor& c = ranks_[r];
      if (c.step + 1 >= c.steps) continue;
      const std::uint32_t begin = c.step_begin[c.step + 1], end = c.step_begin[c.step + 2];
      __builtin_prefetch(c.ops + begin);
      __builtin_prefetch(c.ops + end - 1);
      __builtin_prefetch(state_.data() + c.base + begin);
    }
  }
  return true;
}

void Matcher::complete(const Match& m) {
  finish(m.send);
  finish(m.recv);
  advance_ready_ranks();
}

void Matcher::finish(OpRef o) {
  const std::uint32_t op_id = id(o);
  if (state_[op_id] == OpState::matched) complete_op(o.rank, op_id);
  else if (state_[op_id] != OpState::completed) throw std::logic_error("complete() on an operation that was never matched");
}

void Matcher::complete_op(Rank r, std::uint32_t op_id) {
  state_[op_id] = OpState::completed;
  if (--ranks_[r].remaining == 0) ready_ranks_.push_back(r);
}

void Matcher::advance_ready_ranks() {
  // Iterative, not recursive: completing a step may post ops that complete at once (copies,
  // eager sends), which may complete the next step, and so on.
  while (!ready_ranks_.empty()) {
    const Rank r = ready_ranks_.back();
    ready_ranks_.pop_back();
    ++steps_completed_;
    if (++ranks_[r].step == ranks_[r].steps) {
      ++ranks_done_;
      continue;
    }
    post_step(r);
  }
}

std::vector<OpRef> Matcher::pending(Rank r) const {
  std::vector<OpRef> out;
  if (rank_done(r)) return out;
  const Cursor& c = ranks_[r];
  for (std::uint32_t i = c.step_begin[c.step]; i < c.step_begin[c.step + 1]; ++i)
    if (state_[c.base + i] != OpState::completed) out.push_back({r, i});
  return out;
}

}  // namespace ua2a
