#include "cli/option_table.h"

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/outputs.h"

namespace ua2a::cli {

namespace {

nlohmann::json options_of(CLI::App& cmd) {
  nlohmann::json options = nlohmann::json::array();
  for (CLI::Option* opt : cmd.get_options()) {
    if (opt->get_name() == "--help" || opt->get_name() == "-h") continue;
    nlohmann::json names = nlohmann::json::array();
    for (const std::string& s : opt->get_snames()) names.push_back("-" + s);
    for (const std::string& l : opt->get_lnames()) names.push_back("--" + l);
    options.push_back({{"names", names},
                       {"positional", opt->get_positional() && !opt->nonpositional() ? opt->get_name() : ""},
                       {"type", opt->get_type_name()},
                       {"flag", opt->get_items_expected_max() == 0},
                       {"list", opt->get_items_expected_max() > 1 || opt->get_delimiter() != '\0'},
                       {"required", opt->get_required()},
                       {"default", opt->get_default_str()},
                       {"hidden", opt->get_group().empty()},
                       {"role", to_string(role_of(*opt))}});
  }
  return options;
}

void walk(CLI::App& app, const std::string& path, nlohmann::json& commands) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    const std::string name = path.empty() ? sub->get_name() : path + " " + sub->get_name();
    if (sub->get_subcommands([](CLI::App*) { return true; }).empty())
      commands.push_back({{"path", name}, {"options", options_of(*sub)}});
    walk(*sub, name, commands);
  }
}

}  // namespace

std::string option_table_json(CLI::App& app) {
  nlohmann::json commands = nlohmann::json::array();
  walk(app, "", commands);
  return nlohmann::json{{"format", "ulysses-a2a/option-table"}, {"version", 1}, {"commands", commands}}.dump(1) + "\n";
}

void add_option_table_flag(CLI::App& app) {
  app.add_flag_callback(
         "--option-table",
         [&app] {
           std::cout << option_table_json(app) << std::flush;
           throw CLI::Success();
         },
         "print every command's options as JSON (for the CLI fuzzer)")
      ->group("");
}

}  // namespace ua2a::cli
