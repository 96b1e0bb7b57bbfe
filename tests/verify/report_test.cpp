// The report: verdict lines and counterexamples as text, and the same facts as JSON.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "schedule/generators.h"
#include "tests/verify/edit.h"
#include "verify/report.h"

using namespace ua2a;
using namespace ua2a::test;

namespace {

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST(Report, PassingScheduleHasAYesPerProperty) {
  const VerifyReport r = verify(round_robin(8, uniform_payload(1 << 20, true, 1)), Discipline::paired_half);
  ASSERT_TRUE(r.ok());
  const std::string text = report_to_text(r);
  for (const char* line : {"rounds are matchings: yes", "coverage: yes", "block sizes: yes", "balance: yes",
                           "round count: 7 (lower bound 7: optimal)", "deadlock-free: yes", "matches consistent: yes",
                           "all operations matched: yes", "exactly-once delivery: yes", "verdict: every property holds"})
    EXPECT_TRUE(has(text, line)) << line << "\n" << text;
}

TEST(Report, DeadlockPrintsTheCycleRankByRank) {
  const VerifyReport r = verify(shift(3, uniform_payload(8, true, 1)), Discipline::naive);
  ASSERT_FALSE(r.ok());
  const std::string text = report_to_text(r);
  EXPECT_TRUE(has(text, "deadlock-free: NO: 3 rank(s) blocked")) << text;
  EXPECT_TRUE(has(text, "wait-for cycle of length 3")) << text;
  EXPECT_TRUE(has(text, "rank 0 (step 1: send(to 1, block 0->1, part 0, chunk 0, 8 B)) waits for rank 1")) << text;
  EXPECT_TRUE(has(text, "rank 2 (step 1: send(to 0, block 2->0, part 0, chunk 0, 8 B)) waits for rank 0")) << text;
  EXPECT_TRUE(has(text, "verdict: VIOLATED: deadlock-free, all operations matched, exactly-once delivery")) << text;
}

TEST(Report, ChainAndMismatchText) {
  const ProgramSet p = programs({{{send(0, 1, 0)}, {recv(0, 2)}}, {{recv(1, 0, 1597440)}}, {}}, 1597440);
  const std::string text = report_to_text(verify(p));
  EXPECT_TRUE(has(text, "no wait-for cycle; a chain of waits ends at a rank that has finished")) << text;
  EXPECT_TRUE(has(text, "rank 0 (step 1: recv(from 2, block 2->0, part 0, chunk 0, 8 B)) waits for rank 2")) << text;
  EXPECT_TRUE(has(text, "rank 2 has finished")) << text;
  EXPECT_TRUE(has(text, "rank 0 step 0: send(to 1, block 0->1, part 0, chunk 0, 0 B)")) << text;
  EXPECT_TRUE(has(text, "matched rank 1 step 0: recv(from 0, block 0->1, part 0, chunk 0, 1597440 B)")) << text;
  EXPECT_TRUE(has(text, "differ: bytes 0 != 1597440")) << text;
  EXPECT_FALSE(has(text, "rounds are matchings")) << "no schedule, no structural lines";
}

TEST(Report, JsonCarriesTheSameFacts) {
  const VerifyReport r = verify(shift(4, uniform_payload(8, true, 1)), Discipline::naive);
  const nlohmann::json j = nlohmann::json::parse(report_to_json(r));
  EXPECT_EQ(j["format"], "ulysses-a2a/verify-report");
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["ranks"], 4);
  EXPECT_EQ(j["structure"]["coverage"]["ok"], true);
  EXPECT_EQ(j["structure"]["rounds"]["count"], 3);
  EXPECT_EQ(j["execution"]["deadlock_free"], false);
  const auto& cycle = j["execution"]["deadlock"]["cycle"];
  ASSERT_EQ(cycle.size(), 4u);
  for (int k = 0; k < 4; ++k) {
    EXPECT_EQ(cycle[k]["rank"], k);
    EXPECT_EQ(cycle[k]["waits_for"], (k + 1) % 4);
    EXPECT_EQ(cycle[k]["ops"][0]["op"]["op"], "send");
    EXPECT_EQ(cycle[k]["ops"][0]["step"], 1);
  }
  EXPECT_EQ(j["execution"]["delivery"]["missing_count"], 12);
  EXPECT_TRUE(j["execution"]["eager_bytes"].is_null());

  const VerifyReport eager = verify(shift(4, uniform_payload(8, true, 1)), Discipline::naive, {.eager_bytes = 8});
  const nlohmann::json e = nlohmann::json::parse(report_to_json(eager));
  EXPECT_EQ(e["ok"], true);
  EXPECT_EQ(e["execution"]["eager_bytes"], 8);
  EXPECT_TRUE(e["execution"]["deadlock"].is_null());
  EXPECT_EQ(e["zero_buffer_deadlock_free"], false) << "naive passes only because 8-byte sends are buffered";
  EXPECT_FALSE(j.contains("zero_buffer_deadlock_free")) << "asked only with eager sends";
}

TEST(Report, SizeMismatchIsNoDelivery) {
  // Rank 0 sends 8 bytes where rank 1 expects 16: the piece lands in its slot, but the match is
  // a mismatch, so the report may not say the piece was delivered exactly once.
  const ProgramSet p = programs({{{send(0, 1, 8)}}, {{recv(1, 0, 16)}}}, 16);
  const std::string text = report_to_text(verify(p));
  EXPECT_TRUE(has(text, "matches consistent: NO: 1 mismatched match(es)")) << text;
  EXPECT_TRUE(has(text, "exactly-once delivery: NO")) << text;
  EXPECT_FALSE(has(text, "exactly-once delivery: yes")) << text;
  EXPECT_TRUE(has(text, "verdict: VIOLATED: matches consistent, exactly-once delivery")) << text;
}

TEST(Report, EagerPassSaysWhetherZeroBufferDeadlocks) {
  const Schedule s = shift(4, uniform_payload(8, true, 1));
  const std::string naive = report_to_text(verify(s, Discipline::naive, {.eager_bytes = 8}));
  EXPECT_TRUE(has(naive, "verdict: every property holds")) << naive;
  EXPECT_TRUE(has(naive, "zero-buffer (no eager sends): DEADLOCKS: this pass relies on sends of up to 8 B")) << naive;
  const std::string full = report_to_text(verify(s, Discipline::paired_full, {.eager_bytes = 8}));
  EXPECT_TRUE(has(full, "zero-buffer (no eager sends): deadlock-free too")) << full;
  EXPECT_FALSE(has(report_to_text(verify(s, Discipline::paired_full)), "zero-buffer (no eager")) << "only with --eager";
}
