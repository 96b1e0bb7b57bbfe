// Mutation tests: inject one fault at a time, systematically, into generated programs and check
// the verifier catches each with the right diagnosis; and the hang classes seen in the field.
#include <gtest/gtest.h>

#include "schedule/generators.h"
#include "schedule/lower.h"
#include "tests/verify/edit.h"
#include "verify/execute.h"

using namespace ua2a;
using namespace ua2a::test;

namespace {

constexpr std::uint64_t kBytes = 4096;

ProgramSet generated(const char* algo, std::int32_t n, Discipline d, std::uint32_t chunks = 1) {
  return lower(generate(algo, n, uniform_payload(kBytes, true, chunks)), d);
}

/// Every (rank, step, position) of a send in `p`.
struct SendSite {
  Rank rank;
  At at;
  Op op;
};
std::vector<SendSite> sends(const ProgramSet& p) {
  std::vector<SendSite> out;
  for (const Program& prog : p.programs) {
    const Steps steps = steps_of(prog);
    for (std::size_t s = 0; s < steps.size(); ++s)
      for (std::size_t i = 0; i < steps[s].size(); ++i)
        if (steps[s][i].kind == OpKind::send) out.push_back({prog.rank, {s, i}, steps[s][i]});
  }
  return out;
}

/// The receive at the peer that matches send `s` (same block, part and chunk).
At matching_recv(const ProgramSet& p, const Op& s) {
  return find_op(p.programs[s.peer], [&](const Op& o) {
    return o.kind == OpKind::recv && o.block == s.block && o.part == s.part && o.chunk == s.chunk;
  });
}

ProgramSet remove_op(ProgramSet p, Rank r, At at) {
  return edit_rank(std::move(p), r, [&](Steps& steps) { steps[at.step].erase(steps[at.step].begin() + at.pos); });
}

ProgramSet duplicate_op(ProgramSet p, Rank r, At at) {
  return edit_rank(std::move(p), r, [&](Steps& steps) {
    steps[at.step].insert(steps[at.step].begin() + at.pos + 1, steps[at.step][at.pos]);
  });
}

}  // namespace

TEST(Mutation, DroppedTransferIsMissingExactlyThatPiece) {
  // Remove both ends of one transfer: everything else still matches and completes.
  const ProgramSet base = generated("round-robin", 5, Discipline::paired_full, 2);
  for (const SendSite& s : sends(base)) {
    SCOPED_TRACE(describe(s.op) + " at rank " + std::to_string(s.rank));
    ProgramSet p = remove_op(base, s.op.peer, matching_recv(base, s.op));
    p = remove_op(p, s.rank, s.at);
    const ExecutionReport r = execute(p);
    EXPECT_TRUE(r.deadlock_free());
    EXPECT_TRUE(r.matches_ok());
    EXPECT_TRUE(r.all_matched());
    ASSERT_EQ(r.delivery.missing_count, 1u);
    EXPECT_EQ(r.delivery.missing[0].block, s.op.block);
    EXPECT_EQ(r.delivery.missing[0].chunk, s.op.chunk);
    EXPECT_EQ(r.delivery.duplicated_count + r.delivery.misplaced_count, 0u);
  }
}

TEST(Mutation, DuplicatedTransferIsDeliveredTwice) {
  // Both ends posted twice, in the same steps: matched FIFO, the piece arrives twice.
  const ProgramSet base = generated("round-robin", 4, Discipline::paired_full);
  for (const SendSite& s : sends(base)) {
    SCOPED_TRACE(describe(s.op) + " at rank " + std::to_string(s.rank));
    ProgramSet p = duplicate_op(base, s.op.peer, matching_recv(base, s.op));
    p = duplicate_op(p, s.rank, s.at);
    const ExecutionReport r = execute(p);
    EXPECT_TRUE(r.deadlock_free());
    EXPECT_TRUE(r.matches_ok());
    ASSERT_EQ(r.delivery.duplicated_count, 1u);
    EXPECT_EQ(r.delivery.duplicated[0].block, s.op.block);
    EXPECT_EQ(r.delivery.duplicated[0].count, 2u);
    EXPECT_EQ(r.delivery.missing_count, 0u);
  }
}

