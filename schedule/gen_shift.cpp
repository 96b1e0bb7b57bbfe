// shift: N-1 rounds; round r (counted from 0, as every output counts) sends to rank+d and
// receives from rank-d (mod N), d = r + 1.
#include "schedule/generators.h"

namespace ua2a {

Schedule shift(std::int32_t ranks, const Payload& payload) {
  Schedule s{.ranks = ranks, .algo = "shift", .kind = ScheduleKind::directed, .payload = payload};
  for (std::int32_t d = 1; d < ranks; ++d) {
    Round round;
    for (Rank r = 0; r < ranks; ++r) add_block(round, r, (r + d) % ranks, payload);
    s.rounds.push_back(std::move(round));
  }
  return s;
}

}  // namespace ua2a
