#include "viz/calibration_picture.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "viz/json_fields.h"
#include "viz/text.h"

namespace ua2a::viz {

namespace {

using nlohmann::json;

// ---------------------------------------------------------------- reading

// Stated errors and worsts must equal the ones the GB/s give; the writer prints 17 digits, so
// anything past rounding means the document was edited or damaged.
constexpr double kAgreement = 1e-6;

/// A JSON object and its path in the calibration document, with the document's own ranges.
class Fields : public JsonFields<CalibrationDocumentError> {
 public:
  Fields(const json& j, const std::string& source, std::string path)
      : JsonFields(j, source.empty() ? "calibration document" : source, std::move(path),
                   "docs/render.md lists the fields of a calibration document", kMaxCalibrationText) {}

  /// GB/s placed on a log axis: positive and within the picture's range.
  double gbps(const std::string& key) const { return number(key, kMinCalibrationGbps, kMaxCalibrationGbps); }
  /// A relative error or its magnitude: model / measured - 1 lies in -1 .. 1e12 for GB/s in range.
  double error(const std::string& key) const { return number(key, -1, 1e13); }
  const std::string& source() const { return document(); }
};

std::string item(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

std::string percent(double error) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.4g %%", 100 * error);
  return buf;
}

/// Refuses `stated` unless it is `model / measured - 1`.
void check_error(const Fields& f, const std::string& key, double stated, double model, double measured,
                 const std::string& model_key) {
  const double expected = model / measured - 1;
  if (std::abs(stated - expected) > kAgreement * std::max(1.0, std::abs(expected)))
    f.fail(key, "is " + percent(stated) + " but " + model_key + " / measured_gbps - 1 is " + percent(expected) +
                    ": the document was edited or damaged; write it again");
}

/// Refuses a stated worst error that is not the largest |error| of the points.
void check_worst(const Fields& f, const std::string& key, const std::vector<CalibratedPoint>& points,
                 double CalibratedPoint::*model) {
  const double stated = f.error(key), actual = worst_error(points, model);
  if (std::abs(stated - actual) > kAgreement * std::max(1.0, actual))
    f.fail(key, "is " + percent(stated) + " but the points' largest |error| is " + percent(actual) +
                    ": the document was edited or damaged; write it again");
}

CalibratedPoint read_common(const Fields& f) {
  CalibratedPoint p{.name = f.text("name"), .metric = f.text("metric"), .transport = f.optional_text("transport")};
  if (p.name.empty()) f.fail("name", "is empty: the key lists every point by name");
  p.measured_gbps = f.gbps("measured_gbps");
  return p;
}

CalibratedPoint read_prediction_point(const Fields& f) {
  CalibratedPoint p = read_common(f);
  p.model_gbps = f.gbps("predicted_gbps");
  check_error(f, "error", f.error("error"), p.model_gbps, p.measured_gbps, "predicted_gbps");
  return p;
}

/// A box-calibration point; its left-out figures are optional here (see read_box_calibration).
CalibratedPoint read_box_point(const Fields& f, std::optional<double>& left_out_error) {
  CalibratedPoint p = read_common(f);
  p.uncalibrated_gbps = f.gbps("uncalibrated_gbps");
  p.model_gbps = f.gbps("fitted_gbps");
  check_error(f, "uncalibrated_error", f.error("uncalibrated_error"), p.uncalibrated_gbps, p.measured_gbps,
              "uncalibrated_gbps");
  check_error(f, "fitted_error", f.error("fitted_error"), p.model_gbps, p.measured_gbps, "fitted_gbps");
  if (f.has("loo_gbps") || f.has("loo_error")) {
    p.left_out_gbps = f.gbps("loo_gbps");
    left_out_error = f.error("loo_error");
    check_error(f, "loo_error", *left_out_error, p.left_out_gbps, p.measured_gbps, "loo_gbps");
  }
  return p;
}

CalibratedParameter read_parameter(const Fields& f) {
  CalibratedParameter p{.name = f.text("name")};
  constexpr double kHuge = std::numeric_limits<double>::max();
  p.start = f.number("start", -kHuge, kHuge);
  p.value = f.number("value", -kHuge, kHuge);
  const json& pinned = f.array("pinned_by", kMaxCalibrationPoints);
  for (std::size_t i = 0; i < pinned.size(); ++i)
    if (!pinned[i].is_string()) f.fail(item("pinned_by", i), "must be a point's name (a string)");
  p.pinned_by = pinned.size();
  return p;
}

const json& points_array(const Fields& top) {
  const json& points = top.array("points", kMaxCalibrationPoints);
  if (points.empty()) top.fail("points", "is empty: there is nothing to draw");
  return points;
}

void read_box_calibration(const Fields& top, CalibrationDocument& doc) {
  const json& params = top.array("parameters", kMaxCalibrationParameters);
  for (std::size_t i = 0; i < params.size(); ++i)
    doc.parameters.push_back(read_parameter(Fields(params[i], top.source(), item("parameters", i))));
  const json& points = points_array(top);
  std::vector<std::optional<double>> left_out_errors(points.size());
  for (std::size_t i = 0; i < points.size(); ++i)
    doc.points.push_back(read_box_point(Fields(points[i], top.source(), item("points", i)), left_out_errors[i]));
  check_worst(top, "fit_worst", doc.points, &CalibratedPoint::model_gbps);
  check_worst(top, "uncalibrated_worst", doc.points, &CalibratedPoint::uncalibrated_gbps);
  // `calibrate --no-leave-one-out` writes loo_worst 0 and copies the fitted figures into loo_gbps:
  // then there are no left-out predictions to draw, and drawing the copies would claim some.
  const double stated_loo_worst = top.error("loo_worst");
  const bool copies = stated_loo_worst == 0 && std::any_of(left_out_errors.begin(), left_out_errors.end(),
                                                           [](const auto& e) { return e && *e != 0; });
  doc.left_out = top.has("leave_one_out") ? top.boolean("leave_one_out") : !copies;
  if (!doc.left_out) {
    for (CalibratedPoint& p : doc.points) p.left_out_gbps = 0;
    return;
  }
  for (std::size_t i = 0; i < points.size(); ++i)
    if (!left_out_errors[i])
      Fields(points[i], top.source(), item("points", i))
          .fail("loo_gbps", "missing, while the document holds leave-one-out results (loo_worst)");
  check_worst(top, "loo_worst", doc.points, &CalibratedPoint::left_out_gbps);
}

void read_prediction(const Fields& top, CalibrationDocument& doc) {
  doc.note = top.optional_text("calibration");
  const json& points = points_array(top);
  for (std::size_t i = 0; i < points.size(); ++i)
    doc.points.push_back(read_prediction_point(Fields(points[i], top.source(), item("points", i))));
}

}  // namespace

double worst_error(const std::vector<CalibratedPoint>& points, double CalibratedPoint::*model) {
  double worst = 0;
  for (const CalibratedPoint& p : points) worst = std::max(worst, std::abs(p.*model / p.measured_gbps - 1));
  return worst;
}

CalibrationDocument calibration_document_from_json(const std::string& text, const std::string& source) {
  const std::string where = source.empty() ? "calibration document" : source;
  if (text.size() > kMaxCalibrationDocumentBytes)
    throw CalibrationDocumentError(where + ": is " + std::to_string(text.size()) + " bytes; a calibration document " +
                                   "holds at most " + std::to_string(kMaxCalibrationDocumentBytes) + " bytes");
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for numbers like 1e999
    throw CalibrationDocumentError(where + ": is not JSON: " + e.what());
  }
  const Fields top(j, source, "");
  const std::string wanted = std::string("'") + kBoxCalibrationFormat +
                             "' (ulysses-a2a calibrate --measurements M --json-out FILE) or '" + kPredictionFormat +
                             "' (ulysses-a2a simulate --measurements M --json)";
  if (!top.has("format")) top.fail("format", "missing: not a calibration document; expected " + wanted);
  const std::string format = top.text("format");
  CalibrationDocument doc;
  if (format == kBoxCalibrationFormat)
    doc.kind = CalibrationDocumentKind::box_calibration;
  else if (format == kPredictionFormat)
    doc.kind = CalibrationDocumentKind::prediction;
  else
    top.fail("format", "is '" + format + "', expected " + wanted);
  if (top.integer("version", 0, std::numeric_limits<std::int32_t>::max()) != kCalibrationPictureVersion)
    top.fail("version", "is unsupported; this build reads version " + std::to_string(kCalibrationPictureVersion));
  doc.box = top.text("box");
  if (doc.kind == CalibrationDocumentKind::box_calibration)
    read_box_calibration(top, doc);
  else
    read_prediction(top, doc);
  return doc;
}