TEST(Mutation, DroppedReceiveLeavesTheSenderWaitingForAFinishedRank) {
  // Only the receive removed: under zero-buffer the send blocks forever.
  const ProgramSet base = generated("round-robin", 4, Discipline::paired_full);
  for (const SendSite& s : sends(base)) {
    SCOPED_TRACE(describe(s.op) + " at rank " + std::to_string(s.rank));
    const ExecutionReport r = execute(remove_op(base, s.op.peer, matching_recv(base, s.op)));
    ASSERT_TRUE(r.deadlock);
    ASSERT_GE(r.unmatched_count, 1u);
    bool named = false;
    for (const OpSite& u : r.unmatched) named |= u.rank == s.rank && u.op == s.op;
    EXPECT_TRUE(named) << "the orphaned send is listed as unmatched";
    // The wait ends at a rank that finished (or in a cycle with someone blocked behind it).
    const bool explained = !r.deadlock->cycle.empty() || r.deadlock->finished_rank >= 0;
    EXPECT_TRUE(explained);
  }
}

TEST(Mutation, SwappedSendAndReceiveOnOneRankIsATwoCycle) {
  // paired-half: per round the lower rank has [send],[recv] and the higher [recv],[send]. Swapping
  // one rank's two steps of one round makes both ends of that pair receive (or send) first.
  const std::int32_t n = 6;
  const ProgramSet base = generated("round-robin", n, Discipline::paired_half);
  for (Rank r = 0; r < n; ++r) {
    const Program& prog = base.programs[r];
    // Round k is steps 2k and 2k+1 (the local copy shares step 0 with the first op).
    ASSERT_EQ(prog.step_count(), 2u * (n - 1));
    for (std::size_t s = 0; s + 1 < prog.step_count(); s += 2) {
      SCOPED_TRACE("rank " + std::to_string(r) + " steps " + std::to_string(s) + "," + std::to_string(s + 1));
      const Rank partner = prog.step(s).back().peer;
      const ProgramSet p = edit_rank(base, r, [&](Steps& steps) { std::swap(steps[s], steps[s + 1]); });
      const ExecutionReport rep = execute(p);
      ASSERT_TRUE(rep.deadlock);
      ASSERT_EQ(rep.deadlock->cycle.size(), 2u);
      EXPECT_EQ(rep.deadlock->ranks_on_cycles, 2u);
      EXPECT_EQ(rep.deadlock->cycle[0].rank, std::min(r, partner));
      EXPECT_EQ(rep.deadlock->cycle[1].rank, std::max(r, partner));
      EXPECT_EQ(rep.deadlock->cycle[0].ops[0].op.kind, rep.deadlock->cycle[1].ops[0].op.kind)
          << "both send first or both receive first";
    }
  }
}

TEST(Mutation, ChangedByteCountIsAMismatchNamingBothOps) {
  const ProgramSet base = generated("round-robin", 5, Discipline::paired_full);
  for (const SendSite& s : sends(base)) {
    SCOPED_TRACE(describe(s.op) + " at rank " + std::to_string(s.rank));
    const ProgramSet p = edit_rank(base, s.rank, [&](Steps& steps) { steps[s.at.step][s.at.pos].bytes = kBytes - 1; });
    const ExecutionReport r = execute(p);
    EXPECT_TRUE(r.deadlock_free());
    ASSERT_EQ(r.mismatch_count, 1u);
    const MismatchSite& m = r.mismatches[0];
    EXPECT_EQ(m.send.rank, s.rank);
    EXPECT_EQ(m.send.step, s.at.step);
    EXPECT_EQ(m.recv.rank, s.op.peer);
    EXPECT_EQ(m.recv.op.block, s.op.block);
    EXPECT_EQ(m.what, "bytes 4095 != 4096");
    EXPECT_TRUE(r.delivery.ok()) << "the bytes landed in the right slot";
    EXPECT_FALSE(r.delivery_ok()) << "but through a mismatched match: no delivery";
  }
}

