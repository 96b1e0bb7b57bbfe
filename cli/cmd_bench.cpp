// ulysses-a2a bench: nccl-tests-like all-to-all lines per message size and schedule, then the
// per-stage times of the layer, and with --kernels the GPU kernels against a device copy.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>

#include "backend/bench.h"
#include "backend/runner.h"
#include "backend/transport.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/option_rules.h"
#include "cli/layer_options.h"
#include "schedule/payload.h"
#include "schedule/study.h"

namespace ua2a::cli {

namespace {

struct Options {
  LayerOptions layer;
  std::vector<std::string> algos{"round-robin", "grouped"};
  std::vector<std::string> disciplines{"paired-half", "paired-full", "grouped"};
  std::string min_size = "8K";  ///< nccl-tests -b: the size column, N x block bytes
  std::string max_size = "8M";  ///< nccl-tests -e
  std::uint32_t factor = 4;     ///< nccl-tests -f
  std::uint32_t iterations = 10;
  std::uint32_t warmup = 2;
  std::uint64_t min_bytes = 0, max_bytes = 0;  ///< min_size and max_size parsed
  /// The spellings before nccl-tests' flags (scripts still use them): per-block byte counts.
  struct Old {
    std::optional<std::uint64_t> min_block, max_block;
    std::optional<std::uint32_t> factor;
    std::vector<std::string> algos, disciplines;
  } old;
  bool no_exchange = false;
  bool no_layer = false;
  bool kernels = false;
  bool attention = false;
  bool json = false;
};

/// A size as nccl-tests writes it: a whole number of bytes with an optional K, M or G (x 1024).
std::uint64_t parse_size(const std::string& text, const char* option) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  const std::string unit = text.substr(digits);
  const int shift = unit.empty() ? 0 : unit == "K" || unit == "k" ? 10 : unit == "M" || unit == "m" ? 20
                                                                    : unit == "G" || unit == "g" ? 30 : -1;
  if (digits == 0 || digits > 15 || shift < 0)
    throw std::invalid_argument(std::string(option) + " " + text +
                                ": give a whole number of bytes, optionally with K, M or G (x 1024), e.g. 8K");
  return std::stoull(text.substr(0, digits)) << shift;
}

/// The sweep's sizes, checked before anything runs: nccl-tests' -b, -e and -f with the size column
/// as it defines it for all-to-all (each rank's send buffer, N blocks of 4-byte words).
std::vector<std::uint64_t> sweep_sizes(const Options& o) {
  const std::uint64_t n = static_cast<std::uint64_t>(std::max(o.layer.ranks, 1));
  const std::uint64_t smallest = n * 4;
  if (o.min_bytes < smallest)
    throw std::invalid_argument("-b/--minbytes " + o.min_size + " is below the smallest all-to-all of " +
                                std::to_string(n) + " ranks (N x 4 bytes = " + std::to_string(smallest) + "): raise -b");
  if (o.max_bytes < o.min_bytes)
    throw std::invalid_argument("-e/--maxbytes " + o.max_size + " is below -b/--minbytes " + o.min_size +
                                ": give -e >= -b");
  if (o.factor < 2)
    throw std::invalid_argument("-f/--stepfactor " + std::to_string(o.factor) +
                                " would never reach -e: give a factor of at least 2");
  std::vector<std::uint64_t> sizes;
  for (std::uint64_t size = o.min_bytes; size <= o.max_bytes; size *= o.factor) {
    sizes.push_back(size / (n * 4) * (n * 4));  // whole words per block, as nccl-tests rounds its count
    if (size > o.max_bytes / o.factor) break;   // the next step would pass -e (or overflow)
  }
  return sizes;
}

/// The study's expansion (schedule/study.h) of every (algo, discipline) asked for at N, each
/// block cut as `payload`: a misspelt name is an error; what cannot run at N (paired-half on grouped, xor
/// off powers of two) is skipped, as nccl-tests skips unsupported combinations, and naive too,
/// which deadlocks by design. `chosen`: the combos that ran at a probe size, whose failure at a
/// real size is then an error (by name), not a skip.
StudyCases bench_cases(const Options& o, const Payload& payload, const std::vector<Combo>* chosen) {
  StudySchedules request;
  request.ranks = o.layer.ranks;
  request.combos.clear();
  if (chosen) {
    request.combos = *chosen;
    request.by_name = true;
  } else {
    for (const auto& a : o.algos)
      for (const auto& d : o.disciplines) request.combos.push_back({a, d, o.layer.unmerged});
  }
  request.payload = [&](const Combo&, const std::string&) { return payload; };
  request.real_transports = true;  // naive deadlocks on them: skipped by expand's rule
  return expand(request);
}

/// The schedules bench times: those of the expansion at a small merged block.
std::vector<Combo> schedules(const Options& o) {
  std::vector<Combo> out;
  const Payload probe = uniform_payload(1024, true, 1);
  for (const StudyCase& k : bench_cases(o, probe, nullptr).cases) out.push_back(k.combo);
  return out;
}

nlohmann::json exchange_section(const Options& o, std::ostringstream& text) {
  nlohmann::json rows = nlohmann::json::array();
  text << "# all-to-all, " << o.layer.ranks << " ranks, transport " << o.layer.transport << ", " << o.iterations
       << " iterations after " << o.warmup << " warm-up\n"
       << "#   size = bytes each rank sends incl. its own block (N x block); algbw = size / time;\n"
       << "#   busbw = algbw x (N-1)/N; #wrong = received words not equal to (src, dst, index)\n"
       << "#        size(B)  algo          discipline      time(us)  algbw(GB/s)  busbw(GB/s)  #wrong\n";
  const auto list = schedules(o);
  for (const std::uint64_t size : sweep_sizes(o)) {
    const std::uint64_t bytes = size / static_cast<std::uint64_t>(o.layer.ranks);
    const Payload payload = uniform_payload(bytes, !o.layer.unmerged, o.layer.chunks);
    for (const StudyCase& k : bench_cases(o, payload, &list).cases) {
      const ProgramSet& p = k.programs;
      const std::string& algo = k.combo.algo;
      const std::string& discipline = k.combo.discipline;
      const ExchangeTiming t = time_exchange(o.layer.transport, p, o.warmup, o.iterations, transport_options(o.layer));
      char line[160];
      std::snprintf(line, sizeof line, "%16llu  %-12s  %-12s  %10.1f  %11.2f  %11.2f  %6llu\n",
                    static_cast<unsigned long long>(t.size_bytes), algo.c_str(), discipline.c_str(), t.seconds * 1e6,
                    t.algbw_gbps, t.busbw_gbps, static_cast<unsigned long long>(t.wrong));
      text << line;
      rows.push_back({{"size_bytes", t.size_bytes}, {"block_bytes", bytes}, {"algo", algo}, {"discipline", discipline},
                      {"time_s", t.seconds}, {"algbw_gbps", t.algbw_gbps}, {"busbw_gbps", t.busbw_gbps},
                      {"wrong", t.wrong}});
      if (t.wrong) throw CLI::RuntimeError(kExitViolation);
    }
  }
  return rows;
}

nlohmann::json layer_section(const Options& o, std::ostringstream& text) {
  const LayerShape shape = make_shape(o.layer);
  RunConfig c;
  c.shape = shape;
  c.transport = o.layer.transport;
  c.warmup = o.warmup;
  c.iterations = o.iterations;
  c.transport_options = transport_options(o.layer);
  const RunReport r = run_layer(c, make_programs(o.layer, shape));
  const StageTimes& t = r.times;
  char line[256];
  text << "# layer: s = " << shape.seq_per_rank << ", H = " << shape.heads << ", D = " << shape.head_dim << ", L = "
       << shape.text_tokens << ", " << o.layer.dtype << ", " << o.layer.algo << " / " << o.layer.discipline << " on "
       << r.device << " (stages separated by barriers; ms, mean of " << o.iterations << ")\n";
  text << "#      pack  exchange    unpack  attention  rev-pack  rev-exch  rev-unpack     total\n";
  std::snprintf(line, sizeof line, "  %8.3f  %8.3f  %8.3f  %9.3f  %8.3f  %8.3f  %10.3f  %8.3f\n", t.pack * 1e3,
                t.exchange * 1e3, t.unpack * 1e3, t.attention * 1e3, t.reverse_pack * 1e3, t.reverse_exchange * 1e3,
                t.reverse_unpack * 1e3, t.total() * 1e3);
  text << line;
  const std::uint64_t target = r.plan.fwd_buffer_bytes() * 2 + r.plan.attn_tensor_bytes;
  text << "# memory per rank: workspace " << human_bytes(r.workspace_bytes_per_rank);
  if (r.measured_bytes_per_rank) text << ", measured " << human_bytes(r.measured_bytes_per_rank);
  text << "; send + receive + attention output = " << human_bytes(target) << "\n";
  nlohmann::json j = stage_json(t);
  j.update({{"device", r.device},
            {"attention_tflops", attention_tflops(r)},  // per device: all ranks sharing it count
            {"workspace_bytes_per_rank", r.workspace_bytes_per_rank},
            {"measured_bytes_per_rank", r.measured_bytes_per_rank},
            {"send_recv_out_bytes", target}});
  return j;
}

nlohmann::json kernel_section(const Options& o, std::ostringstream& text, bool& ok) {
  LayerOptions bf16 = o.layer;
  bf16.dtype = "bf16";
  const LayerShape shape = make_shape(bf16);
  const KernelBench k = bench_kernels(shape, make_programs(bf16, shape).forward, o.iterations);
  char line[256];
  text << "# kernels on " << k.device << " (GB/s = bytes read + written / time; copy = cudaMemcpy D2D)\n";
  std::snprintf(line, sizeof line,
                "  copy %.0f  pack %.0f (%.0f%%)  pack+fp8 %.0f (%.0f%%)  unpack %.0f (%.0f%%)  unpack+fp8 %.0f (%.0f%%)\n",
                k.copy_gbps, k.pack_gbps, 100 * k.pack_gbps / k.copy_gbps, k.pack_fp8_gbps,
                100 * k.pack_fp8_gbps / k.copy_gbps, k.unpack_gbps, 100 * k.unpack_gbps / k.copy_gbps,
                k.unpack_fp8_gbps, 100 * k.unpack_fp8_gbps / k.copy_gbps);
  text << line;
  std::snprintf(line, sizeof line, "  cuda-peer exchange, %d ranks on one GPU: %.3f ms; one plain copy of the same bytes: %.3f ms (%.2fx)\n",
                shape.ranks, k.exchange_seconds * 1e3, k.plain_copy_seconds * 1e3,
                k.exchange_seconds / k.plain_copy_seconds);
  text << line;
  std::snprintf(line, sizeof line,
                "  rank 0 against pack_cpu/unpack_cpu (poisoned outputs; must be 0): packed bytes differing %llu (fp8 %llu) "
                "of %llu, unpacked elements differing %llu (fp8 %llu) of %llu: %s\n",
                static_cast<unsigned long long>(k.pack_bytes_differing),
                static_cast<unsigned long long>(k.pack_fp8_bytes_differing),
                static_cast<unsigned long long>(k.pack_bytes_compared),
                static_cast<unsigned long long>(k.unpack_elements_differing),
                static_cast<unsigned long long>(k.unpack_fp8_elements_differing),
                static_cast<unsigned long long>(k.unpack_elements_compared), k.matches_cpu() ? "PASS" : "FAIL");
  text << line;
  ok = ok && k.matches_cpu();
  return {{"device", k.device},           {"copy_gbps", k.copy_gbps},
          {"pack_gbps", k.pack_gbps},     {"pack_fp8_gbps", k.pack_fp8_gbps},
          {"unpack_gbps", k.unpack_gbps}, {"unpack_fp8_gbps", k.unpack_fp8_gbps},
          {"pack_fp8_s", k.pack_fp8_seconds}, {"unpack_fp8_s", k.unpack_fp8_seconds},
          {"exchange_s", k.exchange_seconds}, {"plain_copy_s", k.plain_copy_seconds},
          {"text_tokens", shape.text_tokens},
          {"vs_cpu", {{"pack_bytes_compared", k.pack_bytes_compared},
                      {"pack_bytes_differing", k.pack_bytes_differing},
                      {"pack_fp8_bytes_differing", k.pack_fp8_bytes_differing},
                      {"unpack_elements_compared", k.unpack_elements_compared},
                      {"unpack_elements_differing", k.unpack_elements_differing},
                      {"unpack_fp8_elements_differing", k.unpack_fp8_elements_differing},
                      {"ok", k.matches_cpu()}}}};
}

/// The Ulysses layer's attention shapes (issue 8): Wan2.1-14B at N = 8 has h = 5 heads per rank
/// and S = N s + L tokens with its L = 512 text tokens (480p: 33272, 720p: 76112); S = 8192 with
/// all 40 heads as a dense case. Every one judged (bench.h, AttentionBench).
struct AttentionShape {
  std::uint64_t seq, heads, head_dim;
};
constexpr AttentionShape kAttentionShapes[] = {{33272, 5, 128}, {76112, 5, 128}, {8192, 40, 128}};

nlohmann::json error_json(const OutputError& e) {
  return {{"compared", e.compared}, {"nonfinite", e.nonfinite}, {"max_ulps", e.max_ulps}, {"rms_ulps", e.rms_ulps},
          {"ok", within(e, kAttentionBound)}};
}

std::string error_text(const OutputError& e) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.1f/%.2f%s", e.max_ulps, e.rms_ulps,
                e.nonfinite ? (" +" + std::to_string(e.nonfinite) + " NaN/Inf").c_str() : "");
  return buf;
}

