// The validation against LightX2V's README: the fitted GEMM efficiency is the one the planner
// uses, each error is what the prediction says, and leave-one-out refits without the line.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "plan/validation.h"

namespace ua2a::plan {
namespace {

const ValidationRow& row(const Validation& v, const std::string& id) {
  for (const ValidationRow& r : v.rows)
    if (r.line.id == id) return r;
  ADD_FAILURE() << "no line " << id;
  return v.rows.front();
}

TEST(PlanValidation, TheFittedEfficiencyIsTheDefault) {
  const Validation v = validate();
  // kGemmEfficiency is the fit rounded to two places; a change of the model that moves the fit
  // must update it (and docs/validation.md, section 4).
  EXPECT_NEAR(v.gemm_efficiency, kGemmEfficiency, 0.01);
  ASSERT_EQ(v.rows.size(), lightx2v_lines().size() + training_lines().size());
  int fitted = 0;
  for (const ValidationRow& r : v.rows) {
    if (r.line.measured()) {
      EXPECT_NEAR(r.error, r.predicted_s / r.line.measured_s - 1, 1e-12) << r.line.id;
    }
    EXPECT_NEAR(r.candidate.time_s * r.line.steps, r.predicted_s, 1e-9 * r.predicted_s) << r.line.id;
    if (!r.line.best_of) {
      EXPECT_EQ(r.candidate.layout, r.line.layout) << r.line.id;
    }
    if (r.line.ring_fit || host_fit(r.line)) continue;
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

TEST(PlanValidation, TheHostTimeIsTheFitOnXditsMeasuredLines) {
  const Validation v = validate();
  // kHostOverheadS is this fit rounded to 0.1 ms; a model change that moves it must update it.
  EXPECT_NEAR(v.host_overhead_s, kHostOverheadS, 0.05e-3);
  int fitted = 0;
  for (const ValidationRow& r : v.rows) {
    if (!host_fit(r.line)) continue;
    ++fitted;
    EXPECT_TRUE(r.line.end_to_end && r.line.measured() && !r.line.ring_fit) << r.line.id;
    EXPECT_NE(r.loo_host_overhead_s, v.host_overhead_s) << r.line.id;  // refitted without the line
  }
  // T1 3, T2 3, T3 8, T4 4, T5 3 (not its ring-fit three), T6 2.
  EXPECT_EQ(fitted, 23);
}

TEST(PlanValidation, TheHostStageIsItsTimeForEveryBlockForward) {
  // T5-1: FLUX.1-dev (19 + 38 = 57 blocks), one forward a step: 57 host times a step.
  // T4-1: Mochi-1 (48 blocks) with CFG on one GPU: 96; CFG-2: 48 a GPU.
  std::map<std::string, ValidationLine> by_id;
  for (const ValidationLine& l : training_lines()) by_id[l.id] = l;
  const RingParameters ring{kRingPassOverheadS, kAttentionHalfKeys};
  auto host_stage = [&](const std::string& id, double h) { return predict(by_id.at(id), 0.75, ring, h).stages.host; };
  EXPECT_NEAR(host_stage("T5-1", 2e-3), 57 * 2e-3, 1e-12);
  EXPECT_NEAR(host_stage("T4-1", 2e-3), 96 * 2e-3, 1e-12);
  EXPECT_NEAR(host_stage("T4-cfg2", 2e-3), 48 * 2e-3, 1e-12);
  EXPECT_EQ(host_stage("T5-1", 0), 0);
  // It adds to the step and changes nothing else.
  const Candidate with = predict(by_id.at("T5-u4"), 0.75, ring, 2e-3), without = predict(by_id.at("T5-u4"), 0.75, ring, 0);
  EXPECT_NEAR(with.time_s - without.time_s, 57 * 2e-3, 1e-12);
  EXPECT_DOUBLE_EQ(with.stages.attention, without.stages.attention);
  EXPECT_DOUBLE_EQ(with.stages.a2a_fwd, without.stages.a2a_fwd);
}

TEST(PlanValidation, XditsLinesRunFlashAttentionTwo) {
  // T1 names flash-attn 2.7.2: the H100 lines run at FlashAttention 2's rate, not 3's.
  for (const ValidationLine& l : training_lines()) {
    EXPECT_EQ(l.attention, AttentionKernel::flash) << l.id;
    EXPECT_TRUE(l.end_to_end) << l.id;
  }
  for (const ValidationLine& l : lightx2v_lines()) EXPECT_FALSE(l.end_to_end) << l.id;
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

TEST(PlanValidation, TheTrainingLinesAreTheFactsAsStated) {
  // docs/reference/gpu-facts.md, "Step times of other models" (T1-T6), seconds end to end.
  const std::map<std::string, double> stated = {
      {"T1-1", 6043.88}, {"T1-u2", 3271.44}, {"T1-u4", 2080.05}, {"T2-1", 6039.08}, {"T2-u2", 3260.62},
      {"T2-u3", 2284.74}, {"T3-h100-1", 1904.08}, {"T3-h100-2", 925.04}, {"T3-h100-4", 514.08},
      {"T3-h100-8", 337.58}, {"T3-h20-1", 6639.17}, {"T3-h20-2", 3400.55}, {"T3-h20-4", 1762.86},
      {"T3-h20-8", 940.97}, {"T4-1", 398.00}, {"T4-u2", 216.50}, {"T4-cfg2", 199.07}, {"T4-cfg2r3", 74.06},
      {"T5-1", 6.71}, {"T5-u2", 4.38}, {"T5-r2", 5.31}, {"T5-u2r2", 5.19}, {"T5-u4", 4.24}, {"T5-r4", 5.11},
      {"T6-1024-u2r2", 1.41}, {"T6-2048-best8", 3.67}};
  std::size_t measured = 0;
  for (const ValidationLine& l : training_lines()) {
    if (!l.measured()) continue;
    ++measured;
    ASSERT_TRUE(stated.count(l.id)) << l.id;
    EXPECT_DOUBLE_EQ(l.measured_s, stated.at(l.id)) << l.id;
    EXPECT_GE(l.layout.gpus(), 1);
  }
  EXPECT_EQ(measured, stated.size());
  // The layouts as the sources name them: T4's CFG-2 x ring-3 on six GPUs, T5's Ulysses-2 x ring-2.
  const Validation v = validate();
  EXPECT_EQ(row(v, "T4-cfg2r3").line.layout, (Layout{2, 1, 3}));
  EXPECT_EQ(row(v, "T5-u2r2").line.layout, (Layout{1, 2, 2}));
  EXPECT_EQ(row(v, "T5-1").line.steps, 28);
}

TEST(PlanValidation, TheOrderingsComeFromTheMeasuredTimes) {
  // T5 on 4 x H100 (the facts): Ulysses beats the ring at every GPU count; T4's CFG-2 x ring-3 is
  // the fastest Mochi line. Each pair: (faster, slower) as the measured seconds order them.
  const std::set<std::pair<std::string, std::string>> expected = {
      {"T4-cfg2r3", "T4-1"}, {"T4-cfg2r3", "T4-u2"}, {"T4-cfg2r3", "T4-cfg2"}, {"T5-u2", "T5-r2"},
      {"T5-u4", "T5-u2r2"},  {"T5-u4", "T5-r4"}};
  std::set<std::pair<std::string, std::string>> measured;
  std::size_t stated = 0;
  for (const Ordering& o : ring_orderings()) {
    if (o.stated == "measured") measured.insert({o.faster, o.slower});
    else ++stated;
  }
  EXPECT_EQ(measured, expected);
  EXPECT_EQ(stated, 4u);  // T6's four sentences
  const Validation v = validate();
  ASSERT_EQ(v.orderings.size(), expected.size() + 4);
  for (const OrderingRow& r : v.orderings) {
    EXPECT_EQ(r.right, r.faster_s < r.slower_s);
    EXPECT_DOUBLE_EQ(r.faster_s, row(v, r.ordering.faster).predicted_s);
  }
}

TEST(PlanValidation, TheRingParametersAreTheFitAndPinnedByTheRingLines) {
  const Validation v = validate();
  // The planner's defaults are this fit rounded; a model change that moves it must update them
  // (plan/plan.h) and docs/validation.md.
  EXPECT_NEAR(v.ring.pass_overhead_s, kRingPassOverheadS, 2e-6);
  EXPECT_NEAR(v.ring.half_keys, kAttentionHalfKeys, 10);
  std::vector<std::string> fitted;
  for (const ValidationRow& r : v.rows)
    if (r.line.ring_fit) {
      fitted.push_back(r.line.id);
      EXPECT_GT(r.line.layout.ring, 1) << r.line.id;
      // Left out, the line is predicted from the other two: another fit, another time.
      EXPECT_NE(r.loo_predicted_s, r.predicted_s) << r.line.id;
    }
  EXPECT_EQ(fitted, (std::vector<std::string>{"T5-r2", "T5-u2r2", "T5-r4"}));
}

TEST(PlanValidation, TheRingsPassesCostWhatTheTermsSay) {
  // T5-r4: FLUX.1-dev on 4 x H100, ring-4. With no overhead and full-rate blocks the ring stage is
  // what the passes do not hide plus the merges; each term then adds its own share.
  ValidationLine r4;
  for (const ValidationLine& l : training_lines())
    if (l.id == "T5-r4") r4 = l;
  const Candidate base = predict(r4, 0.75, {0, 0});
  const Candidate slow = predict(r4, 0.75, {1e-3, 0});
  // 57 blocks a step, 3 passes each: 171 passes of 1 ms.
  EXPECT_NEAR(slow.stages.ring - base.stages.ring, 57 * 3 * 1e-3, 1e-9);
  // S = 64 x 64 image + 512 text tokens = 4608. A block of 4608 / 4 = 1152 keys at half keys 1152
  // runs at 1/2 the rate, the whole sequence at 4608 / 5760: the attention stage grows by
  // (4608 / 5760) / (1 / 2) = 1.6.
  const Candidate small = predict(r4, 0.75, {0, 1152});
  EXPECT_NEAR(small.stages.attention / base.stages.attention, 1.6, 1e-9);
  // A layout without a ring is unchanged by both.
  ValidationLine u4 = r4;
  u4.layout = {1, 4, 1};
  EXPECT_DOUBLE_EQ(predict(u4, 0.75, {0, 0}).time_s, predict(u4, 0.75, {1e-3, 1152}).time_s);
  // The merge: 3 passes x B t (H / u) D elements x (10 + 12 / D) bytes over 3.35 TB/s, 57 blocks,
  // when the passes hide (NVLink): t = 1152 tokens, 24 heads of 128.
  const double merge = 57 * 3 * 1152.0 * 24 * 128 * (10 + 12.0 / 128) / 3350e9;
  EXPECT_LE(base.stages.ring, merge * 1.5);
  EXPECT_GE(base.stages.ring, merge * (1 - 1e-9));
}

}  // namespace
}  // namespace ua2a::plan
