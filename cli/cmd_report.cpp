// ulysses-a2a report: the main job. For one box and one video model it proves every schedule of
// the study correct (verify), times it on the box (simulate), checks the whole layer end to end on
// the CPU (run, threads transport), and writes the report, its JSON and its pictures to a folder.
#include <algorithm>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "backend/runner.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/model_option.h"
#include "cli/outputs.h"
#include "cli/progress.h"
#include "sim/contention_policy.h"
#include "plan/mapping.h"
#include "plan/plan.h"
#include "plan/study.h"
#include "schedule/lower.h"
#include "sim/simulate.h"
#include "schedule/workload.h"
#include "verify/report.h"
#include "viz/report.h"
#if UA2A_CLI_SYNTH
#include "synth/synthesize.h"
#endif

namespace ua2a::cli {

namespace {

struct Options {
  std::string out = "out";
  std::string topology = "4090x8-2s-sw";  ///< the 8 x 4090 layout with public measurements
  std::int32_t ranks = 8;
  ModelOptions model_options;  ///< --model or --model-file, --resolution, --frames
  ModelAtSize model;           ///< what they name, resolved when the report starts
  std::string dtype = "bf16";
  std::string sim_model = "contention";
  bool no_layer_check = false;
  bool p2p = false;  ///< the box has P2P (a P2P-capable driver): the study and the plan rank p2p, cuda-p2p too
  double synthesize_budget = 0;  ///< > 0: add the synthesised schedule of each transport (docs/synthesize.md)
};

/// One schedule of the study, proved and timed.
struct Entry {
  plan::Combo combo;
  Schedule schedule;
  plan::StudyVerdict verdict;
  SimReport sim;
};

plan::StudyVerdict verdict_of(const VerifyReport& r) { return {!r.execution.deadlock.has_value(), r.ok()}; }

Payload study_payload(const Options& o, bool unmerged) {
  const VideoModel& m = o.model.model;
  const UlyssesShape shape = ulysses_shape(o.model.tokens, m.heads, m.head_dim, o.ranks,
                                           parse_dtype(o.dtype), Exchange::qkv);
  return ulysses_payload(shape, !unmerged, 1);
}

/// Every schedule of the study proved once, and timed under each transport (study order: the
/// first entry is the reference, round-robin paired-half, on the box's default transport).
std::vector<Entry> prove_and_time(const Options& o, const Topology& topology) {
  plan::StudyRequest request;
  request.ranks = o.ranks;
  request.transports = plan::study_transports(topology, parse_sim_model(o.sim_model));
  request.label_exchange = true;
  request.payload = [&o](const plan::Combo& c, const std::string&) { return study_payload(o, c.unmerged); };
  request.sim.model = parse_sim_model(o.sim_model);
  const plan::StudyCases cases = plan::expand(request);
  for (const plan::StudySkip& skip : cases.skipped) std::cerr << "note: skipped " << skip.what << ": " << skip.why << "\n";
  const std::size_t total = cases.cases.size() * request.transports.size();
  Progress progress("report", total, std::to_string(cases.cases.size()) + " schedules x " +
                                          std::to_string(request.transports.size()) + " transports on " + topology.name +
                                          ", " + std::to_string(o.ranks) + " ranks");
  const plan::StudyRun study = plan::run_study(
      topology, request, cases.cases,
      [](const plan::StudyCase& k) { return verdict_of(verify(k.schedule, k.programs)); },
      [&](std::size_t done, const std::string& what) { progress.step(done, what); });
  std::vector<Entry> entries;
  for (const plan::StudyRow& row : study.rows)
    entries.push_back({row.combo, cases.cases[row.case_index].schedule, {row.deadlock_free, row.verified}, row.sim});
  return entries;
}

/// --synthesize: for each transport the synthesiser's schedule (seed 1), proved and timed like the
/// study's, appended as "synthesized" rows.
void add_synthesized(const Options& o, const Topology& topology, std::vector<Entry>& entries) {
#if UA2A_CLI_SYNTH
  for (std::optional<TransportKind> t : plan::study_transports(topology, parse_sim_model(o.sim_model))) {
    synth::Request r;
    r.ranks = o.ranks;
    r.payload = study_payload(o, false);
    r.unmerged_payload = study_payload(o, true);
    r.transport = t;
    r.sim.model = parse_sim_model(o.sim_model);
    r.budget_s = o.synthesize_budget;
    const synth::Result result = synth::synthesize(topology, r);
    Entry e{{"synthesized", result.winner.schedule.discipline}, result.winner.schedule, {}, result.sim};
    e.verdict = verdict_of(verify(e.schedule, parse_discipline(e.schedule.discipline)));
    e.sim.exchange = "qkv";
    entries.push_back(std::move(e));
  }
#else
  (void)o, (void)topology, (void)entries;
  throw std::invalid_argument("--synthesize needs the synth module, which this build left out");
#endif
}

std::string yes_no(bool b) { return b ? "yes" : "NO"; }

std::string table(const Options& o, const Topology& topology, const std::vector<Entry>& entries) {
  std::vector<plan::StudyRow> rows;
  for (const Entry& e : entries)
    rows.push_back({e.combo, e.verdict.deadlock_free, e.verdict.verified, e.sim});
  const bool explained = !entries.front().sim.set_by.empty();
  std::ostringstream s;
  s << std::fixed << "ulysses-a2a report: " << o.model.label << " " << o.model.resolution << " (" << o.model.frames << (o.model.frames == 1 ? " frame, " : " frames, ") << o.dtype
    << "), N = " << o.ranks << ", on " << o.topology << "\n"
    << "forward q|k|v exchange, " << std::setprecision(2) << entries.front().schedule.payload.block_bytes() / 1e6
    << " MB per block (merged), " << o.sim_model << " model\n\n"
    << plan::study_table(rows)
    << "\ndeadlock, verified: verify (zero-buffer execution: deadlock-free, exactly-once, no mismatch)\n"
    << "time, busbw (GB/s, nccl-tests), eff = bound / time: simulate on the model of " << o.topology << " (docs/simulate.md)\n"
    << "transport: shm, p2p = NCCL's SHM and P2P; cuda-staged, cuda-p2p = CUDA peer copies with P2P off and on\n"
    << "vs_grouped: speedup against NCCL's grouped all-to-all on the same transport; vs_reference: against the "
       "reference, round-robin paired-half on " << entries.front().sim.transport << "\n";
  std::vector<std::string> said;  // what a transport of the study needs on this box (plan/mapping.h)
  for (const Entry& e : entries)
    for (const std::string& n : plan::all_to_all_needs(topology, e.sim.transport, o.ranks))
      if (std::find(said.begin(), said.end(), e.sim.transport + " runs only with " + n) == said.end()) {
        said.push_back(e.sim.transport + " runs only with " + n);
        s << said.back() << "\n";
      }
  if (explained)
    s << "fluid_ms: the same programs, routes and capacities with every loss off (the bound); set_by: the contention "
         "mechanism whose removal shortens the run most (bandwidth: none moves it by 1 %)\n";
  return s.str();
}

/// The planner's answer for this box and model: how to split the GPUs for a whole denoising step
/// (ulysses-a2a plan, docs/plan.md); the text gets its five best layouts and the recommendation,
/// the JSON the same five.
nlohmann::json plan_answer(const Options& o, const Topology& topology, std::ostringstream& text) {
  plan::PlanOptions po;
  po.gpus = o.ranks;
  po.sim_model = parse_sim_model(o.sim_model);
  const plan::PlanResult r = plan::make_plan(topology, plan::find_gpu(plan::default_gpu(topology)),
                                             plan::model_workload(o.model.model, o.model.resolution, o.model.frames, true), po);
  text << "\nplan (ulysses-a2a plan --topology " << o.topology << " " << o.model.spelled << " --resolution "
       << o.model.resolution << " --gpus " << o.ranks << (o.p2p ? " --p2p" : "") << "): the best splits of the GPUs for one denoising step\n"
       << plan::plan_table(r, 5);
  nlohmann::json j = nlohmann::json::parse(plan::plan_json(r));
  auto& candidates = j["candidates"];
  if (candidates.size() > 5) candidates.erase(candidates.begin() + 5, candidates.end());
  return j;
}

/// The whole layer on the CPU (threads transport) against the reference, at a scaled shape of
/// the model: its heads and head dim (when the ranks divide the heads and the kernels take the
/// dim), 16 tokens a rank instead of thousands, 7 text tokens. The text and the JSON name the
/// shape that ran and the model's own, so the check is not read as the model's size.
nlohmann::json layer_check(const Options& o, std::ostringstream& text) {
  const VideoModel& m = o.model.model;
  const std::uint64_t model_seq = o.model.tokens;
  const auto ranks = static_cast<std::uint64_t>(o.ranks);
  const bool model_heads = m.heads % ranks == 0;
  const bool model_dim = m.head_dim == 64 || m.head_dim == 128;
  RunConfig c;
  c.shape.ranks = o.ranks;
  c.shape.seq_per_rank = 16;
  c.shape.heads = model_heads ? m.heads : 2 * ranks;
  c.shape.head_dim = model_dim ? m.head_dim : 64;
  c.shape.text_tokens = 7;
  c.shape.fp8 = o.dtype == "fp8";
  c.check = true;
  const RunReport r = run_layer(c, make_layer_programs(c.shape, "round-robin", Discipline::paired_half));
  double worst = 0;
  for (const RankError& e : r.errors) worst = std::max(worst, e.max_abs);
  const std::uint64_t model_tokens_per_rank = (model_seq + ranks - 1) / ranks;
  text << "\nlayer check (run --transport threads --check, round-robin paired-half) at a scaled shape of " << o.model.label
       << ": s = " << c.shape.seq_per_rank << " tokens a rank (the model: " << model_tokens_per_rank << "), H = "
       << c.shape.heads << (model_heads ? " (the model's)" : " (not the model's " + std::to_string(m.heads) + ": " +
                                                                  std::to_string(o.ranks) + " ranks do not divide them)")
       << ", D = " << c.shape.head_dim << (model_dim ? " (the model's)" : " (the model's " + std::to_string(m.head_dim) +
                                                                           " is not a kernel's)")
       << ", L = 7 text tokens, " << o.dtype << ": " << (r.ok() ? "PASS" : "FAIL") << ", max abs error "
       << std::setprecision(4) << worst << ", delivery exactly once: " << yes_no(r.forward_ledger_ok && r.reverse_ledger_ok)
       << "\n";
  return {{"ok", r.ok()},
          {"max_abs_error", worst},
          {"exactly_once", r.forward_ledger_ok && r.reverse_ledger_ok},
          {"shape", {{"ranks", o.ranks}, {"seq_per_rank", c.shape.seq_per_rank}, {"heads", c.shape.heads},
                     {"head_dim", c.shape.head_dim}, {"text_tokens", c.shape.text_tokens}, {"dtype", o.dtype}}},
          {"model_shape", {{"seq_per_rank", model_tokens_per_rank}, {"heads", m.heads}, {"head_dim", m.head_dim}}}};
}

void run(Options o) {
  o.model = resolve_model_options(o.model_options);
  Topology topology = load_topology(o.topology);
  if (o.p2p) plan::open_p2p(topology);
  // The folder is checked when parsed (cli/outputs.h); the files go through a temporary folder
  // inside it and are moved in only when all were written, so a failure changes nothing there.
  std::vector<Entry> entries = prove_and_time(o, topology);
  if (o.synthesize_budget > 0) add_synthesized(o, topology, entries);
  std::ostringstream text;
  text << table(o, topology, entries) << "box " << topology.name << ": " << calibration_status(topology) << "\n";
  nlohmann::json doc = {{"format", "ulysses-a2a/report"}, {"version", 1}, {"topology", o.topology}, {"ranks", o.ranks},
                        {"model", o.model.model.name}, {"resolution", o.model.resolution}, {"dtype", o.dtype},
                        {"sim_model", o.sim_model}, {"calibration", calibration_status(topology)}};
  if (!o.model_options.file.empty()) doc["model_file"] = o.model_options.file;
  nlohmann::json schedules = nlohmann::json::array();
  std::vector<SimReport> runs;
  for (const Entry& e : entries) {
    schedules.push_back({{"algo", e.combo.algo}, {"discipline", e.combo.discipline}, {"unmerged", e.combo.unmerged},
                         {"transport", e.sim.transport}, {"verified", e.verdict.verified},
                         {"deadlock", !e.verdict.deadlock_free}, {"time_s", e.sim.time_s},
                         {"busbw_gbps", e.sim.busbw_gbps}, {"efficiency", e.sim.efficiency},
                         {"bottleneck", e.sim.bottleneck}, {"fluid_time_s", e.sim.fluid_time_s},
                         {"set_by", e.sim.set_by}});
    runs.push_back(e.sim);
  }
  doc["schedules"] = schedules;
  try {
    doc["plan"] = plan_answer(o, topology, text);
  } catch (const std::invalid_argument& e) {  // report has no --scope: say what report can do
    throw std::invalid_argument("report " + o.model.spelled + ": the planner's step cannot be planned (" + e.what() +
                                "): run report with a model that gives its blocks (layers, hidden, FFN; e.g. wan2.1-14b), or ulysses-a2a plan " + o.model.spelled +
                                " --scope attention");
  }
  if (!o.no_layer_check) doc["layer_check"] = layer_check(o, text);

  const std::string sim_json = simulation_json(topology, runs, /*with_dot=*/true);  // idle links too, for the picture
  const std::vector<std::string> files = write_into_folder(o.out, [&](const std::string& dir) {
    std::vector<std::string> written = {dir + "report.txt", dir + "report.json", dir + "simulation.json", dir + "trace.json"};
    write_outputs({{written[0], text.str()},
                   {written[1], doc.dump(1) + "\n"},
                   {written[2], sim_json},
                   {written[3], simulation_trace(runs)}});
    // Pictures of the reference schedule (round-robin, the first run of the study).
    for (const std::string& f : viz::render_report_pictures(dir, entries.front().schedule, sim_json, 0)) written.push_back(f);
    return written;
  });
  std::cout << text.str() << "\nwritten:";
  for (const std::string& f : files) std::cout << " " << f;
  std::cout << "\n";
  bool all_verified = true;
  for (const Entry& e : entries) all_verified &= e.verdict.verified;
  if (!all_verified || (doc.contains("layer_check") && !doc["layer_check"]["ok"].get<bool>()))
    throw CLI::RuntimeError(kExitViolation);
}

}  // namespace

void setup_report_command(CLI::App& app) {
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "report", "the main job: prove, simulate and picture every schedule of the study for one box and model");
  output_folder_option(*cmd, cmd->add_option("-o,--out", opt->out, "folder for report.txt, report.json, simulation.json, trace.json, pictures"))
      ->capture_default_str();
  input_option(cmd->add_option("-t,--topology", opt->topology, "a preset (topo list) or a DOT file"))->capture_default_str();
  cmd->add_option("--ranks", opt->ranks, "number of ranks N")->check(CLI::Range(2, 4096))->capture_default_str();
  add_model_options(*cmd, opt->model_options, "video model");
  cmd->add_option("--dtype", opt->dtype, "bf16 or fp8 on the wire")->check(CLI::IsMember({"bf16", "fp8"}))->capture_default_str();
  cmd->add_option("--sim-model", opt->sim_model, "contention (the PCIe transports the box runs) or fluid (fair sharing: the bound)")
      ->check(CLI::IsMember(names_of(sim_models())))
      ->capture_default_str();
  cmd->add_flag("--p2p", opt->p2p,
                "the box's GPUs reach each other peer-to-peer (a P2P-capable driver; for GeForce the P2P-patched one): "
                "the study and the plan rank p2p and cuda-p2p too");
  cmd->add_flag("--no-layer-check", opt->no_layer_check, "skip the end-to-end CPU run of the layer");
  cmd->add_option("--synthesize", opt->synthesize_budget,
                  "also synthesise the schedule for each transport with this --budget in seconds (synthesize, seed 1) "
                  "and rank it beside the study");
  cmd->callback([opt, cmd] {
    if (cmd->count("--synthesize") > 0 && !(opt->synthesize_budget > 0 && opt->synthesize_budget <= 3600))
      throw std::invalid_argument("--synthesize " + (std::ostringstream() << opt->synthesize_budget).str() +
                                  ": give the seconds of search per transport in (0, 3600]");
    run(*opt);
  });
}

}  // namespace ua2a::cli
