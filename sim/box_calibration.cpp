// Fitting one box to its own measurements (box_calibration.h).
#include "sim/box_calibration.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sim/contention_policy.h"

namespace ua2a {

namespace {

/// The weak pull towards the starting value, per parameter, in the cost's units (squared log
/// errors): 1e-3 is a 3 % error on one point, so the data decides wherever it can.
constexpr double kPrior = 1e-3;
/// A parameter is pinned by a point it moves by more than this (relative).
constexpr double kPinned = 0.01;
constexpr int kGrid = 16;
constexpr int kGolden = 16;
constexpr int kMaxPasses = 30;
/// Left out, a point changes the cost of the parameters it pins only: those are refitted, from the
/// full fit, in a few passes.
constexpr int kLeaveOutPasses = 3;

/// One fittable parameter. Its search runs over u in [lo, hi] with value = to_value(u):
/// log scales for capacities and windows, a square for losses (fine steps near 0).
struct Knob {
  std::string name;
  double lo = 0, hi = 0;
  bool log_scale = false;
  bool may_be_off = false;  ///< 0 (the mechanism off) is a candidate besides the range
  std::function<void(Topology&, const Topology& base, double)> set;
  double start = 0;
  double to_value(double u) const { return log_scale ? std::exp(u) : u * u; }
  double to_u(double v) const { return log_scale ? std::log(v) : std::sqrt(v); }
};

bool touches(const Topology& t, EdgeRef e, NodeKind k) {
  return t.node(boost::source(e, t.graph)).kind == k || t.node(boost::target(e, t.graph)).kind == k;
}

/// A scale on the capacity of every edge that `member_of` picks; none when the box has no such edge.
void add_link_scale(std::vector<Knob>& knobs, const Topology& box, const std::string& name,
                    std::function<bool(const Topology&, EdgeRef)> member_of) {
  bool any = false;
  for (EdgeRef e : box.edges()) any = any || member_of(box, e);
  if (!any) return;
  Knob k{name, std::log(0.02), std::log(10.0), true, false, nullptr, 1.0};
  k.set = [member_of](Topology& t, const Topology& base, double v) {
    for (std::size_t i = 0; i < t.edges().size(); ++i)
      if (member_of(base, base.edges()[i]))
        t.graph[t.edges()[i]].capacity_bytes_per_s = base.link(base.edges()[i]).capacity_bytes_per_s * v;
  };
  knobs.push_back(std::move(k));
}

std::vector<Knob> knobs_of(const Topology& box) {
  std::vector<Knob> knobs;
  add_link_scale(knobs, box, "gpu_link_scale", [](const Topology& t, EdgeRef e) {
    return t.link(e).kind == LinkKind::pcie && touches(t, e, NodeKind::gpu);
  });
  add_link_scale(knobs, box, "uplink_scale", [](const Topology& t, EdgeRef e) {
    return t.link(e).kind == LinkKind::pcie && touches(t, e, NodeKind::pcie_switch) && touches(t, e, NodeKind::cpu);
  });
  add_link_scale(knobs, box, "socket_scale", [](const Topology& t, EdgeRef e) { return t.link(e).kind == LinkKind::socket; });
  add_link_scale(knobs, box, "memory_scale", [](const Topology& t, EdgeRef e) { return t.link(e).kind == LinkKind::memory; });
  {
    // A root complex's cost of forwarding peer traffic (bytes charged per byte: Intel's 6/5 TLPs;
    // slower root complexes more), the same for every CPU of the box.
    double overhead = 0;
    for (std::size_t v = 0; v < box.node_count(); ++v)
      if (box.node(v).kind == NodeKind::cpu) overhead = std::max(overhead, box.node(v).p2p_overhead);
    if (overhead > 0) {
      Knob k{"p2p_overhead", std::log(1.0), std::log(20.0), true, false, nullptr, overhead};
      k.set = [](Topology& t, const Topology&, double v) {
        for (std::size_t n = 0; n < t.node_count(); ++n)
          if (t.graph[n].kind == NodeKind::cpu) t.graph[n].p2p_overhead = v;
      };
      knobs.push_back(std::move(k));
    }
  }
  {
    Knob k{"shm_flow_cap_gbps", std::log(0.5), std::log(200.0), true, true, nullptr, box.params.shm_flow_cap_bytes_per_s / 1e9};
    k.set = [](Topology& t, const Topology&, double v) { t.params.shm_flow_cap_bytes_per_s = v * 1e9; };
    knobs.push_back(std::move(k));
  }
  const ContentionParams effective = effective_contention(box);
  for (const ContentionAttribute& a : contention_attributes()) {
    const std::string name = a.name;
    if (name == "nccl_fifo_bytes" || name == "nccl_channels") continue;  // NCCL's own constants
    Knob k{name, 0, std::sqrt(20.0), false, false, nullptr, effective.*a.member / a.scale};
    if (name == "read_window_bytes") k.lo = std::log(1e3), k.hi = std::log(1e8), k.log_scale = k.may_be_off = true;
    if (name == "nccl_channel_gbps") k.lo = std::log(1.0), k.hi = std::log(1e3), k.log_scale = k.may_be_off = true;
    const auto member = a.member;
    const double scale = a.scale;
    k.set = [member, scale](Topology& t, const Topology&, double v) { t.params.contention.*member = v * scale; };
    knobs.push_back(std::move(k));
  }
  return knobs;
}

class Fit {
 public:
  Fit(const Topology& box, const Measurements& m) : m_(m), knobs_(knobs_of(box)) {
    // While fitting, every contention parameter applies as set: the knobs decide what is off.
    base_ = box;
    base_.params.calibration = {};
    for (const ContentionAttribute& a : contention_attributes()) base_.params.calibration.parameters.push_back(a.name);
    base_.params.calibration.points = 1;
    for (const Knob& k : knobs_) start_.push_back(k.start);
  }

