// ulysses-a2a verify: scaffolding, replaced by the issue that builds this subcommand.
#include "cli/commands.h"

namespace ua2a::cli {

void setup_verify(CLI::App& /*app*/) {}

}  // namespace ua2a::cli