nlohmann::json attention_section(const Options& o, std::ostringstream& text, bool& ok) {
  nlohmann::json rows = nlohmann::json::array();
  text << "# attention (flash kernel, bf16, non-causal; TFLOP/s = 4 S^2 D h / time), every output poisoned first and\n"
       << "# judged in bf16 ulps at the reference's RMS, max/rms (NaN or Inf fails): against the simple kernel (all\n"
       << "# elements) and float64 (sampled rows incl. the last tile); bound " << kAttentionBound.max_ulps << "/"
       << kAttentionBound.rms_ulps << "\n"
       << "#      S  heads     D  keys  time(ms)  TFLOP/s  vs simple      vs float64     blocks/SM (docs)  verdict\n";
  for (const AttentionShape& a : kAttentionShapes) {
    const AttentionBench b = bench_attention(a.seq, a.heads, a.head_dim, ElemType::bf16, o.iterations);
    nlohmann::json tiles = nlohmann::json::array();
    for (const FlashTile& t : b.tiles) {
      char line[240];
      std::snprintf(line, sizeof line, "  %6llu  %5llu  %4llu  %4u%s %9.3f  %7.1f  %-13s  %-13s  %2d (%s)  %s\n",
                    static_cast<unsigned long long>(a.seq), static_cast<unsigned long long>(a.heads),
                    static_cast<unsigned long long>(a.head_dim), t.block_n, t.device_choice ? "*" : " ",
                    t.seconds * 1e3, t.tflops, error_text(t.vs_simple).c_str(), error_text(t.vs_f64).c_str(),
                    t.blocks_per_sm,
                    t.documented_blocks_per_sm ? std::to_string(t.documented_blocks_per_sm).c_str() : "-",
                    t.ok() ? "PASS" : "FAIL");
      text << line;
      tiles.push_back({{"block_n", t.block_n}, {"device_choice", t.device_choice}, {"seconds", t.seconds},
                       {"tflops", t.tflops}, {"vs_simple", error_json(t.vs_simple)}, {"vs_f64", error_json(t.vs_f64)},
                       {"blocks_per_sm", t.blocks_per_sm}, {"documented_blocks_per_sm", t.documented_blocks_per_sm},
                       {"ok", t.ok()}});
    }
    char line[200];
    std::snprintf(line, sizeof line, "  %6llu  simple kernel: %.3f s, %.2f TFLOP/s; vs float64 %s  %s\n",
                  static_cast<unsigned long long>(a.seq), b.simple_seconds, b.simple_tflops,
                  error_text(b.simple_vs_f64).c_str(), within(b.simple_vs_f64, kAttentionBound) ? "PASS" : "FAIL");
    text << line;
    ok = ok && b.ok();
    rows.push_back({{"device", b.device}, {"compute_capability", b.compute_capability}, {"seq", a.seq},
                    {"heads", a.heads}, {"head_dim", a.head_dim}, {"flash_s", b.flash_seconds},
                    {"flash_tflops", b.flash_tflops}, {"simple_s", b.simple_seconds},
                    {"simple_tflops", b.simple_tflops}, {"simple_vs_f64", error_json(b.simple_vs_f64)},
                    {"sampled_rows", b.sampled_rows}, {"tiles", tiles},
                    {"bound", {{"max_ulps", b.bound.max_ulps}, {"rms_ulps", b.bound.rms_ulps}}}, {"ok", b.ok()}});
  }
  text << "# keys: * = the tile this GPU picks; the other is forced (the other GPU class's choice)\n";
  return rows;
}

