#include "verify/waitfor.h"

#include <algorithm>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/strong_components.hpp>
#include <deque>

namespace ua2a {

namespace {

using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;

/// Sorted, de-duplicated successor lists: the walks below take the lowest successor first, which
/// keeps every counterexample deterministic.
std::vector<std::vector<Rank>> successors(std::int32_t ranks, const std::vector<WaitEdge>& edges) {
  std::vector<std::vector<Rank>> next(ranks);
  for (const WaitEdge& e : edges) next[e.from].push_back(e.to);
  for (auto& list : next) {
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end()), list.end());
  }
  return next;
}

/// Component of every rank, and whether it lies on a cycle (non-trivial component or self-loop).
std::vector<bool> on_cycle(std::int32_t ranks, const std::vector<WaitEdge>& edges, std::vector<int>& component) {
  Graph g(ranks);
  for (const WaitEdge& e : edges) boost::add_edge(e.from, e.to, g);
  component.assign(ranks, 0);
  const int count = boost::strong_components(
      g, boost::make_iterator_property_map(component.begin(), boost::get(boost::vertex_index, g)));
  std::vector<int> size(count, 0);
  for (int c : component) ++size[c];
  std::vector<bool> cyclic(ranks, false);
  for (Rank r = 0; r < ranks; ++r) cyclic[r] = size[component[r]] > 1;
  for (const WaitEdge& e : edges)
    if (e.from == e.to) cyclic[e.from] = true;
  return cyclic;
}

}  // namespace

std::vector<Rank> find_wait_cycle(std::int32_t ranks, const std::vector<WaitEdge>& edges) {
  std::vector<int> component;
  const std::vector<bool> cyclic = on_cycle(ranks, edges, component);
  const auto first = std::find(cyclic.begin(), cyclic.end(), true);
  if (first == cyclic.end()) return {};
  const Rank start = static_cast<Rank>(first - cyclic.begin());
  const auto next = successors(ranks, edges);
  // Breadth-first search inside start's component for the shortest way back to start.
  std::vector<Rank> parent(ranks, -1);
  std::deque<Rank> queue{start};
  Rank last = -1;
  while (!queue.empty() && last == -1) {
    const Rank r = queue.front();
    queue.pop_front();
    for (Rank s : next[r]) {
      if (component[s] != component[start]) continue;
      if (s == start) {
        last = r;
        break;
      }
      if (parent[s] != -1) continue;
      parent[s] = r;
      queue.push_back(s);
    }
  }
  std::vector<Rank> cycle;
  for (Rank r = last; r != start; r = parent[r]) cycle.push_back(r);
  cycle.push_back(start);
  std::reverse(cycle.begin(), cycle.end());
  return cycle;
}

std::size_t ranks_on_cycles(std::int32_t ranks, const std::vector<WaitEdge>& edges) {
  std::vector<int> component;
  const std::vector<bool> cyclic = on_cycle(ranks, edges, component);
  return static_cast<std::size_t>(std::count(cyclic.begin(), cyclic.end(), true));
}

std::vector<Rank> wait_chain(std::int32_t ranks, const std::vector<WaitEdge>& edges, Rank start) {
  const auto next = successors(ranks, edges);
  std::vector<Rank> chain{start};
  // At most `ranks` hops: the bound also ends the walk should the graph have a cycle after all.
  while (!next[chain.back()].empty() && chain.size() <= static_cast<std::size_t>(ranks))
    chain.push_back(next[chain.back()].front());
  return chain;
}

}  // namespace ua2a
