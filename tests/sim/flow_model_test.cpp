// The flow model: hand-written systems with the rates max-min fairness gives and why, then seeded
// random systems checked for the two properties that define max-min fairness.
#include <gtest/gtest.h>

#include <random>

#include "sim/flow_model.h"

using namespace ua2a;
using Use = FlowModel::Use;

namespace {

constexpr double kTol = 1e-9;

FlowModel::FlowId flow(FlowModel& m, std::initializer_list<FlowModel::LinkId> links, double cap = FlowModel::kUncapped) {
  std::vector<Use> uses;
  for (auto l : links) uses.push_back({l, 1.0});
  return m.add_flow(uses, cap);
}

}  // namespace

TEST(FlowModel, OneFlowOnOneLinkGetsTheLink) {
  FlowModel m;
  const auto a = m.add_link(24e9);
  const auto f = flow(m, {a});
  m.solve();
  EXPECT_NEAR(m.rate(f), 24e9, 24e9 * kTol);
  EXPECT_NEAR(m.load(a), 24e9, 24e9 * kTol);
}

TEST(FlowModel, TwoFlowsSharingALinkGetHalfEach) {
  FlowModel m;
  const auto a = m.add_link(10);
  const auto f = flow(m, {a}), g = flow(m, {a});
  m.solve();
  EXPECT_NEAR(m.rate(f), 5, kTol);
  EXPECT_NEAR(m.rate(g), 5, kTol);
  m.remove_flow(g);  // the survivor takes the whole link back
  m.solve();
  EXPECT_NEAR(m.rate(f), 10, kTol);
}

TEST(FlowModel, HeaderWorkedExample) {
  // A = 10, B = 4; f1 on A, f2 on A and B, f3 on B. B fills first at 4/2 = 2 (f2, f3); A has 8
  // left for f1.
  FlowModel m;
  const auto a = m.add_link(10), b = m.add_link(4);
  const auto f1 = flow(m, {a}), f2 = flow(m, {a, b}), f3 = flow(m, {b});
  m.solve();
  EXPECT_NEAR(m.rate(f1), 8, kTol);
  EXPECT_NEAR(m.rate(f2), 2, kTol);
  EXPECT_NEAR(m.rate(f3), 2, kTol);
}

TEST(FlowModel, CapFixesFirstAndFreesCapacity) {
  // Same system, f3 capped at 1: f3 = 1; B then fills at 4 - 1 = 3 for f2; A leaves 7 for f1.
  FlowModel m;
  const auto a = m.add_link(10), b = m.add_link(4);
  const auto f1 = flow(m, {a}), f2 = flow(m, {a, b}), f3 = flow(m, {b}, 1.0);
  m.solve();
  EXPECT_NEAR(m.rate(f3), 1, kTol);
  EXPECT_NEAR(m.rate(f2), 3, kTol);
  EXPECT_NEAR(m.rate(f1), 7, kTol);
}

TEST(FlowModel, TextbookThreeLinksUnequalDemands) {
  // Links L1 = 1, L2 = 2, L3 = 3 (a chain). f0 crosses all three; f1 uses L1; f2 uses L2; f3 and
  // f4 use L3; f2 demands at most 0.25.
  //   L1 holds f0, f1: level 1/2.  L2 holds f0, f2: f2's cap 0.25 fixes first, then L2 would fill
  //   at (2 - 0.25) / 1 = 1.75.  L3 holds f0, f3, f4: level 1.
  //   Smallest is L1 at 0.5: f0 = f1 = 0.5.  Then L2: f2 is fixed, nothing left.  L3: 3 - 0.5 = 2.5
  //   for f3, f4: 1.25 each.  Result: 0.5, 0.5, 0.25, 1.25, 1.25.
  FlowModel m;
  const auto l1 = m.add_link(1), l2 = m.add_link(2), l3 = m.add_link(3);
  const auto f0 = flow(m, {l1, l2, l3}), f1 = flow(m, {l1}), f2 = flow(m, {l2}, 0.25);
  const auto f3 = flow(m, {l3}), f4 = flow(m, {l3});
  m.solve();
  EXPECT_NEAR(m.rate(f0), 0.5, kTol);
  EXPECT_NEAR(m.rate(f1), 0.5, kTol);
  EXPECT_NEAR(m.rate(f2), 0.25, kTol);
  EXPECT_NEAR(m.rate(f3), 1.25, kTol);
  EXPECT_NEAR(m.rate(f4), 1.25, kTol);
  EXPECT_NEAR(m.load(l2), 0.75, kTol);  // L2 is not saturated: f0 is held back by L1
}

TEST(FlowModel, WeightChargesMoreBytesOnTheLink) {
  // A forwarding resource of 24 that charges 6/5 per byte: one flow gets 24 / 1.2 = 20.
  FlowModel m;
  const auto fwd = m.add_link(24);
  const Use use{fwd, 1.2};
  const auto f = m.add_flow(std::span<const Use>(&use, 1));
  m.solve();
  EXPECT_NEAR(m.rate(f), 20, kTol);
  EXPECT_NEAR(m.load(fwd), 24, kTol);
}

