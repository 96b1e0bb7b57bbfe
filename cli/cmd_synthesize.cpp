// ulysses-a2a synthesize: search the all-to-all orders for the fastest the simulator finds on a
// box and transport, prove the winner, write it as a schedule JSON that records its discipline.
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/model_option.h"
#include "schedule/named.h"
#include "cli/numbers.h"
#include "cli/outputs.h"
#include "plan/mapping.h"
#include "plan/study.h"
#include "schedule/io.h"
#include "schedule/workload.h"
#include "sim/contention_policy.h"
#include "synth/synthesize.h"
#include "verify/report.h"

namespace ua2a::cli {

namespace {

struct Options {
  std::string topology = "4090x8-2s-sw";
  std::int32_t ranks = 0;  ///< 0: every GPU of the box
  std::string transport;   ///< empty: the box's
  ModelOptions model;  ///< --model or --model-file, --resolution, --frames
  std::uint64_t bytes = 0;
  std::string dtype = "bf16";
  std::uint64_t seed = 1;
  double budget_s = 3;
  double margin = 0.02;
  std::string sim_model = "contention";
  bool exact = false;  ///< every planned simulation, whatever the wall clock (reproducible anywhere)
  bool p2p = false;  ///< the box has P2P (a P2P-capable driver), whatever its description says
  std::string output;
  std::string json_out;
  bool bytes_given = false;
};

/// The merged payload and its unmerged twin (the study's staircase) of --bytes or the model.
std::pair<Payload, Payload> payloads(const Options& o, std::int32_t ranks) {
  if (o.bytes_given && o.model.given())
    throw std::invalid_argument("--bytes and " + o.model.option() + " both give the message size: use one");
  if (o.bytes_given) {
    if (o.model.resolution_given() || o.model.frames_given())
      throw std::invalid_argument(std::string(o.model.resolution_given() ? "--resolution" : "--frames") +
                                  " applies to --model only, not with --bytes: drop it");
    if (o.bytes == 0) throw std::invalid_argument("--bytes 0 moves nothing: give the bytes per block (at least 1)");
    return {uniform_payload(o.bytes, true, 1), uniform_payload(o.bytes, false, 1)};
  }
  const ModelAtSize sized = resolve_model_options(o.model);
  const UlyssesShape shape = ulysses_shape(sized.tokens, sized.model.heads, sized.model.head_dim, ranks,
                                           parse_dtype(o.dtype), Exchange::qkv);
  return {ulysses_payload(shape, true, 1), ulysses_payload(shape, false, 1)};
}

void run(const Options& o, const CLI::App& cmd) {
  if (o.output.empty() || o.output == "-")
    throw std::invalid_argument("-o needs a file: the schedule JSON is written there and the report printed");
  check_writable({o.output, o.json_out});  // before the search's seconds, not after them
  Topology topology = load_topology(o.topology);
  if (o.p2p) plan::open_p2p(topology);
  synth::Request request;
  request.ranks = o.ranks > 0 ? o.ranks : static_cast<std::int32_t>(topology.gpus().size());
  if (cmd.count("--ranks") > 0 && o.ranks < 2)
    throw std::invalid_argument("--ranks " + std::to_string(o.ranks) + ": an all-to-all needs at least 2 ranks");
  std::tie(request.payload, request.unmerged_payload) = payloads(o, request.ranks);
  if (!o.transport.empty()) request.transport = parse_transport(o.transport);
  // A schedule for a transport the box cannot run would be a fast answer to the wrong question.
  const TransportKind transport = request.transport.value_or(topology.params.transport);
  if (const std::string why = plan::transport_unavailable(transport, topology); !why.empty())
    throw std::invalid_argument(why);

  request.sim.model = parse_sim_model(o.sim_model);
  request.seed = o.seed;
  request.budget_s = o.budget_s;
  request.wall_clock_guard = !o.exact;
  request.robust_margin = o.margin;
  const synth::Result result = synth::synthesize(topology, request);
  const Schedule& schedule = result.winner.schedule;
  const VerifyReport proof = verify(schedule, parse_discipline(schedule.discipline));
  std::vector<std::pair<std::string, std::string>> files = {{o.output, schedule_to_json(schedule)}};
  if (!o.json_out.empty()) files.emplace_back(o.json_out, synth::result_json(topology, result));
  write_outputs(files);
  std::cout << synth::result_text(topology, result) << "box " << topology.name << ": "
            << calibration_status(topology) << "\n";
  // What the transport needs to run as simulated (the P2P driver, NCCL_P2P_LEVEL, NCCL_P2P_DISABLE).
  for (const std::string& n : plan::all_to_all_needs(topology, result.sim.transport, request.ranks))
    std::cout << "note: " << result.sim.transport << " runs only with " << n << "\n";
  std::cout << "proof: " << (proof.ok() ? "verified deadlock-free and exactly-once (ulysses-a2a verify -i " + o.output + ")"
                                        : "NOT VERIFIED: " + report_to_text(proof))
            << "\nwrote " << o.output << "\n";
  if (!proof.ok()) throw CLI::RuntimeError(kExitViolation);
}

}  // namespace

void setup_synthesize(CLI::App& app) {
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "synthesize", "search the all-to-all orders for the fastest on a box and transport; prove it; write it");
  const std::string presets_list = joined_names(presets());
  input_option(cmd->add_option("-t,--topology", opt->topology, "a preset (" + presets_list + ") or a DOT file"))
      ->capture_default_str();
  cmd->add_option("--ranks", opt->ranks, "number of ranks N (default: every GPU of the box)");
  cmd->add_option("--transport", opt->transport, "shm, p2p, cuda-staged, cuda-p2p, nvlink (default: the box's)");
  cmd->add_flag("--p2p", opt->p2p,
                "the box's driver has GPU peer-to-peer (for GeForce cards, the P2P-patched driver): opens p2p and "
                "cuda-p2p on a box described without P2P");
  add_model_options(*cmd, opt->model, "video model for the message size");
  cmd->add_option("--dtype", opt->dtype, "bf16, fp16 or fp8 on the wire (with --model)")
      ->check(CLI::IsMember(names_of(dtypes())))
      ->capture_default_str();
  cmd->add_option("--bytes", opt->bytes, "bytes per block instead of a --model shape");
  cmd->add_option("--seed", opt->seed, "the search's seed: the same seed gives the same file")->capture_default_str();
  cmd->add_option("--budget", opt->budget_s, "seconds of search, turned into a fixed number of simulations")
      ->check(real_range(1e-3, 3600))
      ->capture_default_str();
  cmd->add_flag("--exact", opt->exact,
                "run every simulation the budget planned even past 3 x --budget of wall clock (a slow or loaded "
                "machine): the same seed then gives the same file anywhere");
  cmd->add_option("--robust-margin", opt->margin,
                  "prefer a candidate this much slower than the fastest when it is more robust on neighbouring boxes")
      ->check(real_range(0, 1))
      ->capture_default_str();
  cmd->add_option("--sim-model", opt->sim_model, "contention (interleaving losses, windows) or fluid (fair sharing)")
      ->check(CLI::IsMember(names_of(sim_models())))
      ->capture_default_str();
  output_option(*cmd, cmd->add_option("-o,--output", opt->output, "write the schedule JSON here (required)")->required());
  output_option(*cmd, cmd->add_option("--json-out", opt->json_out, "also write the synthesis report as JSON (docs/formats.md)"));
  cmd->callback([opt, cmd] {
    opt->bytes_given = cmd->count("--bytes") > 0;
    if (cmd->count("--dtype") > 0 && opt->bytes_given)
      throw std::invalid_argument("--dtype applies to a --model shape only, not with --bytes: drop it");
    run(*opt, *cmd);
  });
}

}  // namespace ua2a::cli
