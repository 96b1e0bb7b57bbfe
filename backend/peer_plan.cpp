#include "backend/peer_plan.h"

#include <algorithm>

#include "backend/transport.h"

namespace ua2a {

namespace {

std::vector<std::uint32_t> step_of_ops(const Program& p) {
  std::vector<std::uint32_t> step(p.ops.size());
  for (std::size_t k = 0; k < p.step_count(); ++k)
    for (std::uint32_t i = p.step_begin[k]; i < p.step_begin[k + 1]; ++i) step[i] = static_cast<std::uint32_t>(k);
  return step;
}

/// Per-rank progress while planning.
struct RankState {
  std::int64_t entered = -1;    ///< last step whose ready event is recorded
  std::uint32_t ready = 0;      ///< ready event of step `entered`
  std::vector<std::pair<std::uint32_t, std::uint32_t>> pending;  ///< (done event, send step)
};

class Planner {
 public:
  Planner(const ProgramSet& p, std::uint64_t stride) : programs_(p), stride_(stride), state_(p.ranks) {
    for (const Program& prog : p.programs) steps_.push_back(step_of_ops(prog));
  }

  StreamPlan run() {
    check_programs(programs_);
    for (Rank r = 0; r < programs_.ranks; ++r)  // the diagonal copies, in each rank's step 0
      for (const Op& op : programs_.programs[r].ops)
        if (op.kind == OpKind::copy) {
          const std::uint32_t k = step(r, op);
          enter(r, k);
          add_copy(r, r, r * stride_, r * stride_, op.bytes, k, k, op);
        }
    drive_serially(programs_, [&](const Op& send, Rank from, const Op& recv, Rank to) { match(send, from, recv, to); });
    for (Rank r = 0; r < programs_.ranks; ++r)
      for (const auto& [event, s] : state_[r].pending) wait(r, event);
    return std::move(plan_);
  }

 private:
  std::uint32_t step(Rank r, const Op& op) const {
    return steps_[r][static_cast<std::size_t>(&op - programs_.programs[r].ops.data())];
  }
  std::uint32_t record(Rank r) {
    StreamCommand c;
    c.kind = StreamCommand::Kind::record, c.stream = r, c.event = plan_.events++;
    plan_.commands.push_back(c);
    return c.event;
  }
  void wait(Rank r, std::uint32_t event) {
    StreamCommand c;
    c.kind = StreamCommand::Kind::wait, c.stream = r, c.event = event;
    plan_.commands.push_back(c);
  }
  void add_copy(Rank to, Rank from, std::uint64_t src, std::uint64_t dst, std::uint64_t bytes, std::uint32_t from_step,
                std::uint32_t to_step, const Op& send) {
    StreamCommand c;
    c.kind = StreamCommand::Kind::copy, c.stream = to, c.from = from, c.src_offset = src, c.dst_offset = dst;
    c.bytes = bytes, c.from_step = from_step, c.to_step = to_step, c.send = send;
    plan_.commands.push_back(c);
  }
  /// Rank r starts step k: its stream waits for the copies out of its send buffer from earlier
  /// steps (zero-buffer: a send completes when its data moved), then marks the point "ready".
  void enter(Rank r, std::uint32_t k) {
    RankState& s = state_[r];
    if (s.entered >= static_cast<std::int64_t>(k)) return;
    std::erase_if(s.pending, [&](const auto& p) {
      if (p.second >= k) return false;
      wait(r, p.first);
      return true;
    });
    s.ready = record(r);
    s.entered = k;
  }
  void match(const Op& send, Rank from, const Op& recv, Rank to) {
    const std::uint32_t ks = step(from, send), kr = step(to, recv);
    enter(from, ks);
    enter(to, kr);
    wait(to, state_[from].ready);
    add_copy(to, from, send_offset(programs_.payload, stride_, send), recv_offset(programs_.payload, stride_, recv),
             recv.bytes, ks, kr, send);
    state_[from].pending.emplace_back(record(to), ks);
  }

  const ProgramSet& programs_;
  std::uint64_t stride_;
  std::vector<RankState> state_;
  std::vector<std::vector<std::uint32_t>> steps_;
  StreamPlan plan_;
};

}  // namespace

StreamPlan plan_peer_copies(const ProgramSet& programs, std::uint64_t block_stride) {
  return Planner(programs, block_stride).run();
}

}  // namespace ua2a