namespace {

// ---------------------------------------------------------------- drawing

// Page geometry in SVG pixels: a square plot (so y = x runs at 45 degrees) and the key beside it.
constexpr double kWidth = 1060;
constexpr double kPlotLeft = 80;
constexpr double kPlotSize = 500;
constexpr double kKeyLeft = kPlotLeft + kPlotSize + 40;
// Mean advance per font-size unit, for layout: DejaVu Sans's (the usual stand-in for Helvetica on
// Linux, and wider than it), so text fits with either.
constexpr double kCharWidth = 0.6;
constexpr std::size_t kHeaderChars = 150;  // a wrapped header line at 11 px over the page width
constexpr std::size_t kKeyChars = 60;      // a wrapped key line at 11 px over the key's width
constexpr double kMinDecades = 0.3;     // the narrowest axis range: a factor of 2
constexpr double kBand = 0.25;          // the +-25 % band of the target
// Beyond this many points labels are placed without avoiding each other: the search is quadratic
// and such a plot is read through its tooltips and key anyway.
constexpr std::size_t kMaxPlacedLabels = 400;

// Okabe & Ito colours (viz/palette.h): blue and vermillion differ under every common deficiency,
// and the shapes differ too, so the picture reads in grey.
// Fitted: a filled blue circle; left out: a hollow vermillion triangle around it (both show when
// they coincide); uncalibrated: a faint grey diamond.
constexpr const char* kLeftOutColour = "#D55E00";
constexpr const char* kBandFill = "#009E73";  // Okabe-Ito bluish green, faint

constexpr const char* kCircle = "<circle r=\"4.2\" fill=\"#0072B2\" stroke=\"white\" stroke-width=\"0.8\"/>";
constexpr const char* kTriangle =
    "<path d=\"M0,-8 L6.93,4 L-6.93,4 Z\" fill=\"none\" stroke=\"#D55E00\" stroke-width=\"1.6\"/>";
constexpr const char* kDiamond =
    "<path d=\"M0,-5.5 L5.5,0 L0,5.5 L-5.5,0 Z\" fill=\"#999999\" fill-opacity=\"0.45\" stroke=\"#777777\" "
    "stroke-opacity=\"0.6\" stroke-width=\"0.8\"/>";

/// A coordinate or tick value: 6 significant digits keep 0.01 px on pages up to 10^4 px tall.
std::string number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", x);
  return buf;
}

