#pragma once
/// The verifier's entry points and its report: a value with one verdict per property and the
/// counterexamples, printed as text for people or as JSON for scripts.
#include <optional>
#include <string>

#include "schedule/lower.h"
#include "schedule/program.h"
#include "schedule/schedule.h"
#include "verify/execute.h"
#include "verify/structure.h"

namespace ua2a {

struct VerifyReport {
  std::int32_t ranks = 0;
  std::string algo;
  std::string discipline;
  /// Present when the input was a schedule (generated, or a schedule file).
  std::optional<StructureReport> structure;
  ExecutionReport execution;
  /// With eager sends: whether the same programs are deadlock-free with zero buffering too. A pass
  /// that relies on eager buffering says so, since a transport may not buffer.
  std::optional<bool> zero_buffer_deadlock_free;

  /// Every correctness property holds (balance and round count are reported, never violated).
  bool ok() const { return (!structure || structure->ok()) && execution.ok(); }
};

/// Structural checks on `schedule`, then execution of its lowering under `discipline`.
VerifyReport verify(const Schedule& schedule, Discipline discipline, const ExecuteOptions& options = {});
/// Structural checks on `schedule`, then execution of `lowered` (its lowering, kept by the caller,
/// e.g. to export it as well).
VerifyReport verify(const Schedule& schedule, const ProgramSet& lowered, const ExecuteOptions& options = {});
/// Execution checks on hand-written or previously lowered programs.
VerifyReport verify(const ProgramSet& programs, const ExecuteOptions& options = {});

/// A verdict line per property ("deadlock-free: yes"), then the counterexamples.
std::string report_to_text(const VerifyReport& report);
/// The full report as a JSON document (format "ulysses-a2a/verify-report").
std::string report_to_json(const VerifyReport& report, int indent = 1);

}  // namespace ua2a
