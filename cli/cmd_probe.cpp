// ulysses-a2a probe: runs the patterns sim/probe_patterns.h chooses from the box on its GPUs (or,
// on CPU threads, as a smoke test of the machinery) and writes the measurement document that
// `simulate --measurements` predicts and `calibrate --measurements` fits (docs/probe.md).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "backend/probe.h"
#include "backend/runner.h"
#include "backend/transport.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "schedule/named.h"
#include "cli/numbers.h"
#include "cli/option_rules.h"
#include "cli/outputs.h"
#include "cli/layer_options.h"
#include "sim/measurements.h"
#include "sim/probe_patterns.h"

namespace ua2a::cli {

namespace {

namespace fs = std::filesystem;

constexpr const char* kDefaultTopology = "4090x8-2s-sw";  // as simulate's
constexpr std::uint64_t kSmokeBytes = 1 << 20;            ///< threads: a smoke test, small
constexpr std::uint64_t kGpuBytes = 64ull << 20;          ///< GPUs: p2pmark's 64 MB per flow

struct Options {
  std::string topology = kDefaultTopology;
  std::vector<std::string> transports;  ///< empty: per backend (see resolve_transports)
  std::vector<std::string> ops{"write"};
  std::uint64_t bytes = 0;              ///< 0: per backend
  std::uint32_t iterations = 10;
  std::uint32_t warmup = 2;
  std::string backend = "threads";
  bool share_gpus = false;
  bool dry_run = false;
  bool json = false;
  std::string output;
  double timeout_s = 60;
  bool bytes_given = false;
};

bool on_gpu(const Options& o) { return o.backend != "threads"; }

/// Which sim transports each backend can move: the point's transport must be what moved it.
std::vector<TransportKind> movable(const std::string& backend) {
  if (backend == "cuda-peer") return {TransportKind::cuda_p2p, TransportKind::cuda_staged, TransportKind::nvlink};
  if (backend == "nccl") return {TransportKind::shm, TransportKind::p2p, TransportKind::nvlink};
  return {TransportKind::shm, TransportKind::p2p, TransportKind::nvlink, TransportKind::cuda_p2p, TransportKind::cuda_staged};
}

std::string names(const std::vector<TransportKind>& ts) {
  std::string s;
  for (TransportKind t : ts) s += (s.empty() ? "" : ", ") + to_string(t);
  return s;
}

const TransportInfo& find_backend(const Options& o) {
  for (const auto& t : transports())
    if (o.backend == t.name) return t;
  throw std::invalid_argument("--backend '" + o.backend + "': use one of threads, cuda-peer, nccl");
}

/// After the names and the box: a backend this build lacks is the fix to give last.
void check_backend_built(const Options& o) {
  if (!find_backend(o).available) {
    try {
      make_transport(o.backend);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("--backend " + o.backend + ": " + e.what() + "; or probe with --backend threads");
    }
  }
}

/// The default: on threads the box's own transport; cuda-peer copies peer to peer where the
/// driver allows it between every pair of the box's GPUs, staged otherwise; NCCL the box's own.
std::vector<TransportKind> resolve_transports(const Options& o, const Topology& box, std::string& note) {
  std::vector<TransportKind> out;
  for (const std::string& name : o.transports) {
    TransportKind t;
    try {
      t = parse_transport(name);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string("--transport: ") + e.what());
    }
    if (t == TransportKind::network)
      throw std::invalid_argument("--transport network: a probe measures one box; probe each box on its own");
    const auto can = movable(o.backend);
    if (std::find(can.begin(), can.end(), t) == can.end())
      throw std::invalid_argument("--transport " + name + ": --backend " + o.backend + " moves " + names(can) +
                                  (o.backend == "cuda-peer" ? "; NCCL's shm and p2p need --backend nccl"
                                                            : "; CUDA peer copies need --backend cuda-peer"));
    if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
  }
  if (o.backend == "nccl" && out.size() > 1)
    throw std::invalid_argument("--transport " + names(out) + ": NCCL reads its environment once per process; "
                                "probe one NCCL transport per run");
  if (!out.empty()) return out;
  if (o.backend == "cuda-peer" && box.params.transport == TransportKind::nvlink) {
    note = "the box's GPUs share NVLink: CUDA peer copies take it (transport nvlink)";
    return {TransportKind::nvlink};
  }
  if (o.backend == "cuda-peer") {
    const int gpus = gpu_count(), n = std::min<int>(gpus, static_cast<int>(box.gpus().size()));
    if (gpus == 0) {
      note = "transport cuda-p2p assumed: no GPU is visible to say whether the driver allows P2P (a run on the "
             "GPUs probes cuda-staged where it does not)";
      return {TransportKind::cuda_p2p};
    }
    for (int a = 0; a < n; ++a)
      for (int b = 0; b < n; ++b)
        if (a != b && !gpus_can_peer(a, b)) {
          note = "GPUs " + std::to_string(a) + " and " + std::to_string(b) +
                 " cannot reach each other peer to peer: probing copies staged through host memory (cuda-staged)";
          return {TransportKind::cuda_staged};
        }
    return {TransportKind::cuda_p2p};
  }
  const TransportKind own = box.params.transport;
  const auto can = movable(o.backend);
  if (std::find(can.begin(), can.end(), own) == can.end())
    throw std::invalid_argument("the box's transport " + to_string(own) + " is not one --backend " + o.backend +
                                " moves: give --transport (" + names(can) + ")");
  return {own};
}

std::vector<MeasureOp> resolve_ops(const Options& o, const std::vector<TransportKind>& ts) {
  std::vector<MeasureOp> ops;
  for (const std::string& name : o.ops) {
    try {
      ops.push_back(parse_measure_op(name));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string("--op: ") + e.what());
    }
  }
  const bool copies = std::any_of(ts.begin(), ts.end(), [](TransportKind t) {
    return t == TransportKind::cuda_p2p || t == TransportKind::cuda_staged;
  });
  if (!copies && std::find(ops.begin(), ops.end(), MeasureOp::read) != ops.end())
    throw std::invalid_argument("--op read: only CUDA peer copies (cuda-p2p, cuda-staged) choose which GPU issues the "
                                "copy; " + names(ts) + " always write: drop read, or probe a CUDA transport");
  return ops;
}

