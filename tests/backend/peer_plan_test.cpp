// The cuda-peer transport's stream plan, executed by a CPU model of CUDA streams and events in
// random interleavings: it must never stall, must deliver every word to its slot, must keep each
// rank's steps in order (zero-buffer rendezvous), and must finish every read of a rank's send
// buffer before that rank's stream ends (the layer then reuses the buffer).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <random>
#include <set>
#include <tuple>

#include "backend/peer_plan.h"
#include "backend/transport.h"
#include "schedule/generators.h"
#include "schedule/lower.h"
#include "schedule/payload.h"

using namespace ua2a;

namespace {

using Kind = StreamCommand::Kind;

/// Runs `plan` with one FIFO per stream (a rank's own stream and each of its lanes), picking a
/// runnable stream at random each time. Returns the logical time each command finished at (0 =
/// never ran).
/// Each copy of a piece is recorded in `ledger` after it ran, where it landed, the way cuda_peer.cu
/// records it from a host function (record_landed with the command's destination offset).
std::vector<std::uint64_t> simulate(const StreamPlan& plan, std::int32_t ranks, std::uint32_t seed,
                                    const std::vector<std::vector<std::byte>>& send,
                                    std::vector<std::vector<std::byte>>& recv, DeliveryLedger* ledger = nullptr,
                                    const Payload* payload = nullptr, std::uint64_t stride = 0) {
  // Stream (rank r, lane l) is index r * (ranks + 1) + l + 1: lane -1 is the rank's own stream.
  const std::size_t per_rank = static_cast<std::size_t>(ranks) + 1;
  std::vector<std::deque<std::size_t>> streams(ranks * per_rank);
  for (std::size_t i = 0; i < plan.commands.size(); ++i) {
    const StreamCommand& c = plan.commands[i];
    streams[c.stream * per_rank + static_cast<std::size_t>(c.lane + 1)].push_back(i);
  }
  std::vector<bool> recorded(plan.events, false);
  std::vector<std::uint64_t> time(plan.commands.size(), 0);
  std::mt19937 rng(seed);
  std::uint64_t clock = 0;
  for (;;) {
    std::vector<std::size_t> runnable;
    for (std::size_t r = 0; r < streams.size(); ++r) {
      if (streams[r].empty()) continue;
      const StreamCommand& c = plan.commands[streams[r].front()];
      if (c.kind != Kind::wait || recorded[c.event]) runnable.push_back(r);
    }
    if (runnable.empty()) break;
    const std::size_t r = runnable[rng() % runnable.size()];
    const std::size_t i = streams[r].front();
    streams[r].pop_front();
    const StreamCommand& c = plan.commands[i];
    if (c.kind == Kind::record) recorded[c.event] = true;
    if (c.kind == Kind::copy) {
      std::memcpy(recv[c.to].data() + c.dst_offset, send[c.from].data() + c.src_offset, c.bytes);
      if (ledger && c.send.kind == OpKind::send) record_landed(*ledger, *payload, c.to, c.dst_offset, stride, c.send);
    }
    time[i] = ++clock;
  }
  return time;
}

void check_plan(const ProgramSet& programs, std::uint32_t seed, const PeerPlanOptions& options = {}) {
  const std::int32_t n = programs.ranks;
  const std::uint64_t block = programs.payload.block_bytes(), stride = (block + 255) / 256 * 256;
  const StreamPlan plan = plan_peer_copies(programs, stride, options);
  for (const StreamCommand& c : plan.commands)
    if (c.kind == Kind::copy && c.from != c.to) {
      ASSERT_EQ(c.stream, options.sender_issues ? c.from : c.to) << "the copy runs on the wrong rank's stream";
      ASSERT_EQ(c.lane, options.lane_per_peer ? (options.sender_issues ? c.to : c.from) : -1);
    }

  // Enqueue order: every wait names an event recorded earlier (cudaStreamWaitEvent semantics).
  std::vector<bool> seen(plan.events, false);
  for (const StreamCommand& c : plan.commands) {
    if (c.kind == Kind::record) seen[c.event] = true;
    if (c.kind == Kind::wait) {
      ASSERT_TRUE(seen[c.event]) << "wait before its record";
    }
  }

  std::vector<std::vector<std::byte>> send(n, std::vector<std::byte>(n * stride)), recv = send;
  for (Rank s = 0; s < n; ++s)
    for (std::uint64_t i = 0; i < n * stride; ++i) send[s][i] = static_cast<std::byte>((s * 131 + i * 7 + i / stride) & 0xff);
  DeliveryLedger ledger(n, programs.payload);
  const std::vector<std::uint64_t> time = simulate(plan, n, seed, send, recv, &ledger, &programs.payload, stride);
  ASSERT_TRUE(std::none_of(time.begin(), time.end(), [](std::uint64_t t) { return t == 0; })) << "a stream stalled";
  const LedgerReport report = ledger.report();
  EXPECT_TRUE(report.ok()) << report.summary();
  EXPECT_EQ(report.arrived, static_cast<std::uint64_t>(n) * (n - 1) * programs.payload.pieces_per_block());

  // Every slot holds its source's block for this rank.
  for (Rank r = 0; r < n; ++r)
    for (Rank s = 0; s < n; ++s)
      ASSERT_EQ(std::memcmp(recv[r].data() + s * stride, send[s].data() + r * stride, block), 0)
          << "slot " << s << " at rank " << r;

  // Step order per rank, counting the copies it sends and receives, whichever stream ran them.
  std::map<std::pair<Rank, std::uint32_t>, std::pair<std::uint64_t, std::uint64_t>> span;  // (rank, step) -> [min, max]
  auto note = [&](Rank r, std::uint32_t step, std::uint64_t t) {
    auto [it, fresh] = span.try_emplace({r, step}, t, t);
    it->second.first = std::min(it->second.first, t), it->second.second = std::max(it->second.second, t);
  };
  std::vector<std::uint64_t> stream_end(n, 0);  // of each rank's own stream (what later work follows)
  for (std::size_t i = 0; i < plan.commands.size(); ++i) {
    const StreamCommand& c = plan.commands[i];
    if (c.lane < 0) stream_end[c.stream] = std::max(stream_end[c.stream], time[i]);
    if (c.kind != Kind::copy) continue;
    note(c.to, c.to_step, time[i]);
    if (c.from != c.to) note(c.from, c.from_step, time[i]);
  }
  for (auto it = span.begin(); it != span.end(); ++it) {
    const auto next = std::next(it);
    if (next != span.end() && next->first.first == it->first.first) {
      EXPECT_LT(it->second.second, next->second.first) << "rank " << it->first.first << " step " << it->first.second
                                                        << " overlaps step " << next->first.second;
    }
  }
  // Every read of a rank's send buffer and every write into its receive buffer finished before
  // that rank's own stream did.
  for (std::size_t i = 0; i < plan.commands.size(); ++i) {
    const StreamCommand& c = plan.commands[i];
    if (c.kind != Kind::copy) continue;
    if (c.from == c.to) {
      EXPECT_LE(time[i], stream_end[c.from]);  // the diagonal copy runs on the rank's own stream
    } else {
      EXPECT_LT(time[i], stream_end[c.from]);
      EXPECT_LT(time[i], stream_end[c.to]);
    }
  }
}

}  // namespace