/// Maps the old flags onto the new ones with a note naming the new form; both forms of one
/// setting at once is an error, since they would disagree.
void apply_old_flags(Options& o, const std::set<std::string>& given) {
  const std::string n = std::to_string(std::max(o.layer.ranks, 1));
  auto note = [](const std::string& old, const std::string& now) {
    std::cerr << "note: bench " << old << " is the old spelling of " << now << "\n";
  };
  auto clash = [&](const char* old, const char* now) {
    if (given.count(now))
      throw std::invalid_argument(std::string(old) + " and " + now + " give the same setting: use " + now);
  };
  auto block_to_size = [&](std::uint64_t block, const char* old, const char* now, std::string& size) {
    clash(old, now);
    size = std::to_string(block * static_cast<std::uint64_t>(std::max(o.layer.ranks, 1)));
    note(std::string(old) + " " + std::to_string(block) + " (bytes per block)",
         std::string(now) + " " + size + " (N x block = " + n + " x " + std::to_string(block) + ")");
  };
  if (o.old.min_block) block_to_size(*o.old.min_block, "--min-bytes", "--minbytes", o.min_size);
  if (o.old.max_block) block_to_size(*o.old.max_block, "--max-bytes", "--maxbytes", o.max_size);
  if (o.old.factor) {
    clash("--factor", "--stepfactor");
    o.factor = *o.old.factor;
    note("--factor", "-f/--stepfactor");
  }
  if (!o.old.algos.empty()) {
    clash("--algos", "--algo");
    o.algos = o.old.algos;
    note("--algos", "--algo");
  }
  if (!o.old.disciplines.empty()) {
    clash("--disciplines", "--discipline");
    o.disciplines = o.old.disciplines;
    note("--disciplines", "--discipline");
  }
}

