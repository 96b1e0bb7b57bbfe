#pragma once
/// Numbers on the command line (issue 21, class 1): one validator for reals, used by every command,
/// and messages for integers CLI11 cannot hold that name the option and its range.
#include <CLI/CLI.hpp>
#include <limits>
#include <string>

namespace ua2a::cli {

/// The longest --timeout: 11 days; a clock in nanoseconds overflows past 9.2e9 s. The shortest:
/// a millisecond (1e-300 timed every run out at once, exit 3 for what is bad input).
inline constexpr double kMaxTimeoutSeconds = 1e6;
inline constexpr double kMinTimeoutSeconds = 1e-3;

/// A finite real in [lo, hi] (hi infinite: no upper bound), the range printed readably ("at least
/// 0", "from 0.01 to 1"), never as DBL_MAX's 300 digits. Refuses nan, inf, "1,2" and trailing text.
CLI::Validator real_range(double lo, double hi = std::numeric_limits<double>::infinity());
/// The range as the messages print it: "from 0.01 to 1", "at least 0".
std::string range_text(double lo, double hi);

/// CLI11's "Could not convert: --ranks = 2147483648" as "--ranks 2147483648 is too large for this
/// option (at most ...)": the option named, with the range its validator gives or its type holds.
std::string conversion_message(CLI::App& app, const CLI::ConversionError& e);

}  // namespace ua2a::cli
