#pragma once
/// Lowering: a schedule plus a discipline gives the per-rank programs.
#include <string>
#include <utility>
#include <vector>

#include "schedule/program.h"
#include "schedule/schedule.h"

namespace ua2a {

/// How a rank posts each round's operations (design.md, "Lowering").
enum class Discipline {
  paired_half,  ///< per round: lower rank [sends],[recvs]; higher [recvs],[sends]
  paired_full,  ///< per round one step {sends, recvs}
  grouped,      ///< all operations in one step
  naive,        ///< every op its own step, sends before receives (deadlocks on purpose)
};

struct DisciplineInfo {
  Discipline discipline;
  const char* name;
  const char* description;
};
/// The one table of disciplines.
const std::vector<DisciplineInfo>& disciplines();
Discipline parse_discipline(const std::string& name);
std::string to_string(Discipline d);

/// Lowers `schedule`. Every rank's first step also copies its diagonal block (when it has bytes).
/// paired_half needs at most one partner per rank per round (or per exchange of a per-rank
/// order) and throws std::invalid_argument naming the round and rank otherwise.
ProgramSet lower(const Schedule& schedule, Discipline discipline);

/// `programs` without their diagonal copies, each rank's remaining operations posted in one step
/// per step they had: for traffic that is not an all-to-all (a ring pass keeps its own block).
ProgramSet without_local_copies(ProgramSet programs);

/// Traffic that is not an all-to-all (a pair, a ring, a lone reader): each (src, dst) of `pairs`
/// one block of `bytes` (q, k and v of a third each when not `merged`), all posted in one step,
/// without local copies. For measurements and tests of the simulator.
ProgramSet lower_concurrent(std::int32_t ranks, const std::vector<std::pair<Rank, Rank>>& pairs, std::uint64_t bytes,
                            bool merged = true);

}  // namespace ua2a
