#pragma once
/// Options shared by `run` and `bench`: the layer shape (or a model preset), the schedule that
/// drives both exchanges, and the transport. Header-only so cli/CMakeLists.txt stays unchanged.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "backend/layer.h"
#include "backend/models.h"
#include "backend/mpi_world.h"
#include "backend/transport.h"
#include "cli/common.h"
#include "cli/numbers.h"
#include "cli/option_rules.h"
#include "schedule/lower.h"
#include "schedule/workload.h"

namespace ua2a::cli {

struct LayerOptions {
  std::int32_t ranks = 8;
  std::string algo = "round-robin";
  std::string discipline = "paired-half";
  std::uint32_t chunks = 1;
  bool unmerged = false;
  std::string model;              ///< a video model (schedule/workload.h) instead of --seq --heads --head-dim
  std::string model_file_refused; ///< --model-file, refused with the shape to give instead
  std::string resolution = "480p";
  std::uint32_t frames = 81;
  bool resolution_given = false, frames_given = false, image_tokens_given = false;
  std::uint64_t seq = 64;         ///< s, image tokens per rank
  std::uint64_t image_tokens = 0; ///< S, the real image tokens of all ranks (s = ceil(S / N), tail padded); 0: --seq
  std::uint64_t heads = 16;       ///< H
  std::uint64_t head_dim = 64;    ///< D
  std::uint64_t text_tokens = 0;  ///< L
  std::string dtype = "bf16";     ///< bf16 | fp16 | fp8 (bf16 values, e4m3 on the wire)
  std::string transport = "threads";
  double timeout_s = 60;
  std::int32_t rank = -1;         ///< nccl, one process per GPU
  std::string nccl_id_file;
  bool mpi = false;               ///< nccl under mpirun: rank, size and the unique id from MPI
};

/// `with_schedule` false: the command (bench) adds its own --algo and --discipline lists.
inline void add_layer_options(CLI::App& cmd, LayerOptions& o, bool with_schedule = true) {
  std::string models, names;
  for (const auto& m : video_models()) models += std::string(models.empty() ? "" : ", ") + m.name;
  for (const auto& t : transports()) names += std::string(names.empty() ? "" : ", ") + t.name;
  cmd.add_option("--ranks", o.ranks, "number of ranks N")->capture_default_str();
  cmd.add_option("--transport", o.transport, "transport: " + names)->capture_default_str();
  if (with_schedule) {
    cmd.add_option("-a,--algo", o.algo, "schedule generator (see `schedule --list`)")->capture_default_str();
    cmd.add_option("-d,--discipline", o.discipline, "paired-half, paired-full, grouped or naive")->capture_default_str();
  }
  cmd.add_option("-k,--chunks", o.chunks, "chunks per block")->capture_default_str();
  cmd.add_flag("--unmerged", o.unmerged, "send q, k, v (and scales) as separate messages (same bytes)");
  auto* model = cmd.add_option("--model", o.model, "video model for the shape: " + models + " (with --resolution, --frames)");
  // A model file needs plan/'s reader, which the GPU slice (no Boost) does not build: say so and
  // how to give the same shape, rather than CLI11's "arguments were not expected".
  cmd.add_option("--model-file", o.model_file_refused)->group("");
  add_rule(cmd, "--model-file", [&cmd] {
    return "--model-file: " + cmd.get_name() + " takes a model by name only (--model; it is built for GPU machines "
           "without plan/): give the file's shape as --image-tokens S --heads H --head-dim D (ulysses-a2a plan "
           "--model-file F prints S, H and D)";
  });
  cmd.add_option("--resolution", o.resolution, "with --model: 480p or 720p")->capture_default_str();
  cmd.add_option("--frames", o.frames, "with --model: video frames (4k + 1)")->capture_default_str();
  auto* seq = cmd.add_option("--seq", o.seq, "image tokens per rank s")->capture_default_str()->excludes(model);
  cmd.add_option("--image-tokens", o.image_tokens,
                 "real image tokens S of all ranks instead of --seq: s = ceil(S / N), the N*s - S padding tokens "
                 "masked in attention (as --model pads)")
      ->excludes(model)
      ->excludes(seq);
  cmd.add_option("--heads", o.heads, "total heads H (h = H / N)")->capture_default_str()->excludes(model);
  cmd.add_option("--head-dim", o.head_dim, "head dim D (64 or 128)")->capture_default_str()->excludes(model);
  cmd.add_option("--text-tokens", o.text_tokens, "text tokens L appended after the image tokens")->capture_default_str();
  cmd.add_option("--dtype", o.dtype, "bf16, fp16, or fp8 (bf16 values, e4m3 + float32 row scales on the wire)")
      ->check(CLI::IsMember({"bf16", "fp16", "fp8"}))
      ->capture_default_str();
  // At most a million seconds: 1e10 overflowed the clock's nanoseconds and timed out at once.
  cmd.add_option("--timeout", o.timeout_s, "seconds without progress before a transport aborts (> 0)")
      ->check(real_range(0, kMaxTimeoutSeconds))
      ->capture_default_str();
  cmd.add_option("--rank", o.rank, "nccl, one process per GPU: this process's rank (needs --nccl-id-file)");
  cmd.add_option("--nccl-id-file", o.nccl_id_file, "nccl, one process per GPU: file where rank 0 writes the unique id");
  cmd.add_flag("--mpi", o.mpi, "nccl under mpirun: this process's rank and --ranks from MPI, the unique id by MPI_Bcast");
  for (const char* nccl_only : {"--rank", "--nccl-id-file"})  // the CLI fuzzer found them ignored on threads
    add_rule(cmd, nccl_only, [&cmd, nccl_only]() -> std::string {
      return given_value(cmd, "--transport") == "nccl"
                 ? ""
                 : std::string(nccl_only) + " applies to --transport nccl only (one process per GPU): add it, or drop " +
                       nccl_only;
    });
  cmd.parse_complete_callback([&cmd, &o] {
    o.resolution_given = cmd.count("--resolution") > 0;
    o.frames_given = cmd.count("--frames") > 0;
    o.image_tokens_given = cmd.count("--image-tokens") > 0;
  });
}

/// "12.3 MB": bytes with a decimal unit, for people.
inline std::string human_bytes(double b) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  int u = 0;
  while (b >= 1000 && u < 4) b /= 1000, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u ? "%.1f %s" : "%.0f %s", b, units[u]);
  return buf;
}

