#pragma once
// Programs for hand-made traffic: each (src, dst) one transfer, all posted in one step.
#include <utility>
#include <vector>

#include "schedule/lower.h"
#include "schedule/payload.h"

namespace ua2a::testing {

/// Each (src, dst) in `pairs` is one transfer of `bytes` (of `parts` parts, posted together), all
/// in one step, without the local copies.
inline ProgramSet one_step(std::int32_t ranks, std::vector<std::pair<Rank, Rank>> pairs, std::uint64_t bytes,
                           std::uint16_t parts = 1) {
  Round round;
  for (auto [s, d] : pairs)
    for (std::uint16_t p = 0; p < parts; ++p) round.transfers.push_back({s, d, p, 0, bytes / parts});
  Schedule sched;
  sched.ranks = ranks;
  sched.algo = "hand";
  sched.kind = ScheduleKind::grouped;
  sched.payload = parts == 1 ? uniform_payload(bytes, true, 1) : uniform_payload(bytes, false, 1);
  sched.rounds = {round};
  ProgramSet p = lower(sched, Discipline::grouped);
  for (Program& prog : p.programs) {  // no local copies: only the listed transfers
    Program bare;
    bare.rank = prog.rank;
    for (const Op& op : prog.ops)
      if (op.kind != OpKind::copy) bare.ops.push_back(op);
    bare.end_step();
    prog = bare;
  }
  return p;
}

}  // namespace ua2a::testing
