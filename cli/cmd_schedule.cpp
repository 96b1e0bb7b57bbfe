// ulysses-a2a schedule: generate a schedule, optionally lower it to per-rank programs.
#include <iostream>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/option_rules.h"
#include "cli/outputs.h"
#include "schedule/generators.h"
#include "schedule/io.h"
#include "schedule/lower.h"

namespace ua2a::cli {

namespace {

struct Options {
  ScheduleOptions schedule;
  std::string discipline;  ///< empty: print the schedule; else the lowered programs
  std::string format = "text";
  std::string output;
  bool list = false;
};

void run(const Options& o) {
  if (o.list) {
    for (const auto& g : generators()) std::cout << g.name << "\t" << g.description << "\n";
    return;
  }
  const Schedule s = make_schedule(o.schedule);
  const bool json = o.format == "json";
  // JSON straight into the file: 4096 ranks are 1.2 GB of it (programs more), never held whole.
  if (o.discipline.empty()) {
    if (json) write_output_streamed(o.output, [&s](std::ostream& out) { write_schedule_json(out, s); });
    else write_output(o.output, schedule_to_text(s));
    return;
  }
  const ProgramSet p = lower(s, parse_discipline(o.discipline));
  if (json) write_output_streamed(o.output, [&p](std::ostream& out) { write_programs_json(out, p); });
  else write_output(o.output, programs_to_text(p));
}

}  // namespace

void setup_schedule(CLI::App& app) {
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("schedule", "generate an all-to-all schedule (or its per-rank programs)");
  add_schedule_options(*cmd, opt->schedule);
  cmd->add_option("-d,--discipline", opt->discipline,
                  "lower to per-rank programs: paired-half, paired-full, grouped or naive");
  cmd->add_option("--format", opt->format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  output_option(*cmd, cmd->add_option("-o,--output", opt->output, "write to FILE instead of stdout"));
  cmd->add_flag("--list", opt->list, "list the generators and exit");
  excludes(*cmd, "--list", {"--ranks", "--algo", "--chunks", "--unmerged", "--bytes", "--seq", "--heads", "--head-dim",
                            "--dtype", "--exchange", "--discipline", "--format", "--output"},
           "it lists the generators and nothing else");
  cmd->callback([opt] { run(*opt); });
}

}  // namespace ua2a::cli
