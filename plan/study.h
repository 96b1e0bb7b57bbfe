#pragma once
/// The study's combination, defaulting and skip rules, and its ranking table: one place for every
/// command that compares schedules (simulate, report, plan).
#include <optional>
#include <string>
#include <utility>
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
/// NCCL's SHM, the contention model compares what such a box really runs: shm and cuda-staged,
/// and p2p and cuda-p2p only when the box has P2P (TopoParams::p2p: a GeForce box on the stock
/// driver has not); otherwise the box's own transport alone (nullopt: the topology's default).
std::vector<std::optional<TransportKind>> study_transports(const Topology& topology, SimModel model);

/// Why `topology` cannot run `t`, or "" when it can: P2P transports need the box's P2P (the
/// message names --p2p and, for GeForce cards, the P2P-patched driver).
std::string transport_unavailable(TransportKind t, const Topology& topology);

/// The GPU kind a box's preset name implies, for commands that do not ask (h100 boxes: h100;
/// otherwise rtx4090, the cards this project is for).
std::string default_gpu(const Topology& topology);

/// The reference layout's exchange: round-robin, paired-half, merged (reference/ulysses-4090.md).
Combo reference_schedule();

/// The schedules a comparison asks for: `algos` a comma list of generators, "all" or empty, and
/// `disciplines` a comma list, "all" (every one but naive, which deadlocks by design) or empty (the
/// default: paired-full, grouped for grouped). Both empty: the study. Names are not checked here.
std::vector<Combo> comparison(const std::string& algos, const std::string& disciplines, bool unmerged);

/// The transports a request names: a comma list, "all" (every transport but the P2P ones on a box
/// without P2P, each dropped with its reason in `dropped` when given; a comparison skips the rest
/// the box lacks), or empty (study_transports). Throws TopologyError naming a bad one, or one the
/// box cannot run (transport_unavailable).
std::vector<std::optional<TransportKind>> requested_transports(const std::string& list, const Topology& topology,
                                                               SimModel model,
                                                               std::vector<std::pair<TransportKind, std::string>>* dropped = nullptr);

/// Why `combo` cannot run at `ranks` ranks, or "" when it can (xor needs a power of two). A
/// comparison skips such combos with this note; a request by name is an error.
std::string skip_reason(const Combo& combo, std::int32_t ranks);

/// One schedule of the study timed under one transport, as the report ranks it; the verdicts come
/// from the verifier (the caller's: plan does not use verify/).
struct StudyRow {
  Combo combo;
  bool deadlock_free = true;
  bool verified = true;
  SimReport sim;
};

/// The study's ranking, fastest first: vs_grouped against NCCL's grouped all-to-all on the same
/// transport, vs_reference against rows.front() (the reference as it runs); with the fluid time
/// and the mechanism that set each run under the contention model.
std::string study_table(const std::vector<StudyRow>& rows);

}  // namespace ua2a::plan