  const std::vector<Knob>& knobs() const { return knobs_; }
  const std::vector<double>& start() const { return start_; }

  Topology apply(const std::vector<double>& values) const {
    Topology t = base_;
    for (std::size_t i = 0; i < knobs_.size(); ++i) knobs_[i].set(t, base_, values[i]);
    return t;
  }

  std::vector<double> predict(const std::vector<double>& values) const {
    const Topology t = apply(values);
    std::vector<double> out;
    const SimOptions o = prediction_options();
    for (const MeasurementPoint& p : m_.points) out.push_back(predict_gbps(t, p, o));
    return out;
  }

  /// Indices of the knobs some point pins, each with those points.
  std::vector<std::pair<std::size_t, std::vector<std::string>>> pinned() const {
    const std::vector<double> at_start = predict(start_);
    std::vector<std::pair<std::size_t, std::vector<std::string>>> out;
    for (std::size_t i = 0; i < knobs_.size(); ++i) {
      const Knob& k = knobs_[i];
      std::vector<double> probes = {k.to_value(k.lo), k.to_value((k.lo + k.hi) / 2), k.to_value(k.hi)};
      if (k.may_be_off) probes.push_back(0);
      std::vector<bool> moved(m_.points.size(), false);
      for (double v : probes) {
        std::vector<double> values = start_;
        values[i] = v;
        const std::vector<double> p = predict(values);
        for (std::size_t j = 0; j < p.size(); ++j) moved[j] = moved[j] || std::abs(std::log(p[j] / at_start[j])) > kPinned;
      }
      std::vector<std::string> names;
      for (std::size_t j = 0; j < moved.size(); ++j)
        if (moved[j]) names.push_back(m_.points[j].name);
      if (!names.empty()) out.push_back({i, names});
    }
    return out;
  }