std::string gbps3(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", x);
  return buf;
}

std::string signed_percent(double error) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.1f %%", 100 * error);
  return buf;
}

std::string unsigned_percent(double error) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %%", 100 * error);
  return buf;
}

/// `s` cut into lines of at most `width` characters at spaces (a longer word is cut).
std::vector<std::string> wrap(const std::string& s, std::size_t width) {
  std::vector<std::string> lines;
  std::string line;
  std::istringstream words(s);
  for (std::string word; words >> word;) {
    while (word.size() > width) {
      if (!line.empty()) lines.push_back(std::move(line)), line.clear();
      lines.push_back(word.substr(0, width));
      word.erase(0, width);
    }
    if (!line.empty() && line.size() + 1 + word.size() > width) lines.push_back(std::move(line)), line.clear();
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty() || lines.empty()) lines.push_back(line);
  return lines;
}

/// Ticks on a log axis from 10^lo to 10^hi: 1-2-5 per decade, finer for a narrow range, every
/// decade or every few for a wide one.
std::vector<double> log_ticks(double lo, double hi) {
  const double span = hi - lo;
  std::vector<double> mantissas = {1};
  int decade_step = 1;
  if (span < 0.5)
    mantissas = {1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9};
  else if (span < 1.2)
    mantissas = {1, 1.5, 2, 3, 4, 5, 7};
  else if (span < 3)
    mantissas = {1, 2, 5};
  else if (span > 8)
    decade_step = static_cast<int>(std::ceil(span / 8));
  std::vector<double> ticks;
  for (int d = static_cast<int>(std::floor(lo)); d <= static_cast<int>(std::ceil(hi)); d += decade_step)
    for (double m : mantissas) {
      const double v = m * std::pow(10.0, d);
      if (std::log10(v) >= lo - 1e-9 && std::log10(v) <= hi + 1e-9) ticks.push_back(v);
    }
  return ticks;
}

