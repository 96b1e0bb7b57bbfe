#pragma once
/// The model's prediction of measurements: each point's flows simulated on a box as they were
/// measured (started together, `bytes` each, the point's transport and direction) and its figure
/// computed as the point's metric defines it (sim/measurements.h).
#include <string>
#include <vector>

#include "sim/measurements.h"
#include "sim/simulate.h"

namespace ua2a {

/// The point's figure (GB/s) on `topology` under `options` (transport and ce_reads are the
/// point's own). Throws std::invalid_argument when the box cannot run it (a GPU it lacks, a
/// transport with no route).
double predict_gbps(const Topology& topology, const MeasurementPoint& point, const SimOptions& options);

/// The contention model with every mechanism on: what the commands predict with.
SimOptions prediction_options();

struct PointPrediction {
  const MeasurementPoint* point = nullptr;
  double predicted_gbps = 0;
  double error = 0;  ///< predicted / measured - 1
};

std::vector<PointPrediction> predict_measurements(const Topology& topology, const Measurements& m,
                                                  const SimOptions& options = prediction_options());

/// The "ulysses-a2a/prediction" document: {"format", "version": 1, "box", "calibration", "points":
/// [{"name", "metric", "measured_gbps", "predicted_gbps", "error"}]}.
std::string prediction_json(const Topology& topology, const std::vector<PointPrediction>& points);
/// The same as a table, with the worst and the median |error|.
std::string prediction_table(const Topology& topology, const std::vector<PointPrediction>& points);

}  // namespace ua2a
