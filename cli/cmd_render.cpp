// ulysses-a2a render: pictures of schedules (pairings, rounds), topologies with link load,
// simulation timelines and calibrations. Format from --format or the output file's extension.
#include <filesystem>
#include <iostream>
#include <optional>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/option_rules.h"
#include "cli/outputs.h"
#include "viz/calibration_picture.h"
#include "viz/format.h"
#include "viz/graphviz.h"
#include "schedule/io.h"
#include "viz/pairings.h"
#include "viz/report.h"
#include "viz/simulation.h"
#include "viz/timeline.h"
#include "viz/topology_from_sim.h"

namespace ua2a::cli {

namespace {

/// Where and how to write a picture; shared by every render subcommand.
struct OutputOptions {
  std::string output;
  std::string format;  ///< empty: from the output's extension
  bool json = false;
};

struct PairingsOptions {
  ScheduleOptions schedule;
  std::optional<std::size_t> highlight;  ///< pairings only
  std::string input;  ///< a schedule JSON (e.g. from synthesize) instead of generating
  OutputOptions out;
};

struct TopologyOptions {
  std::string topology;  ///< preset name or DOT file
  std::string load;      ///< simulation document; empty: no load
  std::size_t run = 0;
  OutputOptions out;
};

struct ReportOptions {
  ScheduleOptions schedule;
  std::string dir;
  std::string simulation;  ///< empty: the schedule's pictures only
  std::size_t run = 0;
  bool json = false;
};

struct TimelineOptions {
  std::string simulation;
  std::size_t run = 0;
  std::size_t links = 8;
  OutputOptions out;
};

struct CalibrationOptions {
  std::string input;  ///< box-calibration or prediction document
  OutputOptions out;
};

void add_output_options(CLI::App& cmd, OutputOptions& o) {
  output_option(cmd, cmd.add_option("-o,--output", o.output, "picture file (.svg, .png, .pdf or .dot); - for stdout with --format"))
      ->required();
  cmd.add_option("--format", o.format, "svg, png, pdf or dot (default: from the output's extension)")
      ->check(CLI::IsMember({"svg", "png", "pdf", "dot"}));
  cmd.add_flag("--json", o.json, "report what was written as JSON");
  add_rule(cmd, "--json", [&cmd]() -> std::string {
    return given_value(cmd, "--output") == "-" ? "--json does not apply with -o - (the picture is what goes to stdout): write the picture to a "
                             "file, or drop --json"
                           : "";
  });
}

/// Writes `data` and says so, as a line or as JSON.
void finish(const OutputOptions& o, const std::string& picture, viz::ImageFormat format, const std::string& data,
            const nlohmann::json& facts) {
  write_output(o.output, data);
  if (o.output == "-") return;  // the picture went to stdout: print nothing else there
  nlohmann::json j = {{"format", "ulysses-a2a/render"}, {"version", 1},   {"picture", picture},
                      {"file", o.output},           {"image_format", viz::to_string(format)}, {"bytes", data.size()}};
  j.update(facts);
  if (o.json) {
    std::cout << j.dump(1) << "\n";
    return;
  }
  std::cout << "wrote " << picture << " to " << o.output << " (" << viz::to_string(format) << ", " << data.size()
            << " bytes)\n";
}

viz::ImageFormat output_format(const OutputOptions& o) {
  if (o.output == "-" && o.format.empty())
    throw std::invalid_argument("-o - writes to stdout: pass --format svg, png, pdf or dot too");
  return viz::choose_format(o.format, o.output);
}

void run_schedule_picture(const PairingsOptions& o, bool rounds) {
  const viz::ImageFormat format = output_format(o.out);
  const Schedule s = o.input.empty() ? make_schedule(o.schedule)
                                      : named_input(o.input, [&] { return schedule_from_json(read_file(o.input)); });
  const std::string dot = rounds ? viz::rounds_dot(s) : viz::pairings_dot(s, {.highlight = o.highlight});
  const viz::RoundArcs arcs = viz::round_arcs(s);
  finish(o.out, rounds ? "rounds" : "pairings", format, viz::render_graph(dot, viz::kPinnedEngine, format),
         {{"ranks", s.ranks}, {"algo", s.algo}, {"rounds", arcs.rounds.size()}, {"edges", arcs.arc_count()},
          {"directed", arcs.directed}});
}

void setup_schedule_picture(CLI::App& render, const char* name, const char* help, bool rounds) {
  auto opt = std::make_shared<PairingsOptions>();
  CLI::App* cmd = render.add_subcommand(name, help);
  add_schedule_options(*cmd, opt->schedule);
  if (!rounds)
    cmd->add_option("--round", opt->highlight, "highlight this round (others grey): readable at N = 32");
  input_option(cmd->add_option("-i,--input", opt->input,
                               "draw this schedule JSON (e.g. from synthesize) instead of generating one")
                   ->check(CLI::ExistingFile));
  add_output_options(*cmd, opt->out);
  excludes(*cmd, "--input", {"--ranks", "--algo", "--chunks", "--unmerged"}, "the file gives the ranks and the schedule");
  never_applies(*cmd, {"--bytes", "--seq", "--heads", "--head-dim", "--dtype", "--exchange"},
                std::string("render ") + name + " (who pairs with whom has no message sizes)");
  cmd->callback([opt, rounds] { run_schedule_picture(*opt, rounds); });
}

void run_topology(const TopologyOptions& o) {
  const viz::ImageFormat format = output_format(o.out);
  viz::TopologyPicture picture = viz::picture_from_topology(load_topology(o.topology));
  nlohmann::json facts = {{"topology", picture.name}, {"nodes", picture.nodes.size()}, {"links", picture.links.size()}};
  if (!o.load.empty()) {
    const viz::Simulation sim = named_input(o.load, [&] { return viz::simulation_from_json(read_file(o.load)); });
    const viz::SimulationRun& run = viz::select_run(sim, o.run);
    viz::apply_load(picture, run);
    facts["bottleneck"] = run.bottleneck;
  }
  finish(o.out, "topology", format, viz::render_graph(viz::topology_dot(picture), viz::kDotEngine, format), facts);
}

void run_timeline(const TimelineOptions& o) {
  const viz::ImageFormat format = output_format(o.out);
  // Graphviz lays out graphs, not Gantt charts: the timeline is SVG written directly, and
  // converted by Graphviz's SVG loader for png and pdf.
  if (format == viz::ImageFormat::dot)
    throw std::invalid_argument("render timeline has no DOT form (it is not a graph): use svg, png or pdf");
  const viz::Simulation sim = named_input(o.simulation, [&] { return viz::simulation_from_json(read_file(o.simulation)); });
  const viz::SimulationRun& run = viz::select_run(sim, o.run);
  finish(o.out, "timeline", format,
         viz::convert_svg(viz::timeline_svg(run, sim.topology_name, {.link_lanes = o.links}), format),
         {{"ranks", run.ranks}, {"transfers", run.transfers.size()}, {"rounds", run.round_count()},
          {"time_s", run.time_s}});
}

/// The calibration document at `path`, its size checked before it is read (a device or a huge
/// file would otherwise be read whole).
viz::CalibrationDocument read_calibration_document(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > viz::kMaxCalibrationDocumentBytes)
    throw std::invalid_argument(path + ": is " + std::to_string(size) + " bytes; a calibration document holds at most " +
                                std::to_string(viz::kMaxCalibrationDocumentBytes) + " bytes");
  if (!std::filesystem::is_regular_file(path, ec))
    throw std::invalid_argument("-i " + path + " is not a regular file: give the file written by calibrate "
                                "--json-out or simulate --measurements --json");
  return viz::calibration_document_from_json(read_file(path), path);
}

void run_calibration(const CalibrationOptions& o) {
  const viz::ImageFormat format = output_format(o.out);
  if (format == viz::ImageFormat::dot)
    throw std::invalid_argument("render calibration has no DOT form (it is not a graph): use svg, png or pdf");
  if (same_file(o.input, o.out.output))
    throw std::invalid_argument("-o " + o.out.output + " is the input (-i): write the picture elsewhere");
  check_writable({o.out.output});
  const viz::CalibrationDocument doc = read_calibration_document(o.input);
  const bool box = doc.kind == viz::CalibrationDocumentKind::box_calibration;
  nlohmann::json facts = {{"box", doc.box},
                          {"document", box ? viz::kBoxCalibrationFormat : viz::kPredictionFormat},
                          {"points", doc.points.size()},
                          {"worst_error", viz::worst_error(doc.points, &viz::CalibratedPoint::model_gbps)}};
  if (box && doc.left_out) facts["left_out_worst_error"] = viz::worst_error(doc.points, &viz::CalibratedPoint::left_out_gbps);
  if (box) facts["uncalibrated_worst_error"] = viz::worst_error(doc.points, &viz::CalibratedPoint::uncalibrated_gbps);
  finish(o.out, "calibration", format, viz::convert_svg(viz::calibration_svg(doc), format), facts);
}

void run_report(const ReportOptions& o) {
  const Schedule s = make_schedule(o.schedule);
  // Through a temporary folder (cli/outputs.h): a bad --simulation, found after the first pictures,
  // leaves the folder as it was.
  const std::string simulation = o.simulation.empty() ? "" : read_file(o.simulation);
  if (!o.simulation.empty() && simulation.empty())
    throw std::invalid_argument("--simulation " + o.simulation + " is empty: give the document of simulate --json-out FILE");
  if (!simulation.empty()) {  // the pictures of one run, not pairings of one schedule beside the load of another
    const viz::Simulation sim = named_input(o.simulation, [&] { return viz::simulation_from_json(simulation); });
    const viz::SimulationRun& run = viz::select_run(sim, o.run);
    const std::string algo = run.algo.substr(0, run.algo.find(" ("));  // "round-robin (unmerged)"
    if (run.ranks != s.ranks || algo != s.algo)
      throw std::invalid_argument("--simulation " + o.simulation + " run " + std::to_string(o.run) + " is " + run.algo +
                                  " on " + std::to_string(run.ranks) + " ranks, the pictures " + s.algo + " on " +
                                  std::to_string(s.ranks) + ": give --ranks " + std::to_string(run.ranks) + " --algo " +
                                  algo + ", or another --run");
  }
  const auto written = write_into_folder(
      o.dir, [&](const std::string& temp) { return viz::render_report_pictures(temp, s, simulation, o.run); });
  if (o.json) {
    std::cout << nlohmann::json{{"format", "ulysses-a2a/render-report"}, {"version", 1}, {"pictures", written}}.dump(1)
              << "\n";
    return;
  }
  for (const std::string& path : written) std::cout << "wrote " << path << "\n";
}

void setup_report(CLI::App& render) {
  auto opt = std::make_shared<ReportOptions>();
  CLI::App* cmd = render.add_subcommand(
      "report", "the pictures for a report, into a directory: pairings.svg, rounds.svg, and with --simulation "
                "topology-load.svg and timeline.svg");
  add_schedule_options(*cmd, opt->schedule);
  output_folder_option(*cmd, cmd->add_option("-o,--output", opt->dir, "directory to write into (must exist)"))
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--simulation", opt->simulation, "simulation document (ulysses-a2a simulate ... --json-out FILE)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--run", opt->run, "which run of the document, from 0")->capture_default_str();
  cmd->add_flag("--json", opt->json, "list the files written as JSON");
  never_applies(*cmd, {"--bytes", "--seq", "--heads", "--head-dim", "--dtype", "--exchange"},
                "render report (its pictures show pairings and the --simulation document's sizes)");
  applies_with(*cmd, "--run", {"--simulation"}, "which run of the document");
  cmd->callback([opt] { run_report(*opt); });
}

void setup_topology(CLI::App& render) {
  auto opt = std::make_shared<TopologyOptions>();
  CLI::App* cmd = render.add_subcommand(
      "topology", "the box as a tree, links labelled with bandwidth; with --load, coloured by utilisation");
  input_option(cmd->add_option("topology", opt->topology, "preset name (see: ulysses-a2a topo list) or DOT file"))->required();
  cmd->add_option("--load", opt->load, "simulation document (ulysses-a2a simulate ... --json-out FILE)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--run", opt->run, "which run of the document, from 0")->capture_default_str();
  add_output_options(*cmd, opt->out);
  applies_with(*cmd, "--run", {"--load"}, "which run of the document");
  cmd->callback([opt] { run_topology(*opt); });
}

void setup_timeline(CLI::App& render) {
  auto opt = std::make_shared<TimelineOptions>();
  CLI::App* cmd = render.add_subcommand(
      "timeline", "a lane per rank with every transfer as a bar coloured by round, plus link utilisation (SVG)");
  cmd->add_option("simulation", opt->simulation, "simulation document (ulysses-a2a simulate ... --json-out FILE)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--run", opt->run, "which run of the document, from 0")->capture_default_str();
  cmd->add_option("--links", opt->links, "link utilisation lanes (the links that carried the most bytes)")
      ->capture_default_str();
  add_output_options(*cmd, opt->out);
  cmd->callback([opt] { run_timeline(*opt); });
}

void setup_calibration(CLI::App& render) {
  auto opt = std::make_shared<CalibrationOptions>();
  CLI::App* cmd = render.add_subcommand(
      "calibration", "predicted against measured GB/s for every point, log-log, with y = x and a +-25 % band; "
                     "fitted and left-out predictions marked apart (SVG, PNG or PDF)");
  cmd->add_option("-i,--input,input", opt->input,
                  "calibrate --measurements M --json-out FILE, or simulate --measurements M --json")
      ->required()
      ->check(CLI::ExistingFile);
  add_output_options(*cmd, opt->out);
  cmd->callback([opt] { run_calibration(*opt); });
}

}  // namespace

void setup_render(CLI::App& app) {
  CLI::App* render =
      app.add_subcommand("render", "draw pictures: pairings, rounds, topology (with load), timeline, calibration");
  render->require_subcommand(1);
  setup_schedule_picture(*render, "pairings",
                         "ranks on a circle, every exchange an edge coloured by its round (arrows when directed)",
                         false);
  setup_schedule_picture(*render, "rounds", "one panel per round showing its matching, in a grid", true);
  setup_topology(*render);
  setup_timeline(*render);
  setup_calibration(*render);
  setup_report(*render);
}

}  // namespace ua2a::cli
