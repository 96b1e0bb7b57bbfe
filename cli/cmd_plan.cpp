// ulysses-a2a plan: the best parallel layout (CFG x Ulysses x ring, schedule, precision, overlap)
// for a model or an attention shape on a box, predicted stage by stage (plan/, docs/plan.md).
#include <iostream>
#include <memory>
#include <optional>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/model_option.h"
#include "schedule/named.h"
#include "cli/numbers.h"
#include "cli/option_rules.h"
#include "cli/outputs.h"
#include "cli/progress.h"
#include "plan/models.h"
#include "plan/plan.h"
#include "plan/validation.h"
#include "schedule/workload.h"
#include "sim/nvsmi.h"

namespace ua2a::cli {

namespace {

struct Options {
  std::string topology = "4090x8-2s-sw";
  std::string nvidia_smi;  ///< an `nvidia-smi topo -m` text file instead of --topology
  std::string gpu;         ///< empty: h100 for an h100 preset, else rtx4090
  ModelOptions model;      ///< --model or --model-file (neither, with no --seq: wan2.1-14b), --resolution, --frames
  std::string gpu_file;    ///< a GPU document instead of --gpu
  std::uint64_t seq = 0, heads = 0, head_dim = 128, batch = 1;
  std::string gpus;        ///< a count or a list of the box's GPUs; empty: all
  std::string transports;  ///< a comma list restricting the transports; empty: what the box runs
  bool p2p = false;        ///< the box has P2P (a P2P-capable driver), whatever its description says
  std::string scope;       ///< empty: step for a model, attention for a shape
  bool no_cfg = false;
  std::string attention = "sage";
  std::string weights = "bf16";
  std::string sim_model = "contention";
  double gemm_efficiency = 0;
  double host_overhead_ms = -1;  ///< < 0: the fitted default
  std::size_t top = 15;
  bool json = false;
  std::string picture;
  bool validate = false;
  bool shape_given = false, seq_given = false, heads_given = false, topology_given = false;
};

plan::Workload workload(const Options& o) {
  if (o.model.given() && o.shape_given)
    throw std::invalid_argument(o.model.option() +
                                " and --seq/--heads both give the shape: use one (a model, or a bare shape)");
  if (o.shape_given) {
    if (!o.seq_given) throw std::invalid_argument("--heads needs --seq (the sequence length S): add it");
    if (o.heads == 0 && !o.heads_given) throw std::invalid_argument("--seq needs --heads (all heads H): add it");
    return plan::shape_workload(o.seq, o.heads, o.head_dim, o.batch);
  }
  if (o.batch != 1) throw std::invalid_argument("--batch applies to a bare shape (--seq): drop it with --model");
  const ModelAtSize sized = resolve_model_options(o.model);
  return plan::model_workload(sized.model, sized.resolution, sized.frames, !o.no_cfg);
}

void run(const Options& o) {
  if (o.validate) {
    std::cout << plan::validation_table(plan::validate()) << std::flush;
    return;
  }
  if (!o.nvidia_smi.empty() && o.topology_given)
    throw std::invalid_argument("--topology and --nvidia-smi both give the box: use one");
  NvsmiOptions import;
  std::optional<plan::GpuInfo> gpu;
  if (!o.nvidia_smi.empty()) {  // the matrix cannot say whether P2P is on: by the GPU kind (off for GeForce)
    gpu = plan::resolve_gpu(o.gpu, o.gpu_file, "rtx4090");
    import.p2p = default_p2p(TransportKind::shm, gpu->name);
  }
  Topology topology = o.nvidia_smi.empty() ? load_topology(o.topology) : import_nvidia_smi(read_file(o.nvidia_smi), import);
  if (!gpu) gpu = plan::resolve_gpu(o.gpu, o.gpu_file, plan::default_gpu(topology));
  if (o.p2p) plan::open_p2p(topology);
  const plan::Workload w = workload(o);
  plan::PlanOptions po;
  po.scope = plan::parse_scope(o.scope.empty() ? (o.shape_given ? "attention" : "step") : o.scope);
  if (!o.gpus.empty())
    po.gpu_list = plan::parse_gpu_selection(o.gpus, static_cast<std::int32_t>(topology.gpus().size()), po.gpus);
  po.attention = plan::parse_attention_kernel(o.attention);
  po.weights = parse_dtype(o.weights);
  po.sim_model = parse_sim_model(o.sim_model);
  if (!o.transports.empty()) {
    if (o.transports == "all")
      throw std::invalid_argument("--transports all: plan ranks every transport the box runs by default; give a "
                                  "comma list to restrict them (shm, cuda-staged, p2p, cuda-p2p, nvlink)");
    try {
      po.transports = plan::requested_transports(o.transports, topology, po.sim_model);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("--transports " + o.transports + ": " + e.what());
    }
  }
  po.gemm_efficiency = o.gemm_efficiency;
  if (o.host_overhead_ms >= 0) {
    if (po.scope == plan::Scope::attention)
      throw std::invalid_argument("--host-overhead-ms is a cost per block forward: it applies with --scope layer or "
                                  "step, not to an attention alone");
    po.host_overhead_s = o.host_overhead_ms / 1e3;
  }
  std::unique_ptr<Progress> progress;  // made at the first candidate, when the layouts are known
  po.on_candidate = [&](std::size_t layout, std::size_t layouts, const std::string& candidate) {
    if (!progress)
      progress = std::make_unique<Progress>("plan", layouts,
                                            std::to_string(layouts) + " layouts on the " +
                                                std::to_string(topology.gpus().size()) + "-GPU box " + topology.name +
                                                ", each over the schedules and transports");
    progress->step(layout, candidate);
  };
  const plan::PlanResult r = plan::make_plan(topology, *gpu, w, po);
  progress.reset();  // its line cleared before the table
  if (!o.picture.empty()) write_output(o.picture, plan::plan_svg(r, o.top));
  std::cout << (o.json ? plan::plan_json(r) : plan::plan_table(r, o.top)) << std::flush;
}

}  // namespace

void setup_plan(CLI::App& app) {
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "plan", "the best split of the GPUs (CFG x Ulysses x ring, schedule, precision, overlap) for a model on a box, "
              "predicted stage by stage");
  const std::string presets_list = joined_names(presets()), gpus = joined_names(plan::gpus());
  input_option(cmd->add_option("-t,--topology", opt->topology, "a preset (" + presets_list + ") or a DOT file"))->capture_default_str();
  input_option(cmd->add_option("--nvidia-smi", opt->nvidia_smi, "the box from `nvidia-smi topo -m` text in FILE")
                   ->check(CLI::ExistingFile));
  cmd->add_option("--gpu", opt->gpu, "GPU kind: " + gpus + " (default h100 on an h100 preset, else rtx4090)");
  input_option(cmd->add_option("--gpu-file", opt->gpu_file,
                               "your GPU's rates instead of --gpu: a GPU document (docs/formats.md)")
                   ->check(CLI::ExistingFile));
  add_model_options(*cmd, opt->model, "model");
  cmd->add_option("--seq", opt->seq, "bare shape: sequence length S (all tokens)");
  cmd->add_option("--heads", opt->heads, "bare shape: heads H");
  cmd->add_option("--head-dim", opt->head_dim, "bare shape: head dim D")->capture_default_str();
  cmd->add_option("--batch", opt->batch, "bare shape: batch B")->capture_default_str();
  cmd->add_option("-g,--gpus", opt->gpus,
                  "GPUs to split: a count G (the planner picks which) or a list of the box's GPUs, e.g. 0,1,4,5 "
                  "(default: all of the box)");
  cmd->add_option("--transports", opt->transports,
                  "rank only these transports, a comma list (shm, cuda-staged, p2p, cuda-p2p, nvlink; default: what "
                  "the box runs)")
      ->check(comma_list());
  cmd->add_flag("--p2p", opt->p2p,
                "the box's GPUs reach each other peer-to-peer (a P2P-capable driver; for GeForce the P2P-patched one): "
                "opens the p2p and cuda-p2p candidates, each with the settings it needs");
  cmd->add_option("--scope", opt->scope, "attention, layer or step (default step for a model, attention for a shape)")
      ->check(CLI::IsMember(names_of(plan::scopes())));
  cmd->add_flag("--no-cfg", opt->no_cfg, "the model runs without classifier-free guidance (one forward a step)");
  cmd->add_option("--attention", opt->attention,
                  "attention kernel: sage (8-bit QK, the reference's), flash (FlashAttention 2) or flash3 "
                  "(FlashAttention 3, Hopper only)")
      ->check(CLI::IsMember({"sage", "flash", "flash3"}))
      ->capture_default_str();
  cmd->add_option("--weights", opt->weights, "GEMM precision and weight storage: bf16 or fp8")
      ->check(CLI::IsMember({"bf16", "fp8"}))
      ->capture_default_str();
  cmd->add_option("--sim-model", opt->sim_model, "the simulator's model: contention or fluid")
      ->check(CLI::IsMember(names_of(sim_models())))
      ->capture_default_str();
  cmd->add_option("--gemm-efficiency", opt->gemm_efficiency,
                  "achieved fraction of the dense tensor rate for the linear layers (default: the fitted " +
                      std::to_string(plan::kGemmEfficiency).substr(0, 4) + ")")
      ->check(real_range(0.01, 1.0));
  cmd->add_option("--host-overhead-ms", opt->host_overhead_ms,
                  "host time per block forward that the GPU waits for (an eager framework's Python and launches; "
                  "default: the fitted " + std::to_string(1e3 * plan::kHostOverheadS).substr(0, 4) +
                      ", docs/validation.md; 0 for CUDA graphs or a compiled step)")
      ->check(real_range(0.0, 1000.0));
  cmd->add_option("--top", opt->top, "rows of the table and bars of the picture")->check(CLI::Range(1, 100000))->capture_default_str();
  cmd->add_flag("--json", opt->json, "print the plan JSON (format ulysses-a2a/plan, docs/plan.md) instead of the table");
  output_option(*cmd, cmd->add_option("--picture", opt->picture, "also write a stacked-bar SVG of the stages to FILE"));
  cmd->add_flag("--validate", opt->validate, "print the planner against LightX2V's published step times (docs/validation.md)");
  // Which options apply together (cli/option_rules.h).
  excludes(*cmd, "--seq", {"--resolution", "--frames", "--no-cfg"}, "a bare shape has no video: --seq --heads give it");
  applies_with(*cmd, "--head-dim", {"--seq"}, "a bare shape's");
  applies_with(*cmd, "--batch", {"--seq"}, "a bare shape's");
  excludes(*cmd, "--validate",
           {"--topology", "--nvidia-smi", "--gpu", "--model", "--resolution", "--frames", "--seq", "--heads", "--head-dim",
            "--batch", "--gpus", "--scope", "--no-cfg", "--attention", "--weights", "--sim-model", "--gemm-efficiency",
            "--host-overhead-ms", "--top", "--json", "--picture", "--model-file", "--gpu-file", "--transports", "--p2p"},
           "it prints the planner against the published step times, a fixed table");
  cmd->callback([opt, cmd] {
    opt->seq_given = cmd->count("--seq") > 0;
    opt->heads_given = cmd->count("--heads") > 0;
    opt->shape_given = opt->seq_given || opt->heads_given;
    opt->topology_given = cmd->count("--topology") > 0;
    run(*opt);
  });
}

}  // namespace ua2a::cli
