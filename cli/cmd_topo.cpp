// ulysses-a2a topo: the boxes the simulator knows. `list` the presets, `show` one (or a DOT file)
// as DOT, `import` the text of `nvidia-smi topo -m` into a topology.
#include <filesystem>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/numbers.h"
#include "cli/outputs.h"
#include "sim/nvsmi.h"
#include "sim/topology.h"

namespace ua2a::cli {

namespace {

struct Options {
  std::string target;  ///< show: preset or DOT file; import: nvidia-smi text file or "-"
  std::int32_t boxes = 1;
  bool json = false;
  std::string output;
  NvsmiOptions import;
  bool p2p = false, no_p2p = false;  ///< import: P2P on or off, over the default by --gpu
};

/// The graph as JSON for scripts: nodes and directed links with GB/s and microseconds.
std::string topology_json(const Topology& t) {
  nlohmann::json nodes = nlohmann::json::array(), links = nlohmann::json::array();
  for (NodeIndex v = 0; v < t.node_count(); ++v) {
    const TopoNode& n = t.node(v);
    nodes.push_back({{"name", n.name}, {"kind", to_string(n.kind)}, {"box", n.box}, {"socket", n.socket},
                     {"forward_gbps", n.forward_bytes_per_s / 1e9}, {"p2p_overhead", n.p2p_overhead}});
  }
  for (EdgeRef e : t.edges()) {
    const TopoLink& l = t.link(e);
    links.push_back({{"name", t.link_name(e)}, {"from", t.node(boost::source(e, t.graph)).name},
                     {"to", t.node(boost::target(e, t.graph)).name}, {"kind", to_string(l.kind)},
                     {"capacity_gbps", l.capacity_bytes_per_s / 1e9}, {"latency_us", l.latency_s * 1e6}});
  }
  const nlohmann::json doc = {{"format", "ulysses-a2a/topology"}, {"version", 1}, {"name", t.name},
                              {"transport", to_string(t.params.transport)}, {"p2p", t.params.p2p}, {"gpus", t.gpus().size()},
                              {"nodes", nodes}, {"links", links}};
  return doc.dump(1) + "\n";
}

void emit(const Options& o, const Topology& t) { write_output(o.output, o.json ? topology_json(t) : write_dot(t)); }

void list(const Options& o) {
  if (o.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& p : presets())
      arr.push_back({{"name", p.name}, {"gpus", p.make().gpus().size()}, {"description", p.description}});
    write_output("", nlohmann::json{{"format", "ulysses-a2a/presets"}, {"version", 1}, {"presets", arr}}.dump(1) + "\n");
    return;
  }
  for (const auto& p : presets()) std::printf("%-14s %2zu GPUs  %s\n", p.name, p.make().gpus().size(), p.description);
}

std::string read_input(const std::string& path) {
  if (path.empty()) throw std::invalid_argument("topo import: the file is an empty path: give the saved output of nvidia-smi topo -m, or -");
  if (std::filesystem::is_directory(path))
    throw std::invalid_argument("topo import " + path + ": is a directory: give the saved output of nvidia-smi topo -m");
  if (path != "-") return read_file(path);
  return {std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
}

/// import_nvidia_smi's verdict on `path`, named: "F: nvidia-smi topo -m: no header row ...".
Topology import_file(const std::string& path, const NvsmiOptions& o) {
  const std::string text = read_input(path);
  try {
    return import_nvidia_smi(text, o);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument((path == "-" ? std::string("file - (standard input)") : path) + ": " + e.what());
  }
}

/// An option for a part the imported box lacks (--socket-gbps on one socket) would be ignored.
void check_box_options(CLI::App& imp, const Topology& t) {
  bool has[3] = {false, false, false};  // a switch, a socket link, an NVLink
  for (std::size_t v = 0; v < t.node_count(); ++v) has[0] |= t.node(v).kind == NodeKind::pcie_switch;
  for (const EdgeRef e : t.edges()) {
    has[1] |= t.link(e).kind == LinkKind::socket;
    has[2] |= t.link(e).kind == LinkKind::nvlink;
  }
  const std::pair<const char*, const char*> parts[] = {
      {"--uplink-gbps", "no PCIe switch"}, {"--socket-gbps", "one socket"}, {"--nvlink-gbps", "no NVLink"}};
  for (int i = 0; i < 3; ++i)
    if (!has[i] && imp.count(parts[i].first) > 0)
      throw std::invalid_argument(std::string(parts[i].first) + " does not apply: the imported box has " + parts[i].second +
                                  ": drop it");
}

}  // namespace

void setup_topo(CLI::App& app) {
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("topo", "topologies for simulate: list presets, show one as DOT, import nvidia-smi");
  cmd->require_subcommand(1);

  CLI::App* ls = cmd->add_subcommand("list", "the preset boxes");
  ls->add_flag("--json", opt->json, "as JSON");
  ls->callback([opt] { list(*opt); });

  CLI::App* show = cmd->add_subcommand("show", "print a preset (or a DOT file) as Graphviz DOT");
  input_option(show->add_option("topology", opt->target, "preset name or DOT file"))->required();
  show->add_option("--boxes", opt->boxes, "join K copies, one NIC each (1..128)")->check(CLI::Range(1, kMaxBoxes))->capture_default_str();
  show->add_flag("--json", opt->json, "nodes and links as JSON instead of DOT");
  output_option(*show, show->add_option("-o,--output", opt->output, "write to FILE instead of stdout"));
  show->callback([opt] { emit(*opt, join_boxes(load_topology(opt->target), opt->boxes)); });

  CLI::App* imp = cmd->add_subcommand("import", "read `nvidia-smi topo -m` output (a file, or - for stdin) into DOT");
  NvsmiOptions& n = opt->import;
  input_option(imp->add_option("file", opt->target, "the saved output of nvidia-smi topo -m, or -"))->required();
  imp->add_option("--name", n.name, "topology name")
      ->check([](const std::string& v) {  // what the DOT form carries back unchanged
        const bool ok = !v.empty() && v.size() <= 64 &&
                        v.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == std::string::npos;
        return ok ? std::string() : "'" + v + "' must be letters, digits, '-', '_' and '.' (it is the DOT graph's name)";
      })
      ->capture_default_str();
  imp->add_option("--gpu-link-gbps", n.gpu_link_gbps, "GPU to switch/root port, GB/s per direction")->capture_default_str()
      ->check(real_range(1e-9, 1e6));
  imp->add_option("--uplink-gbps", n.uplink_gbps, "switch to CPU, GB/s per direction")->capture_default_str()
      ->check(real_range(1e-9, 1e6));
  imp->add_option("--socket-gbps", n.socket_gbps, "between sockets, GB/s per direction")->capture_default_str()
      ->check(real_range(1e-9, 1e6));
  imp->add_option("--memory-gbps", n.memory_gbps, "host memory per socket, GB/s reads + writes")->capture_default_str()
      ->check(real_range(1e-9, 1e6));
  imp->add_option("--cpu-forward-gbps", n.cpu_forward_gbps, "P2P forwarding of a CPU root complex, GB/s")->capture_default_str()
      ->check(real_range(0, 1e6));
  imp->add_option("--p2p-overhead", n.p2p_overhead, "bytes charged per P2P byte through a CPU (1.2 Intel, 1 AMD)")
      ->capture_default_str()
      ->check(real_range(1, 100));
  imp->add_option("--nvlink-gbps", n.nvlink_gbps_per_link, "one NVLink, GB/s per direction (NV# = # links)")
      ->capture_default_str()
      ->check(real_range(1e-9, 1e6));
  imp->add_option("--shm-flow-cap-gbps", n.shm_flow_cap_gbps, "cap of one host-staged flow, GB/s (0: none)")
      ->capture_default_str()
      ->check(real_range(0, 1e6));
  std::string platform_names;
  for (const PlatformInfo& p : platforms()) platform_names += std::string(platform_names.empty() ? "" : ", ") + p.name;
  imp->add_option("--platform", n.contention.platform,
                  "host platform (" + platform_names + "): sets --p2p-overhead unless given")
      ->capture_default_str();
  imp->add_option("--gpu", n.gpu,
                  "the GPUs' kind, e.g. rtx4090 or rtxpro6000: the contention defaults fitted on that kind apply "
                  "(docs/simulate.md, \"How sure\"); default unknown: none of them")
      ->check([](const std::string& v) {
        const bool ok = !v.empty() && v.size() <= 32 &&
                        v.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string::npos;
        return ok ? std::string() : "--gpu '" + v + "' must be a lowercase name of letters, digits and '-' (e.g. rtx4090)";
      });
  // The contention model's parameters, one option per DOT attribute (docs/formats.md).
  auto values = std::make_shared<std::vector<double>>();
  for (const ContentionAttribute& a : contention_attributes()) values->push_back(n.contention.*a.member / a.scale);
  for (std::size_t i = 0; i < contention_attributes().size(); ++i) {
    const ContentionAttribute& a = contention_attributes()[i];
    std::string flag = std::string("--") + a.name;
    for (char& c : flag) c = c == '_' ? '-' : c;
    imp->add_option(flag, (*values)[i], std::string("contention model: ") + a.help)
        ->check(real_range(0, 1e12))  // the DOT reader's range: what topo import writes, topo show reads
        ->capture_default_str();
  }
  auto p2p_on = imp->add_flag("--p2p", opt->p2p, "the GPUs reach each other peer-to-peer (a P2P-capable driver; for GeForce the "
                                       "P2P-patched one): the matrix cannot tell; default by --gpu (off for GeForce and "
                                       "an unknown kind)");
  imp->add_flag("--no-p2p", opt->no_p2p, "no peer-to-peer between the GPUs (the stock GeForce driver)")->excludes(p2p_on);
  imp->add_option("--boxes", opt->boxes, "join K copies, one NIC each (1..128)")->check(CLI::Range(1, kMaxBoxes))->capture_default_str();
  imp->add_flag("--json", opt->json, "nodes and links as JSON instead of DOT");
  output_option(*imp, imp->add_option("-o,--output", opt->output, "write to FILE instead of stdout"));
  imp->callback([opt, imp, values] {
    NvsmiOptions& o = opt->import;
    const PlatformInfo& platform = find_platform(o.contention.platform);
    if (imp->count("--p2p-overhead") == 0) o.p2p_overhead = platform.p2p_overhead;
    if (opt->p2p || opt->no_p2p) o.p2p = opt->p2p;
    for (std::size_t i = 0; i < contention_attributes().size(); ++i)
      o.contention.*contention_attributes()[i].member = (*values)[i] * contention_attributes()[i].scale;
    const Topology t = import_file(opt->target, o);
    check_box_options(*imp, t);
    emit(*opt, join_boxes(t, opt->boxes));
  });
}

}  // namespace ua2a::cli
