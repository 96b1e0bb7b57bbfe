// libFuzzer target for the schedule and program JSON readers: any input either parses into a
// valid document (which then round-trips, and lowers under every discipline and matches without
// crashing) or throws FormatError. Anything else (a crash, another exception, a sanitizer report)
// is a bug; lowering's refusal of a discipline that does not apply is caught around lower() only.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "schedule/io.h"
#include "schedule/lower.h"
#include "schedule/matcher.h"

using namespace ua2a;

namespace {

void run_matcher(const ProgramSet& p) {
  Matcher m(p);
  m.start();
  Match match;
  while (m.pop_match(match)) m.complete(match);
}

}  // namespace

/// Lowers under every discipline; only lowering's documented refusal may be thrown.
void lower_and_match(const Schedule& s) {
  for (const auto& d : disciplines()) {
    ProgramSet p;
    try {
      p = lower(s, d.discipline);
    } catch (const std::invalid_argument&) {  // paired-half on a schedule that is not a pairing
      continue;
    }
    run_matcher(p);
  }
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::optional<Schedule> s;
  try {
    s = schedule_from_json(text);
  } catch (const FormatError&) {
  }
  if (s) {
    if (schedule_from_json(schedule_to_json(*s)) != *s) __builtin_trap();
    if (s->transfer_count() < 4096) lower_and_match(*s);
  }
  std::optional<ProgramSet> p;
  try {
    p = programs_from_json(text);
  } catch (const FormatError&) {
  }
  if (p) {
    if (programs_from_json(programs_to_json(*p)) != *p) __builtin_trap();
    run_matcher(*p);
  }
  return 0;
}
