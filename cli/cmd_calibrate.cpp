// ulysses-a2a calibrate: without --measurements, the contention model against the public
// measurements its defaults are fitted to (sim/calibration.h, docs/validation.md); with them, one
// box fitted to its own measurements and written as DOT (sim/box_calibration.h, docs/simulate.md).
#include <iostream>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/outputs.h"
#include "sim/box_calibration.h"
#include "sim/measurements.h"
#include "sim/calibration.h"

namespace ua2a::cli {

namespace {

struct Options {
  bool json = false;
  std::string output;
  std::string topology;
  std::vector<std::string> measurements;
  std::string json_out;
  bool no_loo = false;
};

void calibrate_defaults(const Options& o, const CLI::App& cmd) {
  for (const char* name : {"--topology", "--json-out", "--no-leave-one-out"})
    if (cmd.count(name) > 0)
      throw std::invalid_argument(std::string(name) + " applies with --measurements only (fitting your box): give "
                                  "--measurements FILE, or drop " + name);
  check_writable({o.output});  // before the fit's seconds of work, not after them
  const Calibration c = calibrate();
  write_output(o.output, o.json ? calibration_json(c) : calibration_table(c));
}

void calibrate_one_box(const Options& o, const CLI::App& cmd) {
  if (o.output.empty() || o.output == "-")
    throw std::invalid_argument("-o FILE is required with --measurements: the fitted box is written there as DOT");
  for (const std::string& m : o.measurements)
    if (same_file(m, o.output)) throw std::invalid_argument("-o " + o.output + " is an input (--measurements): write elsewhere");
  if (!o.topology.empty() && same_file(o.topology, o.output))
    throw std::invalid_argument("-o " + o.output + " is the input box (--topology): write the fitted box elsewhere");
  check_writable({o.output, o.json_out});
  const Measurements m = read_measurement_files(o.measurements);
  const bool topology_given = cmd.count("--topology") > 0;
  if (!topology_given && m.box_resolved.empty())
    throw std::invalid_argument("the measurements name no box: give --topology BOX (a preset or a DOT file)");
  const Topology box = load_topology(topology_given ? o.topology : m.box_resolved);
  std::string from;
  for (const std::string& f : o.measurements) from += (from.empty() ? "" : ",") + f;
  const BoxCalibrationResult r = calibrate_box(box, m, {!o.no_loo, from});
  std::vector<std::pair<std::string, std::string>> files{{o.output, write_dot(r.fitted)}};
  if (!o.json_out.empty()) files.emplace_back(o.json_out, box_calibration_json(r));
  write_outputs(files);
  std::cout << (o.json ? box_calibration_json(r) : box_calibration_table(r)) << std::flush;
}

}  // namespace

void setup_calibrate(CLI::App& app) {
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "calibrate", "fit the contention model: to pcie-facts.md's lines (the defaults), or your box to its measurements");
  cmd->add_flag("--json", opt->json, "as JSON (ulysses-a2a/calibration, or ulysses-a2a/box-calibration)");
  output_option(*cmd, cmd->add_option("-o,--output", opt->output,
                  "without --measurements: write the table or JSON to FILE; with it: the fitted box (DOT), required"));
  input_option(cmd->add_option("-t,--topology", opt->topology, "the box to fit: a preset or a DOT file (default: the documents' box)"));
  cmd->add_option("--measurements", opt->measurements, "measurement documents of that box (docs/formats.md)")
      ->check(CLI::ExistingFile);
  output_option(*cmd, cmd->add_option("--json-out", opt->json_out, "with --measurements: also write the calibration JSON to FILE"));
  cmd->add_flag("--no-leave-one-out", opt->no_loo, "with --measurements: skip the leave-one-out refits (faster)");
  cmd->callback([opt, cmd] {
    if (opt->measurements.empty()) calibrate_defaults(*opt, *cmd);
    else calibrate_one_box(*opt, *cmd);
  });
}

}  // namespace ua2a::cli