struct Box {
  double x0, y0, x1, y1;
  double overlap(const Box& o) const {
    const double w = std::min(x1, o.x1) - std::max(x0, o.x0), h = std::min(y1, o.y1) - std::max(y0, o.y0);
    return w > 0 && h > 0 ? w * h : 0;
  }
};

/// One point's marker positions on the page.
struct PointMarks {
  double x = 0;
  double model_y = 0, left_out_y = 0, uncalibrated_y = 0;
};

class CalibrationWriter {
 public:
  explicit CalibrationWriter(const CalibrationDocument& doc)
      : doc_(doc), box_calibration_(doc.kind == CalibrationDocumentKind::box_calibration) {
    double lo = std::numeric_limits<double>::max(), hi = 0;
    for (const CalibratedPoint& p : doc.points)
      for (double v : values(p)) {
        if (!(v >= kMinCalibrationGbps && v <= kMaxCalibrationGbps))  // also NaN
          throw std::invalid_argument("cannot place " + std::to_string(v) + " GB/s of point '" + p.name +
                                      "' on the picture's log axes: GB/s must lie in 1e-6 .. 1e6");
        lo = std::min(lo, v), hi = std::max(hi, v);
      }
    lo_ = std::log10(lo);
    hi_ = std::log10(hi);
    if (hi_ - lo_ < kMinDecades) {
      const double mid = (lo_ + hi_) / 2;
      lo_ = mid - kMinDecades / 2;
      hi_ = mid + kMinDecades / 2;
    }
    const double pad = std::max(0.04, 0.06 * (hi_ - lo_));
    lo_ -= pad;
    hi_ += pad;
  }

  std::string write() {
    header();
    legend();
    plot_top_ = y_ + 10;
    plot();
    const double plot_bottom = plot_top_ + kPlotSize + 52;
    key();
    const double height = std::max(plot_bottom, y_) + 10;
    std::ostringstream out;
    out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth << "\" height=\"" << number(height)
        << "\" viewBox=\"0 0 " << kWidth << " " << number(height)
        << "\" font-family=\"Helvetica, Arial, sans-serif\">\n"
        << "<rect class=\"background\" x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        << "<defs><clipPath id=\"plot-area\"><rect x=\"" << kPlotLeft << "\" y=\"" << number(plot_top_)
        << "\" width=\"" << kPlotSize << "\" height=\"" << kPlotSize << "\"/></clipPath></defs>\n"
        << body_.str() << "</svg>\n";
    return out.str();
  }

 private:
  std::vector<double> values(const CalibratedPoint& p) const {
    std::vector<double> v = {p.measured_gbps, p.model_gbps};
    if (box_calibration_) v.push_back(p.uncalibrated_gbps);
    if (box_calibration_ && doc_.left_out) v.push_back(p.left_out_gbps);
    return v;
  }

