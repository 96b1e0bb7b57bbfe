// Predicting measurements (sim/prediction.h) and fitting one box to its own (sim/box_calibration.h).
#include <gtest/gtest.h>

#include <cmath>

#include "sim/box_calibration.h"
#include "sim/contention_policy.h"
#include "sim/prediction.h"
#include "schedule/lower.h"

using namespace ua2a;

namespace {

/// Four GPUs on root ports of one CPU, 24 GB/s links, no latency or per-op cost: pure sharing.
Topology four_root_ports() {
  return read_dot(R"(digraph { graph [name="rp4", op_cost_us=0];
    cpu0 [kind=cpu]; mem0 [kind=memory]; cpu0 -> mem0 [kind=memory, capacity_gbps=500]; mem0 -> cpu0 [kind=memory, capacity_gbps=500];
    gpu0 [kind=gpu]; gpu1 [kind=gpu]; gpu2 [kind=gpu]; gpu3 [kind=gpu];
    gpu0 -> cpu0 [capacity_gbps=24]; cpu0 -> gpu0 [capacity_gbps=24]; gpu1 -> cpu0 [capacity_gbps=24]; cpu0 -> gpu1 [capacity_gbps=24];
    gpu2 -> cpu0 [capacity_gbps=24]; cpu0 -> gpu2 [capacity_gbps=24]; gpu3 -> cpu0 [capacity_gbps=24]; cpu0 -> gpu3 [capacity_gbps=24]; })");
}

MeasurementPoint point(std::string name, std::vector<Flow> flows, MeasureMetric metric,
                       TransportKind t = TransportKind::cuda_p2p, std::uint64_t bytes = 1'200'000'000) {
  MeasurementPoint p;
  p.name = std::move(name);
  p.transport = t;
  p.bytes = bytes;
  p.flows = std::move(flows);
  p.metric = metric;
  p.gbps = 1;
  return p;
}

}  // namespace

TEST(Prediction, EachMetricAsDefinedOnHandComputedFlows) {
  // gpu0 sends to 1, 2, 3 (its 24 GB/s out shared: 8 each, 0.15 s); gpu2 sends to 1 beside
  // 0 -> 1 (gpu1's in-link: 8 taken, 16 left: 0.075 s). total 4.8 GB / 0.15 s = 32; the slowest
  // flow 1.2 / 0.15 = 8; per sender 3.6 / 0.15 = 24 and 1.2 / 0.075 = 16: rank_min 16, and the
  // busiest sender sends 3.6 GB by 0.15 s: busbw 24.
  const Topology box = four_root_ports();
  const std::vector<Flow> flows = {{0, 1}, {0, 2}, {0, 3}, {2, 1}};
  const SimOptions o = prediction_options();
  EXPECT_NEAR(predict_gbps(box, point("t", flows, MeasureMetric::total), o), 32, 1e-6);
  EXPECT_NEAR(predict_gbps(box, point("f", flows, MeasureMetric::flow_min), o), 8, 1e-6);
  EXPECT_NEAR(predict_gbps(box, point("r", flows, MeasureMetric::rank_min), o), 16, 1e-6);
  EXPECT_NEAR(predict_gbps(box, point("b", flows, MeasureMetric::busbw), o), 24, 1e-6);
}

TEST(Prediction, BusbwIsNcclTestsOnTheAllToAll) {
  // nccl-tests' all-to-all busbw = algbw (N - 1) / N: the simulator's own busbw of the grouped run.
  const Topology box = make_preset("4090x4");
  std::vector<Flow> all;
  for (int a = 0; a < 4; ++a)
    for (int b = 0; b < 4; ++b)
      if (a != b) all.push_back({a, b});
  SimOptions o = prediction_options();
  o.transport = TransportKind::shm;
  o.record_util = false;
  const SimReport r = simulate(box, lower_concurrent(4, all, 64 << 20), o);
  EXPECT_NEAR(predict_gbps(box, point("a2a", all, MeasureMetric::busbw, TransportKind::shm, 64 << 20), o), r.busbw_gbps,
              1e-9 * r.busbw_gbps);
}

TEST(Prediction, RefusesABoxWithoutTheGpus) {
  Measurements m;
  m.origin = "m.json";
  m.points = {point("far", {{0, 5}}, MeasureMetric::total)};
  EXPECT_THROW(predict_measurements(four_root_ports(), m), MeasurementError);
}

