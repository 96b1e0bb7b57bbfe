#pragma once
/// Which options apply together (issue 21, class 2: nothing silently ignored). A command declares
/// each rule once, next to its options; the rule is checked when the command line is parsed, before
/// the command's callback runs, and an option that does not apply is an error (exit 2) naming it
/// and the fix. Rules name options as the command line spells them ("--load", "-i").
#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace ua2a::cli {

/// `option` applies only when one of `with` is given too: "--run applies with --load only".
void applies_with(CLI::App& cmd, const std::string& option, const std::vector<std::string>& with, const std::string& why = "");
/// `option` does not apply when `given` is: "--ranks does not apply with -i (the file fixes it)".
/// Every option in `options` is checked against `given`.
void excludes(CLI::App& cmd, const std::string& given, const std::vector<std::string>& options, const std::string& why);
/// `option` never applies to this command (it came with a shared set): "--bytes does not apply to render pairings".
void never_applies(CLI::App& cmd, const std::vector<std::string>& options, const std::string& why);

/// Any other rule: `problem` returns "" when `option` (given) applies, else the message (exit 2).
void add_rule(CLI::App& cmd, const std::string& option, std::function<std::string()> problem);

/// The value `option` was given on the command line ("" when not given): for rules, which run
/// before the options' variables are all set.
std::string given_value(CLI::App& cmd, const std::string& option);

/// A comma list of names: no empty list, no empty item ("a,,b"), no item twice ("x,x").
CLI::Validator comma_list();

/// An option whose values are comma lists, split into `items` (CLI11's delimiter drops an empty item
/// silently, so the option reads whole strings): each occurrence is checked as comma_list() checks
/// it, and no item may come twice across occurrences ("--op write --op write"). The default shown is
/// `items` as given.
CLI::Option* add_comma_list(CLI::App& cmd, const std::string& names, std::vector<std::string>& items,
                            const std::string& description);

}  // namespace ua2a::cli