  // Page coordinates of log10(GB/s) on each axis.
  double sx(double log_gbps) const { return kPlotLeft + (log_gbps - lo_) / (hi_ - lo_) * kPlotSize; }
  double sy(double log_gbps) const { return plot_top_ + kPlotSize - (log_gbps - lo_) / (hi_ - lo_) * kPlotSize; }

  void text(double tx, double ty, const std::string& s, const std::string& attrs) {
    body_ << "<text x=\"" << number(tx) << "\" y=\"" << number(ty) << "\" " << attrs << ">" << xml_escape(s)
          << "</text>\n";
  }

  std::string model_name() const { return box_calibration_ ? "fitted" : "predicted"; }

  void header() {
    const std::size_t n = doc_.points.size();
    text(10, 26, doc_.box + (box_calibration_ ? ": the fitted model against measurements" : ": predicted against measured"),
         "font-size=\"18\"");
    std::string facts = "worst |error| over " + std::to_string(n) + " point" + (n == 1 ? "" : "s") + ": ";
    if (box_calibration_) {
      facts += "fitted " + unsigned_percent(worst_error(doc_.points, &CalibratedPoint::model_gbps));
      facts += doc_.left_out ? ", left out " + unsigned_percent(worst_error(doc_.points, &CalibratedPoint::left_out_gbps))
                             : ", left out: not computed (calibrated with --no-leave-one-out)";
      facts += ", uncalibrated " + unsigned_percent(worst_error(doc_.points, &CalibratedPoint::uncalibrated_gbps));
    } else {
      std::vector<double> errors;
      for (const CalibratedPoint& p : doc_.points) errors.push_back(std::abs(p.model_gbps / p.measured_gbps - 1));
      std::sort(errors.begin(), errors.end());
      facts += unsigned_percent(errors.back()) + ", median " + unsigned_percent(errors[errors.size() / 2]);
    }
    text(10, 46, facts + " (error = model / measured - 1)", "font-size=\"13\" fill=\"#222222\"");
    y_ = 64;
    for (const std::string& line : wrap(note(), kHeaderChars)) {
      text(10, y_, line, "font-size=\"11\" fill=\"#555555\"");
      y_ += 14;
    }
  }

  /// What the document says beside the points: the fitted parameters, or the prediction's
  /// statement of how calibrated the box is.
  std::string note() const {
    if (!box_calibration_) return doc_.note;
    if (doc_.parameters.empty()) return "no parameter was pinned by these points: the fitted box is the box as given";
    std::string s = "fitted parameters (start → value, points that pinned it):";
    for (std::size_t i = 0; i < doc_.parameters.size(); ++i) {
      const CalibratedParameter& p = doc_.parameters[i];
      s += (i ? ", " : " ") + p.name + " " + gbps3(p.start) + " → " + gbps3(p.value) + " (" +
           std::to_string(p.pinned_by) + ")";
    }
    return s;
  }

  void legend_item(double& lx, const std::string& sample, const std::string& label) {
    body_ << "<g class=\"legend-sample\" transform=\"translate(" << number(lx + 8) << "," << number(y_ - 4) << ")\">"
          << sample << "</g>\n";
    text(lx + 20, y_, label, "font-size=\"12\"");
    lx += 20 + kCharWidth * 12 * static_cast<double>(label.size()) + 26;
  }

  void legend() {
    y_ += 12;
    double lx = 10;
    if (box_calibration_) {
      legend_item(lx, kCircle, "fitted on all points");
      if (doc_.left_out) legend_item(lx, kTriangle, "left out: fitted without the point");
      legend_item(lx, kDiamond, "uncalibrated: the box as given");
    } else {
      legend_item(lx, kCircle, "predicted");
    }
    legend_item(lx, "<line x1=\"-8\" y1=\"5\" x2=\"8\" y2=\"-5\" stroke=\"#444444\" stroke-width=\"1.2\"/>",
                "y = x");
    legend_item(lx,
                std::string("<rect x=\"-8\" y=\"-6\" width=\"16\" height=\"12\" fill=\"") + kBandFill +
                    "\" fill-opacity=\"0.15\" stroke=\"" + kBandFill + "\" stroke-opacity=\"0.5\"/>",
                "within ±25 %");
    y_ += 14;
  }

