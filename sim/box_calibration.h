#pragma once
/// Fitting one box to its own measurements (`calibrate --topology BOX --measurements m.json`).
///
/// The parameters: a scale on each class of link capacity (the GPUs' own links, switch uplinks,
/// the socket link, host memory), the host-staged copy's cap, and every contention parameter
/// (interleaving losses by resource and engine, the read window, NCCL's channel rate). A
/// parameter is fitted only where the data pins it: where moving it across its range moves some
/// point's prediction by more than 1 %; the others keep their specification or default (or stay
/// off), and the result names, for every fitted parameter, the points that pinned it.
///
/// The fit minimises the sum of squared log errors plus a weak pull of each parameter towards its
/// starting value (kPrior: it decides only where the data cannot), by coordinate descent (a grid,
/// then golden section, per parameter; passes until the cost stops falling). Leave-one-out refits
/// without each point and predicts it.
#include <string>
#include <vector>

#include "sim/measurements.h"
#include "sim/prediction.h"

namespace ua2a {

struct FittedParameter {
  std::string name;
  double start = 0;  ///< the box's own value (a scale: 1)
  double value = 0;  ///< fitted
  std::vector<std::string> pinned_by;  ///< the points it moves by more than 1 %
};

struct BoxCalibrationRow {
  const MeasurementPoint* point = nullptr;
  double uncalibrated_gbps = 0;  ///< the box as given
  double fitted_gbps = 0;        ///< with every point in the fit
  double loo_gbps = 0;           ///< fitted without this point
  double uncalibrated_error = 0, fitted_error = 0, loo_error = 0;
};

struct BoxCalibrationResult {
  Topology fitted;  ///< the box with its fitted parameters and a BoxCalibration record
  std::vector<FittedParameter> parameters;  ///< fitted ones only
  std::vector<std::string> unpinned;        ///< parameters no point moves: left as they were
  std::vector<BoxCalibrationRow> rows;
  double fit_worst = 0, loo_worst = 0, uncalibrated_worst = 0;
  bool leave_one_out = true;  ///< false: loo_* copy the fitted values and mean nothing
};

struct BoxFitOptions {
  bool leave_one_out = true;
  std::string from;  ///< the measurement files, recorded in the fitted box
};

/// Fits `box` to `m` (every point must fit the box: check_measurements_fit). Throws
/// MeasurementError when fewer than 2 points are given (nothing to leave out).
BoxCalibrationResult calibrate_box(const Topology& box, const Measurements& m, const BoxFitOptions& options = {});

/// A table: the fitted parameters with the points that pinned them, then every point measured,
/// uncalibrated, fitted and left out, and the worst errors.
std::string box_calibration_table(const BoxCalibrationResult& r);
/// {"format": "ulysses-a2a/box-calibration", "version": 1, "box", "parameters": [{"name", "start",
///  "value", "pinned_by"}], "unpinned", "points": [{"name", "metric", "transport", "measured_gbps",
///  "uncalibrated_gbps", "fitted_gbps", "loo_gbps", "uncalibrated_error", "fitted_error",
///  "loo_error"}], "fit_worst", "loo_worst", "uncalibrated_worst", "leave_one_out": false when skipped}
std::string box_calibration_json(const BoxCalibrationResult& r);

}  // namespace ua2a