  /// Minimises the cost over the `free` knobs from `values`; `leave_out` >= 0 skips that point.
  /// Coordinate passes first (each knob's whole range, its off state included), then Powell's
  /// conjugate directions in the search coordinates, which follow a valley where two knobs must
  /// move together (a link's speed against a root complex's charge per byte).
  std::vector<double> minimise(std::vector<double> values, const std::vector<std::size_t>& free, int leave_out,
                               int passes) const {
    double cost = this->cost(values, leave_out);
    for (int pass = 0; pass < passes; ++pass) {
      const double before = cost;
      for (std::size_t i : free) cost = line_search(values, i, leave_out);
      if (before - cost < 1e-9 * std::max(1.0, before)) break;
    }
    return powell(values, free, leave_out, passes);
  }

  double cost(const std::vector<double>& values, int leave_out) const {
    const std::vector<double> p = predict_except(values, leave_out);
    double sum = 0;
    for (std::size_t j = 0; j < p.size(); ++j) {
      if (static_cast<int>(j) == leave_out) continue;
      sum += std::pow(std::log(p[j] / m_.points[j].gbps), 2);
    }
    for (std::size_t i = 0; i < knobs_.size(); ++i) sum += prior(i, values[i]);
    return sum;
  }

 private:
  std::vector<double> predict_except(const std::vector<double>& values, int leave_out) const {
    const Topology t = apply(values);
    std::vector<double> out(m_.points.size(), 1);
    const SimOptions o = prediction_options();
    for (std::size_t j = 0; j < m_.points.size(); ++j)
      if (static_cast<int>(j) != leave_out) out[j] = predict_gbps(t, m_.points[j], o);
    for (std::size_t j = 0; j < m_.points.size(); ++j)
      if (static_cast<int>(j) == leave_out) out[j] = m_.points[j].gbps;
    return out;
  }

  double prior(std::size_t i, double v) const {
    const Knob& k = knobs_[i];
    if (k.log_scale && (v <= 0 || start_[i] <= 0)) return v == start_[i] ? 0 : kPrior;
    return kPrior * std::pow(k.to_u(v) - k.to_u(start_[i]), 2);
  }

  /// Powell's method over the free knobs that are on (an off mechanism stays off), in u.
  std::vector<double> powell(std::vector<double> values, const std::vector<std::size_t>& free, int leave_out,
                             int iterations) const {
    std::vector<std::size_t> on;
    for (std::size_t i : free)
      if (values[i] > 0 || !knobs_[i].log_scale) on.push_back(i);
    const std::size_t n = on.size();
    if (n < 2) return values;
    auto to_u = [&](const std::vector<double>& v) {
      std::vector<double> u(n);
      for (std::size_t k = 0; k < n; ++k) u[k] = knobs_[on[k]].to_u(v[on[k]]);
      return u;
    };
    std::vector<std::vector<double>> dirs(n, std::vector<double>(n, 0));
    for (std::size_t k = 0; k < n; ++k) dirs[k][k] = 1;
    double cost = this->cost(values, leave_out);
    for (int it = 0; it < iterations; ++it) {
      const std::vector<double> u_start = to_u(values);
      const double start_cost = cost;
      std::size_t biggest = 0;
      double biggest_drop = 0;
      for (std::size_t d = 0; d < n; ++d) {
        const double c = along(values, on, dirs[d], leave_out);
        if (cost - c > biggest_drop) biggest_drop = cost - c, biggest = d;
        cost = c;
      }
      std::vector<double> net = to_u(values);
      double norm = 0;
      for (std::size_t k = 0; k < n; ++k) net[k] -= u_start[k], norm += net[k] * net[k];
      if (norm > 1e-18) {
        cost = along(values, on, net, leave_out);
        dirs[biggest] = net;
      }
      if (start_cost - cost < 1e-9 * std::max(1.0, start_cost)) break;
    }
    return values;
  }