  void plot() {
    const double top = plot_top_, bottom = plot_top_ + kPlotSize, right = kPlotLeft + kPlotSize;
    const std::vector<double> ticks = log_ticks(lo_, hi_);
    // The band, clipped to the plot: y from 0.75 x to 1.25 x is a strip along the diagonal.
    const double below = std::log10(1 - kBand), above = std::log10(1 + kBand);
    body_ << "<polygon class=\"band\" clip-path=\"url(#plot-area)\" points=\"" << number(sx(lo_)) << ","
          << number(sy(lo_ + below)) << " " << number(sx(hi_)) << "," << number(sy(hi_ + below)) << " "
          << number(sx(hi_)) << "," << number(sy(hi_ + above)) << " " << number(sx(lo_)) << ","
          << number(sy(lo_ + above)) << "\" fill=\"" << kBandFill << "\" fill-opacity=\"0.12\" stroke=\"" << kBandFill
          << "\" stroke-opacity=\"0.45\" stroke-width=\"0.8\"/>\n";
    for (double t : ticks) {
      const double px = sx(std::log10(t)), py = sy(std::log10(t));
      body_ << "<line class=\"grid\" x1=\"" << number(px) << "\" y1=\"" << number(top) << "\" x2=\"" << number(px)
            << "\" y2=\"" << number(bottom) << "\" stroke=\"#E4E4E4\"/>\n"
            << "<line class=\"grid\" x1=\"" << kPlotLeft << "\" y1=\"" << number(py) << "\" x2=\"" << number(right)
            << "\" y2=\"" << number(py) << "\" stroke=\"#E4E4E4\"/>\n";
      text(px, bottom + 16, number(t), "font-size=\"11\" text-anchor=\"middle\"");
      text(kPlotLeft - 6, py + 4, number(t), "font-size=\"11\" text-anchor=\"end\"");
    }
    body_ << "<line class=\"diagonal\" x1=\"" << number(sx(lo_)) << "\" y1=\"" << number(sy(lo_)) << "\" x2=\""
          << number(sx(hi_)) << "\" y2=\"" << number(sy(hi_)) << "\" stroke=\"#444444\" stroke-width=\"1.2\"/>\n";
    // Band edges named along themselves near their low ends, outside the band, where points are
    // rarest (a model off by more than the band at the smallest figures).
    const double along = 0.06 * (hi_ - lo_);
    band_label(lo_ + along, lo_ + along + above, -3, "+25 %");
    band_label(lo_ - below + along, lo_ + along, 10, "-25 %");
    body_ << "<rect class=\"frame\" x=\"" << kPlotLeft << "\" y=\"" << number(top) << "\" width=\"" << kPlotSize
          << "\" height=\"" << kPlotSize << "\" fill=\"none\" stroke=\"#333333\"/>\n";
    text(kPlotLeft + kPlotSize / 2, bottom + 36, "measured (GB/s, log scale)", "font-size=\"13\" text-anchor=\"middle\"");
    const std::string y_title = box_calibration_ ? "model: fitted, left out, uncalibrated (GB/s, log scale)"
                                                 : "predicted (GB/s, log scale)";
    body_ << "<text x=\"0\" y=\"0\" font-size=\"13\" text-anchor=\"middle\" transform=\"translate(" << number(24)
          << "," << number(top + kPlotSize / 2) << ") rotate(-90)\">" << xml_escape(y_title) << "</text>\n";
    markers();
  }

  /// `label` along a band edge (which runs up-right) from (log x, log y), its baseline shifted
  /// `across` pixels towards the lower right (negative: the upper left); the glyphs rise up-left.
  void band_label(double log_x, double log_y, double across, const std::string& label) {
    const double d = across / std::sqrt(2.0);
    body_ << "<text class=\"band-label\" x=\"0\" y=\"0\" font-size=\"10\" fill=\"#00704F\" transform=\"translate("
          << number(sx(log_x) + d) << "," << number(sy(log_y) + d) << ") rotate(-45)\">" << xml_escape(label) << "</text>\n";
  }

