#pragma once
/// The picture a user puts beside a calibration claim: the model's GB/s against the measured GB/s
/// of every point, on log-log axes, with the y = x diagonal and a +-25 % band.
///
/// It reads either of the two documents the simulator writes about measurements (the contract is
/// the file, as for viz/simulation.h; docs/render.md lists the fields):
///   - "ulysses-a2a/box-calibration" (`calibrate --measurements M --json-out FILE`): per point the
///     fitted prediction (all points in the fit), the left-out one (fitted without that point)
///     and the uncalibrated one (the box as given), each drawn with its own marker;
///   - "ulysses-a2a/prediction" (`simulate --measurements M --json`): one prediction per point.
/// The reader checks every field it uses, that the stated errors agree with the GB/s (error =
/// model / measured - 1) and that the worst errors agree with the points, and throws
/// CalibrationDocumentError naming the file and the field.
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace ua2a::viz {

/// A malformed or unsupported calibration document; the message names the file and the field.
struct CalibrationDocumentError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

enum class CalibrationDocumentKind { box_calibration, prediction };

inline constexpr const char* kBoxCalibrationFormat = "ulysses-a2a/box-calibration";
inline constexpr const char* kPredictionFormat = "ulysses-a2a/prediction";
inline constexpr int kCalibrationPictureVersion = 1;

/// Limits of one document, checked before anything is built from it.
inline constexpr std::size_t kMaxCalibrationDocumentBytes = std::size_t{16} << 20;
inline constexpr std::size_t kMaxCalibrationPoints = 4096;  ///< as many as a measurement document holds
inline constexpr std::size_t kMaxCalibrationParameters = 256;
inline constexpr std::size_t kMaxCalibrationText = 1024;  ///< characters in a name or note
/// GB/s the log axes can place: 1 kB/s to 1 PB/s; beyond is a corrupt file, not a measurement.
inline constexpr double kMinCalibrationGbps = 1e-6;
inline constexpr double kMaxCalibrationGbps = 1e6;

/// One measured point and what the model said of it (GB/s).
struct CalibratedPoint {
  std::string name;
  std::string metric;
  std::string transport;  ///< empty when the document does not say
  double measured_gbps = 0;
  double model_gbps = 0;         ///< box-calibration: fitted on every point; prediction: predicted
  double left_out_gbps = 0;      ///< box-calibration with leave-one-out: fitted without this point
  double uncalibrated_gbps = 0;  ///< box-calibration: the box as given
};

/// A fitted parameter of a box-calibration document.
struct CalibratedParameter {
  std::string name;
  double start = 0;
  double value = 0;
  std::size_t pinned_by = 0;  ///< how many points pinned it
};

struct CalibrationDocument {
  CalibrationDocumentKind kind = CalibrationDocumentKind::prediction;
  std::string box;
  std::string note;       ///< prediction: its "calibration" statement (may be empty)
  bool left_out = false;  ///< box-calibration: leave-one-out predictions are present
  std::vector<CalibratedParameter> parameters;
  std::vector<CalibratedPoint> points;
};

/// Parses and validates either document; `source` (the file's path) starts every message.
/// Throws CalibrationDocumentError.
CalibrationDocument calibration_document_from_json(const std::string& text, const std::string& source = "");

/// Largest |model / measured - 1| over the points for `model` (e.g. &CalibratedPoint::model_gbps).
double worst_error(const std::vector<CalibratedPoint>& points, double CalibratedPoint::*model);

/// The SVG picture: markers `<g class="fitted|left-out|uncalibrated|predicted" transform=
/// "translate(x,y)">` per point and kind, a number beside each point and a key of the names.
std::string calibration_svg(const CalibrationDocument& doc);

}  // namespace ua2a::viz
