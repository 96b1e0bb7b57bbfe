#include "synth/space.h"

#include <algorithm>
#include <set>
#include <stdexcept>

#include "schedule/generators.h"
#include "sim/route.h"

namespace ua2a::synth {

Rounds circle_factorisation(std::int32_t ranks) {
  Rounds out;
  for (const auto& pairs : circle_rounds(ranks)) {
    std::vector<Transfer1> round;
    for (auto [a, b] : pairs) round.insert(round.end(), {{a, b}, {b, a}});
    out.push_back(std::move(round));
  }
  return out;
}

Rounds xor_factorisation(std::int32_t ranks) {
  if (ranks < 1 || (ranks & (ranks - 1)) != 0)
    throw std::invalid_argument("xor needs a power-of-two number of ranks (got " + std::to_string(ranks) + ")");
  Rounds out;
  for (Rank d = 1; d < ranks; ++d) {
    std::vector<Transfer1> round;
    for (Rank r = 0; r < ranks; ++r)
      if (r < (r ^ d)) round.insert(round.end(), {{r, r ^ d}, {r ^ d, r}});
    out.push_back(std::move(round));
  }
  return out;
}

Rounds shift_rounds(std::int32_t ranks) {
  Rounds out;
  for (Rank d = 1; d < ranks; ++d) {
    std::vector<Transfer1> round;
    for (Rank r = 0; r < ranks; ++r) round.push_back({r, (r + d) % ranks});
    out.push_back(std::move(round));
  }
  return out;
}

Rounds relabel(const Rounds& rounds, const std::vector<Rank>& perm) {
  Rounds out = rounds;
  for (auto& round : out)
    for (auto& [a, b] : round) a = perm.at(a), b = perm.at(b);
  return out;
}

Rounds group(const Rounds& rounds, std::size_t k) {
  if (k == 0) throw std::invalid_argument("group: k must be at least 1");
  Rounds out;
  for (std::size_t i = 0; i < rounds.size(); ++i) {
    if (i % k == 0) out.emplace_back();
    out.back().insert(out.back().end(), rounds[i].begin(), rounds[i].end());
  }
  return out;
}

std::vector<Pair> pair_order(const Rounds& rounds) {
  std::vector<Pair> out;
  std::set<Pair> seen;
  for (const auto& round : rounds)
    for (auto [a, b] : round) {
      const Pair p{std::min(a, b), std::max(a, b)};
      if (seen.insert(p).second) out.push_back(p);
    }
  return out;
}

bool is_all_to_all(const Rounds& rounds, std::int32_t ranks) {
  std::vector<int> seen(static_cast<std::size_t>(ranks) * ranks, 0);
  std::size_t count = 0;
  for (const auto& round : rounds)
    for (auto [a, b] : round) {
      if (a < 0 || b < 0 || a >= ranks || b >= ranks || a == b) return false;
      if (seen[a * ranks + b]++) return false;
      ++count;
    }
  return count == static_cast<std::size_t>(ranks) * (ranks - 1);
}

namespace {

/// Per round: each rank's destinations and sources.
struct Degrees {
  std::vector<std::set<Rank>> to, from;
};

Degrees degrees(const std::vector<Transfer1>& round) {
  Rank top = 0;
  for (auto [a, b] : round) top = std::max({top, a, b});
  Degrees d{std::vector<std::set<Rank>>(top + 1), std::vector<std::set<Rank>>(top + 1)};
  for (auto [a, b] : round) d.to[a].insert(b), d.from[b].insert(a);
  return d;
}

}  // namespace

bool is_pairing(const Rounds& rounds) {
  for (const auto& round : rounds) {
    const Degrees d = degrees(round);
    for (std::size_t r = 0; r < d.to.size(); ++r) {
      if (d.to[r].size() > 1 || d.from[r] != d.to[r]) return false;
    }
  }
  return true;
}

ScheduleKind kind_of(const Rounds& rounds) {
  if (is_pairing(rounds)) return ScheduleKind::pairing;
  for (const auto& round : rounds) {
    const Degrees d = degrees(round);
    for (std::size_t r = 0; r < d.to.size(); ++r)
      if (d.to[r].size() > 1 || d.from[r].size() > 1) return ScheduleKind::grouped;
  }
  return ScheduleKind::directed;
}

SharedResources shared_resources(const Topology& topology, TransportKind transport, std::int32_t ranks) {
  const Router router(topology, transport, /*contention=*/true);
  SharedResources s;
  s.ranks = ranks;
  s.uses.resize(static_cast<std::size_t>(ranks) * ranks);
  std::vector<std::int64_t> id_of(router.resources().size(), -1);
  auto shared = [&](std::uint32_t link) {
    if (link >= topology.edges().size()) return false;  // a forwarding resource: not in the contention model
    const EdgeRef e = topology.edges()[link];
    const bool gpu_end = topology.node(boost::source(e, topology.graph)).kind == NodeKind::gpu ||
                         topology.node(boost::target(e, topology.graph)).kind == NodeKind::gpu;
    return !gpu_end && topology.link(e).kind != LinkKind::memory;
  };
  Route route;
  for (Rank a = 0; a < ranks; ++a)
    for (Rank b = 0; b < ranks; ++b) {
      if (a == b) continue;
      router.route(a, b, route);
      for (const auto& use : route.uses) {
        if (!shared(use.link)) continue;
        if (id_of[use.link] < 0) {
          id_of[use.link] = static_cast<std::int64_t>(s.names.size());
          s.names.push_back(router.resources()[use.link].name);
        }
        s.uses[a * ranks + b].push_back(static_cast<std::uint32_t>(id_of[use.link]));
      }
    }
  return s;
}

Rounds pack(const std::vector<Pair>& order, std::int32_t ranks, const PackLimits& limits,
            const SharedResources& shared) {
  struct Load {
    std::vector<std::uint32_t> partners;
    std::vector<std::uint32_t> streams;
  };
  Rounds rounds;
  std::vector<Load> loads;
  const std::uint32_t peers = std::max<std::uint32_t>(1, limits.peers);
  for (const Pair& p : order) {
    auto fits = [&](const Load& l) {
      if (l.partners[p.first] >= peers || l.partners[p.second] >= peers) return false;
      if (limits.cap == 0) return true;
      // Both transfers of the pair may cross the same resource: count them together.
      std::vector<std::uint32_t> extra(l.streams.size(), 0);
      for (const auto& t : {Transfer1{p.first, p.second}, Transfer1{p.second, p.first}})
        for (std::uint32_t r : shared.of(t.first, t.second))
          if (l.streams[r] + ++extra[r] > limits.cap) return false;
      return true;
    };
    std::size_t i = 0;
    while (i < rounds.size() && !fits(loads[i])) ++i;
    if (i == rounds.size()) {
      rounds.emplace_back();
      loads.push_back({std::vector<std::uint32_t>(ranks, 0), std::vector<std::uint32_t>(shared.names.size(), 0)});
    }
    rounds[i].insert(rounds[i].end(), {{p.first, p.second}, {p.second, p.first}});
    ++loads[i].partners[p.first], ++loads[i].partners[p.second];
    for (const auto& t : {Transfer1{p.first, p.second}, Transfer1{p.second, p.first}})
      for (std::uint32_t r : shared.of(t.first, t.second)) ++loads[i].streams[r];
  }
  return rounds;
}

Rounds pack_directed(const std::vector<Transfer1>& order, std::int32_t ranks, const PackLimits& limits,
                     const SharedResources& shared) {
  struct Load {
    std::vector<std::uint32_t> out, in, streams;
  };
  Rounds rounds;
  std::vector<Load> loads;
  const std::uint32_t peers = std::max<std::uint32_t>(1, limits.peers);
  for (const Transfer1& t : order) {
    auto fits = [&](const Load& l) {
      if (l.out[t.first] >= peers || l.in[t.second] >= peers) return false;
      if (limits.cap == 0) return true;
      for (std::uint32_t r : shared.of(t.first, t.second))
        if (l.streams[r] + 1 > limits.cap) return false;
      return true;
    };
    std::size_t i = 0;
    while (i < rounds.size() && !fits(loads[i])) ++i;
    if (i == rounds.size()) {
      rounds.emplace_back();
      loads.push_back({std::vector<std::uint32_t>(ranks, 0), std::vector<std::uint32_t>(ranks, 0),
                       std::vector<std::uint32_t>(shared.names.size(), 0)});
    }
    rounds[i].push_back(t);
    ++loads[i].out[t.first], ++loads[i].in[t.second];
    for (std::uint32_t r : shared.of(t.first, t.second)) ++loads[i].streams[r];
  }
  return rounds;
}

std::vector<Transfer1> constrained_transfers_first(std::int32_t ranks, const SharedResources& shared) {
  std::vector<Transfer1> out;
  for (Rank a = 0; a < ranks; ++a)
    for (Rank b = 0; b < ranks; ++b)
      if (a != b) out.push_back({a, b});
  std::stable_sort(out.begin(), out.end(), [&](const Transfer1& x, const Transfer1& y) {
    return shared.of(x.first, x.second).size() > shared.of(y.first, y.second).size();
  });
  return out;
}

std::vector<Pair> constrained_first(std::int32_t ranks, const SharedResources& shared) {
  std::vector<Pair> pairs;
  for (Rank a = 0; a < ranks; ++a)
    for (Rank b = a + 1; b < ranks; ++b) pairs.push_back({a, b});
  auto weight = [&](const Pair& p) { return shared.of(p.first, p.second).size() + shared.of(p.second, p.first).size(); };
  std::stable_sort(pairs.begin(), pairs.end(), [&](const Pair& x, const Pair& y) { return weight(x) > weight(y); });
  return pairs;
}

Schedule to_schedule(const Rounds& rounds, std::int32_t ranks, const Payload& payload, const std::string& algo,
                     Discipline discipline) {
  if (!is_all_to_all(rounds, ranks))
    throw std::logic_error("synth: a candidate that is not an all-to-all of " + std::to_string(ranks) + " ranks");
  Schedule s;
  s.ranks = ranks;
  s.algo = algo;
  s.kind = kind_of(rounds);
  s.payload = payload;
  s.discipline = to_string(discipline);
  for (const auto& round : rounds) {
    Round r;
    for (auto [a, b] : round) add_block(r, a, b, payload);
    s.rounds.push_back(std::move(r));
  }
  return s;
}

}  // namespace ua2a::synth
