#pragma once
/// Schedule generators, registered in one table.
#include <functional>
#include <string>
#include <vector>

#include "schedule/limits.h"
#include "schedule/schedule.h"

namespace ua2a {

struct GeneratorInfo {
  const char* name;
  const char* description;
  std::function<Schedule(std::int32_t ranks, const Payload& payload)> make;
  /// Why the generator cannot run at `ranks` ranks, or "" (nullptr: it runs at any N). A study
  /// skips such a generator with this reason (plan/study.h); the generator itself refuses too.
  std::string (*cannot_run)(std::int32_t ranks) = nullptr;
};

/// xor's rule: a perfect matching per round only when N is a power of two.
std::string xor_cannot_run(std::int32_t ranks);

/// The one table of generators: round-robin, shift, xor, grouped, staircase.
const std::vector<GeneratorInfo>& generators();
/// Finds a generator by name; throws std::invalid_argument with a "did you mean" otherwise.
const GeneratorInfo& find_generator(const std::string& name);
/// Runs generator `algo` for `ranks` ranks; checks schedule/limits.h before generating anything.
Schedule generate(const std::string& algo, std::int32_t ranks, const Payload& payload);

Schedule round_robin(std::int32_t ranks, const Payload& payload);
Schedule shift(std::int32_t ranks, const Payload& payload);
Schedule xor_pairs(std::int32_t ranks, const Payload& payload);
Schedule grouped(std::int32_t ranks, const Payload& payload);
Schedule staircase(std::int32_t ranks, const Payload& payload);

/// One pass of ring attention (plan's ring layouts pass K and V this way, ring-1 times per
/// attention): one round in which every rank r sends its block to (r + 1) mod N and receives
/// (r - 1)'s. It is not an all-to-all: a block reaches one peer, so verify's exactly-once check
/// (every off-diagonal piece delivered) does not apply, and it is not in generators(), the table
/// of all-to-alls that simulate, report and synthesize walk. At least 2 ranks; the limits apply.
Schedule ring_pass(std::int32_t ranks, const Payload& payload);

/// The circle-method rounds as (lower, higher) pairs sorted by the lower rank, exactly as the
/// reference; for odd N a virtual rank N stands for the bye and its pairs are left out.
std::vector<std::vector<std::pair<Rank, Rank>>> circle_rounds(std::int32_t ranks);

}  // namespace ua2a