void run(Options o, const std::set<std::string>& given) {
  apply_old_flags(o, given);
  std::ostringstream text;
  nlohmann::json j = {{"format", "ulysses-a2a/bench"}, {"version", 1}, {"ranks", o.layer.ranks},
                      {"transport", o.layer.transport}};
  if (o.layer.mpi || o.layer.rank >= 0)
    throw std::invalid_argument("bench runs every rank in one process: --mpi, --rank and --nccl-id-file are for run");
  check_iterations(o.iterations, o.warmup);
  if (o.no_exchange && o.no_layer && !o.kernels && !o.attention)
    throw std::invalid_argument("--no-exchange and --no-layer together leave nothing to time: drop one, or add "
                                "--kernels or --attention");
  o.min_bytes = parse_size(o.min_size, "-b/--minbytes");
  o.max_bytes = parse_size(o.max_size, "-e/--maxbytes");
  // Bad shapes and sizes fail before any timing, and before any buffer is allocated; the layer's
  // shape only where the layer runs (--ranks 3 --no-layer refused the default 40 heads) or a
  // --model was named (its spelling is checked; tests/cli keeps that row).
  const LayerShape shape = o.no_layer && o.layer.model.empty() ? LayerShape{} : make_shape(o.layer);
  const bool host = find_transport(o.layer.transport).host_memory;
  const auto list = schedules(o);
  if (list.empty())
    throw std::invalid_argument("no --algo x --discipline pair applies to " + std::to_string(o.layer.ranks) +
                                " ranks (paired-half needs a pairing schedule, xor a power-of-two N; naive deadlocks)");
  // The layer runs the first pair of the sweep (round-robin / paired-half by default).
  o.layer.algo = list.front().algo;
  o.layer.discipline = list.front().discipline;
  if (!o.no_exchange) {
    const std::vector<std::uint64_t> sizes = sweep_sizes(o);
    if (host) check_host_memory(2.0 * static_cast<double>(sizes.back()) * o.layer.ranks, "the sweep up to -e " + o.max_size,
                                "use a smaller -e/--maxbytes or --ranks");
  }
  if (!o.no_layer) check_host_memory(layer_host_bytes(shape, host, false), "the layer");
  if (!o.no_exchange) j["exchange"] = exchange_section(o, text);
  if (!o.no_layer) j["layer"] = layer_section(o, text);
  bool ok = true;  // the GPU kernels' outputs against their references
  if (o.kernels) j["kernels"] = kernel_section(o, text, ok);
  if (o.attention) j["attention"] = attention_section(o, text, ok);
  j["ok"] = ok;
  std::cout << (o.json ? j.dump(2) + "\n" : text.str());
  if (!ok) throw CLI::RuntimeError(kExitViolation);  // printed first: the figures show what failed
}

}  // namespace

