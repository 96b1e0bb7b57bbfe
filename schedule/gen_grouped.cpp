// grouped: NCCL's all-to-all, every peer in one round.
#include "schedule/generators.h"

namespace ua2a {

Schedule grouped(std::int32_t ranks, const Payload& payload) {
  Schedule s{.ranks = ranks, .algo = "grouped", .kind = ScheduleKind::grouped, .payload = payload};
  if (ranks < 2) return s;
  Round round;
  // NCCL posts, per rank, peers in the order rank+1, rank+2, ... (mod N).
  for (Rank r = 0; r < ranks; ++r)
    for (std::int32_t d = 1; d < ranks; ++d) add_block(round, r, (r + d) % ranks, payload);
  s.rounds.push_back(std::move(round));
  return s;
}

}  // namespace ua2a