  std::string tooltip(std::size_t i, const std::string& kind, double model) const {
    const CalibratedPoint& p = doc_.points[i];
    return std::to_string(i + 1) + ". " + p.name + " (" + p.metric + (p.transport.empty() ? "" : ", " + p.transport) +
           "): measured " + human_gbps(p.measured_gbps) + ", " + kind + " " + human_gbps(model) + " (" +
           signed_percent(model / p.measured_gbps - 1) + ")";
  }

  void marker(const char* cls, const char* shape, double mx, double my, const std::string& title) {
    body_ << "<g class=\"" << cls << "\" transform=\"translate(" << number(mx) << "," << number(my) << ")\"><title>"
          << xml_escape(title) << "</title>" << shape << "</g>\n";
  }

  void markers() {
    std::vector<PointMarks> marks;
    for (const CalibratedPoint& p : doc_.points) {
      PointMarks m{.x = sx(std::log10(p.measured_gbps)), .model_y = sy(std::log10(p.model_gbps))};
      m.left_out_y = doc_.left_out ? sy(std::log10(p.left_out_gbps)) : m.model_y;
      m.uncalibrated_y = box_calibration_ ? sy(std::log10(p.uncalibrated_gbps)) : m.model_y;
      marks.push_back(m);
    }
    // A thin stem joins each point's markers, so a column of them reads as one measurement.
    for (const PointMarks& m : marks) {
      const double y0 = std::min({m.model_y, m.left_out_y, m.uncalibrated_y});
      const double y1 = std::max({m.model_y, m.left_out_y, m.uncalibrated_y});
      if (y1 - y0 > 1)
        body_ << "<line class=\"stem\" x1=\"" << number(m.x) << "\" y1=\"" << number(y0) << "\" x2=\"" << number(m.x)
              << "\" y2=\"" << number(y1) << "\" stroke=\"#BBBBBB\"/>\n";
    }
    // Faint first, then the fitted circles, the hollow left-out triangles over them.
    for (std::size_t i = 0; i < marks.size(); ++i)
      if (box_calibration_)
        marker("uncalibrated", kDiamond, marks[i].x, marks[i].uncalibrated_y,
               tooltip(i, "uncalibrated", doc_.points[i].uncalibrated_gbps));
    for (std::size_t i = 0; i < marks.size(); ++i)
      marker(box_calibration_ ? "fitted" : "predicted", kCircle, marks[i].x, marks[i].model_y,
             tooltip(i, model_name(), doc_.points[i].model_gbps));
    for (std::size_t i = 0; i < marks.size(); ++i)
      if (doc_.left_out)
        marker("left-out", kTriangle, marks[i].x, marks[i].left_out_y,
               tooltip(i, "left out", doc_.points[i].left_out_gbps));
    labels(marks);
  }

