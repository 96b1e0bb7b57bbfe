#include "plan/study.h"

namespace ua2a::plan {

std::string Combo::label() const { return algo + " " + discipline + (unmerged ? " (unmerged)" : ""); }

const std::vector<Combo>& study_schedules() {
  static const std::vector<Combo> study = {{"round-robin", "paired-half"}, {"round-robin", "paired-full"},
                                           {"staircase", "paired-half", true}, {"grouped", "grouped"},
                                           {"shift", "paired-full"},         {"xor", "paired-full"}};
  return study;
}

std::vector<std::optional<TransportKind>> study_transports(const Topology& topology, SimModel model) {
  if (model == SimModel::contention && topology.params.transport == TransportKind::shm)
    return {TransportKind::shm, TransportKind::cuda_staged, TransportKind::p2p, TransportKind::cuda_p2p};
  return {std::nullopt};
}

Combo reference_schedule() { return {"round-robin", "paired-half", false}; }

}  // namespace ua2a::plan