  /// Moves the `on` knobs along `dir` (in u) to the least cost within their ranges: a grid of
  /// steps, then golden section around the best. Returns the cost there.
  double along(std::vector<double>& values, const std::vector<std::size_t>& on, const std::vector<double>& dir,
               int leave_out) const {
    std::vector<double> u0(on.size());
    double t_lo = -1e300, t_hi = 1e300;
    for (std::size_t k = 0; k < on.size(); ++k) {
      const Knob& kn = knobs_[on[k]];
      u0[k] = kn.to_u(values[on[k]]);
      if (dir[k] > 0) t_lo = std::max(t_lo, (kn.lo - u0[k]) / dir[k]), t_hi = std::min(t_hi, (kn.hi - u0[k]) / dir[k]);
      if (dir[k] < 0) t_lo = std::max(t_lo, (kn.hi - u0[k]) / dir[k]), t_hi = std::min(t_hi, (kn.lo - u0[k]) / dir[k]);
    }
    t_lo = std::min(t_lo, 0.0), t_hi = std::max(t_hi, 0.0);
    auto at = [&](double t) {
      for (std::size_t k = 0; k < on.size(); ++k) {
        const Knob& kn = knobs_[on[k]];
        values[on[k]] = kn.to_value(std::clamp(u0[k] + t * dir[k], kn.lo, kn.hi));
      }
      return cost(values, leave_out);
    };
    double best_t = 0, best = at(0);
    const double step = (t_hi - t_lo) / kGrid;
    for (int g = 0; g <= kGrid && step > 0; ++g) {
      const double c = at(t_lo + g * step);
      if (c < best) best = c, best_t = t_lo + g * step;
    }
    if (step > 0) {
      double lo = std::max(t_lo, best_t - step), hi = std::min(t_hi, best_t + step);
      const double r = (std::sqrt(5.0) - 1) / 2;
      double a = hi - r * (hi - lo), b = lo + r * (hi - lo), fa = at(a), fb = at(b);
      for (int it = 0; it < kGolden; ++it) {
        if (fa < fb) hi = b, b = a, fb = fa, a = hi - r * (hi - lo), fa = at(a);
        else lo = a, a = b, fa = fb, b = lo + r * (hi - lo), fb = at(b);
      }
      if (std::min(fa, fb) < best) best = std::min(fa, fb), best_t = fa < fb ? a : b;
    }
    return at(best_t);
  }

  /// Sets knob i to the value of least cost (a grid, then golden section around the best).
  double line_search(std::vector<double>& values, std::size_t i, int leave_out) const {
    const Knob& k = knobs_[i];
    auto at = [&](double v) {
      values[i] = v;
      return cost(values, leave_out);
    };
    double best_v = values[i], best = at(best_v);
    if (k.may_be_off) {
      const double off = at(0);
      if (off < best) best = off, best_v = 0;
    }
    const double step = (k.hi - k.lo) / kGrid;
    for (int g = 0; g <= kGrid; ++g) {
      const double c = at(k.to_value(k.lo + g * step));
      if (c < best) best = c, best_v = k.to_value(k.lo + g * step);
    }
    if (best_v > 0 || !k.may_be_off) {
      // Golden section within a grid step of the best so far (a grid point or where it was).
      const double centre = k.to_u(best_v);
      double lo = std::max(k.lo, centre - step), hi = std::min(k.hi, centre + step);
      const double r = (std::sqrt(5.0) - 1) / 2;
      double a = hi - r * (hi - lo), b = lo + r * (hi - lo), fa = at(k.to_value(a)), fb = at(k.to_value(b));
      for (int it = 0; it < kGolden; ++it) {
        if (fa < fb) hi = b, b = a, fb = fa, a = hi - r * (hi - lo), fa = at(k.to_value(a));
        else lo = a, a = b, fa = fb, b = lo + r * (hi - lo), fb = at(k.to_value(b));
      }
      if (std::min(fa, fb) < best) best = std::min(fa, fb), best_v = k.to_value(fa < fb ? a : b);
    }
    values[i] = best_v;
    return best;
  }