void check_numbers(Options& o) {
  if (!o.bytes_given) o.bytes = on_gpu(o) ? kGpuBytes : kSmokeBytes;
  if (o.bytes == 0 || o.bytes % 4 != 0)
    throw std::invalid_argument("--bytes " + std::to_string(o.bytes) +
                                ": give a positive multiple of 4 bytes per flow (the data check works in 4-byte words)");
  if (o.bytes > kMaxProbeFlowBytes)
    throw std::invalid_argument("--bytes " + std::to_string(o.bytes) + " is above the probe's " +
                                std::to_string(kMaxProbeFlowBytes) + " bytes per flow: 64 MiB (67108864) is plenty");
  if (o.iterations == 0) throw std::invalid_argument("-n/--iters 0 times nothing: give at least 1");
  if (!(o.timeout_s >= kMinTimeoutSeconds))
    throw std::invalid_argument("--timeout must be more than 0 seconds (at least 0.001)");
  if (o.share_gpus && o.backend != "cuda-peer")
    throw std::invalid_argument("--share-gpus applies to --backend cuda-peer (threads need no GPU; NCCL refuses two "
                                "ranks on one GPU): drop it");
  if (o.json && !o.dry_run)
    throw std::invalid_argument("--json applies to --dry-run: a run writes its JSON, the measurement document, to -o");
  if (o.output.empty() && !o.dry_run)
    throw std::invalid_argument("probe writes a measurement document: give -o FILE (or --dry-run to list the patterns)");
}

/// The box as the document names it: a preset as is, a file relative to the document's folder.
std::string box_for_document(const std::string& topology, const std::string& output) {
  if (!fs::exists(topology) || output.empty() || output == "-") return topology;
  for (const auto& p : presets())
    if (topology == p.name) return topology;
  const fs::path folder = fs::absolute(output).parent_path();
  return fs::relative(fs::absolute(topology), folder).generic_string();
}

