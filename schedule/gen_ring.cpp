// ring pass: one pass of ring attention. Not an all-to-all, so not in generators(): see
// generators.h.
#include <stdexcept>
#include <string>

#include "schedule/generators.h"

namespace ua2a {

Schedule ring_pass(std::int32_t ranks, const Payload& payload) {
  if (ranks < 2)
    throw std::invalid_argument("a ring pass needs at least 2 ranks (got " + std::to_string(ranks) +
                                "): a ring of one has nothing to pass");
  check_limits(ranks, payload);
  Schedule s{.ranks = ranks, .algo = "ring-pass", .kind = ScheduleKind::directed, .payload = payload};
  Round round;
  for (Rank r = 0; r < ranks; ++r) add_block(round, r, (r + 1) % ranks, payload);
  s.rounds.push_back(std::move(round));
  return s;
}

}  // namespace ua2a
