#pragma once
/// Small text helpers shared by the DOT and SVG writers: quoting and number formatting.
#include <cstdint>
#include <string>

namespace ua2a::viz {

/// `s` as a DOT double-quoted string (quotes, backslashes and newlines escaped).
std::string dot_quote(const std::string& s);
/// `s` with &, <, >, " and ' replaced by XML entities.
std::string xml_escape(const std::string& s);
/// `x` with `decimals` digits after the point, trailing zeros kept ("1.50").
std::string fixed(double x, int decimals);
/// A byte count for people: "512 B", "15.7 MB", "1.2 GB" (decimal units, as GB/s).
std::string human_bytes(std::uint64_t bytes);
/// A bandwidth in GB/s without trailing zeros: "24 GB/s", "12.5 GB/s".
std::string human_gbps(double gbps);

}  // namespace ua2a::viz
