// The schedule half of the study (schedule/study.h), shared by simulate, report, plan and bench:
// which schedules a request means, their expansion into cases, what is skipped and why.
#include "schedule/study.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "schedule/payload.h"

using namespace ua2a;

namespace {

StudySchedules small_request(std::int32_t ranks) {
  StudySchedules r;
  r.ranks = ranks;
  r.payload = [](const Combo& c, const std::string&) { return uniform_payload(1 << 16, !c.unmerged, 1); };
  return r;
}

std::vector<std::string> labels(const std::vector<StudyCase>& cases) {
  std::vector<std::string> out;
  for (const StudyCase& k : cases) out.push_back(k.combo.label());
  return out;
}

}  // namespace

TEST(StudyExpansion, ComparisonDefaultsAndLists) {
  EXPECT_EQ(comparison("", "", false).size(), study_schedules().size());  // nothing asked: the study
  const auto rr = comparison("round-robin,grouped", "", false);
  ASSERT_EQ(rr.size(), 2u);
  EXPECT_EQ(rr[0].discipline, "paired-full");  // the default discipline
  EXPECT_EQ(rr[1].discipline, "grouped");      // grouped's own
  const auto all = comparison("xor", "all", true);
  ASSERT_EQ(all.size(), 3u);  // paired-half, paired-full, grouped: naive deadlocks by design
  for (const Combo& c : all) {
    EXPECT_NE(c.discipline, "naive");
    EXPECT_TRUE(c.unmerged);
  }
  EXPECT_EQ(comparison("shift", "paired-half,grouped", false)[1].label(), "shift grouped");
}

TEST(StudyExpansion, XorIsSkippedOffPowersOfTwo) {
  EXPECT_NE(skip_reason({"xor", "paired-full"}, 6).find("power-of-two"), std::string::npos);
  EXPECT_EQ(skip_reason({"xor", "paired-full"}, 8), "");
  EXPECT_EQ(skip_reason({"round-robin", "paired-half"}, 7), "");
}

TEST(StudyExpansion, ChoosingSchedulesSaysWhetherTheyWereNamed) {
  StudySchedules r;
  choose_schedules(r, "", "", false);
  EXPECT_FALSE(r.by_name);  // the default study
  EXPECT_EQ(r.combos.size(), 6u);
  choose_schedules(r, "round-robin", "", false);
  EXPECT_TRUE(r.by_name);
  choose_schedules(r, "all", "", false);
  EXPECT_FALSE(r.by_name);
  choose_schedules(r, "round-robin", "all", false);
  EXPECT_FALSE(r.by_name);
  ASSERT_EQ(r.combos.size(), 3u);  // paired-half, paired-full, grouped
  for (const Combo& c : r.combos) EXPECT_NE(c.discipline, "naive");  // naive deadlocks by design: never in 'all'
  choose_schedules(r, "all", "all", false);
  EXPECT_EQ(r.combos.size(), 15u);  // 5 generators x 3 disciplines, no naive
  for (const Combo& c : r.combos) EXPECT_NE(c.discipline, "naive");
}

TEST(StudyExpansion, ExpandSkipsXorOffPowersOfTwoWithItsReason) {
  const StudyCases six = expand(small_request(6));
  EXPECT_EQ(labels(six.cases), (std::vector<std::string>{"round-robin paired-half", "round-robin paired-full",
                                                          "staircase paired-half (unmerged)", "grouped grouped",
                                                          "shift paired-full"}));
  ASSERT_EQ(six.skipped.size(), 1u);
  EXPECT_EQ(six.skipped[0].what, "xor / paired-full");
  EXPECT_NE(six.skipped[0].why.find("power-of-two number of ranks (got 6)"), std::string::npos) << six.skipped[0].why;
  for (const StudyCase& k : six.cases) EXPECT_EQ(k.programs.ranks, 6) << k.combo.label();
  EXPECT_EQ(six.cases[2].programs.algo, "staircase (unmerged)");
  // At 8 ranks nothing is skipped; named one by one, xor at 6 is an error, not a skip.
  EXPECT_EQ(expand(small_request(8)).cases.size(), 6u);
  StudySchedules named = small_request(6);
  choose_schedules(named, "xor", "", false);
  EXPECT_THROW(expand(named), std::invalid_argument);
}

TEST(StudyExpansion, ExpandSkipsWhatADisciplineCannotLowerAndRefusesUnknownNames) {
  StudySchedules r = small_request(4);
  choose_schedules(r, "grouped,round-robin", "paired-half", false);
  EXPECT_TRUE(r.by_name);
  EXPECT_THROW(expand(r), std::invalid_argument);  // grouped has every peer in its one round
  choose_schedules(r, "grouped,round-robin", "all", false);
  const StudyCases all = expand(r);
  ASSERT_EQ(all.skipped.size(), 1u);
  EXPECT_EQ(all.skipped[0].what, "grouped / paired-half");
  EXPECT_EQ(all.cases.size(), 5u);  // 2 x 3 disciplines, less grouped paired-half
  choose_schedules(r, "all", "all", false);
  r.combos.push_back({"round-robbin", "paired-full"});
  EXPECT_THROW(expand(r), std::invalid_argument);  // a misspelt name is an error even in a comparison
}

TEST(StudyExpansion, OnRealTransportsNaiveIsSkippedOrRefusedByName) {
  // The verifier and the simulator take naive (they report its deadlock); real transports would hang.
  StudySchedules r = small_request(4);
  r.combos = {{"shift", "naive"}, {"shift", "paired-full"}};
  EXPECT_EQ(expand(r).cases.size(), 2u);
  r.real_transports = true;
  const StudyCases real = expand(r);
  ASSERT_EQ(real.cases.size(), 1u);
  EXPECT_EQ(real.cases[0].combo.discipline, "paired-full");
  ASSERT_EQ(real.skipped.size(), 1u);
  EXPECT_EQ(real.skipped[0].what, "shift / naive");
  EXPECT_NE(real.skipped[0].why.find("deadlocks by design"), std::string::npos) << real.skipped[0].why;
  r.by_name = true;
  EXPECT_THROW(expand(r), std::invalid_argument);
}