std::string flows_text(const std::vector<Flow>& flows) {
  if (flows.size() > 3) return std::to_string(flows.size());
  std::string s;
  for (auto [a, b] : flows) s += (s.empty() ? "" : " ") + std::to_string(a) + ">" + std::to_string(b);
  return s;
}

void print_plan(const Options& o, const Topology& box, const std::vector<ProbePattern>& ps, const ProbeEstimate& e,
                const std::string& note) {
  if (o.json) {
    nlohmann::json j = {{"format", "ulysses-a2a/probe-plan"}, {"version", 1},        {"box", o.topology},
                        {"backend", o.backend},                {"bytes", o.bytes},    {"warmup", o.warmup},
                        {"iterations", o.iterations},          {"estimated_s", e.total_s},
                        {"overhead_per_pattern_s", kProbeOverheadPerPatternS}};
    j["patterns"] = nlohmann::json::array();
    for (std::size_t i = 0; i < ps.size(); ++i) {
      const MeasurementPoint& p = ps[i].point;
      j["patterns"].push_back({{"name", p.name}, {"kind", to_string(ps[i].kind)}, {"transport", to_string(p.transport)},
                               {"op", to_string(p.op)}, {"bytes", p.bytes}, {"flows", p.flows},
                               {"metric", to_string(p.metric)}, {"simulated_s", e.iteration_s[i]},
                               {"estimated_s", e.pattern_s[i]}});
    }
    std::cout << j.dump(1) << "\n";
    return;
  }
  std::printf("# probe plan for %s: %zu patterns, %llu bytes per flow, %u warm-up + %u timed runs each, backend %s\n",
              box.name.c_str(), ps.size(), static_cast<unsigned long long>(o.bytes), o.warmup, o.iterations,
              o.backend.c_str());
  if (!note.empty()) std::printf("# note: %s\n", note.c_str());
  std::printf("# estimated on the box's GPUs (contention model) plus %.2f s per pattern: %.1f s in all\n",
              kProbeOverheadPerPatternS, e.total_s);
  if (!on_gpu(o))
    std::printf("# threads: a smoke test of the machinery on CPU threads; it takes its own time, not this estimate\n");
  if (!o.output.empty()) std::printf("# writes %s\n", o.output.c_str());
  std::printf("#   #  %-56s  %-11s  %-6s  %-11s  %-5s  %9s\n", "pattern", "flows", "metric", "transport", "op", "est. ms");
  for (std::size_t i = 0; i < ps.size(); ++i) {
    const MeasurementPoint& p = ps[i].point;
    std::printf("  %3zu  %-56s  %-11s  %-6s  %-11s  %-5s  %9.2f\n", i + 1, p.name.c_str(), flows_text(p.flows).c_str(),
                to_string(p.metric).c_str(), to_string(p.transport).c_str(), to_string(p.op).c_str(),
                e.pattern_s[i] * 1e3);
  }
}

/// Sets `name` unless the user did (then a note says it is kept): probe's environment is a default.
void set_default_env(const char* name, const char* value) {
  if (const char* now = std::getenv(name); now && std::string(now) != value)
    std::cerr << "note: " << name << "=" << now << " is kept (probe would set " << value << ")\n";
  ::setenv(name, value, 0);
}

/// GPU backends, before anything touches CUDA (it reads this once): GPU i of the box is CUDA
/// device i in the order nvidia-smi, and so `topo import`, number them.
void set_device_order(const Options& o) {
  if (on_gpu(o)) set_default_env("CUDA_DEVICE_ORDER", "PCI_BUS_ID");
}

/// NCCL told which transport to take, before its communicators are made.
void set_nccl_environment(const Options& o, const std::vector<TransportKind>& ts) {
  if (o.backend != "nccl") return;
  if (ts.front() == TransportKind::shm) set_default_env("NCCL_P2P_DISABLE", "1");
  if (ts.front() == TransportKind::p2p) set_default_env("NCCL_P2P_LEVEL", "SYS");  // P2P wherever the driver allows
}