class PeerPlan : public ::testing::TestWithParam<int> {};

TEST_P(PeerPlan, EveryScheduleRunsInOrderInRandomInterleavings) {
  const std::int32_t n = GetParam();
  for (const GeneratorInfo& g : generators())
    for (const DisciplineInfo& d : disciplines())
      for (std::uint32_t chunks : {1u, 3u}) {
        if (d.discipline == Discipline::naive) continue;
        ProgramSet p;
        try {
          p = lower(generate(g.name, n, uniform_payload(1000, chunks == 1, chunks)), d.discipline);
        } catch (const std::invalid_argument&) {
          continue;  // xor for non-power-of-two N; paired-half with several partners per round
        }
        for (std::uint32_t seed = 1; seed <= 4; ++seed) {
          SCOPED_TRACE(std::string(g.name) + " / " + d.name + " chunks " + std::to_string(chunks) + " seed " +
                       std::to_string(seed));
          check_plan(p, seed);
        }
      }
}

INSTANTIATE_TEST_SUITE_P(Ranks, PeerPlan, ::testing::Values(1, 2, 3, 4, 7, 8));

// The same checks with the senders issuing the copies (writes) and with a stream per peer.
class PeerPlanIssuers : public ::testing::TestWithParam<std::tuple<bool, bool>> {};

TEST_P(PeerPlanIssuers, EveryScheduleRunsInOrderInRandomInterleavings) {
  const auto [sender_issues, lanes] = GetParam();
  const PeerPlanOptions options{sender_issues, lanes};
  for (std::int32_t n : {2, 3, 4, 8})
    for (const GeneratorInfo& g : generators())
      for (const DisciplineInfo& d : disciplines()) {
        if (d.discipline == Discipline::naive) continue;
        ProgramSet p;
        try {
          p = lower(generate(g.name, n, uniform_payload(1000, false, 2)), d.discipline);
        } catch (const std::invalid_argument&) {
          continue;
        }
        for (std::uint32_t seed = 1; seed <= 3; ++seed) {
          SCOPED_TRACE(std::string(g.name) + " / " + d.name + " N " + std::to_string(n) + " seed " + std::to_string(seed));
          check_plan(p, seed, options);
        }
      }
}

