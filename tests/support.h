#pragma once
// The one place tests run the ulysses-a2a binary and read files: every suite that needs either
// includes this, so a fix to how output is captured or a file is read happens once.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace ua2a::testing {

struct CliResult {
  int exit_code = -1;       ///< the command's exit code; 124 when it ran past the timeout
  std::string out;          ///< stdout, then stderr: what a person at a terminal reads
  std::string stdout_text;  ///< stdout alone (JSON, pictures written to -)
  std::string stderr_text;  ///< stderr alone (errors, notes, sanitizer reports)
};

/// The whole text of a file ("" when it cannot be read).
inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// A file of the source tree, by its path from the repository root ("tests/sim/data/x.txt").
inline std::string read_source(const std::string& relative) {
  return read_text(std::filesystem::path(UA2A_SOURCE_DIR) / relative);
}

/// Runs `ulysses-a2a ARGS` through the shell (arguments verbatim, so quoting and redirections
/// work), killed after `timeout_s` seconds so that a hang fails the test instead of stalling it.
inline CliResult run_cli(const std::string& args, int timeout_s = 600) {
  static std::atomic<int> counter{0};
  const std::filesystem::path base = std::filesystem::temp_directory_path() /
                                     ("ua2a-cli-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  const std::string out = base.string() + ".out", err = base.string() + ".err";
  const std::string command = "timeout -k 5 " + std::to_string(timeout_s) + " " + UA2A_CLI + " " + args + " >" + out +
                              " 2>" + err;
  const int status = std::system(command.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.stdout_text = read_text(out);
  r.stderr_text = read_text(err);
  r.out = r.stdout_text + r.stderr_text;
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return r;
}

/// True where scripts/test.sh runs the suite (UA2A_REQUIRE_TOOLS=1): there a test whose tool
/// (spin, SimGrid) is missing fails instead of skipping, since scripts/install-deps.sh installs
/// them and a skip would hide a broken install.
inline bool tools_required() {
  const char* v = std::getenv("UA2A_REQUIRE_TOOLS");
  return v && std::string(v) == "1";
}

}  // namespace ua2a::testing
