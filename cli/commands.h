#pragma once
/// One setup function per subcommand; each lives in its own cmd_*.cpp and registers its callback.
#include <CLI/CLI.hpp>

namespace ua2a::cli {

void setup_schedule(CLI::App& app);

}  // namespace ua2a::cli