INSTANTIATE_TEST_SUITE_P(Options, PeerPlanIssuers,
                         ::testing::Combine(::testing::Bool(), ::testing::Bool()));

TEST(PeerPlan, WithLanesAGroupedRanksCopiesOfOneStepWaitOnNoOtherCopy) {
  // A grouped all-to-all of 4 ranks, copies issued by the senders on a lane per peer: rank 0's
  // three copies must each wait only for step-start ("ready") events, never for another copy's
  // "done" event, so they run at once; on one stream per rank they would run one after another.
  const ProgramSet p = lower_concurrent(4, {{0, 1}, {0, 2}, {0, 3}, {1, 0}, {2, 0}, {3, 0}}, 64);
  const StreamPlan plan = plan_peer_copies(p, 256, {true, true});
  std::vector<bool> done_event(plan.events, false);
  for (std::size_t i = 0; i + 1 < plan.commands.size(); ++i)
    if (plan.commands[i].kind == Kind::copy) done_event[plan.commands[i + 1].event] = true;
  std::set<std::int32_t> lanes;
  for (std::size_t i = 0; i < plan.commands.size(); ++i) {
    const StreamCommand& c = plan.commands[i];
    if (c.stream != 0 || c.lane < 0) continue;
    lanes.insert(c.lane);
    if (c.kind == Kind::wait) {
      EXPECT_FALSE(done_event[c.event]) << "command " << i << " on lane " << c.lane << " waits on a copy";
    }
  }
  EXPECT_EQ(lanes, (std::set<std::int32_t>{1, 2, 3}));
}

TEST(PeerPlanErrors, DeadlockingProgramsAreRefusedBeforeAnythingIsPlanned) {
  const ProgramSet p = lower(generate("round-robin", 4, uniform_payload(64, true, 1)), Discipline::naive);
  EXPECT_THROW(plan_peer_copies(p, 256), TransportError);
}

TEST(PeerPlan, PairedFullKeepsBothDirectionsOfAStepConcurrent) {
  // Ranks 0 and 1 exchange in one step: neither copy may wait for the other's "done" event (the
  // event recorded right after a copy), only for the ready events of the step start.
  const ProgramSet p = lower(generate("round-robin", 2, uniform_payload(64, true, 1)), Discipline::paired_full);
  const StreamPlan plan = plan_peer_copies(p, 256);
  std::vector<bool> done_event(plan.events, false);
  std::size_t last_exchange_copy = 0;
  for (std::size_t i = 0; i + 1 < plan.commands.size(); ++i) {
    const StreamCommand& c = plan.commands[i];
    if (c.kind != Kind::copy || c.from == c.stream) continue;
    last_exchange_copy = i;
    ASSERT_EQ(plan.commands[i + 1].kind, Kind::record);
    done_event[plan.commands[i + 1].event] = true;
  }
  ASSERT_GT(last_exchange_copy, 0u);
  for (std::size_t i = 0; i < last_exchange_copy; ++i)
    if (plan.commands[i].kind == Kind::wait) {
      EXPECT_FALSE(done_event[plan.commands[i].event]) << "command " << i;
    }
}

TEST(PeerPlan, ACopyToTheWrongSlotIsMisplacedInTheLedger) {
  // Plant a routing bug in the plan itself: two copies into rank 0 trade destinations. The ledger
  // is filled the way cuda-peer fills it (from where each copy wrote), so it must see both.
  const std::int32_t n = 4;
  const ProgramSet p = lower(generate("round-robin", n, uniform_payload(64, true, 1)), Discipline::paired_full);
  const std::uint64_t stride = 256;
  StreamPlan plan = plan_peer_copies(p, stride);
  std::vector<StreamCommand*> into0;
  for (StreamCommand& c : plan.commands)
    if (c.kind == Kind::copy && c.stream == 0 && c.from != 0) into0.push_back(&c);
  ASSERT_GE(into0.size(), 2u);
  std::swap(into0[0]->dst_offset, into0[1]->dst_offset);
  std::vector<std::vector<std::byte>> send(n, std::vector<std::byte>(n * stride)), recv = send;
  DeliveryLedger ledger(n, p.payload);
  simulate(plan, n, 1, send, recv, &ledger, &p.payload, stride);
  const LedgerReport report = ledger.report();
  EXPECT_EQ(report.misplaced_count, 2u) << report.summary();
  EXPECT_EQ(report.missing_count, 2u) << report.summary();  // neither arrived in its own slot
}