TEST(BoxCalibration, RecoversKnownParametersFromTheirMeasurements) {
  // The truth: the 2-socket box with its socket link at half its nominal speed and copy engines
  // losing 0.6 per extra stream. Its measurements are made by the simulator; the fit starts from
  // the nominal box (socket scale 1, gpu_ce_alpha off for a 4090 box) and must find both.
  const Topology nominal = make_preset("4090x8-2s");
  Topology truth = nominal;
  for (EdgeRef e : truth.edges())
    if (truth.link(e).kind == LinkKind::socket) truth.graph[e].capacity_bytes_per_s *= 0.5;
  truth.params.contention.gpu_ce_alpha = 0.6;
  truth.params.calibration = {{"gpu_ce_alpha"}, 1};
  Measurements m;
  m.origin = "truth";
  m.points = {point("one pair across", {{0, 4}}, MeasureMetric::total),
              point("four across", {{0, 4}, {1, 5}, {2, 6}, {3, 7}}, MeasureMetric::total),
              point("gpu0 to three", {{0, 1}, {0, 2}, {0, 3}}, MeasureMetric::total),
              point("gpu0 to two", {{0, 1}, {0, 2}}, MeasureMetric::total),
              point("a pair in a socket", {{0, 1}}, MeasureMetric::total),
              // Host-staged copies cross the GPU links without a root complex's TLP charge: they
              // tell the GPU links' speed apart from the charge (which P2P alone cannot).
              point("staged fan-out", {{0, 1}, {0, 2}}, MeasureMetric::total, TransportKind::cuda_staged)};
  for (MeasurementPoint& p : m.points) p.gbps = predict_gbps(truth, p, prediction_options());
  const BoxCalibrationResult r = calibrate_box(nominal, m);
  for (const BoxCalibrationRow& row : r.rows) {
    EXPECT_NEAR(row.fitted_error, 0, 0.01) << row.point->name;
  }
  EXPECT_GT(r.uncalibrated_worst, 0.3);  // the nominal box was far off: the fit did the work
  auto value = [&](const std::string& name) {
    for (const FittedParameter& p : r.parameters)
      if (p.name == name) return p.value;
    return -1.0;
  };
  EXPECT_NEAR(value("socket_scale"), 0.5, 0.02);
  EXPECT_NEAR(value("gpu_ce_alpha"), 0.6, 0.05);
  EXPECT_LT(r.loo_worst, 0.35);
}

TEST(BoxCalibration, TheFittedBoxReadsBackCalibratedAndPredictsTheSame) {
  const Topology nominal = make_preset("4090x8-2s");
  Measurements m;
  m.origin = "m.json";
  m.points = {point("across", {{0, 4}}, MeasureMetric::total), point("within", {{0, 1}}, MeasureMetric::total),
              point("two across", {{0, 4}, {1, 5}}, MeasureMetric::total)};
  m.points[0].gbps = 7, m.points[1].gbps = 22, m.points[2].gbps = 7.5;
  const BoxCalibrationResult r = calibrate_box(nominal, m, {true, "m.json"});
  const Topology back = read_dot(write_dot(r.fitted));
  EXPECT_EQ(back.params.calibration.points, 3u);
  EXPECT_EQ(back.params.calibration.from, "m.json");
  EXPECT_NE(back.params.calibration.detail.find("socket_scale 1 -> "), std::string::npos) << back.params.calibration.detail;
  EXPECT_NE(back.params.calibration.detail.find("on across; two across"), std::string::npos) << back.params.calibration.detail;
  EXPECT_NE(calibration_status(back).find("calibrated on 3 of its own measurements"), std::string::npos);
  for (const BoxCalibrationRow& row : r.rows)
    EXPECT_NEAR(predict_gbps(back, *row.point, prediction_options()), row.fitted_gbps, 1e-6 * row.fitted_gbps);
}

TEST(BoxCalibration, APointThatAloneDecidesAParameterIsNotPredictedWithoutIt) {
  // Only "across" sees the socket link: left out, nothing pins the socket scale, and the nominal
  // 10 GB/s link comes back (8.33 GB/s of payload at Intel's 6/5): the leave-one-out error says
  // the fit does not predict that point.
  const Topology nominal = make_preset("4090x8-2s");
  Measurements m;
  m.points = {point("across", {{0, 4}}, MeasureMetric::total), point("within", {{0, 1}}, MeasureMetric::total),
              point("within both ways", {{0, 1}, {1, 0}}, MeasureMetric::total)};
  m.points[0].gbps = 5, m.points[1].gbps = 20, m.points[2].gbps = 40;  // in a socket: as specified
  const BoxCalibrationResult r = calibrate_box(nominal, m);
  EXPECT_NEAR(r.rows[0].fitted_error, 0, 0.01);
  EXPECT_NEAR(r.rows[0].loo_gbps, 10 / 1.2, 0.05);
  EXPECT_NEAR(r.rows[0].loo_gbps, r.rows[0].uncalibrated_gbps, 0.05);
}

TEST(BoxCalibration, NeedsTwoPoints) {
  Measurements m;
  m.points = {point("one", {{0, 1}}, MeasureMetric::total)};
  EXPECT_THROW(calibrate_box(make_preset("4090x4"), m), MeasurementError);
}
