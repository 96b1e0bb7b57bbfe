#pragma once
// Lookups in the small tables of named things (GPUs, transports, models, platforms, disciplines):
// one way to find an entry by its `name` and to list the names in an error message, so every
// "unknown X 'y': use one of a, b, c" reads alike. Each caller throws its own error type.
#include <string>

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

}  // namespace ua2a
