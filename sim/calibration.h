#pragma once
/// The contention model against the public measurements it may be fitted to: the lines of
/// docs/reference/pcie-facts.md ("Contention measurements" and the 4090 facts), each
/// reproduced on a box built as the source describes it, with the traffic pattern it ran.
///
/// Four parameters are fitted, each only to the lines named in its points' `fits`:
///  - gpu_ce_alpha: all-to-all scores of copy engines (C10-C13, C15, C16);
///  - rc_sm_alpha: NCCL's all-to-all with P2P through a root complex (C1, its only line);
///  - read_window_bytes: one reading stream across the socket link (C13);
///  - nccl_channel_bytes_per_s: an NCCL P2P ring on Gen5 links (C18, its only line).
/// Fits minimise the sum of squared log errors (golden-section search, one parameter at a time,
/// the others held). Every other parameter is a specification, an input of the point (its box's
/// own single-stream figure), or an assumption stated in its point's note.
#include <functional>
#include <string>
#include <vector>

#include "sim/topology.h"

namespace ua2a {

struct CalibrationPoint {
  std::string line;     ///< pcie-facts.md line, "C10", "C1", "4090-24"
  std::string what;     ///< box and pattern, as the source gives them
  double measured = 0;  ///< the value as the source reports it
  std::string unit;     ///< "score", "GB/s", "GB/s busbw", ...
  /// The parameter this point is fitted to ("gpu_ce_alpha", "rc_sm_alpha", "read_window_bytes"),
  /// "input" (it sets a capacity of its own box, so it reproduces by construction), or empty (a
  /// prediction the fit never saw).
  std::string fits;
  std::string note;  ///< layout assumptions, where the model is known to be weak
  /// The model's value for this point under `params` (one or a few simulations).
  std::function<double(const ContentionParams& params)> model;
};

/// The points, in the order of pcie-facts.md.
const std::vector<CalibrationPoint>& calibration_points();

/// The fitted parameters, starting from the defaults; `leave_out` >= 0 skips that point.
ContentionParams fit_contention(const std::vector<CalibrationPoint>& points, int leave_out = -1);

struct CalibrationRow {
  const CalibrationPoint* point = nullptr;
  double predicted = 0;      ///< with every fitted point in the fit
  double error = 0;          ///< predicted / measured - 1
  double loo_predicted = 0;  ///< fitted without this point (only for fitted points; else = predicted)
  double loo_error = 0;
};

struct Calibration {
  ContentionParams fitted;
  std::vector<CalibrationRow> rows;
};

/// Fits, predicts every point, and repeats the fit without each fitted point (leave-one-out).
Calibration calibrate();
std::string calibration_table(const Calibration& c);
std::string calibration_json(const Calibration& c);

}  // namespace ua2a
