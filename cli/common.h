#pragma once
/// Options shared by subcommands that take a generated schedule, and output helpers.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "schedule/schedule.h"

namespace ua2a::cli {

/// Exit codes: 0 ok, 1 a property was violated (verify), 2 bad input.
inline constexpr int kExitViolation = 1;
inline constexpr int kExitBadInput = 2;

/// What to generate: ranks, algo, payload (uniform bytes or a Ulysses shape), chunks, merged.
struct ScheduleOptions {
  std::int32_t ranks = 8;
  std::string algo = "round-robin";
  std::uint32_t chunks = 1;
  bool unmerged = false;
  std::uint64_t bytes = 1 << 20;
  std::uint64_t seq = 0;         ///< s, tokens per rank; > 0 selects the Ulysses payload
  std::uint64_t heads = 40;      ///< H, all heads (h = H / N)
  std::uint64_t head_dim = 128;  ///< D
  std::string dtype = "bf16";
  std::string exchange = "qkv";
};

/// Adds --ranks --algo --chunks --unmerged --bytes --seq --heads --head-dim --dtype --exchange.
void add_schedule_options(CLI::App& cmd, ScheduleOptions& o);
/// Builds the payload and runs the generator; throws std::invalid_argument on bad values.
Schedule make_schedule(const ScheduleOptions& o);

/// One schedule of a comparison: generator, discipline, merged or not.
struct Combo {
  std::string algo;
  std::string discipline;
  bool unmerged = false;
};

/// The study of the reference (issue 4): the reference (round-robin paired-half), its
/// full-duplex variant, the pre-#590 staircase (unmerged), NCCL's grouped all-to-all, shift and
/// XOR. `simulate` and `report` compare these by default.
const std::vector<Combo>& study_schedules();

/// Writes `text` to `path`, or to stdout when path is empty or "-".
void write_output(const std::string& path, const std::string& text);
/// Reads a whole file; throws std::invalid_argument naming the path when it cannot.
std::string read_file(const std::string& path);

}  // namespace ua2a::cli