/// Exit 3 before anything runs where the machine cannot run the probe.
void check_gpus(const Options& o, const Topology& box) {
  const int gpus = gpu_count();
  const auto n = static_cast<int>(box.gpus().size());
  if (gpus == 0)
    throw TransportError("--backend " + o.backend + " needs a CUDA GPU and none is visible: run on the box's GPUs, "
                         "or use --backend threads for the smoke test on the CPU");
  if (gpus < n && !o.share_gpus)
    throw TransportError("the box '" + box.name + "' has " + std::to_string(n) + " GPUs and this machine shows " +
                         std::to_string(gpus) + ": probe the box this machine is (`ulysses-a2a topo import` of "
                         "`nvidia-smi topo -m`), or pass --share-gpus for a smoke test with ranks sharing GPUs");
}

std::string source_text(const Options& o, const FlowProber& prober, const Topology& box) {
  std::string s = "ulysses-a2a probe --backend " + o.backend + " on " + prober.device() + ": mean of " +
                  std::to_string(o.iterations) + " timed runs after " + std::to_string(o.warmup) + " warm-up";
  if (!on_gpu(o)) s += "; a SMOKE TEST on CPU threads, not a measurement of the box's PCIe";
  else if (o.share_gpus && gpu_count() < static_cast<int>(box.gpus().size()))
    s += "; ranks share GPUs: a smoke test, not the box";
  return s;
}

void run_probe(const Options& o, const Topology& box, std::vector<ProbePattern>& ps) {
  FlowProbeConfig c;
  c.transport = o.backend;
  c.warmup = o.warmup;
  c.iterations = o.iterations;
  c.share_gpus = o.share_gpus;
  c.transport_options.timeout_s = o.timeout_s;
  FlowProber prober(c, static_cast<std::int32_t>(box.gpus().size()), o.bytes);
  const std::string source = source_text(o, prober, box);
  std::printf("# probe of %s on %s: %zu patterns, %llu bytes per flow, %u timed runs after %u warm-up\n",
              box.name.c_str(), prober.device().c_str(), ps.size(), static_cast<unsigned long long>(o.bytes),
              o.iterations, o.warmup);
  if (!on_gpu(o))
    std::printf("# SMOKE TEST: CPU threads exercise the patterns, the transport, the checks and the document; the "
                "figures are host memory copies, not the box's PCIe\n");
  std::printf("#   #  %-56s  %-6s  %10s  %10s\n", "pattern", "metric", "mean(us)", "GB/s");
  Measurements m;
  m.box = box_for_document(o.topology, o.output);
  for (std::size_t i = 0; i < ps.size(); ++i) {
    MeasurementPoint& p = ps[i].point;
    FlowRun run;
    run.flows.assign(p.flows.begin(), p.flows.end());
    run.peer_writes = p.op == MeasureOp::write;
    run.peer_access = p.transport != TransportKind::cuda_staged;
    const FlowTiming t = prober.time(run);
    if (!t.ok()) {
      std::cerr << "ulysses-a2a: probe: pattern '" << p.name << "' was not delivered as sent: " << t.wrong_words
                << " wrong words over " << t.runs << " runs; ledger: " << t.ledger.arrived << " pieces arrived for "
                << p.flows.size() << " flows, " << t.ledger.duplicated_count << " duplicated, "
                << t.ledger.misplaced_count << " misplaced. Nothing was written.\n";
      throw CLI::RuntimeError(kExitViolation);
    }
    p.gbps = figure_gbps(p, t.mean_s);
    p.source = source;
    m.points.push_back(p);
    std::printf("  %3zu  %-56s  %-6s  %10.1f  %10.2f\n", i + 1, p.name.c_str(), to_string(p.metric).c_str(),
                t.mean_s * 1e6, p.gbps);
    std::fflush(stdout);
  }
  write_output(o.output, measurements_json(m));
  std::printf("# wrote %s: %zu points (box %s)\n", o.output.c_str(), m.points.size(), m.box.c_str());
}

