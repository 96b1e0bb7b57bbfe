// ulysses-a2a run: one Ulysses attention layer end to end on a transport, optionally checked
// against the CPU reference and the delivery ledger.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "backend/runner.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/layer_options.h"
#include "schedule/io.h"

namespace ua2a::cli {

namespace {

struct Options {
  LayerOptions layer;
  bool check = false;
  std::uint32_t iterations = 1;
  std::uint32_t warmup = 0;
  bool json = false;
  std::string input;  ///< a schedule JSON whose order drives both exchanges, instead of --algo
  bool ranks_given = false, algo_given = false, discipline_given = false, chunks_given = false;
};


nlohmann::json ledger_json(const LedgerReport& r, bool ok) {
  return {{"ok", ok},           {"expected", r.expected},           {"arrived", r.arrived},
          {"missing", r.missing_count}, {"duplicated", r.duplicated_count}, {"misplaced", r.misplaced_count},
          {"summary", r.summary()}};
}

nlohmann::json report_json(const Options& o, const RunReport& r) {
  const LayerShape& s = r.plan.shape;
  nlohmann::json j = {
      {"format", "ulysses-a2a/run"}, {"version", 1}, {"ranks", s.ranks}, {"transport", r.transport}, {"device", r.device}, {"algo", o.layer.algo},
      {"discipline", o.layer.discipline}, {"chunks", o.layer.chunks}, {"merged", !o.layer.unmerged},
      {"shape", {{"seq_per_rank", s.seq_per_rank}, {"image_tokens", s.real_image_tokens()},
                 {"padding_tokens", s.padded_image_tokens() - s.real_image_tokens()}, {"heads", s.heads},
                 {"heads_per_rank", s.heads_per_rank()},
                 {"head_dim", s.head_dim}, {"text_tokens", s.text_tokens}, {"elem", to_string(s.elem)}, {"fp8", s.fp8}}},
      {"forward_block_bytes", r.plan.fwd_block_bytes}, {"reverse_block_bytes", r.plan.rev_block_bytes},
      {"workspace_bytes_per_rank", r.workspace_bytes_per_rank},
      {"measured_bytes_per_rank", r.measured_bytes_per_rank},
      {"iterations", o.iterations}, {"times", stage_json(r.times)}, {"checked", r.checked},
      {"checked_runs", r.checked_runs}, {"ok", r.ok()}};
  if (!r.checked) return j;
  j["tolerance"] = {{"atol", r.tolerance.atol}, {"rtol", r.tolerance.rtol}};
  nlohmann::json ranks = nlohmann::json::array();
  for (Rank rank : r.local_ranks) {
    const RankError& e = r.errors[rank];
    ranks.push_back({{"rank", rank}, {"max_abs", e.max_abs}, {"max_rel", e.max_rel}, {"failed", e.failed}, {"ok", e.ok()}});
  }
  j["errors"] = ranks;
  j["forward_ledger"] = ledger_json(r.forward_ledger, r.forward_ledger_ok);
  j["reverse_ledger"] = ledger_json(r.reverse_ledger, r.reverse_ledger_ok);
  return j;
}

std::string ms(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", s * 1e3);
  return buf;
}

std::string report_text(const Options& o, const RunReport& r) {
  const LayerShape& s = r.plan.shape;
  std::ostringstream out;
  out << "run: " << s.ranks << " ranks, transport " << r.transport << " on " << r.device << ", " << o.layer.algo << " / "
      << o.layer.discipline << ", " << o.layer.chunks << " chunk(s), " << (o.layer.unmerged ? "unmerged" : "merged") << "\n";
  out << "shape: s = " << s.seq_per_rank << " tokens per rank";
  if (const std::uint64_t pad = s.padded_image_tokens() - s.real_image_tokens())
    out << " (S = " << s.real_image_tokens() << " image tokens: the last " << pad << " of N*s are padding, masked)";
  out << ", H = " << s.heads << " (h = " << s.heads_per_rank()
      << "), D = " << s.head_dim << ", L = " << s.text_tokens << " text tokens, " << to_string(s.elem) << " values, "
      << (s.fp8 ? "fp8 e4m3 + float32 row scales" : to_string(s.elem)) << " on the wire\n";
  out << "blocks: forward " << r.plan.fwd_block_bytes << " B, reverse " << r.plan.rev_block_bytes
      << " B per peer; workspace " << human_bytes(r.workspace_bytes_per_rank) << " per rank";
  if (r.measured_bytes_per_rank) out << " (measured on the device: " << human_bytes(r.measured_bytes_per_rank) << ")";
  out << "\n";
  const StageTimes& t = r.times;
  out << "stage times (ms, mean of " << o.iterations << "): pack " << ms(t.pack) << "  exchange " << ms(t.exchange)
      << "  unpack " << ms(t.unpack) << "  attention " << ms(t.attention) << "  reverse pack " << ms(t.reverse_pack)
      << "  reverse exchange " << ms(t.reverse_exchange) << "  reverse unpack " << ms(t.reverse_unpack) << "  total "
      << ms(t.total()) << "\n";
  if (!r.checked) return out.str();
  out << "check against the CPU reference (plain attention over all heads of the unpadded sequence, no exchange), "
         "pass when |out - ref| <= "
      << r.tolerance.atol << " + " << r.tolerance.rtol << " |ref|:\n";
  out << "  rank      max abs      max rel   failed\n";
  for (Rank rank : r.local_ranks) {
    const RankError& e = r.errors[rank];
    char line[96];
    std::snprintf(line, sizeof line, "  %4d  %11.3g  %11.3g  %7llu  %s\n", rank, e.max_abs, e.max_rel,
                  static_cast<unsigned long long>(e.failed), e.ok() ? "ok" : "FAIL");
    out << line;
  }
  out << "ledger, forward: " << (r.forward_ledger_ok ? "" : "FAIL ") << r.forward_ledger.summary();
  out << "ledger, reverse: " << (r.reverse_ledger_ok ? "" : "FAIL ") << r.reverse_ledger.summary();
  out << "result: " << (r.ok() ? "PASS" : "FAIL") << "\n";
  return out.str();
}

/// -i: the file's schedule, its ranks, discipline and chunks unless the options say otherwise.
Schedule read_input(Options& o) {
  if (o.algo_given) throw std::invalid_argument("--algo and --input both choose the schedule: use one");
  Schedule s;
  try {
    s = schedule_from_json(read_file(o.input));
  } catch (const FormatError& e) {
    throw std::invalid_argument(o.input + ": " + e.what() +
                                " (give a schedule JSON: from synthesize, or schedule --format json)");
  }
  if (o.ranks_given && o.layer.ranks != s.ranks)
    throw std::invalid_argument("--ranks " + std::to_string(o.layer.ranks) + " differs from the " +
                                std::to_string(s.ranks) + " ranks of " + o.input + ": drop --ranks");
  o.layer.ranks = s.ranks;
  o.layer.algo = s.algo + " (" + o.input + ")";
  if (!o.discipline_given && !s.discipline.empty()) o.layer.discipline = s.discipline;
  if (!o.chunks_given) o.layer.chunks = s.payload.chunks;
  return s;
}

/// Both exchanges in the order of `s`, each block cut as the layer's message of that exchange.
LayerPrograms programs_from(const Options& o, const LayerShape& shape, const Schedule& s) {
  if (o.layer.chunks == 0) throw std::invalid_argument("--chunks must be at least 1 (got 0)");
  const Discipline d = parse_discipline(o.layer.discipline);
  LayerPrograms p;
  for (Exchange e : {Exchange::qkv, Exchange::out}) {
    const UlyssesShape u{shape.seq_per_rank, shape.heads / static_cast<std::uint64_t>(shape.ranks), shape.head_dim,
                         shape.fp8 ? DType::fp8 : DType::bf16, e};
    ProgramSet set = lower(with_payload(s, ulysses_payload(u, !o.layer.unmerged, o.layer.chunks)), d);
    (e == Exchange::qkv ? p.forward : p.reverse) = std::move(set);
  }
  return p;
}

void run(Options o) {
  check_iterations(o.iterations, o.warmup);
  const Schedule input = o.input.empty() ? Schedule{} : read_input(o);
  apply_mpi(o.layer);
  const LayerShape shape = make_shape(o.layer);
  check_host_memory(layer_host_bytes(shape, find_transport(o.layer.transport).host_memory, o.check),
                    "run with s = " + std::to_string(shape.seq_per_rank) + ", N = " + std::to_string(shape.ranks));
  const LayerPrograms programs = o.input.empty() ? make_programs(o.layer, shape) : programs_from(o, shape, input);
  check_layer_programs(programs);
  RunConfig c;
  c.shape = shape;
  c.transport = o.layer.transport;
  c.warmup = o.warmup;
  c.iterations = o.iterations;
  c.check = o.check;
  c.transport_options = transport_options(o.layer);
  const RunReport r = run_layer(c, programs);
  std::cout << (o.json ? report_json(o, r).dump(2) + "\n" : report_text(o, r));
  if (!r.ok()) throw CLI::RuntimeError(kExitViolation);
}

}  // namespace

void setup_run(CLI::App& app) {
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("run", "run one Ulysses attention layer on a transport (threads, cuda-peer, nccl)");
  add_layer_options(*cmd, opt->layer);
  cmd->add_flag("--check", opt->check, "compare with the CPU reference and check exactly-once delivery (exit 1 on failure)");
  cmd->add_option("-n,--iterations", opt->iterations, "timed runs (stage times are their mean)")->capture_default_str();
  cmd->add_option("-w,--warmup", opt->warmup, "untimed runs first")->capture_default_str();
  cmd->add_flag("--json", opt->json, "print the report as JSON");
  cmd->add_option("-i,--input", opt->input,
                  "run the order of this schedule JSON (e.g. from synthesize), its blocks cut as the layer's "
                  "messages; its ranks, discipline and chunks unless given")
      ->check(CLI::ExistingFile);
  cmd->callback([opt, cmd] {
    opt->ranks_given = cmd->count("--ranks") > 0;
    opt->algo_given = cmd->count("--algo") > 0;
    opt->discipline_given = cmd->count("--discipline") > 0;
    opt->chunks_given = cmd->count("--chunks") > 0;
    run(*opt);
  });
}

}  // namespace ua2a::cli
