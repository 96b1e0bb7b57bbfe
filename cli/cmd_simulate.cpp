// ulysses-a2a simulate: scaffolding, replaced by the issue that builds this subcommand.
#include "cli/commands.h"

namespace ua2a::cli {

void setup_simulate(CLI::App& /*app*/) {}

}  // namespace ua2a::cli
