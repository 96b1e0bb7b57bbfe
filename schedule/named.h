#pragma once
// Lookups in the small tables of named things (GPUs, transports, models, platforms, disciplines):
// one way to find an entry by its `name` and to list the names in an error message, so every
// "unknown X 'y': use one of a, b, c" reads alike. Each caller throws its own error type.
#include <stdexcept>
#include <string>
#include <vector>

namespace ua2a {

/// The entry of `table` whose `.name` equals `name`, or nullptr.
template <class Table>
const typename Table::value_type* find_named(const Table& table, const std::string& name) {
  for (const auto& entry : table)
    if (entry.name == name) return &entry;
  return nullptr;
}

/// The entries' names, comma-separated, for "use one of ..." messages.
template <class Table>
std::string joined_names(const Table& table) {
  std::string names;
  for (const auto& entry : table) names += std::string(names.empty() ? "" : ", ") + entry.name;
  return names;
}

/// One row of an enum's name table: the one place its name is typed (parse, print, "use one of",
/// a CLI option's allowed values all read it).
template <class Enum>
struct NamedValue {
  const char* name;
  Enum value;
};

/// The entries' names, for CLI11's IsMember.
template <class Table>
std::vector<std::string> names_of(const Table& table) {
  std::vector<std::string> names;
  for (const auto& entry : table) names.emplace_back(entry.name);
  return names;
}

/// The value named `name` in `table`; throws std::invalid_argument "unknown WHAT 'name': use one of ...".
template <class Table>
auto parse_value(const Table& table, const std::string& name, const std::string& what) {
  if (const auto* entry = find_named(table, name)) return entry->value;
  throw std::invalid_argument("unknown " + what + " '" + name + "': use one of " + joined_names(table));
}

/// The name of `value` in `table` ("?" when absent: a table missing a row).
template <class Table, class Enum>
std::string name_of(const Table& table, Enum value) {
  for (const auto& entry : table)
    if (entry.value == value) return entry.name;
  return "?";
}

}  // namespace ua2a