/// With --mpi: the rank comes from MPI, and --ranks must be the job size.
inline void apply_mpi(LayerOptions& o) {
  if (!o.mpi) return;
  if (o.transport != "nccl") throw std::invalid_argument("--mpi applies to --transport nccl only");
  const MpiWorld w = mpi_world();
  if (w.size != o.ranks)
    throw std::invalid_argument("--ranks " + std::to_string(o.ranks) + " differs from the MPI job size " +
                                std::to_string(w.size) + ": start one process per rank (mpirun -np " +
                                std::to_string(o.ranks) + ")");
  o.rank = w.rank;
}

inline LayerShape make_shape(const LayerOptions& o) {
  if (!(o.timeout_s >= kMinTimeoutSeconds))
    throw std::invalid_argument("--timeout must be more than 0 seconds (at least 0.001): a transport with no time to "
                                "move a piece reports every run as stuck (default 60)");
  if (o.model.empty() && (o.resolution_given || o.frames_given))
    throw std::invalid_argument(std::string(o.resolution_given ? "--resolution" : "--frames") +
                                " applies with --model only: add --model (e.g. wan2.1-14b), or drop it");
  LayerShape s;
  s.ranks = o.ranks;
  s.seq_per_rank = o.seq, s.heads = o.heads, s.head_dim = o.head_dim;
  auto pad_to_ranks = [&](std::uint64_t tokens, const char* what) {
    if (tokens == 0) throw std::invalid_argument(std::string(what) + " must be at least 1 token");
    const std::uint64_t n = static_cast<std::uint64_t>(o.ranks);
    s.seq_per_rank = tokens / n + (tokens % n != 0);  // padded up to a multiple of N (masked); no wrap at 2^64
    s.image_tokens = tokens;
  };
  if (o.image_tokens > 0 || o.image_tokens_given) {
    if (o.ranks < 1) throw std::invalid_argument("--ranks must be at least 1 (got " + std::to_string(o.ranks) + ")");
    pad_to_ranks(o.image_tokens, "--image-tokens");
  }
  if (!o.model.empty()) {
    if (o.ranks < 1) throw std::invalid_argument("--ranks must be at least 1 (got " + std::to_string(o.ranks) + ")");
    const ModelChoice choice = resolve_model(o.model, o.resolution, o.resolution_given);
    const VideoModel& m = find_video_model(choice.model);
    pad_to_ranks(video_tokens(m, choice.resolution, o.frames), "the model's sequence");
    s.heads = m.heads, s.head_dim = m.head_dim;
  }
  s.text_tokens = o.text_tokens;
  s.elem = o.dtype == "fp16" ? ElemType::fp16 : ElemType::bf16;
  s.fp8 = o.dtype == "fp8";
  validate(s);
  if (o.rank >= o.ranks) throw std::invalid_argument("--rank " + std::to_string(o.rank) + " is not below --ranks " + std::to_string(o.ranks));
  return s;
}