TEST(FlowModel, SolveTouchesOnlyTheChangedComponent) {
  FlowModel m;
  const auto a = m.add_link(10), b = m.add_link(10);
  flow(m, {a});
  const auto g = flow(m, {b});
  m.solve();
  EXPECT_EQ(m.changed_flows().size(), 2u);
  EXPECT_EQ(m.changed_links().size(), 2u);
  const auto h = flow(m, {b});  // only b's component changes: g halves, h starts
  m.solve();
  EXPECT_EQ(m.changed_flows(), (std::vector<FlowModel::FlowId>{g, h}));
  EXPECT_TRUE(m.changed_links().empty());  // b stays full
  EXPECT_NEAR(m.rate(g), 5, kTol);
}

TEST(FlowModel, IdsAreReusedAfterRemoval) {
  FlowModel m;
  const auto a = m.add_link(1);
  const auto f = flow(m, {a});
  m.remove_flow(f);
  EXPECT_EQ(flow(m, {a}), f);
  EXPECT_EQ(m.active_flows(), 1u);
  EXPECT_THROW(m.add_link(0), std::invalid_argument);
}

TEST(FlowModel, ABadUseLeavesTheModelUntouched) {
  // Uses are checked before anything is changed: a flow refused halfway would otherwise leave
  // members on its first links.
  FlowModel m;
  const auto a = m.add_link(10);
  const std::vector<Use> bad{{a, 1.0}, {7, 1.0}};
  EXPECT_THROW(m.add_flow(bad), std::invalid_argument);
  EXPECT_EQ(m.active_flows(), 0u);
  const auto f = flow(m, {a});
  m.solve();
  EXPECT_NEAR(m.rate(f), 10, kTol);
}

TEST(FlowModel, LongerRoutesWidenTheUsePoolWithoutLosingShortOnes) {
  // Flows' uses share one pool with a slot count per flow; a longer route re-lays it out.
  FlowModel m;
  std::vector<FlowModel::LinkId> l;
  for (int i = 0; i < 6; ++i) l.push_back(m.add_link(12));
  const auto f = flow(m, {l[0]}), g = flow(m, {l[0], l[1]});
  const auto h = flow(m, {l[1], l[2], l[3], l[4], l[5]});  // widens
  m.remove_flow(f);                                         // moves g's member entry on l[0]
  m.solve();
  EXPECT_NEAR(m.rate(g), 6, kTol);  // l[1] shared by g and h: 12 / 2
  EXPECT_NEAR(m.rate(h), 6, kTol);
  m.remove_flow(h);
  m.solve();
  EXPECT_NEAR(m.rate(g), 12, kTol);
}

TEST(FlowModel, RandomSystemsAreMaxMinFair) {
  // Properties that characterise max-min fairness (style.md): no link over its capacity, and
  // every flow is either at its cap or crosses a saturated link on which no flow gets more.
  std::mt19937 rng(20261128);
  for (int trial = 0; trial < 200; ++trial) {
    FlowModel m;
    const int links = 1 + static_cast<int>(rng() % 12);
    for (int l = 0; l < links; ++l) m.add_link(1.0 + rng() % 100);
    std::vector<FlowModel::FlowId> flows;
    std::vector<std::vector<Use>> paths;
    std::vector<double> caps;
    const int count = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < count; ++i) {
      std::vector<Use> uses;
      for (int l = 0; l < links; ++l)
        if (rng() % 3 == 0) uses.push_back({static_cast<FlowModel::LinkId>(l), 1.0 + (rng() % 3) * 0.1});
      if (uses.empty()) uses.push_back({static_cast<FlowModel::LinkId>(rng() % links), 1.0});
      const double cap = rng() % 4 == 0 ? 0.5 + rng() % 20 : FlowModel::kUncapped;
      flows.push_back(m.add_flow(uses, cap));
      paths.push_back(uses);
      caps.push_back(cap);
    }
    // Remove a few and solve again, so the incremental path is what gets checked.
    m.solve();
    for (int i = 0; i < count / 4; ++i) {
      const std::size_t k = rng() % flows.size();
      m.remove_flow(flows[k]);
      flows.erase(flows.begin() + k);
      paths.erase(paths.begin() + k);
      caps.erase(caps.begin() + k);
    }
    m.solve();
    std::vector<double> load(links, 0.0), top(links, 0.0);
    for (std::size_t i = 0; i < flows.size(); ++i)
      for (const Use& u : paths[i]) {
        load[u.link] += u.weight * m.rate(flows[i]);
        top[u.link] = std::max(top[u.link], m.rate(flows[i]));
      }
    for (int l = 0; l < links; ++l) {
      EXPECT_LE(load[l], m.capacity(l) * (1 + 1e-9)) << "trial " << trial << " link " << l;
      EXPECT_NEAR(m.load(l), load[l], 1e-9 * m.capacity(l));
    }
    for (std::size_t i = 0; i < flows.size(); ++i) {
      const double r = m.rate(flows[i]);
      bool bottlenecked = r >= caps[i] * (1 - 1e-9);
      for (const Use& u : paths[i])
        bottlenecked |= load[u.link] >= m.capacity(u.link) * (1 - 1e-9) && r >= top[u.link] * (1 - 1e-9);
      EXPECT_TRUE(bottlenecked) << "trial " << trial << " flow " << i << " rate " << r;
    }
  }
}
