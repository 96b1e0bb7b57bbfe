// ulysses-a2a measure: measurements of one box. `import` reads what users already measured
// (nccl-tests, p2pBandwidthLatencyTest, nvbandwidth text) into one measurement document.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <optional>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/outputs.h"
#include "sim/measure_import.h"
#include "sim/topology.h"

namespace ua2a::cli {

namespace {

namespace fs = std::filesystem;

struct ImportArgs {
  std::vector<std::string> files;
  std::string box;
  std::string transport;
  bool all_sizes = false;
  std::string output;
};

bool is_preset(const std::string& name) {
  for (const PresetInfo& p : presets())
    if (name == p.name) return true;
  return false;
}

/// The document's "box": a preset as given, a file relative to the output's folder (so
/// read_measurements resolves it back), or as given when the document goes to stdout.
std::string box_reference(const std::string& box, const std::string& output) {
  if (is_preset(box) || output.empty() || output == "-") return box;
  const fs::path folder = fs::absolute(output).parent_path();
  return fs::absolute(box).lexically_normal().lexically_relative(folder.lexically_normal()).generic_string();
}

/// An input the output would overwrite (the same file, by any path) is refused before anything.
void refuse_overwriting_an_input(const std::vector<std::string>& files, const std::string& output) {
  if (output.empty() || output == "-") return;
  std::error_code ec;
  for (const std::string& f : files)
    if (fs::equivalent(f, output, ec) || fs::absolute(f).lexically_normal() == fs::absolute(output).lexically_normal())
      throw std::invalid_argument("-o " + output + " is the input '" + f +
                                  "': write the measurement document to another file");
}

/// NCCL's transports, the only ones --transport can name.
std::optional<TransportKind> nccl_transport_option(const std::string& name) {
  if (name.empty()) return std::nullopt;
  for (const char* t : {"shm", "p2p", "nvlink"})
    if (name == t) return parse_transport(name);
  throw std::invalid_argument("--transport " + name +
                              " is not one of NCCL's transports: give shm (host-staged), p2p (peer-to-peer over "
                              "PCIe) or nvlink");
}

void refuse_repeated_inputs(const std::vector<std::string>& files) {
  for (std::size_t i = 0; i < files.size(); ++i)
    for (std::size_t j = 0; j < i; ++j) {
      std::error_code ec;
      if (files[i] == files[j] || fs::equivalent(files[i], files[j], ec))
        throw std::invalid_argument("'" + files[i] + "' is given twice: give each output once");
    }
}

/// Every GPU a point names must be one of the box's; said with --box, the option of this command.
void check_gpus_of_box(const std::vector<Measurements>& docs, const Topology& topology, const std::string& box) {
  const auto gpus = static_cast<std::int32_t>(topology.gpus().size());
  for (const Measurements& d : docs)
    for (const MeasurementPoint& p : d.points)
      for (const Flow& f : p.flows)
        if (std::max(f.first, f.second) >= gpus)
          throw std::invalid_argument(d.origin + ": it measured GPU " + std::to_string(std::max(f.first, f.second)) +
                                      " but box '" + box + "' has GPUs 0 to " + std::to_string(gpus - 1) +
                                      ": give --box the box the outputs were measured on");
}

void import_files(const ImportArgs& a) {
  check_writable({a.output});
  refuse_overwriting_an_input(a.files, a.output);
  refuse_repeated_inputs(a.files);
  ImportOptions options;
  options.all_sizes = a.all_sizes;
  options.transport = nccl_transport_option(a.transport);
  const Topology topology = load_topology(a.box);
  std::vector<Measurements> docs;
  bool transport_used = false;
  for (const std::string& file : a.files) {
    const ImportResult r = import_measurements(read_file(file), file, options);
    transport_used = transport_used || r.used_transport_option;
    std::cerr << file << ": " << to_string(r.tool) << ", " << r.points.size() << " point"
              << (r.points.size() == 1 ? "" : "s") << "\n";
    for (const std::string& note : r.notes) std::cerr << "  note: " << note << "\n";
    Measurements d;
    d.origin = file;
    d.points = r.points;
    docs.push_back(std::move(d));
  }
  if (options.transport && !transport_used)
    throw std::invalid_argument("--transport " + a.transport +
                                " applies to nccl-tests outputs without NCCL_DEBUG=INFO lines (and turns P2P into "
                                "nvlink), and none of the files needs it: drop it");
  check_gpus_of_box(docs, topology, a.box);
  Measurements all = merge_measurements(docs);
  all.origin = a.files.size() == 1 ? a.files.front() : "the inputs";
  all.box = box_reference(a.box, a.output);
  check_measurements_fit(all, topology);
  write_output(a.output, measurements_json(all));
  if (a.output != "-")
    std::cerr << "wrote " << a.output << ": " << all.points.size() << " point" << (all.points.size() == 1 ? "" : "s")
              << " of box " << a.box << "\n";
}

}  // namespace

void setup_measure(CLI::App& app) {
  auto args = std::make_shared<ImportArgs>();
  CLI::App* cmd = app.add_subcommand("measure",
                                     "measurements of your box: import nccl-tests, p2pBandwidthLatencyTest, "
                                     "nvbandwidth output");
  cmd->require_subcommand(1);
  CLI::App* imp = cmd->add_subcommand(
      "import", "read saved outputs of nccl-tests, p2pBandwidthLatencyTest or nvbandwidth into a measurement document");
  input_option(imp->add_option("files", args->files, "the saved text outputs (the tool is told from the content)"))->required();
  input_option(imp->add_option("--box", args->box, "the box they were measured on: a preset (topo list) or a DOT file"))->required();
  imp->add_option("--transport", args->transport,
                  "NCCL's transport for nccl-tests outputs without NCCL_DEBUG=INFO lines: shm, p2p or nvlink");
  imp->add_flag("--all-sizes", args->all_sizes, "import nccl-tests rows below 1 MiB too (latency-bound)");
  output_option(*imp, imp->add_option("-o,--output", args->output, "the measurement document to write (- for stdout)"))->required();
  imp->callback([args] { import_files(*args); });
}

}  // namespace ua2a::cli
