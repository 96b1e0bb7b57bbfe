// ulysses-a2a simulate: how long each schedule's exchange takes on a given box, which link is the
// bottleneck and how far from the bound it is. With no arguments: the default comparison (every
// schedule of the reference study on the 8 x 4090 dual-socket switch box, Wan2.1-14B 480p, N = 8).
#include <iostream>
#include <set>
#include <sstream>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/model_option.h"
#include "schedule/named.h"
#include "cli/numbers.h"
#include "cli/option_rules.h"
#include "cli/outputs.h"
#include "cli/progress.h"
#include "plan/mapping.h"
#include "plan/study.h"
#include "schedule/io.h"
#include "schedule/lower.h"
#include "sim/measurements.h"
#include "sim/prediction.h"
#include "sim/simulate.h"
#include "verify/report.h"
#include "schedule/workload.h"

namespace ua2a::cli {

namespace {

/// The reference box: the only 8 x 4090 layout with public measurements (pcie-facts.md line 28).
constexpr const char* kDefaultTopology = "4090x8-2s-sw";

struct Options {
  ScheduleOptions schedule;
  std::string topology = kDefaultTopology;
  std::int32_t boxes = 1;
  std::string discipline;   ///< comma list or "all"; empty: paired-full (grouped for grouped)
  std::string transport;    ///< comma list or "all"; empty: the topology's default
  ModelOptions model;       ///< --model or --model-file, --resolution, --frames
  std::string input;        ///< a schedule or programs JSON instead of generating
  bool json = false;
  std::string json_out;
  std::string trace;
  bool with_dot = false;
  double time_tolerance = 0;
  std::string sim_model = "contention";
  std::string mechanisms = "all";
  bool ce_reads = false;
  bool partial = false;  ///< with --input: time a schedule verify rejects (one-way measurements)
  bool p2p = false;  ///< the box has P2P (a P2P-capable driver), whatever its description says
  std::vector<std::string> measurements;  ///< predict these measurement documents instead
  // Which flags the user gave (CLI11 counts), to pick the defaults.
  bool algo_given = false, bytes_given = false, seq_given = false;
};

/// Fills the Ulysses shape from --model or --model-file (default Wan2.1-14B 480p) unless --bytes
/// or --seq chose.
ScheduleOptions workload(const Options& o) {
  ScheduleOptions s = o.schedule;
  const ModelOptions& model = o.model;
  if (o.bytes_given && model.given())
    throw std::invalid_argument("--bytes and " + model.option() + " both give the message size: use one");
  if (o.seq_given && model.given())
    throw std::invalid_argument("--seq and " + model.option() + " both give the shape: use " + model.option() +
                                " (with --resolution, --frames) or --seq --heads --head-dim");
  if (o.seq_given || o.bytes_given) {
    if (model.resolution_given() || model.frames_given())
      throw std::invalid_argument(std::string(model.resolution_given() ? "--resolution" : "--frames") +
                                  " applies to --model only, not with " + (o.seq_given ? "--seq" : "--bytes") + ": drop it");
    return s;
  }
  for (const auto& [given, name] : {std::pair{s.given.heads, "--heads"}, std::pair{s.given.head_dim, "--head-dim"}})
    if (given)
      throw std::invalid_argument(std::string(name) + " does not apply to a --model shape (the model fixes it): give --seq " +
                                  "--heads --head-dim for a shape of your own, or drop " + name);
  const ModelAtSize sized = resolve_model_options(model);
  const VideoModel& m = sized.model;
  const UlyssesShape shape = ulysses_shape(sized.tokens, m.heads, m.head_dim, s.ranks, parse_dtype(s.dtype),
                                           parse_exchange(s.exchange == "both" ? "qkv" : s.exchange));
  s.seq = shape.seq_per_rank;
  s.heads = m.heads;
  s.head_dim = m.head_dim;
  return s;
}

/// The study this invocation asks for (plan/study.h): the schedules, transports and options.
plan::StudyRequest study_request(const Options& o, const Topology& topology) {
  plan::StudyRequest r;
  r.ranks = o.schedule.ranks;
  // Neither --algo nor --discipline: the study.
  plan::choose_schedules(r, !o.algo_given && o.discipline.empty() ? "" : o.schedule.algo, o.discipline, o.schedule.unmerged);
  r.transports = plan::requested_transports(o.transport, topology, parse_sim_model(o.sim_model));
  r.skip_missing_transports = o.transport == "all";
  r.exchanges = o.schedule.exchange == "both" ? std::vector<std::string>{"qkv", "out"}
                                              : std::vector<std::string>{o.schedule.exchange};
  r.label_exchange = r.exchanges.size() > 1;
  if (o.input.empty()) r.payload = [shape = workload(o)](const plan::Combo& c, const std::string& exchange) {
    ScheduleOptions s = shape;
    s.unmerged = c.unmerged;
    s.exchange = exchange;
    return schedule_payload(s);
  };
  const bool record = o.json || !o.json_out.empty() || !o.trace.empty();
  r.sim.time_tolerance = o.time_tolerance;
  r.sim.record_transfers = record;
  r.sim.record_util = record;
  r.sim.model = parse_sim_model(o.sim_model);
  r.sim.mechanisms = parse_mechanisms(o.mechanisms);
  r.sim.ce_reads = o.ce_reads;
  return r;
}

/// A comparison skips what does not apply, and says so on stderr (the table stays parseable).
void note_skips(const std::vector<plan::StudySkip>& skipped) {
  for (const plan::StudySkip& s : skipped) std::cerr << "note: skipped " << s.what << ": " << s.why << "\n";
}

/// --discipline, else the file's own (synthesize records it), else paired-full.
std::string file_discipline(const std::string& given, const Schedule& s) {
  return !given.empty() ? given : !s.discipline.empty() ? s.discipline : "paired-full";
}

/// --input: the file's one case, refused unless verify proves it exactly-once.
plan::StudyCase input_case(const Options& o) {
  const std::string text = read_file(o.input);
  plan::StudyCase k;
  k.has_schedule = named_input(o.input, [&] { return document_kind(text); }) != DocumentKind::programs;
  if (k.has_schedule) {
    k.schedule = named_input(o.input, [&] { return schedule_from_json(text); });
    k.programs = lower(k.schedule, parse_discipline(file_discipline(o.discipline, k.schedule)));
  } else {
    k.programs = named_input(o.input, [&] { return programs_from_json(text); });
  }
  // Only what verify proves exactly-once is timed: a schedule missing a piece took "0.000 s"
  // before. A deadlock stays the simulator's to report (exit 1, with its wait-for cycle).
  // --partial times one on purpose (a one-way transfer, docs/validation.md), never an empty one.
  const VerifyReport proof = k.has_schedule ? verify(k.schedule, k.programs, {}) : verify(k.programs, {});
  if (proof.execution.matches == 0)
    throw std::invalid_argument(o.input + " moves nothing (no transfer): there is nothing to time");
  if (!proof.ok() && proof.execution.deadlock_free() && !o.partial)
    throw std::invalid_argument(o.input + " fails verification (a piece missing, duplicated or mismatched): see "
                                "ulysses-a2a verify -i " + o.input + "; only verified schedules are timed (--partial "
                                "times one that delivers some pieces on purpose, e.g. one way)");
  return k;
}

std::vector<SimReport> run_all(const Options& o, const Topology& topology) {
  std::vector<std::pair<TransportKind, std::string>> dropped;  // --transport all without P2P: said once, here
  plan::requested_transports(o.transport, topology, parse_sim_model(o.sim_model), &dropped);
  for (const auto& [t, why] : dropped) note_skips({{"--transport " + to_string(t), why}});
  const plan::StudyRequest request = study_request(o, topology);
  plan::StudyCases cases;
  if (o.input.empty()) {
    cases = plan::expand(request);
    note_skips(cases.skipped);
  } else {
    cases.cases.push_back(input_case(o));
  }
  const std::size_t total = cases.cases.size() * request.transports.size();
  Progress progress("simulate", total, std::to_string(total) + " runs of " + std::to_string(o.schedule.ranks) +
                                           " ranks on " + topology.name + " (" + std::to_string(topology.gpus().size()) +
                                           " GPUs)");
  const plan::StudyRun study = plan::run_study(topology, request, cases.cases, nullptr,
                                               [&](std::size_t done, const std::string& what) { progress.step(done, what); });
  note_skips(study.skipped);
  std::vector<SimReport> runs;
  for (const plan::StudyRow& row : study.rows) runs.push_back(row.sim);
  return runs;
}

void run(const Options& o) {
  check_writable({o.trace, o.json_out});  // before the simulation, and before either is written
  Topology topology = join_boxes(load_topology(o.topology), o.boxes);
  if (o.p2p) plan::open_p2p(topology);
  const std::vector<SimReport> runs = run_all(o, topology);
  const std::string json = (o.json || !o.json_out.empty()) ? simulation_json(topology, runs, o.with_dot) : "";
  std::vector<std::pair<std::string, std::string>> files;
  if (!o.trace.empty()) files.emplace_back(o.trace, simulation_trace(runs));
  if (!o.json_out.empty()) files.emplace_back(o.json_out, json);
  write_outputs(files);
  std::cout << (o.json ? json : simulation_table(topology, runs)) << std::flush;
  // What a transport needs on this box to run as simulated (plan/mapping.h); the table's notes only,
  // so that --json stays one document on a merged stream.
  std::set<std::string> said;
  for (const SimReport& r : runs)
    for (const std::string& n : o.json ? std::vector<std::string>{} : plan::all_to_all_needs(topology, r.transport, r.ranks))
      if (said.insert(r.transport + n).second) std::cerr << "note: " << r.transport << " runs only with " << n << "\n";
  for (const SimReport& r : runs)
    if (!r.ok) throw CLI::RuntimeError(kExitViolation);
}

/// The options that choose schedules, shapes or outputs of a study: none applies to --measurements.
constexpr const char* kStudyOptions[] = {"--algo", "--discipline", "--transport", "--ranks", "--chunks", "--unmerged",
                                         "--bytes", "--seq", "--heads", "--head-dim", "--dtype", "--exchange",
                                         "--model", "--model-file", "--resolution", "--frames", "--input", "--boxes", "--trace",
                                         "--with-dot", "--time-tolerance", "--ce-reads", "--p2p"};

/// simulate --measurements: every point predicted on the box (--topology, else the documents').
void predict(const Options& o, const CLI::App& cmd) {
  for (const char* name : kStudyOptions)
    if (cmd.count(name) > 0)
      throw std::invalid_argument(std::string(name) + " does not apply with --measurements (each point gives its own "
                                  "flows, bytes and transport): drop it");
  check_writable({o.json_out});
  const Measurements m = read_measurement_files(o.measurements);
  const bool topology_given = cmd.count("--topology") > 0;
  if (!topology_given && m.box_resolved.empty())
    throw std::invalid_argument("the measurements name no box: give --topology BOX (a preset or a DOT file)");
  const Topology topology = load_topology(topology_given ? o.topology : m.box_resolved);
  SimOptions so = prediction_options();
  so.model = parse_sim_model(o.sim_model);
  so.mechanisms = parse_mechanisms(o.mechanisms);
  const std::vector<PointPrediction> points = predict_measurements(topology, m, so);
  const std::string json = prediction_json(topology, points);
  std::vector<std::pair<std::string, std::string>> files;
  if (!o.json_out.empty()) files.emplace_back(o.json_out, json);
  write_outputs(files);
  std::cout << (o.json ? json : prediction_table(topology, points)) << std::flush;
}

}  // namespace

void setup_simulate(CLI::App& app) {
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "simulate", "time schedules on a model of the box: total time, busbw, bound, efficiency, bottleneck link");
  add_schedule_options(*cmd, opt->schedule);
  const std::string presets_list = joined_names(presets());
  input_option(cmd->add_option("-t,--topology", opt->topology, "a preset (" + presets_list + ") or a DOT file"))->capture_default_str();
  cmd->add_option("--boxes", opt->boxes, "join K copies of the box, one NIC each (1..128)")
      ->check(CLI::Range(1, kMaxBoxes))
      ->capture_default_str();
  cmd->add_option("-d,--discipline", opt->discipline,
                  "paired-half, paired-full, grouped, naive; a comma list or all (default paired-full, grouped for grouped)");
  cmd->add_option("--transport", opt->transport,
                  "shm, p2p (NCCL), cuda-staged, cuda-p2p (CUDA peer copies), nvlink; a comma list or all (default: "
                  "the PCIe ones the box runs under the contention model: shm, cuda-staged, and with P2P p2p, "
                  "cuda-p2p; else the box's)");
  cmd->add_option("--sim-model", opt->sim_model, "contention (interleaving losses, windows) or fluid (fair sharing: the bound)")
      ->check(CLI::IsMember(names_of(sim_models())))
      ->capture_default_str();
  cmd->add_option("--mechanisms", opt->mechanisms, "contention mechanisms on: a comma list of tlp, interleave, window, channels; all; none")
      ->capture_default_str();
  cmd->add_flag("--p2p", opt->p2p,
                "the box's GPUs reach each other peer-to-peer (a P2P-capable driver; for GeForce the P2P-patched one): "
                "opens the p2p and cuda-p2p transports on a box described without P2P");
  cmd->add_flag("--ce-reads", opt->ce_reads, "cuda-p2p copies read from the peer (non-posted: the read window applies)");
  add_model_options(*cmd, opt->model, "video model for the Ulysses shapes");
  cmd->add_option("-i,--input", opt->input, "simulate this schedule JSON (lowered with --discipline, else the file's own) or programs JSON")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--json", opt->json, "print the simulation JSON (docs/simulate.md) instead of the table");
  output_option(*cmd, cmd->add_option("--json-out", opt->json_out, "also write the simulation JSON to FILE"));
  cmd->add_flag("--with-dot", opt->with_dot, "include the topology's DOT text in the JSON");
  cmd->add_option("--time-tolerance", opt->time_tolerance,
                  "batch events up to this fraction of a transfer's duration (0 = exact; 0.01 for N >= 512)")
      ->check(real_range(0.0, 0.5))
      ->capture_default_str();
  output_option(*cmd, cmd->add_option("--trace", opt->trace, "write a Chrome trace-event JSON to FILE (open in ui.perfetto.dev)"));
  cmd->add_option("--measurements", opt->measurements,
                  "predict every point of these measurement documents (docs/formats.md) on the box instead")
      ->check(CLI::ExistingFile);
  // --algo and --exchange also take lists here: "round-robin,grouped", "all"; --exchange both.
  cmd->get_option("--algo")->description("schedule generator(s): a comma list or all (default: the issue-4 study)")->default_str("");
  // The message size defaults to --model's shape, not to the schedule command's 1 MiB or 40 heads.
  cmd->get_option("--bytes")->description("bytes per block instead of a --model shape")->default_str("");
  cmd->get_option("--heads")->description("with --seq: total heads H (h = H / N)")->default_str("");
  cmd->get_option("--head-dim")->description("with --seq: head dim D")->default_str("");
  cmd->get_option("--exchange")->description("Ulysses: qkv (forward), out (reverse) or both");
  excludes(*cmd, "--input", {"--ranks", "--algo", "--chunks", "--unmerged", "--bytes", "--seq", "--heads", "--head-dim",
                             "--dtype", "--exchange", "--model", "--model-file", "--resolution", "--frames"},
           "the file gives the ranks, the schedule and the sizes");
  cmd->add_flag("--partial", opt->partial,
                "with --input: time a schedule that delivers only some pieces (a one-way transfer); refused otherwise");
  applies_with(*cmd, "--partial", {"--input"}, "it lets a schedule file verify rejects be timed");
  applies_with(*cmd, "--with-dot", {"--json", "--json-out"}, "it adds the box to the simulation JSON");
  add_rule(*cmd, "--ce-reads", [cmd]() -> std::string {
    if (given_value(*cmd, "--sim-model") == "fluid")
      return "--ce-reads applies to --sim-model contention only (the read window): drop it";
    const std::string transport = given_value(*cmd, "--transport");
    if (!transport.empty() && transport != "all" && ("," + transport + ",").find(",cuda-p2p,") == std::string::npos)
      return "--ce-reads applies to --transport cuda-p2p only (peer copies that read): add it, or drop --ce-reads";
    return "";
  });
  for (const char* list : {"--algo", "--discipline", "--transport", "--mechanisms", "--exchange"})
    cmd->get_option(list)->check(comma_list());  // '' or 'a,,b' or 'x,x' is a typo, not the default study
  cmd->callback([opt, cmd] {
    opt->algo_given = cmd->count("--algo") > 0;
    opt->bytes_given = cmd->count("--bytes") > 0;
    opt->seq_given = cmd->count("--seq") > 0;
    try {
      parse_mechanisms(opt->mechanisms);  // a bad list is bad input before anything runs
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string("--mechanisms: ") + e.what());
    }
    if (opt->sim_model == "fluid" && cmd->count("--mechanisms") > 0)
      throw std::invalid_argument("--mechanisms applies to --sim-model contention only: drop it, or use contention");
    if (!opt->measurements.empty()) return predict(*opt, *cmd);
    run(*opt);
  });
}

}  // namespace ua2a::cli
