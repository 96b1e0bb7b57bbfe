#pragma once
/// The study's schedules: which combos (generator, discipline, merged or not) a comparison means,
/// and their expansion over the exchanges into generated and lowered cases with the skip rules
/// taken from the generator and discipline tables. It needs schedule/ alone, so every command
/// uses it, bench included (the GPU slice builds it without Boost, sim/ or plan/); plan/study.h
/// adds the transports and runs the cases on the simulator.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "schedule/payload.h"
#include "schedule/program.h"
#include "schedule/schedule.h"

namespace ua2a {

/// One schedule of a comparison: generator, discipline, merged or not.
struct Combo {
  std::string algo;
  std::string discipline;
  bool unmerged = false;
  /// "round-robin paired-half", with " (unmerged)" when unmerged.
  std::string label() const;
};

/// The study of the reference (issue 4): the reference (round-robin paired-half), its full-duplex
/// variant, the pre-#590 staircase (unmerged), NCCL's grouped all-to-all, shift and XOR.
const std::vector<Combo>& study_schedules();

/// The reference layout's exchange: round-robin, paired-half, merged (reference/ulysses-4090.md).
Combo reference_schedule();

/// The items of a comma list ("a,b,,c": a, b, c; empty items dropped).
std::vector<std::string> split_list(const std::string& list);

/// The schedules a comparison asks for: `algos` a comma list of generators, "all" or empty, and
/// `disciplines` a comma list, "all" (every one but naive, which deadlocks by design) or empty (the
/// default: paired-full, grouped for grouped). Both empty: the study. Names are not checked here.
std::vector<Combo> comparison(const std::string& algos, const std::string& disciplines, bool unmerged);

/// Why `combo` cannot run at `ranks` ranks, or "" when it can (xor needs a power of two). A
/// comparison skips such combos with this note; a request by name is an error.
std::string skip_reason(const Combo& combo, std::int32_t ranks);

/// The schedules a study asks for at one size: what `expand` needs. plan::StudyRequest adds the
/// transports and the simulator's options.
struct StudySchedules {
  std::int32_t ranks = 8;
  std::vector<Combo> combos = study_schedules();
  /// The combos were named one by one (no "all", not the default study): one that cannot run at
  /// `ranks` is an error naming why, not a skipped row.
  bool by_name = false;
  /// The exchanges to time ("qkv", "out"); each case's payload is payload(combo, exchange).
  std::vector<std::string> exchanges = {"qkv"};
  std::function<Payload(const Combo&, const std::string& exchange)> payload;
  /// The cases run on real transports (bench), not in the verifier or the simulator: a discipline
  /// that deadlocks by design (naive) is skipped with why, or refused when named one by one.
  bool real_transports = false;
};

/// Sets `request`'s combos from the lists a command was given (comparison(), same arguments) and
/// whether they were named one by one: a list given without "all".
void choose_schedules(StudySchedules& request, const std::string& algos, const std::string& disciplines,
                      bool unmerged);

/// One schedule of a study, generated and lowered. `has_schedule` is false for a programs file,
/// which has no schedule to route by.
struct StudyCase {
  Combo combo;
  std::string exchange;
  Schedule schedule;
  ProgramSet programs;
  bool has_schedule = true;
};

/// Something a study left out, and why (a command prints it as "note: skipped WHAT: WHY").
struct StudySkip {
  std::string what;
  std::string why;
};

struct StudyCases {
  std::vector<StudyCase> cases;
  std::vector<StudySkip> skipped;
};

/// The request's cases, in order (exchange, then combo). The rules: a name not in the generator
/// or discipline table is an error; a generator that cannot run at the ranks (its table's
/// cannot_run: xor at N not a power of two) and a schedule its discipline cannot lower
/// (paired-half with several partners per round) are skipped with the reason, or thrown when the
/// combos were named one by one; so is a payload the request cannot build at these ranks.
StudyCases expand(const StudySchedules& request);

}  // namespace ua2a
