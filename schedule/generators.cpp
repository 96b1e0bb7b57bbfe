#include "schedule/generators.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace ua2a {

const std::vector<GeneratorInfo>& generators() {
  static const std::vector<GeneratorInfo> table = {
      {"round-robin", "circle method: N-1 rounds of pairs (N rounds with a bye for odd N)", round_robin},
      {"shift", "N-1 rounds; round r (from 0) sends to rank+r+1, receives from rank-r-1", shift},
      {"xor", "N-1 rounds; round r (from 0) exchanges with rank^(r+1) (power-of-two N)", xor_pairs, xor_cannot_run},
      {"grouped", "NCCL all-to-all: every peer in one round", grouped},
      {"staircase", "pre-#590 order: every rank visits partners 0..N-1 in turn", staircase},
  };
  return table;
}

namespace {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

const GeneratorInfo& find_generator(const std::string& name) {
  const GeneratorInfo* closest = nullptr;
  std::size_t best = 3;  // suggest only names within two edits
  for (const auto& g : generators()) {
    if (name == g.name) return g;
    const std::size_t d = edit_distance(name, g.name);
    if (d < best) best = d, closest = &g;
  }
  std::string names;
  for (const auto& g : generators()) names += std::string(names.empty() ? "" : ", ") + g.name;
  throw std::invalid_argument("unknown algo '" + name + "'" +
                              (closest ? std::string(", did you mean '") + closest->name + "'?" : std::string()) +
                              " (algos: " + names + ")");
}

Schedule generate(const std::string& algo, std::int32_t ranks, const Payload& payload) {
  const GeneratorInfo& g = find_generator(algo);
  check_limits(ranks, payload);  // the same limits the JSON readers apply
  return g.make(ranks, payload);
}

}  // namespace ua2a
