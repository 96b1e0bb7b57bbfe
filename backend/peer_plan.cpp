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
  Planner(const ProgramSet& p, std::uint64_t stride, const PeerPlanOptions& options)
      : programs_(p), stride_(stride), options_(options), state_(p.ranks) {
    for (const Program& prog : p.programs) steps_.push_back(step_of_ops(prog));
  }

  StreamPlan run() {
    check_programs(programs_);
    for (Rank r = 0; r < programs_.ranks; ++r)  // the diagonal copies, in each rank's step 0
      for (const Op& op : programs_.programs[r].ops)
        if (op.kind == OpKind::copy) {
          const std::uint32_t k = step(r, op);
          enter(r, k);
          add_copy(r, kOwnStream, r, r, r * stride_, r * stride_, op.bytes, k, k, op);
        }
    drive_serially(programs_, [&](const Op& send, Rank from, const Op& recv, Rank to) { match(send, from, recv, to); });
    for (Rank r = 0; r < programs_.ranks; ++r)
      for (const auto& [event, s] : state_[r].pending) wait(r, kOwnStream, event);
    return std::move(plan_);
  }

 private:
  static constexpr std::int32_t kOwnStream = -1;

  std::uint32_t step(Rank r, const Op& op) const {
    return steps_[r][static_cast<std::size_t>(&op - programs_.programs[r].ops.data())];
  }
  std::uint32_t record(Rank r, std::int32_t lane) {
    StreamCommand c;
    c.kind = StreamCommand::Kind::record, c.stream = r, c.lane = lane, c.event = plan_.events++;
    plan_.commands.push_back(c);
    return c.event;
  }
  void wait(Rank r, std::int32_t lane, std::uint32_t event) {
    StreamCommand c;
    c.kind = StreamCommand::Kind::wait, c.stream = r, c.lane = lane, c.event = event;
    plan_.commands.push_back(c);
  }
  void add_copy(Rank stream, std::int32_t lane, Rank from, Rank to, std::uint64_t src, std::uint64_t dst,
                std::uint64_t bytes, std::uint32_t from_step, std::uint32_t to_step, const Op& send) {
    StreamCommand c;
    c.kind = StreamCommand::Kind::copy, c.stream = stream, c.lane = lane, c.from = from, c.to = to;
    c.src_offset = src, c.dst_offset = dst, c.bytes = bytes, c.from_step = from_step, c.to_step = to_step, c.send = send;
    plan_.commands.push_back(c);
  }
  /// Rank r starts step k: its stream waits for the copies out of its send buffer (or into its
  /// receive buffer, when the senders issue them) from earlier steps (zero-buffer: an operation
  /// completes when its data moved), then marks the point "ready".
  void enter(Rank r, std::uint32_t k) {
    RankState& s = state_[r];
    if (s.entered >= static_cast<std::int64_t>(k)) return;
    std::erase_if(s.pending, [&](const auto& p) {
      if (p.second >= k) return false;
      wait(r, kOwnStream, p.first);
      return true;
    });
    s.ready = record(r, kOwnStream);
    s.entered = k;
  }
  void match(const Op& send, Rank from, const Op& recv, Rank to) {
    const std::uint32_t ks = step(from, send), kr = step(to, recv);
    enter(from, ks);
    enter(to, kr);
    const bool writes = options_.sender_issues;
    const Rank issuer = writes ? from : to, other = writes ? to : from;
    const std::uint32_t issuer_step = writes ? ks : kr, other_step = writes ? kr : ks;
    const std::int32_t lane = options_.lane_per_peer ? other : kOwnStream;
    if (lane != kOwnStream) wait(issuer, lane, state_[issuer].ready);  // the lane follows its rank's step
    wait(issuer, lane, state_[other].ready);
    add_copy(issuer, lane, from, to, send_offset(programs_.payload, stride_, send),
             recv_offset(programs_.payload, stride_, recv), recv.bytes, ks, kr, send);
    const std::uint32_t done = record(issuer, lane);
    state_[other].pending.emplace_back(done, other_step);
    if (lane != kOwnStream) state_[issuer].pending.emplace_back(done, issuer_step);
  }

  const ProgramSet& programs_;
  std::uint64_t stride_;
  PeerPlanOptions options_;
  std::vector<RankState> state_;
  std::vector<std::vector<std::uint32_t>> steps_;
  StreamPlan plan_;
};

}  // namespace

StreamPlan plan_peer_copies(const ProgramSet& programs, std::uint64_t block_stride, const PeerPlanOptions& options) {
  return Planner(programs, block_stride, options).run();
}

}  // namespace ua2a
