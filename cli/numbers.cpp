#include "cli/numbers.h"

#include <cmath>
#include <cstdlib>
#include <sstream>

namespace ua2a::cli {

namespace {

std::string readable(double v) {
  std::ostringstream s;
  s.precision(6);
  s << v;
  return s.str();
}

/// The option that `name` ("--ranks", "-n") names in the command being parsed (the deepest
/// subcommand given first: --ranks of schedule, not of report); nullptr if none.
CLI::Option* find_option(CLI::App& app, const std::string& name) {
  for (CLI::App* sub : app.get_subcommands())  // the parsed ones
    if (CLI::Option* opt = find_option(*sub, name)) return opt;
  for (CLI::Option* opt : app.get_options())
    if (opt->check_name(name)) return opt;
  return nullptr;
}

}  // namespace

std::string range_text(double lo, double hi) {
  if (std::isinf(hi)) return "at least " + readable(lo);
  return "from " + readable(lo) + " to " + readable(hi);
}

CLI::Validator real_range(double lo, double hi) {
  const std::string range = range_text(lo, hi);
  return CLI::Validator(
      [lo, hi, range](std::string& value) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(value.c_str(), &end);
        if (value.empty() || end != value.c_str() + value.size() || !std::isfinite(v))
          return "'" + value + "' is not a finite number (give one " + range + ")";
        if (v < lo || v > hi) return value + " is out of range: give a number " + range;
        return "";
      },
      "REAL " + range);
}

std::string conversion_message(CLI::App& app, const CLI::ConversionError& e) {
  // CLI11 2.1 words it "Could not convert: NAME = VALUE".
  const std::string what = e.what();
  const std::string prefix = "Could not convert: ";
  const auto eq = what.find(" = ");
  if (what.rfind(prefix, 0) != 0 || eq == std::string::npos) return what;
  const std::string name = what.substr(prefix.size(), eq - prefix.size());
  const std::string value = what.substr(eq + 3);
  std::string range;
  if (const CLI::Option* opt = find_option(app, name)) {
    const std::string type = opt->get_type_name();
    const auto in = type.find(" in [");
    if (in != std::string::npos) range = " (give one in " + type.substr(in + 4) + ")";
  }
  return name + " " + value + " is out of range for this option" +
         (range.empty() ? ": give a smaller whole number (see --help)" : range);
}

}  // namespace ua2a::cli
