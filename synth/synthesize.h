#pragma once
/// The synthesiser (docs/synthesize.md): searches the space of synth/space.h for the schedule the
/// simulator times fastest on one box and transport, seeded with the study's own schedules so the
/// answer is never slower than the best of them, then prefers a robust candidate.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "plan/study.h"
#include "schedule/lower.h"
#include "schedule/schedule.h"
#include "sim/simulate.h"
#include "sim/topology.h"

namespace ua2a::synth {

struct Request {
  std::int32_t ranks = 8;
  Payload payload;           ///< merged, one chunk: the candidates' blocks (chunks are searched)
  Payload unmerged_payload;  ///< the same bytes as separate messages: the study's staircase
  std::optional<TransportKind> transport;  ///< default: the box's
  /// The objective's simulator options: model and mechanisms (the commands' contention model);
  /// transport, schedule and recording are set per run.
  SimOptions sim;
  std::uint64_t seed = 1;
  /// Seconds of search. Turned into a number of evaluations from the problem's size before the
  /// search starts, so the same seed gives the same schedule on any machine (search_plan()).
  double budget_s = 3;
  /// Stop at 3 x budget_s of wall clock even before the planned simulations are done (a slow or
  /// loaded machine; the result then says so). Off: exactly the planned search, however long.
  bool wall_clock_guard = true;
  /// Prefer a candidate up to this much slower than the fastest when it is robust on the
  /// neighbouring boxes (never one slower than the best study schedule).
  double robust_margin = 0.02;
  bool robustness = true;
};

/// One timed candidate: how it was built, its schedule (discipline recorded) and time.
struct Scored {
  std::string name;
  Schedule schedule;
  double time_s = 0;
};

/// One schedule of the study on the same box and transport.
struct StudyTime {
  plan::Combo combo;
  Schedule schedule;
  SimReport sim;
};

/// The winner and the best study schedule on one box next to the given one.
struct Neighbour {
  std::string box;  ///< "socket link x0.5", "uplinks x1.5", "interleaving off", "interleaving x2"
  double winner_s = 0;
  double best_study_s = 0;
  std::string best_study;  ///< the fastest study schedule on that box
};

struct SearchPlan {
  std::size_t evaluations = 0;  ///< the search's evaluation budget, from budget_s and the size
  double seconds_per_evaluation = 0;  ///< the estimate it was derived with
};
/// The evaluations `request` buys: budget_s over an estimate of one simulation's cost from the
/// number of operations (fixed on this project's 2-core machine), at least 40.
SearchPlan search_plan(const Request& request);

struct Result {
  Scored winner;
  SimReport sim;  ///< the winner, explained (set_by, fluid time) with its links recorded
  std::vector<StudyTime> study;
  std::vector<Scored> finalists;  ///< the fastest distinct candidates, fastest first
  std::vector<Neighbour> neighbours;
  bool wall_clock_guard = true;  ///< the request's: false (--exact) ran the planned search whatever the clock
  double robust_margin = 0;  ///< the request's: a candidate this much slower may win by robustness
  std::string robust_note;  ///< why the winner is not the fastest candidate; "" when it is
  std::string why;          ///< what makes it faster than the best study schedule (or why it is that one)
  std::size_t evaluations = 0;
  SearchPlan plan;
  bool cut_by_clock = false;  ///< the wall clock (3 x budget) ended the search before its plan
  /// The fastest study schedule, and NCCL's grouped and the reference's rows (nullptr if absent).
  const StudyTime* best_study() const;
  const StudyTime* study_row(const plan::Combo& combo) const;
};

/// Searches; throws std::invalid_argument when the transport has no route on the box or the box
/// has fewer GPUs than ranks.
Result synthesize(const Topology& topology, const Request& request);

/// The "ulysses-a2a/synthesis" JSON document (docs/formats.md): the box, the winner's time, bound
/// and efficiency, every study schedule's time, the neighbouring boxes, the search's size.
std::string result_json(const Topology& topology, const Result& result);

/// The text report of `result` (time, bound, efficiency, speed-ups, the study, robustness, why).
std::string result_text(const Topology& topology, const Result& result);

}  // namespace ua2a::synth