/// Bytes of memory this machine can give now (MemAvailable), 0 when unknown.
inline std::uint64_t available_memory_bytes() {
  std::ifstream in("/proc/meminfo");
  for (std::string key; in >> key;) {
    std::uint64_t kib = 0;
    std::string unit;
    in >> kib >> unit;
    if (key == "MemAvailable:") return kib * 1024;
  }
  return 0;
}

/// Refuses, before anything is allocated, a run whose host memory would not fit: `needed` bytes
/// (an estimate that counts the large buffers only) against what the machine has available.
inline void check_host_memory(double needed, const std::string& what,
                              const std::string& fix = "use a smaller --seq, --ranks or --text-tokens") {
  const std::uint64_t available = available_memory_bytes();
  if (needed > static_cast<double>(std::uint64_t{1} << 62) || (available > 0 && needed > 0.9 * available))
    throw std::invalid_argument(what + " needs about " + human_bytes(needed) + " (" +
                                std::to_string(static_cast<unsigned long long>(std::min(needed, 1.8e19))) +
                                " bytes) of host memory, and " + human_bytes(static_cast<double>(available)) +
                                " is available: " + fix);
}

/// The host memory of run_layer for `shape` (backend/runner.cpp): inputs q, k, v and the outputs
/// of every rank, the workspace of every rank on a host transport, and with --check the
/// reference's float copies of the global q, k, v and output. Computed in floating point so that
/// an absurd shape cannot overflow before it is refused.
inline double layer_host_bytes(const LayerShape& s, bool host_transport, bool check) {
  constexpr double kElem = 2, kFloat = 4;
  const double tensor = (static_cast<double>(s.ranks) * s.seq_per_rank + s.text_tokens) * s.heads * s.head_dim;
  double bytes = 4 * tensor * kElem;                // q, k, v in, out back
  if (host_transport) bytes += 7 * tensor * kElem;  // per rank A (3 tensors), B (3), O (1): docs/backend.md
  if (check) bytes += 4 * tensor * kFloat;
  return bytes;
}

/// Both exchanges through the schedule command's own path (make_schedule, then lower).
inline LayerPrograms make_programs(const LayerOptions& o, const LayerShape& s) {
  ScheduleOptions so;
  so.ranks = s.ranks, so.algo = o.algo, so.chunks = o.chunks, so.unmerged = o.unmerged;
  so.seq = s.seq_per_rank, so.heads = s.heads, so.head_dim = s.head_dim;
  so.dtype = s.fp8 ? "fp8" : "bf16";
  const Discipline d = parse_discipline(o.discipline);
  so.exchange = "qkv";
  LayerPrograms p;
  p.forward = lower(make_schedule(so), d);
  so.exchange = "out";
  p.reverse = lower(make_schedule(so), d);
  return p;
}

/// The layer's stage times as JSON (seconds), for run and bench.
inline nlohmann::json stage_json(const StageTimes& t) {
  return {{"pack_s", t.pack},
          {"exchange_s", t.exchange},
          {"unpack_s", t.unpack},
          {"attention_s", t.attention},
          {"reverse_pack_s", t.reverse_pack},
          {"reverse_exchange_s", t.reverse_exchange},
          {"reverse_unpack_s", t.reverse_unpack},
          {"total_s", t.total()}};
}

/// A deadlock or a mismatch is a property of the programs, not of the machine: found here before
/// any buffer is allocated, it exits 1 with the transport's explanation (naive deadlocks).
inline void check_layer_programs(const LayerPrograms& p) {
  for (const ProgramSet* set : {&p.forward, &p.reverse}) {
    try {
      check_programs(*set);
    } catch (const TransportError& e) {
      std::cerr << "ulysses-a2a: " << e.what() << "\n";
      throw CLI::RuntimeError(kExitViolation);
    }
  }
}

/// Refuses iteration counts that would time nothing.
/// More runs than this is a hang in all but name (the fuzzer's --iterations 2147483648 ran for hours).
inline constexpr std::uint32_t kMaxIterations = 1000000;

inline void check_iterations(std::uint32_t iterations, std::uint32_t warmup) {
  if (iterations == 0) throw std::invalid_argument("--iterations 0 times nothing: give at least 1");
  for (const auto& [name, value] : {std::pair{"--iterations", iterations}, std::pair{"--warmup", warmup}})
    if (value > kMaxIterations)
      throw std::invalid_argument(std::string(name) + " " + std::to_string(value) + " is more than " +
                                  std::to_string(kMaxIterations) + " runs: give at most that");
}

inline TransportOptions transport_options(const LayerOptions& o) {
  TransportOptions t;
  t.timeout_s = o.timeout_s;
  t.process_rank = o.rank;
  t.nccl_id_file = o.nccl_id_file;
  t.mpi = o.mpi;
  return t;
}


}  // namespace ua2a::cli
