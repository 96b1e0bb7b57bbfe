// xor: round r (from 0) pairs rank q with q ^ d, d = r + 1; a perfect matching only when N is a power of two.
#include <stdexcept>
#include <string>

#include "schedule/generators.h"

namespace ua2a {

std::string xor_cannot_run(std::int32_t ranks) {
  if (ranks > 0 && (ranks & (ranks - 1)) == 0) return "";
  return "xor needs a power-of-two number of ranks (got " + std::to_string(ranks) + "): use round-robin for any N";
}

Schedule xor_pairs(std::int32_t ranks, const Payload& payload) {
  if (const std::string why = xor_cannot_run(ranks); !why.empty())
    throw std::invalid_argument("algo " + why);
  Schedule s{.ranks = ranks, .algo = "xor", .kind = ScheduleKind::pairing, .payload = payload};
  for (std::int32_t d = 1; d < ranks; ++d) {
    Round round;
    for (Rank a = 0; a < ranks; ++a) {
      const Rank b = a ^ d;
      if (a > b) continue;
      add_block(round, a, b, payload);
      add_block(round, b, a, payload);
    }
    s.rounds.push_back(std::move(round));
  }
  return s;
}

}  // namespace ua2a
