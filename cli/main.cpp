// ulysses-a2a: one command, a subcommand per library entry point (see cli/commands.h).
#include <CLI/CLI.hpp>
#include <iostream>
#include <new>
#include <stdexcept>

#include "backend/transport.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/numbers.h"
#include "cli/option_table.h"
#include "schedule/io.h"

int main(int argc, char** argv) {
  namespace cli = ua2a::cli;
  CLI::App app{"ulysses-a2a: all-to-all schedules for Ulysses attention on PCIe GPU boxes"};
  app.set_version_flag("--version", std::string("ulysses-a2a ") + UA2A_VERSION);
  app.require_subcommand(1);
  // The table of subcommands, in the order --help lists them; only those whose modules were
  // built (cli/CMakeLists.txt): the GPU slice has schedule, run and bench.
  using namespace ua2a::cli;
  for (auto setup : {
#if UA2A_CLI_VIZ
           setup_report_command,
#endif
           setup_schedule,
#if UA2A_CLI_VERIFY_SIM
           setup_verify, setup_simulate, setup_topo, setup_calibrate, setup_probe, setup_measure,
#endif
#if UA2A_CLI_VIZ
           setup_render,
#endif
           setup_run, setup_bench,
#if UA2A_CLI_PLAN
           setup_plan,
#endif
#if UA2A_CLI_SYNTH
           setup_synthesize,
#endif
       })
    setup(app);
  cli::require_plain_numbers(app);
  cli::add_option_table_flag(app);  // hidden: the CLI fuzzer reads the tables
  if (const std::string unknown = cli::unknown_command(app, argc, argv); !unknown.empty()) {
    std::cerr << "ulysses-a2a: error: " << unknown << "\n";
    return cli::kExitBadInput;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();  // a subcommand's verdict, e.g. verify's 1 for a violated property
  } catch (const CLI::ConversionError& e) {  // a whole number the option cannot hold: name it and its range
    std::cerr << "ulysses-a2a: error: " << cli::conversion_message(app, e) << "\n";
    return cli::kExitBadInput;
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : cli::kExitBadInput;
  } catch (const ua2a::TransportError& e) {  // CUDA, NCCL, MPI or a transport's timeout
    std::cerr << "ulysses-a2a: run-time failure: " << e.what() << "\n";
    return cli::kExitMachine;
  } catch (const std::bad_alloc&) {
    std::cerr << "ulysses-a2a: run-time failure: out of memory\n";
    return cli::kExitMachine;
  } catch (const std::exception& e) {  // bad input: options, files (FormatError, TopologyError), writes
    std::cerr << "ulysses-a2a: error: " << e.what() << "\n";
    return cli::kExitBadInput;
  }
  if (!(std::cout << std::flush)) {
    std::cerr << "ulysses-a2a: error: writing to standard output failed (disk full or closed pipe?)\n";
    return cli::kExitBadInput;
  }
  return 0;
}
