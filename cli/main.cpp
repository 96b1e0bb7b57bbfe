// ulysses-a2a: one command, a subcommand per library entry point (see cli/commands.h).
#include <CLI/CLI.hpp>
#include <iostream>
#include <stdexcept>

#include "cli/commands.h"
#include "cli/common.h"

int main(int argc, char** argv) {
  CLI::App app{"ulysses-a2a: all-to-all schedules for Ulysses attention on PCIe GPU boxes"};
  app.set_version_flag("--version", std::string("ulysses-a2a ") + UA2A_VERSION);
  app.require_subcommand(1);
  // The table of subcommands, in the order --help lists them.
  for (auto setup : {ua2a::cli::setup_report_command, ua2a::cli::setup_schedule, ua2a::cli::setup_verify, ua2a::cli::setup_simulate,
                     ua2a::cli::setup_topo, ua2a::cli::setup_calibrate, ua2a::cli::setup_render, ua2a::cli::setup_run, ua2a::cli::setup_bench,
                     ua2a::cli::setup_plan})
    setup(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();  // a subcommand's verdict, e.g. verify's 1 for a violated property
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : ua2a::cli::kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << "ulysses-a2a: error: " << e.what() << "\n";
    return ua2a::cli::kExitBadInput;
  }
  return 0;
}
