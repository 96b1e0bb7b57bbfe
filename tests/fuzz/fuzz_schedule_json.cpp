// libFuzzer target for the schedule and program JSON readers: any input either parses into a
// valid document (which then round-trips and lowers/matches without crashing) or throws
// FormatError. Anything else (a crash, another exception, a sanitizer report) is a bug.
#include <cstddef>
#include <cstdint>
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

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const Schedule s = schedule_from_json(text);
    if (schedule_from_json(schedule_to_json(s)) != s) __builtin_trap();
    if (s.transfer_count() < 4096) run_matcher(lower(s, Discipline::paired_full));
  } catch (const FormatError&) {
  } catch (const std::invalid_argument&) {  // lowering's documented error for a valid file
  }
  try {
    const ProgramSet p = programs_from_json(text);
    if (programs_from_json(programs_to_json(p)) != p) __builtin_trap();
    run_matcher(p);
  } catch (const FormatError&) {
  }
  return 0;
}
