#pragma once
/// Options shared by `run` and `bench`: the layer shape (or a model preset), the schedule that
/// drives both exchanges, and the transport. Header-only so cli/CMakeLists.txt stays unchanged.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "backend/layer.h"
#include "backend/models.h"
#include "backend/mpi_world.h"
#include "backend/transport.h"
#include "cli/common.h"
#include "schedule/lower.h"

namespace ua2a::cli {

struct LayerOptions {
  std::int32_t ranks = 8;
  std::string algo = "round-robin";
  std::string discipline = "paired-half";
  std::uint32_t chunks = 1;
  bool unmerged = false;
  std::string model;              ///< a preset instead of --seq --heads --head-dim
  std::uint64_t seq = 64;         ///< s, image tokens per rank
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

inline void add_layer_options(CLI::App& cmd, LayerOptions& o) {
  std::string models, names;
  for (const auto& m : model_presets()) models += std::string(models.empty() ? "" : ", ") + m.name;
  for (const auto& t : transports()) names += std::string(names.empty() ? "" : ", ") + t.name;
  cmd.add_option("-n,--ranks", o.ranks, "number of ranks N")->capture_default_str();
  cmd.add_option("-t,--transport", o.transport, "transport: " + names)->capture_default_str();
  cmd.add_option("-a,--algo", o.algo, "schedule generator (see `schedule --list`)")->capture_default_str();
  cmd.add_option("-d,--discipline", o.discipline, "paired-half, paired-full, grouped or naive")->capture_default_str();
  cmd.add_option("-k,--chunks", o.chunks, "chunks per block")->capture_default_str();
  cmd.add_flag("--unmerged", o.unmerged, "send q, k, v (and scales) as separate messages (same bytes)");
  auto* model = cmd.add_option("-m,--model", o.model, "shape preset: " + models);
  cmd.add_option("--seq", o.seq, "image tokens per rank s")->capture_default_str()->excludes(model);
  cmd.add_option("--heads", o.heads, "total heads H (h = H / N)")->capture_default_str()->excludes(model);
  cmd.add_option("--head-dim", o.head_dim, "head dim D (64 or 128)")->capture_default_str()->excludes(model);
  cmd.add_option("--text-tokens", o.text_tokens, "text tokens L appended after the image tokens")->capture_default_str();
  cmd.add_option("--dtype", o.dtype, "bf16, fp16, or fp8 (bf16 values, e4m3 + float32 row scales on the wire)")
      ->check(CLI::IsMember({"bf16", "fp16", "fp8"}))
      ->capture_default_str();
  cmd.add_option("--timeout", o.timeout_s, "seconds without progress before a transport aborts")->capture_default_str();
  cmd.add_option("--rank", o.rank, "nccl, one process per GPU: this process's rank (needs --nccl-id-file)");
  cmd.add_option("--nccl-id-file", o.nccl_id_file, "nccl, one process per GPU: file where rank 0 writes the unique id");
  cmd.add_flag("--mpi", o.mpi, "nccl under mpirun: this process's rank and --ranks from MPI, the unique id by MPI_Bcast");
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
  LayerShape s;
  s.ranks = o.ranks;
  s.seq_per_rank = o.seq, s.heads = o.heads, s.head_dim = o.head_dim;
  if (!o.model.empty()) {
    const ModelPreset& m = find_model(o.model);
    s.seq_per_rank = seq_per_rank(m, o.ranks), s.heads = m.heads, s.head_dim = m.head_dim;
  }
  s.text_tokens = o.text_tokens;
  s.elem = o.dtype == "fp16" ? ElemType::fp16 : ElemType::bf16;
  s.fp8 = o.dtype == "fp8";
  validate(s);
  if (o.rank >= o.ranks) throw std::invalid_argument("--rank " + std::to_string(o.rank) + " is not below --ranks " + std::to_string(o.ranks));
  return s;
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

inline TransportOptions transport_options(const LayerOptions& o) {
  TransportOptions t;
  t.timeout_s = o.timeout_s;
  t.process_rank = o.rank;
  t.nccl_id_file = o.nccl_id_file;
  t.mpi = o.mpi;
  return t;
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

}  // namespace ua2a::cli
