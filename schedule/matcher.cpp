#include "schedule/matcher.h"

#include <stdexcept>
#include <string>

namespace ua2a {

Matcher::Matcher(const ProgramSet& programs, MatcherOptions options) : programs_(programs), options_(options) {
  const std::size_t ranks = programs.programs.size();
  if (ranks != static_cast<std::size_t>(programs.ranks))
    throw std::invalid_argument("program set declares " + std::to_string(programs.ranks) + " ranks but holds " +
                                std::to_string(ranks) + " programs");
  const std::size_t total = programs.op_count();
  if (total >= kNone) throw std::invalid_argument("too many operations for one matcher: " + std::to_string(total));
  base_.resize(ranks);
  owner_.resize(total);
  std::uint32_t next_id = 0;
  for (std::size_t r = 0; r < ranks; ++r) {
    base_[r] = next_id;
    const Program& p = programs.programs[r];
    if (p.rank != static_cast<Rank>(r))
      throw std::invalid_argument("program " + std::to_string(r) + " says it is rank " + std::to_string(p.rank));
    for (const Op& op : p.ops) {
      if (op.peer < 0 || op.peer >= static_cast<Rank>(ranks))
        throw std::invalid_argument("rank " + std::to_string(r) + ": " + describe(op) + " names peer outside 0.." +
                                    std::to_string(ranks - 1));
      owner_[next_id++] = static_cast<Rank>(r);
    }
  }
  state_.assign(total, OpState::unposted);
  next_.assign(total, kNone);
  step_.assign(ranks, 0);
  remaining_.assign(ranks, 0);
  // A flat N x N table is fastest; use it while it costs no more than a few words per op.
  if (ranks * ranks <= 4 * total + 4096) flat_channels_.resize(ranks * ranks);
}

Matcher::Queue& Matcher::channel(Rank from, Rank to) {
  const std::uint64_t key = static_cast<std::uint64_t>(from) * programs_.programs.size() + to;
  return flat_channels_.empty() ? sparse_channels_[key] : flat_channels_[key];
}

OpRef Matcher::ref(std::uint32_t op_id) const {
  const Rank r = owner_[op_id];
  return {r, op_id - base_[r]};
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
    complete_op(op_id);
    return;
  }
  const bool is_send = op.kind == OpKind::send;
  Queue& q = is_send ? channel(r, op.peer) : channel(op.peer, r);
  // The queue holds unmatched ops of one kind only: match the oldest of the other kind, FIFO.
  if (q.head != kNone && (op_at(q.head).kind == OpKind::send) != is_send) {
    const std::uint32_t other = q.head;
    q.head = next_[other];
    if (q.head == kNone) q.tail = kNone;
    is_send ? match(op_id, other) : match(other, op_id);
  } else {
    if (q.tail == kNone) q.head = op_id;
    else next_[q.tail] = op_id;
    q.tail = op_id;
  }
  if (is_send && options_.eager_bytes && op.bytes <= *options_.eager_bytes && state_[op_id] != OpState::completed)
    complete_op(op_id);  // buffered: the sender moves on; the receive still waits for the match
}

void Matcher::match(std::uint32_t send_id, std::uint32_t recv_id) {
  const OpRef s = ref(send_id), r = ref(recv_id);
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
  if (state_[send_id] != OpState::completed) state_[send_id] = OpState::matched;
  state_[recv_id] = OpState::matched;
  matches_.push_back({s, r});
}

bool Matcher::pop_match(Match& out) {
  if (matches_.empty()) return false;
  out = matches_.front();
  matches_.pop_front();
  return true;
}

void Matcher::complete(const Match& m) {
  for (const OpRef& o : {m.send, m.recv}) {
    const std::uint32_t op_id = id(o);
    if (state_[op_id] == OpState::matched) complete_op(op_id);
    else if (state_[op_id] != OpState::completed)
      throw std::logic_error("complete() on an operation that was never matched");
  }
  advance_ready_ranks();
}

void Matcher::complete_op(std::uint32_t op_id) {
  state_[op_id] = OpState::completed;
  const Rank r = owner_[op_id];
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
