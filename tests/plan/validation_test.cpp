// The validation against LightX2V's README: the fitted GEMM efficiency is the one the planner
// uses, each error is what the prediction says, and leave-one-out refits without the line.
#include <gtest/gtest.h>

#include <cmath>

#include "plan/validation.h"

namespace ua2a::plan {
namespace {

TEST(PlanValidation, TheFittedEfficiencyIsTheDefault) {
  const Validation v = validate();
  // kGemmEfficiency is the fit rounded to two places; a change of the model that moves the fit
  // must update it (and docs/validation.md, section 4).
  EXPECT_NEAR(v.gemm_efficiency, kGemmEfficiency, 0.01);
  ASSERT_EQ(v.rows.size(), lightx2v_lines().size());
  int fitted = 0;
  for (const ValidationRow& r : v.rows) {
    EXPECT_NEAR(r.error, r.predicted_s / r.line.measured_s - 1, 1e-12) << r.line.id;
    EXPECT_NEAR(r.candidate.time_s, r.predicted_s, 1e-12) << r.line.id;
    EXPECT_EQ(r.candidate.layout, r.line.layout) << r.line.id;
    if (r.line.fitted) {
      ++fitted;
      // Fitted without it, the line is predicted by the other one alone: a different efficiency.
      EXPECT_NE(r.loo_predicted_s, r.predicted_s) << r.line.id;
    } else {
      EXPECT_EQ(r.loo_predicted_s, r.predicted_s) << r.line.id;
    }
  }
  EXPECT_EQ(fitted, 2);
}

TEST(PlanValidation, ALineIsItsStagesAtTheGivenEfficiency) {
  const ValidationLine& one = lightx2v_lines().front();  // the RTX 4090D on one GPU
  ASSERT_EQ(one.layout.gpus(), 1);
  const Candidate a = predict(one, 0.5), b = predict(one, 1.0);
  // Only the linear layers depend on the efficiency, as its inverse.
  EXPECT_NEAR(a.stages.linear, 2 * b.stages.linear, 1e-9);
  EXPECT_DOUBLE_EQ(a.stages.attention, b.stages.attention);
  EXPECT_DOUBLE_EQ(a.stages.a2a_fwd, 0);
}

TEST(PlanValidation, FpEightOnTheWireShortensOnlyTheExchanges) {
  const Validation v = validate();
  const ValidationRow* bf16 = nullptr;
  const ValidationRow* fp8 = nullptr;
  for (const ValidationRow& r : v.rows) {
    if (r.line.id == "4090d-8") bf16 = &r;
    if (r.line.id == "4090d-8-fp8") fp8 = &r;
  }
  ASSERT_TRUE(bf16 && fp8);
  EXPECT_DOUBLE_EQ(bf16->candidate.stages.attention, fp8->candidate.stages.attention);
  EXPECT_DOUBLE_EQ(bf16->candidate.stages.linear, fp8->candidate.stages.linear);
  // (D + 4) / 2D = 51.6 % of the bytes: the socket-bound exchange roughly halves.
  const double ratio = fp8->candidate.stages.a2a_fwd / bf16->candidate.stages.a2a_fwd;
  EXPECT_GT(ratio, 0.45);
  EXPECT_LT(ratio, 0.6);
}

}  // namespace
}  // namespace ua2a::plan
