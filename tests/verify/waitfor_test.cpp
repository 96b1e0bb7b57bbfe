// The wait-for graph: cycles (Boost.Graph strong components) and chains to finished ranks.
#include <gtest/gtest.h>

#include "verify/waitfor.h"

using namespace ua2a;

TEST(WaitFor, RingIsOneCycleOfAllRanks) {
  std::vector<WaitEdge> ring;
  for (Rank r = 0; r < 5; ++r) ring.push_back({r, (r + 1) % 5});
  EXPECT_EQ(find_wait_cycle(5, ring), (std::vector<Rank>{0, 1, 2, 3, 4}));
  EXPECT_EQ(ranks_on_cycles(5, ring), 5u);
}

TEST(WaitFor, ShortestCycleThroughTheLowestCyclicRank) {
  // Rank 0 is on no cycle. Ranks 1..4: 1->2->3->1 and 1->4->1; the shortest through 1 is 1->4->1.
  const std::vector<WaitEdge> edges{{0, 1}, {1, 2}, {2, 3}, {3, 1}, {1, 4}, {4, 1}};
  EXPECT_EQ(find_wait_cycle(5, edges), (std::vector<Rank>{1, 4}));
  EXPECT_EQ(ranks_on_cycles(5, edges), 4u);
}

TEST(WaitFor, SelfLoopIsACycleOfOne) {
  const std::vector<WaitEdge> edges{{2, 2}, {0, 2}};
  EXPECT_EQ(find_wait_cycle(3, edges), (std::vector<Rank>{2}));
  EXPECT_EQ(ranks_on_cycles(3, edges), 1u);
}

TEST(WaitFor, AcyclicGraphHasNoCycleButAChain) {
  // 0 waits for 1 and 3, 1 for 2, 2 for nobody (finished): the chain follows the lowest successor.
  const std::vector<WaitEdge> edges{{0, 3}, {0, 1}, {1, 2}};
  EXPECT_TRUE(find_wait_cycle(4, edges).empty());
  EXPECT_EQ(ranks_on_cycles(4, edges), 0u);
  EXPECT_EQ(wait_chain(4, edges, 0), (std::vector<Rank>{0, 1, 2}));
  EXPECT_EQ(wait_chain(4, edges, 3), (std::vector<Rank>{3}));
}

TEST(WaitFor, DuplicateEdgesDoNotMatter) {
  const std::vector<WaitEdge> edges{{0, 1}, {0, 1}, {1, 0}, {1, 0}};
  EXPECT_EQ(find_wait_cycle(2, edges), (std::vector<Rank>{0, 1}));
}
