// ulysses-a2a bench: scaffolding, replaced by the issue that builds this subcommand.
#include "cli/commands.h"

namespace ua2a::cli {

void setup_bench(CLI::App& /*app*/) {}

}  // namespace ua2a::cli
