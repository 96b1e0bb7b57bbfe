// ulysses-a2a calibrate: the contention model against the public measurements it is fitted to,
// with a leave-one-out error for every fitted point (sim/calibration.h, docs/validation.md).
#include <iostream>

#include "cli/commands.h"
#include "cli/common.h"
#include "sim/calibration.h"

namespace ua2a::cli {

void setup_calibrate(CLI::App& app) {
  struct Options {
    bool json = false;
    std::string output;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "calibrate", "fit the contention model to pcie-facts.md's measurements; every point with its leave-one-out error");
  cmd->add_flag("--json", opt->json, "as JSON (format ulysses-a2a/calibration)");
  cmd->add_option("-o,--output", opt->output, "write to FILE instead of stdout");
  cmd->callback([opt] {
    check_writable({opt->output});  // before the fit's seconds of work, not after them
    const Calibration c = calibrate();
    write_output(opt->output, opt->json ? calibration_json(c) : calibration_table(c));
  });
}

}  // namespace ua2a::cli
