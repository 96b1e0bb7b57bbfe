#pragma once
/// The wait-for graph of a deadlocked execution: vertex = rank, edge r -> p when r's current
/// step holds a posted, unmatched operation with peer p. A cycle is a deadlock among the ranks
/// on it; a path that ends at a finished rank is a rank waiting for someone who will never come.
#include <cstdint>
#include <vector>

#include "schedule/block.h"

namespace ua2a {

struct WaitEdge {
  Rank from = 0;
  Rank to = 0;
};

/// The ranks of one simple cycle r0 -> r1 -> ... -> r0 (r0 listed once), or empty when the graph
/// is acyclic. Deterministic: a shortest cycle through the lowest rank that lies on any cycle
/// (ranks on cycles found with Boost.Graph's strong_components; the cycle by breadth-first search
/// inside that rank's component, lower-numbered successors first).
std::vector<Rank> find_wait_cycle(std::int32_t ranks, const std::vector<WaitEdge>& edges);

/// The number of ranks that lie on some cycle (the ranks in non-trivial strongly connected
/// components, or with a self-loop).
std::size_t ranks_on_cycles(std::int32_t ranks, const std::vector<WaitEdge>& edges);

/// Follows lowest-numbered successors from `start` in an acyclic graph until a rank without
/// successors: start, ..., sink.
std::vector<Rank> wait_chain(std::int32_t ranks, const std::vector<WaitEdge>& edges, Rank start);

}  // namespace ua2a
