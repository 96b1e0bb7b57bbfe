// Predicting measurements on a box (prediction.h).
#include "sim/prediction.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "schedule/lower.h"
#include "sim/contention_policy.h"

namespace ua2a {

namespace {

constexpr double kGiga = 1e9;

/// The metric from the simulated transfers (every flow posted at t = 0).
double metric_gbps(const MeasurementPoint& p, const SimReport& r) {
  const auto bytes = static_cast<double>(p.bytes);
  double last_end = 0;
  for (const TransferReport& t : r.transfers) last_end = std::max(last_end, t.end_s);
  switch (p.metric) {
    case MeasureMetric::total: return bytes * static_cast<double>(r.transfers.size()) / last_end / kGiga;
    case MeasureMetric::flow_min: {
      double slowest = INFINITY;
      for (const TransferReport& t : r.transfers) slowest = std::min(slowest, bytes / t.end_s);
      return slowest / kGiga;
    }
    case MeasureMetric::rank_min: {
      std::map<Rank, std::pair<double, double>> by_sender;  // bytes sent, last end
      for (const TransferReport& t : r.transfers) {
        auto& [sent, end] = by_sender[t.src];
        sent += bytes;
        end = std::max(end, t.end_s);
      }
      double slowest = INFINITY;
      for (const auto& [rank, s] : by_sender) slowest = std::min(slowest, s.first / s.second);
      return slowest / kGiga;
    }
    case MeasureMetric::busbw: {
      std::map<Rank, double> sent;
      for (const TransferReport& t : r.transfers) sent[t.src] += bytes;
      double busiest = 0;
      for (const auto& [rank, b] : sent) busiest = std::max(busiest, b);
      return busiest / last_end / kGiga;
    }
  }
  return 0;
}

std::string percent(double error) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.1f%%", 100 * error);
  return buf;
}

}  // namespace

SimOptions prediction_options() {
  SimOptions o;
  o.model = SimModel::contention;
  o.record_util = false;
  return o;
}

double predict_gbps(const Topology& topology, const MeasurementPoint& point, const SimOptions& options) {
  std::int32_t ranks = 0;
  for (const Flow& f : point.flows) ranks = std::max({ranks, f.first + 1, f.second + 1});
  SimOptions o = options;
  o.transport = point.transport;
  o.ce_reads = point.op == MeasureOp::read;
  o.record_transfers = true;
  o.record_util = false;
  o.schedule = nullptr;
  const SimReport r = simulate(topology, lower_concurrent(ranks, point.flows, point.bytes), o);
  if (!r.ok) throw std::logic_error("prediction of '" + point.name + "': " + r.error);
  return metric_gbps(point, r);
}

std::vector<PointPrediction> predict_measurements(const Topology& topology, const Measurements& m,
                                                  const SimOptions& options) {
  check_measurements_fit(m, topology);
  std::vector<PointPrediction> out;
  for (const MeasurementPoint& p : m.points) {
    const double predicted = predict_gbps(topology, p, options);
    out.push_back({&p, predicted, predicted / p.gbps - 1});
  }
  return out;
}

std::string prediction_json(const Topology& topology, const std::vector<PointPrediction>& points) {
  nlohmann::ordered_json j;
  j["format"] = "ulysses-a2a/prediction";
  j["version"] = 1;
  j["box"] = topology.name;
  j["calibration"] = calibration_status(topology);
  j["points"] = nlohmann::ordered_json::array();
  for (const PointPrediction& p : points)
    j["points"].push_back({{"name", p.point->name},
                           {"metric", to_string(p.point->metric)},
                           {"transport", to_string(p.point->transport)},
                           {"measured_gbps", p.point->gbps},
                           {"predicted_gbps", p.predicted_gbps},
                           {"error", p.error}});
  return j.dump(1) + "\n";
}

std::string prediction_table(const Topology& topology, const std::vector<PointPrediction>& points) {
  std::ostringstream out;
  out << "box " << topology.name << ": " << calibration_status(topology) << "\n";
  out << "measured  predicted    error  metric    transport    point\n";
  std::vector<double> errors;
  for (const PointPrediction& p : points) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "%8.2f  %9.2f  %7s  %-8s  %-11s  ", p.point->gbps, p.predicted_gbps,
                  percent(p.error).c_str(), to_string(p.point->metric).c_str(), to_string(p.point->transport).c_str());
    out << buf << p.point->name << "\n";
    errors.push_back(std::abs(p.error));
  }
  std::sort(errors.begin(), errors.end());
  if (!errors.empty()) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "%zu points: median |error| %.1f %%, worst %.1f %% (GB/s; error = predicted / measured - 1)\n",
                  errors.size(), 100 * errors[errors.size() / 2], 100 * errors.back());
    out << buf;
  }
  return out.str();
}

}  // namespace ua2a
