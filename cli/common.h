#pragma once
/// Options shared by subcommands that take a generated schedule, and output helpers.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "schedule/schedule.h"

namespace ua2a {
struct Measurements;  // sim/measurements.h
}  // namespace ua2a

namespace ua2a::cli {

/// Exit codes (README, "Exit codes"): 0 ok; 1 a property was violated (a deadlock, a mismatch, a
/// failed check); 2 bad input (an option, a file, a write that failed); 3 the machine failed at
/// run time (CUDA, NCCL, MPI, a transport's timeout, memory).
inline constexpr int kExitViolation = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitMachine = 3;

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
  /// Which of the payload options the user gave: an option that cannot apply is an error.
  struct Given {
    bool bytes = false, seq = false, heads = false, head_dim = false, dtype = false, exchange = false;
  } given;
};

/// Adds --ranks --algo --chunks --unmerged --bytes --seq --heads --head-dim --dtype --exchange.
void add_schedule_options(CLI::App& cmd, ScheduleOptions& o);
/// Builds the payload and runs the generator; throws std::invalid_argument on bad values and on
/// options that cannot apply (--heads without --seq, --bytes with --seq, --seq 0).
Schedule make_schedule(const ScheduleOptions& o);
/// The payload `o` describes (--bytes or a Ulysses shape), its options checked.
Payload schedule_payload(const ScheduleOptions& o);

/// Makes every numeric option of `app` and its subcommands take whole decimal numbers only:
/// CLI11 alone reads "-5" into an unsigned option as 2^64 - 5 and "010" as octal 8.
void require_plain_numbers(CLI::App& app);

/// "" unless argv names a command (or a sub-command of render or topo) that does not exist, or
/// names none where one is needed; then the problem with the list of commands. CLI11 alone says
/// "arguments were not expected" or "A subcommand is required".
std::string unknown_command(CLI::App& app, int argc, char** argv);

/// One of the video models of schedule/workload.h at a resolution. Accepts the old spelling
/// "wan2.1-14b-480p" (run and bench before the vocabulary was unified) with a note on stderr.
struct ModelChoice {
  std::string model;
  std::string resolution;
};
ModelChoice resolve_model(const std::string& model, const std::string& resolution, bool resolution_given);


/// Writes `text` to `path`, or to stdout when path is empty or "-"; a failed write (a full disk,
/// /dev/full) throws std::invalid_argument naming the path, so the command exits 2.
void write_output(const std::string& path, const std::string& text);
/// As write_output, but `write` prints the text into the file (a temporary renamed into place)
/// piece by piece: a document of a GB never lies in memory whole.
void write_output_streamed(const std::string& path, const std::function<void(std::ostream&)>& write);
/// Writes several outputs so that a failure changes none of them where the file system allows: every
/// path is checked writable first, regular files are written to a temporary file beside them and
/// renamed into place only when all were written. Paths "" and "-" are stdout, written last.
void write_outputs(const std::vector<std::pair<std::string, std::string>>& outputs);
/// Throws std::invalid_argument naming the first path that cannot be written (creates nothing).
/// For checking outputs before a long computation; write_outputs checks again.
void check_writable(const std::vector<std::string>& paths);
/// Reads a whole file; throws std::invalid_argument naming the path when it cannot.
std::string read_file(const std::string& path);
/// True when the two paths name one existing file (an output that would overwrite an input).
bool same_file(const std::string& a, const std::string& b);
/// Reads measurement documents (sim/measurements.h) and merges them: one box's measurements.
/// Defined where sim/ is built; declared with the type incomplete, so that this header (every
/// command includes it) does not pull sim/'s Boost headers into the GPU slice, which has none.
Measurements read_measurement_files(const std::vector<std::string>& paths);

}  // namespace ua2a::cli
