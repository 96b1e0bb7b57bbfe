#pragma once
/// One setup function per subcommand; each lives in its own cmd_*.cpp and registers its callback.
#include <CLI/CLI.hpp>

namespace ua2a::cli {

void setup_schedule(CLI::App& app);
void setup_verify(CLI::App& app);
void setup_simulate(CLI::App& app);
void setup_topo(CLI::App& app);
void setup_calibrate(CLI::App& app);
void setup_probe(CLI::App& app);
void setup_measure(CLI::App& app);
void setup_render(CLI::App& app);
void setup_run(CLI::App& app);
void setup_bench(CLI::App& app);
void setup_plan(CLI::App& app);
void setup_synthesize(CLI::App& app);
void setup_report_command(CLI::App& app);  // the main job: `ulysses-a2a report`

}  // namespace ua2a::cli