  /// Each point's number beside its model marker, at the first of a few places that covers no
  /// other number or marker.
  void labels(const std::vector<PointMarks>& marks) {
    std::vector<Box> taken;
    for (const PointMarks& m : marks)
      for (double y : {m.model_y, m.left_out_y, m.uncalibrated_y}) taken.push_back({m.x - 6, y - 7, m.x + 6, y + 5});
    const Box plot{kPlotLeft, plot_top_, kPlotLeft + kPlotSize, plot_top_ + kPlotSize};
    struct Place {
      double dx, dy;
      const char* anchor;
    };
    static constexpr Place kPlaces[] = {{9, 4, "start"},   {-9, 4, "end"},    {7, -7, "start"}, {7, 15, "start"},
                                        {-7, -7, "end"},   {-7, 15, "end"},   {0, -11, "middle"}, {0, 19, "middle"},
                                        {17, 4, "start"},  {-17, 4, "end"}};
    const bool search = marks.size() <= kMaxPlacedLabels;
    for (std::size_t i = 0; i < marks.size(); ++i) {
      const std::string label = std::to_string(i + 1);
      const double w = kCharWidth * 10 * static_cast<double>(label.size()) + 1;
      auto box_at = [&](const Place& p) {
        const double tx = marks[i].x + p.dx, ty = marks[i].model_y + p.dy;
        const double x0 = p.anchor[0] == 's' ? tx : p.anchor[0] == 'e' ? tx - w : tx - w / 2;
        return Box{x0, ty - 8, x0 + w, ty + 1};
      };
      const Place* best = &kPlaces[0];
      double best_cost = std::numeric_limits<double>::max();
      for (const Place& p : kPlaces) {
        if (!search) break;
        const Box b = box_at(p);
        double cost = (b.x1 - b.x0) * (b.y1 - b.y0) - b.overlap(plot);  // outside the plot
        for (const Box& t : taken) cost += t.overlap(b);
        if (cost < best_cost) best = &p, best_cost = cost;
        if (cost == 0) break;
      }
      taken.push_back(box_at(*best));
      text(marks[i].x + best->dx, marks[i].model_y + best->dy, label,
           std::string("class=\"point-label\" font-size=\"10\" font-weight=\"bold\" fill=\"#222222\" text-anchor=\"") +
               best->anchor + "\"");
    }
  }

  /// An error in the key, vermillion when outside the band.
  std::string key_error(const std::string& kind, double model, double measured) const {
    const double e = model / measured - 1;
    const std::string s = kind + " " + signed_percent(e);
    if (std::abs(e) <= kBand) return xml_escape(s);
    return std::string("<tspan fill=\"") + kLeftOutColour + "\" font-weight=\"bold\">" + xml_escape(s) + "</tspan>";
  }

  void key() {
    y_ = plot_top_ + 10;
    text(kKeyLeft, y_, "points (error = model / measured - 1; bold beyond ±25 %)", "font-size=\"12\" font-weight=\"bold\"");
    y_ += 20;
    for (std::size_t i = 0; i < doc_.points.size(); ++i) {
      const CalibratedPoint& p = doc_.points[i];
      const std::vector<std::string> lines = wrap(p.name, kKeyChars);
      text(kKeyLeft, y_, std::to_string(i + 1), "class=\"key\" font-size=\"11\" font-weight=\"bold\"");
      for (const std::string& line : lines) {
        text(kKeyLeft + 24, y_, line, "font-size=\"11\"");
        y_ += 13;
      }
      text(kKeyLeft + 24, y_, "measured " + gbps3(p.measured_gbps) + " GB/s (" + p.metric +
           (p.transport.empty() ? "" : ", " + p.transport) + ")", "font-size=\"10\" fill=\"#444444\"");
      y_ += 12;
      std::string figures;
      if (box_calibration_) {
        figures += key_error("fitted", p.model_gbps, p.measured_gbps);
        if (doc_.left_out) figures += ", " + key_error("left out", p.left_out_gbps, p.measured_gbps);
        figures += ", " + key_error("uncalibrated", p.uncalibrated_gbps, p.measured_gbps);
      } else {
        figures += key_error("predicted", p.model_gbps, p.measured_gbps);
      }
      body_ << "<text x=\"" << number(kKeyLeft + 24) << "\" y=\"" << number(y_) << "\" font-size=\"10\" fill=\"#444444\">"
            << figures << "</text>\n";
      y_ += 18;
    }
  }

  const CalibrationDocument& doc_;
  const bool box_calibration_;
  double lo_ = 0, hi_ = 0;  ///< both axes, in log10(GB/s)
  double plot_top_ = 0;
  double y_ = 0;
  std::ostringstream body_;
};

}  // namespace

std::string calibration_svg(const CalibrationDocument& doc) {
  if (doc.points.empty()) throw std::invalid_argument("a calibration picture needs at least one point");
  return CalibrationWriter(doc).write();
}

}  // namespace ua2a::viz
