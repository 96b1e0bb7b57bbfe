// libFuzzer target for what `verify --input` accepts: any schedule or programs document that the
// readers accept must verify (structure, execution, report text and JSON, Promela export) without
// crashing under every discipline; the only exceptions allowed are the readers' FormatError and
// lowering's std::invalid_argument for a discipline that does not apply, each caught where it is
// thrown so that an exception from verify() or the reports is a crash the fuzzer reports.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "schedule/io.h"
#include "schedule/lower.h"
#include "verify/promela.h"
#include "verify/report.h"

using namespace ua2a;

namespace {

/// Keeps each run fast: the fuzzer looks for crashes, not for big inputs.
constexpr std::size_t kMaxOps = 4096;

void check(const VerifyReport& r, const ProgramSet& p) {
  report_to_text(r);
  report_to_json(r);
  if (p.ranks <= 255) to_promela(p);  // the Promela export's documented rank limit
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // Only the readers may refuse an input (FormatError); everything after them must not throw.
  std::optional<Schedule> schedule;
  std::optional<ProgramSet> programs;
  try {
    if (document_kind(text) == DocumentKind::programs) programs = programs_from_json(text);
    else schedule = schedule_from_json(text);
  } catch (const FormatError&) {
    return 0;
  }
  if (programs) {
    if (programs->op_count() <= kMaxOps)
      check(verify(*programs, {.eager_bytes = size % 2 ? std::optional<std::uint64_t>(64) : std::nullopt}), *programs);
    return 0;
  }
  if (schedule->transfer_count() > kMaxOps) return 0;
  for (const auto& d : disciplines()) {  // every discipline, whichever refuses the schedule
    ProgramSet p;
    try {
      p = lower(*schedule, d.discipline);
    } catch (const std::invalid_argument&) {  // lowering's documented refusal (paired-half on a non-pairing)
      continue;
    }
    check(verify(*schedule, p), p);
  }
  return 0;
}