void setup_bench(CLI::App& app) {
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("bench", "time all-to-all exchanges (nccl-tests style) and the layer's stages");
  add_layer_options(*cmd, opt->layer, /*with_schedule=*/false);
  // nccl-tests' flags with nccl-tests' meanings; -d, -a, -t, -m mean other things there and are
  // left out here rather than given ours.
  add_comma_list(*cmd, "--algo", opt->algos, "schedules of the sweep, a comma list; the layer runs the first that lowers");
  add_comma_list(*cmd, "--discipline", opt->disciplines, "disciplines of the sweep, a comma list (naive is skipped)");
  cmd->add_option("-b,--minbytes", opt->min_size,
                  "smallest size: bytes each rank sends, all N blocks (nccl-tests' size; K, M, G suffixes)")
      ->capture_default_str();
  cmd->add_option("-e,--maxbytes", opt->max_size, "largest size")->capture_default_str();
  cmd->add_option("-f,--stepfactor", opt->factor, "size multiplier between lines (>= 2)")->capture_default_str();
  cmd->add_option("-n,--iters,--iterations", opt->iterations, "timed iterations per line")->capture_default_str();
  cmd->add_option("-w,--warmup_iters,--warmup", opt->warmup, "untimed iterations per line")->capture_default_str();
  // The spellings before nccl-tests' flags: hidden, each an error that gives the new form.
  // The spellings before nccl-tests' flags, hidden from --help; each works with a note.
  cmd->add_option("--min-bytes", opt->old.min_block)->group("");
  cmd->add_option("--max-bytes", opt->old.max_block)->group("");
  cmd->add_option("--factor", opt->old.factor)->group("");
  add_comma_list(*cmd, "--algos", opt->old.algos, "")->group("");
  add_comma_list(*cmd, "--disciplines", opt->old.disciplines, "")->group("");
  cmd->add_flag("--no-exchange", opt->no_exchange, "skip the message-size sweep");
  cmd->add_flag("--no-layer", opt->no_layer, "skip the layer's stage times");
  cmd->add_flag("--kernels", opt->kernels,
                "GPU: pack/unpack (with FP8) against a device copy and byte for byte against the CPU, exchange against one copy");
  cmd->add_flag("--attention", opt->attention,
                "GPU: flash attention TFLOP/s at the Ulysses shapes (S = 33272 and 76112 with h = 5, S = 8192 with 40 "
                "heads; D = 128), each key tile judged against the simple kernel and float64 (exit 1 beyond the bound)");
  cmd->add_flag("--json", opt->json, "print JSON");
  for (const char* shape_option : {"--seq", "--image-tokens", "--heads", "--head-dim", "--text-tokens"})
    add_rule(*cmd, shape_option, [cmd, shape_option]() -> std::string {
      // --kernels takes the layer's shape (scripts/device-check.sh: --text-tokens 512 --kernels --no-layer).
      if (cmd->count("--no-layer") == 0 || cmd->count("--kernels") > 0 || cmd->count("--attention") > 0) return "";
      return std::string(shape_option) + " does not apply with --no-layer (the sweep's sizes are -b and -e; the " +
             "layer's shape is not used): drop it, or drop --no-layer";
    });
  cmd->callback([opt, cmd] {
    std::set<std::string> given;
    for (const char* name : {"--minbytes", "--maxbytes", "--stepfactor", "--algo", "--discipline"})
      if (cmd->count(name) > 0) given.insert(name);
    run(*opt, given);
  });
}

}  // namespace ua2a::cli
