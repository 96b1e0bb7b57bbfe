#pragma once
// Test helpers: build small programs inline, and edit generated ones step by step (the fault
// injections of the mutation tests).
#include <vector>

#include "schedule/payload.h"
#include "schedule/program.h"

namespace ua2a::test {

using Steps = std::vector<std::vector<Op>>;

inline Op send(Rank self, Rank peer, std::uint64_t bytes = 8) { return {OpKind::send, 0, peer, {self, peer}, 0, bytes}; }
inline Op recv(Rank self, Rank peer, std::uint64_t bytes = 8) { return {OpKind::recv, 0, peer, {peer, self}, 0, bytes}; }

inline Program program(Rank rank, const Steps& steps) {
  Program p;
  p.rank = rank;
  for (const auto& step : steps) {
    p.ops.insert(p.ops.end(), step.begin(), step.end());
    p.end_step();
  }
  return p;
}

/// A program set of the given per-rank steps with a one-part, one-chunk payload of `bytes`.
inline ProgramSet programs(const std::vector<Steps>& ranks, std::uint64_t bytes = 8) {
  ProgramSet set;
  set.ranks = static_cast<std::int32_t>(ranks.size());
  set.algo = "inline";
  set.discipline = "inline";
  set.payload = uniform_payload(bytes, true, 1);
  for (std::size_t r = 0; r < ranks.size(); ++r) set.programs.push_back(program(static_cast<Rank>(r), ranks[r]));
  return set;
}

inline Steps steps_of(const Program& p) {
  Steps steps;
  for (std::size_t i = 0; i < p.step_count(); ++i) steps.emplace_back(p.step(i).begin(), p.step(i).end());
  return steps;
}

/// Applies `edit` to rank r's steps and rebuilds the program (empty steps are dropped).
template <class F>
ProgramSet edit_rank(ProgramSet set, Rank r, F edit) {
  Steps steps = steps_of(set.programs[r]);
  edit(steps);
  set.programs[r] = program(r, steps);
  return set;
}

/// Where an op sits: step and position in the step.
struct At {
  std::size_t step = 0;
  std::size_t pos = 0;
};

/// The first op of rank r's steps satisfying pred.
template <class P>
At find_op(const Program& p, P pred) {
  const Steps steps = steps_of(p);
  for (std::size_t s = 0; s < steps.size(); ++s)
    for (std::size_t i = 0; i < steps[s].size(); ++i)
      if (pred(steps[s][i])) return {s, i};
  throw std::logic_error("no such op");
}

}  // namespace ua2a::test
