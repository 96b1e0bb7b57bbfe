// round-robin: the circle method of the reference (ulysses-4090), extended to odd N with a bye.
#include <algorithm>

#include "schedule/generators.h"

namespace ua2a {

std::vector<std::vector<std::pair<Rank, Rank>>> circle_rounds(std::int32_t ranks) {
  if (ranks < 2) return {};
  // Odd N: a virtual team N is the bye; whoever meets it sits the round out.
  const std::int32_t teams_n = ranks % 2 == 0 ? ranks : ranks + 1;
  std::vector<Rank> teams(teams_n);
  for (Rank i = 0; i < teams_n; ++i) teams[i] = i;
  std::vector<std::vector<std::pair<Rank, Rank>>> rounds;
  for (std::int32_t round = 0; round < teams_n - 1; ++round) {
    std::vector<std::pair<Rank, Rank>> pairs;
    for (std::int32_t i = 0; i < teams_n / 2; ++i) {
      const Rank a = teams[i], b = teams[teams_n - 1 - i];
      if (a < ranks && b < ranks) pairs.emplace_back(std::min(a, b), std::max(a, b));
    }
    std::sort(pairs.begin(), pairs.end());
    rounds.push_back(std::move(pairs));
    // Keep teams[0] fixed, rotate the rest right by one.
    std::rotate(teams.begin() + 1, teams.end() - 1, teams.end());
  }
  return rounds;
}

Schedule round_robin(std::int32_t ranks, const Payload& payload) {
  Schedule s{.ranks = ranks, .algo = "round-robin", .kind = ScheduleKind::pairing, .payload = payload};
  for (const auto& pairs : circle_rounds(ranks)) {
    Round round;
    // The lower rank's block first: the order in which the pair's ops are posted.
    for (const auto& [a, b] : pairs) {
      add_block(round, a, b, payload);
      add_block(round, b, a, payload);
    }
    s.rounds.push_back(std::move(round));
  }
  return s;
}

}  // namespace ua2a
