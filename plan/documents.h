#pragma once
/// What the planner's two file readers (model documents, GPU documents) share: reading the file an
/// option names, and the check that a document holds only the fields its format lists.
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>

namespace ua2a::plan {

/// The text of `path`, given with `option` ("--model-file"); std::invalid_argument naming both when
/// it cannot be read.
inline std::string read_option_file(const std::string& option, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument(option + " " + path + ": cannot be read: check the path");
  std::ostringstream body;
  body << in.rdbuf();
  return body.str();
}

/// "" when every field of `doc` is in `keys`, else the message for the first one that is not
/// ("unknown field 'x': the fields are ... (docs/formats.md)"), for the caller's own error type.
inline std::string unknown_field(const nlohmann::json& doc, const std::set<std::string>& keys) {
  for (const auto& item : doc.items()) {
    if (keys.count(item.key())) continue;
    std::string list;
    for (const std::string& k : keys) list += std::string(list.empty() ? "" : ", ") + k;
    return "unknown field '" + item.key() + "': the fields are " + list + " (docs/formats.md)";
  }
  return "";
}

}  // namespace ua2a::plan