void run(Options o) {
  find_backend(o);
  check_numbers(o);
  set_device_order(o);
  const Topology box = load_topology(o.topology);
  std::string note;
  const std::vector<TransportKind> ts = resolve_transports(o, box, note);
  ProbeRequest request;
  request.transports = ts;
  request.ops = resolve_ops(o, ts);
  request.bytes = o.bytes;
  std::vector<ProbePattern> ps = probe_patterns(box, request);
  if (!o.dry_run) check_backend_built(o);
  else if (!find_backend(o).available)
    note += std::string(note.empty() ? "" : "; ") + "this build lacks --backend " + o.backend + ": a run needs a build with it";
  if (!o.output.empty()) check_writable({o.output});
  const double n = static_cast<double>(box.gpus().size());
  const double stride = static_cast<double>((o.bytes + 255) / 256 * 256);
  if (!on_gpu(o)) {
    const double needed = 2 * n * n * stride;  // every rank's send and receive buffers
    const std::uint64_t available = available_memory_bytes();
    if (available > 0 && needed > 0.9 * static_cast<double>(available))
      throw std::invalid_argument("--bytes " + std::to_string(o.bytes) + " on " + std::to_string(box.gpus().size()) +
                                  " GPUs needs about " + human_bytes(needed) + " of host memory and " +
                                  human_bytes(static_cast<double>(available)) + " is available: give a smaller --bytes");
  }
  const ProbeEstimate estimate = estimate_probe(box, ps, o.warmup, o.iterations);
  if (o.dry_run) {
    print_plan(o, box, ps, estimate, note);
    return;
  }
  if (!note.empty()) std::cerr << "note: " << note << "\n";
  if (on_gpu(o)) {
    set_nccl_environment(o, ts);
    check_gpus(o, box);
  }
  run_probe(o, box, ps);
}

}  // namespace

void setup_probe(CLI::App& app) {
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "probe", "measure the box: pairs, flows through each shared link, all-to-all and rounds; writes measurements");
  std::string presets_list;
  presets_list = joined_names(presets());
  input_option(cmd->add_option("-t,--topology", opt->topology, "the box: a preset (" + presets_list + ") or a DOT file"))
      ->capture_default_str();
  add_comma_list(*cmd, "--transport", opt->transports,
                  "what moves the flows, a comma list: cuda-p2p, cuda-staged, nvlink (cuda-peer); shm, p2p, nvlink "
                  "(nccl, one per run); any on threads (default: cuda-p2p where the driver allows P2P, else "
                  "cuda-staged; the box's own otherwise)");
  add_comma_list(*cmd, "--op", opt->ops,
                 "CUDA peer copies: write (the source's stream issues them), read (the destination's), or write,read");
  cmd->add_option("--bytes", opt->bytes, "bytes per flow (default 67108864 on GPUs, 1048576 on threads)");
  cmd->add_option("-n,--iters", opt->iterations, "timed runs per pattern; the figure is their mean")->capture_default_str();
  cmd->add_option("-w,--warmup", opt->warmup, "untimed runs per pattern")->capture_default_str();
  cmd->add_option("--backend", opt->backend, "threads (CPU smoke test), cuda-peer or nccl")->capture_default_str();
  cmd->add_flag("--share-gpus", opt->share_gpus,
                "GPU backends: let ranks share GPUs when the machine has fewer than the box (a smoke test)");
  cmd->add_option("--timeout", opt->timeout_s, "abort a run that makes no progress for this many seconds")
      ->capture_default_str()
      ->check(real_range(0, kMaxTimeoutSeconds));
  cmd->add_flag("--dry-run", opt->dry_run, "list the patterns and the time the probe will take; run nothing");
  cmd->add_flag("--json", opt->json, "with --dry-run: the list as JSON");
  output_option(*cmd, cmd->add_option("-o,--output", opt->output, "the measurement document to write (docs/formats.md)"));
  cmd->callback([opt, cmd] {
    opt->bytes_given = cmd->count("--bytes") > 0;
    run(*opt);
  });
}

}  // namespace ua2a::cli