  const Measurements& m_;
  Topology base_;
  std::vector<Knob> knobs_;
  std::vector<double> start_;
};

double worst(const std::vector<BoxCalibrationRow>& rows, double BoxCalibrationRow::*field) {
  double w = 0;
  for (const BoxCalibrationRow& r : rows) w = std::max(w, std::abs(r.*field));
  return w;
}

/// The first few names and how many more: a box probed on 90 points names 3 of them.
std::string some_names(const std::vector<std::string>& names) {
  constexpr std::size_t kShown = 3;
  std::string out;
  for (std::size_t i = 0; i < std::min(kShown, names.size()); ++i) out += (out.empty() ? "" : "; ") + names[i];
  if (names.size() > kShown) out += " and " + std::to_string(names.size() - kShown) + " more";
  return out;
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

}  // namespace

BoxCalibrationResult calibrate_box(const Topology& box, const Measurements& m, const BoxFitOptions& options) {
  if (m.points.size() < 2)
    throw MeasurementError("calibrating a box needs 2 measurements or more (each is predicted with the others "
                           "fitted); " + std::to_string(m.points.size()) + " given");
  check_measurements_fit(m, box);
  const Fit fit(box, m);
  BoxCalibrationResult r;
  const auto pinned = fit.pinned();
  std::vector<std::size_t> free;
  for (const auto& [i, names] : pinned) free.push_back(i);
  // Coordinate descent can stop where no one parameter can improve alone (two that must move
  // together): it runs twice, the parameters in opposite orders, and the better fit is kept.
  std::vector<double> values = fit.minimise(fit.start(), free, -1, kMaxPasses);
  const std::vector<std::size_t> reversed(free.rbegin(), free.rend());
  const std::vector<double> other = fit.minimise(fit.start(), reversed, -1, kMaxPasses);
  if (fit.cost(other, -1) < fit.cost(values, -1)) values = other;
  std::vector<double> uncalibrated;
  for (const PointPrediction& p : predict_measurements(box, m)) uncalibrated.push_back(p.predicted_gbps);
  const std::vector<double> fitted = fit.predict(values);
  for (std::size_t j = 0; j < m.points.size(); ++j) {
    BoxCalibrationRow row;
    row.point = &m.points[j];
    row.uncalibrated_gbps = uncalibrated[j];
    row.fitted_gbps = fitted[j];
    row.loo_gbps = fitted[j];
    if (options.leave_one_out) {
      std::vector<std::size_t> mine;  // the parameters point j pins
      for (const auto& [i, names] : pinned)
        if (std::find(names.begin(), names.end(), m.points[j].name) != names.end()) mine.push_back(i);
      const std::vector<double> loo = fit.minimise(values, mine, static_cast<int>(j), kLeaveOutPasses);
      row.loo_gbps = fit.predict(loo)[j];
    }
    const double measured = m.points[j].gbps;
    row.uncalibrated_error = row.uncalibrated_gbps / measured - 1;
    row.fitted_error = row.fitted_gbps / measured - 1;
    row.loo_error = row.loo_gbps / measured - 1;
    r.rows.push_back(row);
  }
  for (const auto& [i, names] : pinned)
    r.parameters.push_back({fit.knobs()[i].name, fit.start()[i], values[i], names});
  for (std::size_t i = 0; i < fit.knobs().size(); ++i)
    if (std::none_of(pinned.begin(), pinned.end(), [&](const auto& p) { return p.first == i; }))
      r.unpinned.push_back(fit.knobs()[i].name);
  r.leave_one_out = options.leave_one_out;
  r.fit_worst = worst(r.rows, &BoxCalibrationRow::fitted_error);
  r.loo_worst = options.leave_one_out ? worst(r.rows, &BoxCalibrationRow::loo_error) : 0;
  r.uncalibrated_worst = worst(r.rows, &BoxCalibrationRow::uncalibrated_error);
  // The fitted box: every contention parameter explicit (0 = off), the fitted ones recorded.
  r.fitted = fit.apply(values);
  r.fitted.params.calibration = {};
  for (const FittedParameter& p : r.parameters) r.fitted.params.calibration.parameters.push_back(p.name);
  r.fitted.params.calibration.points = static_cast<std::uint32_t>(m.points.size());
  r.fitted.params.calibration.fit_worst = r.fit_worst;
  r.fitted.params.calibration.loo_worst = r.loo_worst;
  r.fitted.params.calibration.from = options.from;
  for (const FittedParameter& p : r.parameters) {
    const std::string points = some_names(p.pinned_by);
    r.fitted.params.calibration.detail += (r.fitted.params.calibration.detail.empty() ? "" : " | ") + p.name + " " +
                                          fmt("%.4g", p.start) + " -> " + fmt("%.4g", p.value) + " on " + points;
  }
  return r;
}

std::string box_calibration_table(const BoxCalibrationResult& r) {
  std::ostringstream out;
  out << "box " << r.fitted.name << ": " << r.rows.size() << " measurements\n";
  out << "fitted parameter      start       value  pinned by\n";
  for (const FittedParameter& p : r.parameters) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "%-18s %9.4g  %9.4g  ", p.name.c_str(), p.start, p.value);
    out << buf << p.pinned_by.size() << " points (" << some_names(p.pinned_by) << ")\n";
  }
  if (!r.unpinned.empty()) {
    out << "not pinned by these measurements (left as the box has them):";
    for (const std::string& n : r.unpinned) out << " " << n;
    out << "\n";
  }
  out << "measured  uncalibrated   error    fitted   error" << (r.leave_one_out ? "  left_out   error" : "")
      << "  point\n";
  for (const BoxCalibrationRow& row : r.rows) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "%8.2f  %12.2f %+6.1f%%  %8.2f %+6.1f%%  ", row.point->gbps, row.uncalibrated_gbps,
                  100 * row.uncalibrated_error, row.fitted_gbps, 100 * row.fitted_error);
    out << buf;
    if (r.leave_one_out) {
      std::snprintf(buf, sizeof buf, "%8.2f %+6.1f%%  ", row.loo_gbps, 100 * row.loo_error);
      out << buf;
    }
    out << row.point->name << "\n";
  }
  out << "worst |error|: uncalibrated " << fmt("%.1f", 100 * r.uncalibrated_worst) << " %, fitted "
      << fmt("%.1f", 100 * r.fit_worst) << " %, leave-one-out "
      << (r.leave_one_out ? fmt("%.1f", 100 * r.loo_worst) + " %" : std::string("not computed (--no-leave-one-out)"))
      << " (GB/s; error = model / measured - 1; left_out: fitted without that point)\n";
  return out.str();
}

