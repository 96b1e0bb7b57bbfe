#pragma once
/// JSON and text forms of schedules and programs. The JSON schema is in docs/formats.md; readers
/// validate everything and throw FormatError naming the offending field (and rank) on error.
#include <ostream>
#include <stdexcept>
#include <string>

#include "schedule/printable.h"
#include "schedule/program.h"
#include "schedule/schedule.h"

namespace ua2a {

struct FormatError : std::runtime_error {
  explicit FormatError(const std::string& what) : std::runtime_error(printable(what)) {}
};

inline constexpr int kFormatVersion = 1;

std::string schedule_to_json(const Schedule& schedule, int indent = 1);
/// The same text printed into `out` a round at a time (a schedule of 4096 ranks is 1.2 GB of it).
void write_schedule_json(std::ostream& out, const Schedule& schedule, int indent = 1);
Schedule schedule_from_json(const std::string& text);
std::string programs_to_json(const ProgramSet& programs, int indent = 1);
/// The same text printed into `out` a program at a time.
void write_programs_json(std::ostream& out, const ProgramSet& programs, int indent = 1);
ProgramSet programs_from_json(const std::string& text);
/// Reads either kind of document; tells which by its "format" field.
enum class DocumentKind { schedule, programs };
DocumentKind document_kind(const std::string& text);

/// Compact text for people: one line per round (pairs for pairing schedules) or per rank.
std::string schedule_to_text(const Schedule& schedule);
std::string programs_to_text(const ProgramSet& programs);
/// A few lines: ranks, rounds, transfers, bytes per block, per-rank bytes.
std::string schedule_summary(const Schedule& schedule);

}  // namespace ua2a
