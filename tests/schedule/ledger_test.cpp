// The delivery ledger: missing, duplicated and misplaced pieces.
#include <gtest/gtest.h>

#include <thread>

#include "schedule/ledger.h"
#include "schedule/payload.h"

using namespace ua2a;

namespace {

void record_all(DeliveryLedger& ledger, std::int32_t n) {
  for (Rank s = 0; s < n; ++s)
    for (Rank d = 0; d < n; ++d)
      if (s != d) ledger.record(d, s, {s, d}, 0, 0);
}

}  // namespace

TEST(Ledger, AllOnceIsOk) {
  DeliveryLedger ledger(4, uniform_payload(8, true, 1));
  record_all(ledger, 4);
  const LedgerReport r = ledger.report();
  EXPECT_TRUE(r.ok()) << r.summary();
  EXPECT_EQ(r.expected, 12u);
  EXPECT_EQ(r.arrived, 12u);
}

TEST(Ledger, ReportsMissingDuplicatedMisplaced) {
  DeliveryLedger ledger(3, uniform_payload(8, true, 1));
  ledger.record(1, 0, {0, 1}, 0, 0);
  ledger.record(1, 0, {0, 1}, 0, 0);  // duplicate
  ledger.record(2, 0, {0, 1}, 0, 0);  // block for 1 landed at 2
  ledger.record(2, 1, {0, 2}, 0, 0);  // right rank, slot for the wrong source
  ledger.record(0, 0, {0, 0}, 0, 0);  // the diagonal is never an expected arrival
  ledger.record(1, 0, {0, 1}, 5, 0);  // no part 5
  const LedgerReport r = ledger.report();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.duplicated_count, 1u);
  EXPECT_EQ(r.duplicated[0].count, 2u);
  EXPECT_EQ(r.misplaced_count, 4u);
  EXPECT_EQ(r.missing_count, 5u);  // 6 expected, only 0->1 arrived
  EXPECT_NE(r.summary().find("landed at rank 2 in the slot for 0"), std::string::npos) << r.summary();
}

TEST(Ledger, ConcurrentRecordsAreCounted) {
  constexpr std::int32_t n = 64;
  DeliveryLedger ledger(n, uniform_payload(8, true, 1));
  std::vector<std::thread> threads;
  for (Rank d = 0; d < n; ++d)
    threads.emplace_back([&, d] {
      for (Rank s = 0; s < n; ++s)
        if (s != d) ledger.record(d, s, {s, d}, 0, 0);
    });
  for (auto& t : threads) t.join();
  EXPECT_TRUE(ledger.report().ok());
}

TEST(Ledger, CountsPastOneByteStayExact) {
  // Counts are kept in a byte and spill into an overflow table: 300 and 256 arrivals must be
  // reported as such, from one thread and from several.
  for (const LedgerThreads threads : {LedgerThreads::one, LedgerThreads::many}) {
    DeliveryLedger ledger(3, uniform_payload(8, true, 1), threads);
    record_all(ledger, 3);
    for (int i = 1; i < 300; ++i) ledger.record(1, 0, {0, 1}, 0, 0);
    for (int i = 1; i < 256; ++i) ledger.record(0, 2, {2, 0}, 0, 0);
    const LedgerReport r = ledger.report();
    ASSERT_EQ(r.duplicated_count, 2u);
    EXPECT_EQ(r.duplicated[0].count, 300u);  // block 0->1 comes first in the report
    EXPECT_EQ(r.duplicated[1].count, 256u);
    EXPECT_EQ(r.arrived, 6u + 299u + 255u);
    EXPECT_EQ(r.missing_count, 0u);
  }
}

TEST(Ledger, OneThreadModeReportsTheSameProblems) {
  for (const LedgerThreads threads : {LedgerThreads::one, LedgerThreads::many}) {
    DeliveryLedger ledger(3, uniform_payload(8, false, 2), threads);
    ledger.record(1, 0, {0, 1}, 2, 1);
    ledger.record(1, 0, {0, 1}, 2, 1);  // duplicate of the last piece of block 0->1
    ledger.record(1, 0, {0, 1}, 2, 2);  // no chunk 2
    ledger.record(1, 2, {0, 1}, 0, 0);  // slot of the wrong source
    const LedgerReport r = ledger.report();
    EXPECT_EQ(r.expected, 36u);
    EXPECT_EQ(r.duplicated_count, 1u);
    EXPECT_EQ(r.misplaced_count, 2u);
    EXPECT_EQ(r.missing_count, 35u);
    EXPECT_EQ(r.arrived, 4u);
    ASSERT_EQ(r.duplicated.size(), 1u);
    EXPECT_EQ(r.duplicated[0].block, (BlockId{0, 1}));
    EXPECT_EQ(r.duplicated[0].part, 2u);
    EXPECT_EQ(r.duplicated[0].chunk, 1u);
    ASSERT_FALSE(r.missing.empty());
    EXPECT_EQ(r.missing.back().block, (BlockId{2, 1}));  // the last piece of the last row
    EXPECT_EQ(r.missing.back().part, 2u);
    EXPECT_EQ(r.missing.back().chunk, 1u);
  }
}
