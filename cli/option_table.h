#pragma once
/// The command's own option tables as JSON, for the CLI fuzzer (tests/cli/cli_fuzz_test.cpp): every
/// subcommand's options with their names, CLI11 types (validators included: ":FILE", ranges, sets),
/// defaults and the roles cli/outputs.h gave them. Printed by the hidden flag --option-table.
#include <CLI/CLI.hpp>
#include <string>

namespace ua2a::cli {

/// The JSON document (format ulysses-a2a/option-table, version 1) of `app` and its subcommands.
std::string option_table_json(CLI::App& app);
/// Adds the hidden top-level flag --option-table that prints option_table_json and exits 0.
void add_option_table_flag(CLI::App& app);

}  // namespace ua2a::cli
