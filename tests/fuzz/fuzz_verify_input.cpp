// libFuzzer target for what `verify --input` accepts: any schedule or programs document that the
// readers accept must verify (structure, execution, report text and JSON, Promela export) without
// crashing; the only exceptions allowed are the documented bad-input ones (FormatError from the
// readers, std::invalid_argument for files that parse but cannot be lowered or exported).
#include <cstddef>
#include <cstdint>
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
  if (p.ranks <= 255) to_promela(p);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    if (document_kind(text) == DocumentKind::programs) {
      const ProgramSet p = programs_from_json(text);
      if (p.op_count() <= kMaxOps) check(verify(p, {.eager_bytes = size % 2 ? std::optional<std::uint64_t>(64) : std::nullopt}), p);
    } else {
      const Schedule s = schedule_from_json(text);
      if (s.transfer_count() > kMaxOps) return 0;
      for (const auto& d : disciplines()) {
        const ProgramSet p = lower(s, d.discipline);
        check(verify(s, p), p);
      }
    }
  } catch (const FormatError&) {
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
