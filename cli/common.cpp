#include "cli/common.h"

#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "schedule/generators.h"
#include "schedule/payload.h"

namespace ua2a::cli {

void add_schedule_options(CLI::App& cmd, ScheduleOptions& o) {
  std::string algos;
  for (const auto& g : generators()) algos += std::string(algos.empty() ? "" : ", ") + g.name;
  cmd.add_option("-n,--ranks", o.ranks, "number of ranks N")->capture_default_str();
  cmd.add_option("-a,--algo", o.algo, "schedule generator: " + algos)->capture_default_str();
  cmd.add_option("-k,--chunks", o.chunks, "chunks per block (pipelining)")->capture_default_str();
  cmd.add_flag("--unmerged", o.unmerged, "send q, k, v (and FP8 scales) as separate messages");
  cmd.add_option("-b,--bytes", o.bytes, "bytes per block when no Ulysses shape is given")->capture_default_str();
  cmd.add_option("--seq", o.seq, "Ulysses: image tokens per rank s (selects the Ulysses payload)");
  cmd.add_option("--heads", o.heads, "Ulysses: total heads H (h = H / N)")->capture_default_str();
  cmd.add_option("--head-dim", o.head_dim, "Ulysses: head dim D")->capture_default_str();
  cmd.add_option("--dtype", o.dtype, "Ulysses: bf16, fp16 or fp8 (e4m3 + float32 row scales)")->capture_default_str();
  cmd.add_option("--exchange", o.exchange, "Ulysses: qkv (forward) or out (reverse)")->capture_default_str();
}

Schedule make_schedule(const ScheduleOptions& o) {
  if (o.chunks == 0) throw std::invalid_argument("--chunks must be at least 1 (got 0)");
  if (o.ranks < 1) throw std::invalid_argument("--ranks must be at least 1 (got " + std::to_string(o.ranks) + ")");
  Payload payload;
  if (o.seq > 0) {
    if (o.heads % static_cast<std::uint64_t>(o.ranks) != 0)
      throw std::invalid_argument("--heads " + std::to_string(o.heads) + " is not divisible by --ranks " +
                                  std::to_string(o.ranks) + ": Ulysses gives every rank H/N heads");
    const UlyssesShape shape{o.seq, o.heads / o.ranks, o.head_dim, parse_dtype(o.dtype), parse_exchange(o.exchange)};
    payload = ulysses_payload(shape, !o.unmerged, o.chunks);
  } else {
    payload = uniform_payload(o.bytes, !o.unmerged, o.chunks);
  }
  return generate(o.algo, o.ranks, payload);
}

const std::vector<Combo>& study_schedules() {
  static const std::vector<Combo> study = {{"round-robin", "paired-half"}, {"round-robin", "paired-full"},
                                           {"staircase", "paired-half", true}, {"grouped", "grouped"},
                                           {"shift", "paired-full"},         {"xor", "paired-full"}};
  return study;
}

void write_output(const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    std::cout << text;
    return;
  }
  std::ofstream out(path, std::ios::binary);
  if (!out) throw std::invalid_argument("cannot write '" + path + "': check the directory exists and is writable");
  out << text;
  if (!out) throw std::invalid_argument("failed writing '" + path + "'");
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument("cannot read '" + path + "': check the path");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace ua2a::cli
