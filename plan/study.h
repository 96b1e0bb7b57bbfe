#pragma once
/// The study's combination and defaulting rules, in one place for every command that compares
/// schedules (plan today; simulate and report are to move here, issue 16 item 6).
#include <optional>
#include <string>
#include <vector>

#include "sim/simulate.h"
#include "sim/topology.h"

namespace ua2a::plan {

/// One schedule of a comparison: generator, discipline, merged or not.
struct Combo {
  std::string algo;
  std::string discipline;
  bool unmerged = false;
  /// "round-robin paired-half", with " (unmerged)" when unmerged.
  std::string label() const;
};

/// The study of the reference (issue 4): the reference (round-robin paired-half), its full-duplex
/// variant, the pre-#590 staircase (unmerged), NCCL's grouped all-to-all, shift and XOR.
const std::vector<Combo>& study_schedules();

/// The transports worth comparing on `topology` under `model`: on a PCIe box whose default is
/// NCCL's SHM, the contention model compares what such a box really runs (shm, cuda-staged, p2p,
/// cuda-p2p); otherwise the box's own transport alone (nullopt: the topology's default).
std::vector<std::optional<TransportKind>> study_transports(const Topology& topology, SimModel model);

/// The reference layout's exchange: round-robin, paired-half, merged (reference/ulysses-4090.md).
Combo reference_schedule();

}  // namespace ua2a::plan
