#include "cli/option_rules.h"

#include <algorithm>
#include <stdexcept>

namespace ua2a::cli {

/// A validator runs once the whole command line is parsed (every count is known) and before the
/// command's callback: the place for a rule, which needs no slot of the command's own.
void add_rule(CLI::App& cmd, const std::string& option, std::function<std::string()> rule) {
  CLI::Option* opt = cmd.get_option(option);  // throws for a misspelt name: a programming error
  opt->check(CLI::Validator(
      [rule = std::move(rule)](std::string&) -> std::string {
        if (std::string problem = rule(); !problem.empty()) throw std::invalid_argument(problem);
        return "";
      },
      "", "ua2a-rule"));
}

namespace {

bool given(CLI::App& cmd, const std::string& option) {
  const CLI::Option* opt = cmd.get_option_no_throw(option);
  return opt != nullptr && opt->count() > 0;
}

}  // namespace

void applies_with(CLI::App& cmd, const std::string& option, const std::vector<std::string>& with, const std::string& why) {
  add_rule(cmd, option, [&cmd, option, with, why]() -> std::string {
    for (const std::string& w : with)
      if (given(cmd, w)) return "";
    std::string list;
    for (std::size_t i = 0; i < with.size(); ++i) list += (i == 0 ? "" : i + 1 == with.size() ? " or " : ", ") + with[i];
    return option + " applies with " + list + " only" + (why.empty() ? "" : " (" + why + ")") + ": add " +
           (with.size() == 1 ? with[0] : "one of them") + ", or drop " + option;
  });
}

void excludes(CLI::App& cmd, const std::string& given_option, const std::vector<std::string>& options, const std::string& why) {
  for (const std::string& option : options)
    add_rule(cmd, option, [&cmd, option, given_option, why]() -> std::string {
      if (!given(cmd, given_option)) return "";
      return option + " does not apply with " + given_option + " (" + why + "): drop " + option;
    });
}

void never_applies(CLI::App& cmd, const std::vector<std::string>& options, const std::string& why) {
  for (const std::string& option : options)
    add_rule(cmd, option, [option, why]() -> std::string {
      return option + " does not apply to ulysses-a2a " + why + ": drop it";
    });
}

std::string given_value(CLI::App& cmd, const std::string& option) {
  const CLI::Option* opt = cmd.get_option_no_throw(option);
  return opt == nullptr || opt->results().empty() ? "" : opt->results().back();
}

CLI::Validator comma_list() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        if (value.empty()) return "is empty: give a name, or a comma list of names";
        std::vector<std::string> seen;
        std::size_t start = 0;
        while (true) {
          const std::size_t comma = value.find(',', start);
          const std::string item = value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
          if (item.empty()) return "'" + value + "' has an empty item: write names separated by single commas";
          if (std::find(seen.begin(), seen.end(), item) != seen.end())
            return "'" + value + "' names '" + item + "' twice: name each once";
          seen.push_back(item);
          if (comma == std::string::npos) return "";
          start = comma + 1;
        }
      },
      "", "ua2a-comma-list");
}

CLI::Option* add_comma_list(CLI::App& cmd, const std::string& names, std::vector<std::string>& items,
                            const std::string& description) {
  std::string shown;
  for (const std::string& item : items) shown += (shown.empty() ? "" : ",") + item;
  CLI::Option* opt = cmd.add_option_function<std::vector<std::string>>(
      names,
      [&items, names](const std::vector<std::string>& given) {
        std::vector<std::string> split;
        for (const std::string& list : given) {
          std::size_t start = 0;
          while (true) {
            const std::size_t comma = list.find(',', start);
            std::string item = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
            if (std::find(split.begin(), split.end(), item) != split.end())
              throw CLI::ValidationError(names, "names '" + item + "' twice: name each once");
            split.push_back(std::move(item));
            if (comma == std::string::npos) break;
            start = comma + 1;
          }
        }
        items = std::move(split);
      },
      description);
  opt->check(comma_list())->default_str(shown);
  return opt;
}

}  // namespace ua2a::cli
