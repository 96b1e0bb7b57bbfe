#pragma once
/// Outputs checked before any work (issue 21, class 3). A command tags its options by role, one line
/// each; once the command line is parsed, before the command's callback runs, every output given is
/// checked against every other output and input of its command: two outputs on one path, an output
/// that is an input, an output that is a directory or lies in a missing one stop the command with
/// exit 2 and a message naming both options, before any file is touched. The roles also tell the CLI
/// fuzzer (tests/cli/cli_fuzz_test.cpp, through cli/option_table.h) which paths to make collide.
#include <CLI/CLI.hpp>
#include <functional>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

namespace ua2a::cli {

enum class OptionRole { none, input, output_file, output_folder };
std::string to_string(OptionRole role);

/// Tags `opt` of `cmd` as a file the command writes ("" and "-" are stdout) and checks it when given.
CLI::Option* output_option(CLI::App& cmd, CLI::Option* opt);
/// Tags `opt` as a folder the command writes files into (created when missing; must not be a file).
CLI::Option* output_folder_option(CLI::App& cmd, CLI::Option* opt);
/// Tags `opt` as a file the command reads (a preset name that is not a file is fine). Options
/// checked with CLI::ExistingFile are inputs without a tag.
CLI::Option* input_option(CLI::Option* opt);
/// The role of an option: its tag, else input for CLI::ExistingFile, else none.
OptionRole role_of(CLI::Option& opt);

/// Runs `read`, a parser of the file at `path`, so that its error names the file ("F: not valid
/// JSON ..."): the readers' messages name the field, not always the file.
template <class Read>
auto named_input(const std::string& path, Read&& read) -> decltype(read()) {
  try {
    return read();
  } catch (const std::bad_alloc&) {
    throw;  // the machine's failure, not the file's
  } catch (const std::exception& e) {  // FormatError is a runtime_error, TopologyError an invalid_argument
    const std::string what = e.what();
    if (what.find(path) != std::string::npos) throw;
    throw std::invalid_argument(path + ": " + what);
  }
}

/// True when `path` and `other` name one file (both existing and equivalent, or the same path).
bool same_path(const std::string& path, const std::string& other);

/// Writes files into `folder` so that a failure leaves it as it was: `write` puts them into a fresh
/// temporary folder inside `folder` (its argument, ending in '/') and returns their paths; only then
/// are they moved into `folder`, all checked replaceable first. Creates `folder` when missing (and
/// removes it again on failure). Returns the final paths, in the order written.
std::vector<std::string> write_into_folder(
    const std::string& folder, const std::function<std::vector<std::string>(const std::string& temp_dir)>& write);

}  // namespace ua2a::cli
