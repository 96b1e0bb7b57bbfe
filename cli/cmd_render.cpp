// ulysses-a2a render: scaffolding, replaced by the issue that builds this subcommand.
#include "cli/commands.h"

namespace ua2a::cli {

void setup_render(CLI::App& /*app*/) {}

}  // namespace ua2a::cli
