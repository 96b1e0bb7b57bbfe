// ulysses-a2a topo: scaffolding, replaced by the issue that builds this subcommand.
#include "cli/commands.h"

namespace ua2a::cli {

void setup_topo(CLI::App& /*app*/) {}

}  // namespace ua2a::cli
