// staircase: the order before the reference's change #590. Every rank visits partners 0..N-1 in
// the same order, so the exchange between r and t sits at r's position t and at t's position r:
// not a sequence of global matchings, hence a per-rank schedule.
#include "schedule/generators.h"

namespace ua2a {

Schedule staircase(std::int32_t ranks, const Payload& payload) {
  Schedule s{.ranks = ranks, .algo = "staircase", .kind = ScheduleKind::per_rank, .payload = payload};
  s.rank_orders.resize(ranks);
  for (Rank r = 0; r < ranks; ++r)
    for (Rank t = 0; t < ranks; ++t) {
      if (t == r) continue;
      Round exchange;
      // Lower rank's block first, so both ends list the exchange identically.
      const Rank lo = r < t ? r : t, hi = r < t ? t : r;
      add_block(exchange, lo, hi, payload);
      add_block(exchange, hi, lo, payload);
      s.rank_orders[r].push_back(std::move(exchange));
    }
  return s;
}

}  // namespace ua2a
