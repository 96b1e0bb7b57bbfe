#pragma once
/// The pictures that go next to a report: what the main job calls to illustrate its result.
#include <string>
#include <vector>

#include "schedule/schedule.h"

namespace ua2a::viz {

/// Writes into directory `dir` (which must exist): pairings.svg and rounds.svg of `schedule`, and,
/// when `simulation_json` (a simulation document's text) is not empty, topology-load.svg and
/// timeline.svg of its run `run`. Returns the paths written. Throws std::invalid_argument when a
/// file cannot be written and ua2a::FormatError when the document is malformed.
std::vector<std::string> render_report_pictures(const std::string& dir, const Schedule& schedule,
                                                const std::string& simulation_json, std::size_t run = 0);

}  // namespace ua2a::viz
