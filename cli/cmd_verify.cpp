// ulysses-a2a verify: prove a schedule (generated or from a file) deadlock-free and exactly-once
// before it runs on GPUs. Exit 0 when every property holds, 1 when one is violated, 2 on bad input.
#include <iostream>
#include <optional>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/option_rules.h"
#include "cli/outputs.h"
#include "schedule/io.h"
#include "schedule/lower.h"
#include "verify/promela.h"
#include "verify/report.h"

namespace ua2a::cli {

namespace {

struct Options {
  ScheduleOptions schedule;
  std::string discipline = "paired-full";
  std::string input;          ///< a schedule or programs JSON file instead of a generated schedule
  std::optional<std::uint64_t> eager;
  bool json = false;
  std::string promela;        ///< write the Promela model of the programs here
  bool discipline_given = false;
};

/// The programs to execute and, when the input was a schedule, the report with its structure.
VerifyReport verify_input(const Options& o, const ExecuteOptions& exec, ProgramSet& programs) {
  if (!o.input.empty()) {
    const std::string text = read_file(o.input);
    if (named_input(o.input, [&] { return document_kind(text); }) == DocumentKind::programs) {
      programs = named_input(o.input, [&] { return programs_from_json(text); });
      return verify(programs, exec);
    }
    const Schedule s = named_input(o.input, [&] { return schedule_from_json(text); });
    // A file that records its discipline (synthesize writes one) runs as it was chosen.
    programs = lower(s, parse_discipline(o.discipline_given || s.discipline.empty() ? o.discipline : s.discipline));
    return verify(s, programs, exec);
  }
  const Schedule s = make_schedule(o.schedule);
  programs = lower(s, parse_discipline(o.discipline));
  return verify(s, programs, exec);
}

void run(const Options& o) {
  ProgramSet programs;
  const VerifyReport report = verify_input(o, {.eager_bytes = o.eager}, programs);
  if (!o.promela.empty()) write_output(o.promela, to_promela(programs));
  std::cout << (o.json ? report_to_json(report) : report_to_text(report)) << std::flush;
  if (!report.ok()) throw CLI::RuntimeError(kExitViolation);
}

}  // namespace

void setup_verify(CLI::App& app) {
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "verify", "check a schedule or programs: matchings, coverage, deadlock-freedom, exactly-once delivery");
  add_schedule_options(*cmd, opt->schedule);
  std::string names;
  for (const auto& d : disciplines()) names += std::string(names.empty() ? "" : ", ") + d.name;
  cmd->add_option("-d,--discipline", opt->discipline, "how ranks post each round's ops: " + names)
      ->capture_default_str();
  cmd->add_option("-i,--input", opt->input,
                  "verify this schedule JSON (lowered with --discipline, else the file's own, else paired-full) or "
                  "programs JSON instead of generating")
      ->check(CLI::ExistingFile);
  cmd->add_option("--eager", opt->eager, "sends of at most BYTES complete when posted (default: zero-buffer)");
  cmd->add_flag("--json", opt->json, "print the full report as JSON");
  output_option(*cmd, cmd->add_option("--emit-promela", opt->promela, "also write a Promela model of the programs to FILE (for SPIN)"));
  excludes(*cmd, "--input", {"--ranks", "--algo", "--chunks", "--unmerged", "--bytes", "--seq", "--heads", "--head-dim",
                             "--dtype", "--exchange"},
           "the file gives the ranks, the schedule and the sizes");
  cmd->callback([opt, cmd] {
    opt->discipline_given = cmd->count("--discipline") > 0;
    run(*opt);
  });
}

}  // namespace ua2a::cli
