#pragma once
/// The synthesiser's search space (docs/synthesize.md, "The space"): orders of whole-block
/// transfers that are all-to-all by construction, written as today's IR (a Schedule of rounds),
/// so verify, sim and the backend take every candidate unchanged.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "schedule/lower.h"
#include "schedule/schedule.h"
#include "sim/topology.h"

namespace ua2a::synth {

/// One whole block on the wire: src -> dst.
using Transfer1 = std::pair<Rank, Rank>;
/// Rounds of block transfers. A candidate's rounds list every ordered pair (a, b), a != b, once.
using Rounds = std::vector<std::vector<Transfer1>>;
/// An unordered pair {a, b}, a < b: both blocks a -> b and b -> a, exchanged in the same round.
using Pair = std::pair<Rank, Rank>;

/// The circle method's rounds (every pair exchanging both ways); odd N: one bye per round.
Rounds circle_factorisation(std::int32_t ranks);
/// Round d pairs r with r XOR d; N must be a power of two.
Rounds xor_factorisation(std::int32_t ranks);
/// Round d sends r -> r + d (mod N): directed rounds, every rank one destination and one source.
Rounds shift_rounds(std::int32_t ranks);
/// Rank r of `rounds` becomes perm[r]: the same factorisation laid on the box differently.
Rounds relabel(const Rounds& rounds, const std::vector<Rank>& perm);
/// Merges each k consecutive rounds into one: every rank talks to up to k peers (or k
/// destinations) at once; k >= rounds.size() is NCCL's grouped exchange.
Rounds group(const Rounds& rounds, std::size_t k);
/// The unordered pairs in the order they first appear in `rounds`.
std::vector<Pair> pair_order(const Rounds& rounds);

/// Whether every ordered pair (a, b), a != b, of `ranks` appears exactly once.
bool is_all_to_all(const Rounds& rounds, std::int32_t ranks);
/// Whether every round pairs each rank with at most one partner, both ways: paired-half applies.
bool is_pairing(const Rounds& rounds);
/// pairing when is_pairing; directed when each rank has at most one destination and one source
/// per round; grouped (rounds in which a rank talks to several peers at once) otherwise.
ScheduleKind kind_of(const Rounds& rounds);

/// The resources several GPUs share on the box (socket link, switch uplinks, root-complex links:
/// links neither of whose ends is a GPU, memory links excepted), and which of them the two
/// transfers of each pair cross under `transport`.
struct SharedResources {
  std::vector<std::string> names;  ///< per resource id used below
  /// uses[a * N + b]: the shared resources the transfer a -> b crosses.
  std::vector<std::vector<std::uint32_t>> uses;
  std::int32_t ranks = 0;
  const std::vector<std::uint32_t>& of(Rank src, Rank dst) const { return uses[src * ranks + dst]; }
};
SharedResources shared_resources(const Topology& topology, TransportKind transport, std::int32_t ranks);

/// How first-fit packs pairs into rounds: a pair joins the first round in which both ranks have
/// fewer than `peers` partners and every shared resource its transfers cross carries fewer than
/// `cap` transfers (cap 0: no limit).
struct PackLimits {
  std::uint32_t peers = 1;
  std::uint32_t cap = 0;
  friend bool operator==(const PackLimits&, const PackLimits&) = default;
};
Rounds pack(const std::vector<Pair>& order, std::int32_t ranks, const PackLimits& limits,
            const SharedResources& shared);

/// First-fit of single transfers (src, dst) instead of pairs: a transfer joins the first round in
/// which its source has fewer than `peers` destinations, its destination fewer than `peers`
/// sources, and every shared resource it crosses fewer than `cap` transfers. The two directions of
/// a pair may land in different rounds, so traffic up one link overlaps traffic down it.
Rounds pack_directed(const std::vector<Transfer1>& order, std::int32_t ranks, const PackLimits& limits,
                     const SharedResources& shared);
/// Every transfer (a, b), a != b, most shared resources crossed first (ties in rank order).
std::vector<Transfer1> constrained_transfers_first(std::int32_t ranks, const SharedResources& shared);

/// Every pair {a, b} of `ranks`, most shared resources crossed first (ties in rank order).
std::vector<Pair> constrained_first(std::int32_t ranks, const SharedResources& shared);

/// The schedule of `rounds` with `payload` (its chunks as given), algo `algo`, discipline recorded.
Schedule to_schedule(const Rounds& rounds, std::int32_t ranks, const Payload& payload, const std::string& algo,
                     Discipline discipline);

}  // namespace ua2a::synth