TEST(Mutation, BlockAddressedToTheWrongPeerIsCaught) {
  // grouped posts everything at once; rank r posts its sends to r+1, r+2, ... in that order. A
  // block for r+d sent to r+d+1 instead is first on that channel: it is matched, and its data
  // lands at the wrong rank (misplaced, and a mismatch naming both ops). The last block, for
  // r+n-1, sent to r+1 comes after r+1's own block: it is the one left unmatched.
  const std::int32_t n = 5;
  const ProgramSet base = generated("grouped", n, Discipline::grouped);
  for (const SendSite& s : sends(base)) {
    const Rank d = (s.op.peer - s.rank + n) % n;
    const Rank wrong = d < n - 1 ? (s.op.peer + 1) % n : (s.rank + 1) % n;
    SCOPED_TRACE(describe(s.op) + " at rank " + std::to_string(s.rank) + " sent to " + std::to_string(wrong));
    const ProgramSet p = edit_rank(base, s.rank, [&](Steps& steps) { steps[s.at.step][s.at.pos].peer = wrong; });
    const ExecutionReport r = execute(p);
    EXPECT_FALSE(r.ok());
    ASSERT_GE(r.delivery.missing_count, 1u);
    bool missing = false;
    for (const Piece& piece : r.delivery.missing) missing |= piece.block == s.op.block;
    EXPECT_TRUE(missing) << "the block never reaches its destination";
    if (d < n - 1) {
      ASSERT_EQ(r.delivery.misplaced_count, 1u);
      EXPECT_EQ(r.delivery.misplaced[0].at, wrong);
      EXPECT_EQ(r.delivery.misplaced[0].slot, s.rank);
      EXPECT_EQ(r.delivery.misplaced[0].block, s.op.block);
      ASSERT_EQ(r.mismatch_count, 1u);
      EXPECT_EQ(r.mismatches[0].send.op.peer, wrong);
      EXPECT_EQ(r.mismatches[0].what, "block dst " + std::to_string(s.op.peer) + " != " + std::to_string(wrong));
    } else {
      Op misaddressed = s.op;
      misaddressed.peer = wrong;
      bool unmatched = false;
      for (const OpSite& u : r.unmatched) unmatched |= u.rank == s.rank && u.op == misaddressed;
      EXPECT_TRUE(unmatched);
    }
  }
}

TEST(Mutation, HangClassesFromTheField) {
  // A per-rank rotation with blocking sends (send to r+1, then receive from r-1): a cycle of N.
  for (std::int32_t n : {4, 8, 16}) {
    const ExecutionReport r = execute(generated("shift", n, Discipline::naive));
    ASSERT_TRUE(r.deadlock);
    EXPECT_EQ(r.deadlock->cycle.size(), static_cast<std::size_t>(n));
  }
  // Both ranks of a pair sending first under zero-buffer: naive round-robin, every pair a 2-cycle.
  const ExecutionReport both = execute(generated("round-robin", 2, Discipline::naive));
  ASSERT_TRUE(both.deadlock);
  EXPECT_EQ(both.deadlock->cycle.size(), 2u);
  EXPECT_EQ(both.deadlock->cycle[0].ops[0].op.kind, OpKind::send);
  EXPECT_EQ(both.deadlock->cycle[1].ops[0].op.kind, OpKind::send);
  // A 0-byte send matched with a 1,597,440-byte receive.
  const ExecutionReport mm = execute(programs({{{send(0, 1, 0)}}, {{recv(1, 0, 1597440)}}}, 1597440));
  ASSERT_EQ(mm.mismatch_count, 1u);
  EXPECT_EQ(mm.mismatches[0].what, "bytes 0 != 1597440");
}
