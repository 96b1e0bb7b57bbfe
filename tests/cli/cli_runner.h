#pragma once
// Runs the ulysses-a2a binary as a user would and captures its exit code and output.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace ua2a::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;  ///< stdout and stderr together
};

/// Runs `ulysses-a2a ARGS` through the shell (arguments are passed verbatim).
inline CliResult run_cli(const std::string& args) {
  CliResult r;
  const std::string cmd = std::string(UA2A_CLI) + " " + args + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buf{};
  while (std::size_t n = fread(buf.data(), 1, buf.size(), pipe)) r.out.append(buf.data(), n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

/// The whole text of a file the command wrote ("" when it cannot be read).
inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace ua2a::testing