std::string box_calibration_json(const BoxCalibrationResult& r) {
  nlohmann::ordered_json j;
  j["format"] = "ulysses-a2a/box-calibration";
  j["version"] = 1;
  j["box"] = r.fitted.name;
  j["parameters"] = nlohmann::ordered_json::array();
  for (const FittedParameter& p : r.parameters)
    j["parameters"].push_back({{"name", p.name}, {"start", p.start}, {"value", p.value}, {"pinned_by", p.pinned_by}});
  j["unpinned"] = r.unpinned;
  j["points"] = nlohmann::ordered_json::array();
  for (const BoxCalibrationRow& row : r.rows)
    j["points"].push_back({{"name", row.point->name},
                           {"metric", to_string(row.point->metric)},
                           {"transport", to_string(row.point->transport)},
                           {"measured_gbps", row.point->gbps},
                           {"uncalibrated_gbps", row.uncalibrated_gbps},
                           {"fitted_gbps", row.fitted_gbps},
                           {"loo_gbps", row.loo_gbps},
                           {"uncalibrated_error", row.uncalibrated_error},
                           {"fitted_error", row.fitted_error},
                           {"loo_error", row.loo_error}});
  j["fit_worst"] = r.fit_worst;
  j["loo_worst"] = r.loo_worst;
  j["uncalibrated_worst"] = r.uncalibrated_worst;
  if (!r.leave_one_out) j["leave_one_out"] = false;
  return j.dump(1) + "\n";
}

}  // namespace ua2a
