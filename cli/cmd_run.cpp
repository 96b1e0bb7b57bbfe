// ulysses-a2a run: scaffolding, replaced by the issue that builds this subcommand.
#include "cli/commands.h"

namespace ua2a::cli {

void setup_run(CLI::App& /*app*/) {}

}  // namespace ua2a::cli
