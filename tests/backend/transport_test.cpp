// The threads transport executes every generator and discipline; the receivers prove delivery
// from the data itself (each word encodes source, destination and position, as nccl-tests does).
#include <gtest/gtest.h>

#include <cstring>

#include "backend/transport.h"
#include "schedule/generators.h"
#include "schedule/lower.h"
#include "schedule/payload.h"

using namespace ua2a;

namespace {

std::uint32_t word(Rank src, Rank dst, std::uint64_t index) {
  return static_cast<std::uint32_t>(src) << 26 | static_cast<std::uint32_t>(dst) << 20 | (index & 0xfffff);
}

struct Buffers {
  std::vector<std::vector<std::uint32_t>> send, recv;
  ExchangeBuffers view;
};

Buffers make_buffers(std::int32_t n, std::uint64_t stride) {
  Buffers b;
  const std::uint64_t words = stride / 4;
  b.send.assign(n, std::vector<std::uint32_t>(n * words));
  b.recv.assign(n, std::vector<std::uint32_t>(n * words, 0xdeadbeef));
  b.view.block_stride = stride;
  for (Rank s = 0; s < n; ++s) {
    for (Rank d = 0; d < n; ++d)
      for (std::uint64_t i = 0; i < words; ++i) b.send[s][d * words + i] = word(s, d, i);
    b.view.ranks.push_back({s, reinterpret_cast<std::byte*>(b.send[s].data()),
                            reinterpret_cast<std::byte*>(b.recv[s].data())});
  }
  return b;
}

/// Every slot of every receiver holds exactly the block its source owes it.
void expect_delivered(const Buffers& b, std::int32_t n, std::uint64_t block_bytes, std::uint64_t stride) {
  for (Rank r = 0; r < n; ++r)
    for (Rank src = 0; src < n; ++src)
      for (std::uint64_t i = 0; i < block_bytes / 4; ++i)
        ASSERT_EQ(b.recv[r][src * stride / 4 + i], word(src, r, i)) << "at rank " << r << " slot " << src << " word " << i;
}

}  // namespace

class ThreadsTransport : public ::testing::TestWithParam<int> {};

TEST_P(ThreadsTransport, EveryGeneratorAndDisciplineDeliversExactlyOnce) {
  const std::int32_t n = GetParam();
  auto transport = make_transport("threads", {.timeout_s = 10});
  for (const GeneratorInfo& g : generators())
    for (const DisciplineInfo& d : disciplines())
      for (std::uint32_t chunks : {1u, 3u})
        for (bool merged : {true, false}) {
          SCOPED_TRACE(std::string(g.name) + " / " + d.name + " chunks " + std::to_string(chunks) +
                       (merged ? " merged" : " unmerged"));
          const Payload payload = uniform_payload(3 * 1000, merged, chunks);  // whole words per block; pieces may split words
          Schedule schedule;
          try {
            schedule = generate(g.name, n, payload);
          } catch (const std::invalid_argument&) {
            ASSERT_EQ(std::string(g.name), "xor");  // the one generator that refuses some N
            continue;
          }
          ProgramSet programs;
          try {
            programs = lower(schedule, d.discipline);
          } catch (const std::invalid_argument&) {
            continue;  // paired-half on a schedule with several partners per round
          }
          const std::uint64_t stride = 3072;
          Buffers b = make_buffers(n, stride);
          DeliveryLedger ledger(n, payload);
          if (d.discipline == Discipline::naive && n > 1) {
            // Every rank sends first and a send waits for its receive: zero-buffer deadlock.
            try {
              transport->execute(programs, b.view, &ledger);
              FAIL() << "naive must deadlock";
            } catch (const TransportError& e) {
              EXPECT_NE(std::string(e.what()).find("deadlock"), std::string::npos) << e.what();
            }
            continue;
          }
          transport->execute(programs, b.view, &ledger);
          const LedgerReport report = ledger.report();
          EXPECT_TRUE(report.ok()) << report.summary();
          EXPECT_EQ(report.arrived, static_cast<std::uint64_t>(n) * (n - 1) * payload.pieces_per_block());
          expect_delivered(b, n, payload.block_bytes(), stride);
        }
}

INSTANTIATE_TEST_SUITE_P(Ranks, ThreadsTransport, ::testing::Values(1, 2, 3, 4, 7, 8));

TEST(ThreadsTransportErrors, MismatchedProgramsAreRefusedNotHung) {
  ProgramSet p = lower(generate("round-robin", 2, uniform_payload(64, true, 1)), Discipline::paired_full);
  p.programs[1].ops.back().bytes = 32;  // rank 1 expects fewer bytes than rank 0 sends
  Buffers b = make_buffers(2, 64);
  try {
    make_transport("threads")->execute(p, b.view, nullptr);
    FAIL();
  } catch (const TransportError& e) {
    EXPECT_NE(std::string(e.what()).find("bytes 64 != 32"), std::string::npos) << e.what();
  }
}

TEST(TransportTable, UnknownNamesAreListed) {
  try {
    make_transport("mpi");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("threads, cuda-peer, nccl"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(find_transport("threads").available);
}

TEST(RecordLanded, TheSlotComesFromWhereTheBytesWentNotFromTheOp) {
  const Payload payload = uniform_payload(3 * 64, true, 3);  // 3 chunks of 64 bytes per block
  const std::uint64_t stride = 256;
  const ProgramSet p = lower(generate("round-robin", 3, payload), Discipline::paired_full);
  Op send;
  for (const Op& op : p.programs[1].ops)
    if (op.kind == OpKind::send && op.peer == 2 && op.chunk == 1) send = op;
  ASSERT_EQ(send.block.src, 1);
  const std::uint64_t right = recv_offset(payload, stride, send);  // slot 1, chunk 1's offset
  ASSERT_EQ(right, 1 * stride + 64);
  DeliveryLedger ledger(3, payload);
  record_landed(ledger, payload, 2, right, stride, send);
  EXPECT_EQ(ledger.report().misplaced_count, 0u);
  record_landed(ledger, payload, 2, right + stride, stride, send);  // the next source's slot
  record_landed(ledger, payload, 2, right - 64, stride, send);      // right slot, chunk 0's place
  const LedgerReport r = ledger.report();
  ASSERT_EQ(r.misplaced_count, 2u) << r.summary();
  EXPECT_EQ(r.misplaced[0].slot, 2);
  EXPECT_EQ(r.misplaced[1].slot, -1);
}
