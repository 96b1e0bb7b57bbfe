// The contention model's calibration: each measurement of pcie-facts.md that the model can
// reproduce, on a box built as its source describes it (see calibration.h).
#include "sim/calibration.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "schedule/lower.h"
#include "schedule/payload.h"
#include "sim/simulate.h"

namespace ua2a {

namespace {

constexpr double kGiga = 1e9;
constexpr std::uint64_t kBytes = 64ull << 20;  // p2pmark's 64 MB (C10); large enough for any line
constexpr double kHop = 0.5e-6;                 // the presets' PCIe/socket hop latency (assumption)

/// A box of the measurements: per socket, groups of GPUs; a group of 1 is a GPU on its own root
/// port, a group of n > 1 a switch of n GPUs behind one uplink.
struct BoxSpec {
  std::vector<std::vector<int>> sockets;
  double gpu_gbps = 55;           ///< the source's own single-stream figure (an input)
  double uplink_gbps = 55;        ///< x16 of the same generation
  double socket_gbps = 1000;      ///< between sockets; large where the source shows no bound
  double p2p_overhead = 1.0;      ///< 1.2 on Intel hosts (facts: NCCL's INTEL_P2P_OVERHEAD)
  double shm_flow_cap_gbps = 0;   ///< a host-staged copy's cap (4090: line 23)
  double memory_gbps = 1000;      ///< per socket, each direction
  std::string gpu = "rtxpro6000"; ///< the kind of box the line measured (contention_policy.h scopes)
};

Topology build_box(const BoxSpec& spec, const ContentionParams& params) {
  Topology t;
  t.name = "calibration";
  t.params.op_cost_s = 0;
  t.params.shm_flow_cap_bytes_per_s = spec.shm_flow_cap_gbps * kGiga;
  t.params.contention = params;
  t.params.gpu = spec.gpu;
  std::vector<NodeIndex> cpus;
  int gpu = 0, sw = 0;
  for (std::size_t s = 0; s < spec.sockets.size(); ++s) {
    const auto socket = static_cast<std::int32_t>(s);
    const NodeIndex cpu = t.add_node({"cpu" + std::to_string(s), NodeKind::cpu, 0, socket, 0, spec.p2p_overhead});
    const NodeIndex mem = t.add_node({"mem" + std::to_string(s), NodeKind::memory, 0, socket});
    t.add_link(cpu, mem, spec.memory_gbps * kGiga, 0.1e-6, LinkKind::memory);
    if (!cpus.empty()) t.add_link(cpus.back(), cpu, spec.socket_gbps * kGiga, kHop, LinkKind::socket);
    cpus.push_back(cpu);
    for (int group : spec.sockets[s]) {
      NodeIndex parent = cpu;
      if (group > 1) {
        parent = t.add_node({"sw" + std::to_string(sw++), NodeKind::pcie_switch, 0, socket});
        t.add_link(parent, cpu, spec.uplink_gbps * kGiga, kHop, LinkKind::pcie);
      }
      for (int g = 0; g < group; ++g) {
        const NodeIndex n = t.add_node({"gpu" + std::to_string(gpu++), NodeKind::gpu, 0, socket});
        t.add_link(n, parent, spec.gpu_gbps * kGiga, kHop, LinkKind::pcie);
      }
    }
  }
  return t;
}

using Pairs = std::vector<std::pair<Rank, Rank>>;

Pairs all_to_all(int n) {
  Pairs p;
  for (int a = 0; a < n; ++a)
    for (int b = 0; b < n; ++b)
      if (a != b) p.push_back({a, b});
  return p;
}

Pairs lone_reader(int n) {  // every peer to GPU 0
  Pairs p;
  for (int a = 1; a < n; ++a) p.push_back({a, 0});
  return p;
}

Pairs ring(int n) {  // a ring all-reduce's traffic: each GPU to the next, all at once
  Pairs p;
  for (int a = 0; a < n; ++a) p.push_back({a, (a + 1) % n});
  return p;
}

int gpu_count(const BoxSpec& spec) {
  int n = 0;
  for (const auto& s : spec.sockets)
    for (int g : s) n += g;
  return n;
}

/// Total GB/s of `pairs` moving kBytes each at once on the box.
double total_gbps(const BoxSpec& spec, const ContentionParams& params, const Pairs& pairs, TransportKind transport,
                  bool reads) {
  const Topology t = build_box(spec, params);
  SimOptions o;
  o.transport = transport;
  o.model = SimModel::contention;
  o.ce_reads = reads;
  o.record_transfers = false;
  o.record_util = false;
  const SimReport r = simulate(t, lower_concurrent(gpu_count(spec), pairs, kBytes), o);
  if (!r.ok) throw std::logic_error("calibration: a pattern failed: " + r.error);
  return static_cast<double>(pairs.size()) * static_cast<double>(kBytes) / r.time_s / kGiga;
}

/// p2pmark's score: every GPU reading from all peers at once, against the sum of lone readers.
double p2pmark_score(const BoxSpec& spec, const ContentionParams& params) {
  const int n = gpu_count(spec);
  const double all = total_gbps(spec, params, all_to_all(n), TransportKind::cuda_p2p, true);
  const double alone = total_gbps(spec, params, lone_reader(n), TransportKind::cuda_p2p, true);
  return all / (n * alone);
}

/// NCCL's all-to-all (grouped) on a preset: busbw as nccl-tests prints it.
double preset_alltoall_busbw(const std::string& preset, const ContentionParams& params, TransportKind transport) {
  Topology t = make_preset(preset);
  t.params.contention = params;
  const auto n = static_cast<std::int32_t>(t.gpus().size());
  SimOptions o;
  o.transport = transport;
  o.model = SimModel::contention;
  o.record_transfers = false;
  o.record_util = false;
  const SimReport r = simulate(t, lower_concurrent(n, all_to_all(n), 256ull << 20), o);
  if (!r.ok) throw std::logic_error("calibration: " + r.error);
  return r.busbw_gbps;
}

/// The per-GPU rate of a ring all-reduce's traffic (its busbw, when the transfers set it).
double ring_gbps(const BoxSpec& spec, const ContentionParams& params, TransportKind transport) {
  const int n = gpu_count(spec);
  return total_gbps(spec, params, ring(n), transport, false) / n;
}

BoxSpec rtx4090(std::vector<std::vector<int>> sockets, double p2p_overhead) {
  BoxSpec b;
  b.sockets = std::move(sockets);
  b.gpu_gbps = b.uplink_gbps = 24;  // facts: PCIe 4.0 x16 as NCCL models it
  b.p2p_overhead = p2p_overhead;
  b.shm_flow_cap_gbps = 13;          // facts: host-staged copy, 25.6-26.2 both ways
  b.memory_gbps = 70.4;              // as the 4090 presets (assumption: 6 x DDR4-2933, halved)
  b.socket_gbps = 10;
  b.gpu = "rtx4090";
  return b;
}

BoxSpec gen5(std::vector<std::vector<int>> sockets, double gpu_gbps, double socket_gbps = 1000) {
  BoxSpec b;
  b.sockets = std::move(sockets);
  b.gpu_gbps = b.uplink_gbps = gpu_gbps;
  b.socket_gbps = socket_gbps;
  return b;
}

// C13's 8 flows all crossing sockets, 19.3 GB/s each: 4 each way share ~77 GB/s per direction.
constexpr double kGenoaSocketGbps = 4 * 19.3;
constexpr const char* kCe = "gpu_ce_alpha";

std::vector<CalibrationPoint> make_points() {
  using P = ContentionParams;
  std::vector<CalibrationPoint> v;
  auto add = [&](std::string line, std::string what, double measured, std::string unit, std::string fits,
                 std::string note, std::function<double(const P&)> model) {
    v.push_back({std::move(line), std::move(what), measured, std::move(unit), std::move(fits), std::move(note),
                 std::move(model)});
  };
  const TransportKind shm = TransportKind::shm, p2p = TransportKind::p2p, ce = TransportKind::cuda_p2p;
  // --- 4 x 4090, one socket, no switch (NVIDIA/nccl #1603), and other 4090 boxes.
  add("C1", "4 x 4090, NCCL all-to-all, SHM (host-staged)", 18, "GB/s busbw", "", "4090x4 preset",
      [=](const P& p) { return preset_alltoall_busbw("4090x4", p, shm); });
  add("C1", "4 x 4090, NCCL all-to-all, P2P through the root complex", 2, "GB/s busbw", "rc_sm_alpha",
      "4090x4 preset; the only line with SM stores interleaving through a root complex",
      [=](const P& p) { return preset_alltoall_busbw("4090x4", p, p2p); });
  add("C2", "4 x 4090, all-reduce, P2P", 22, "GB/s busbw", "",
      "as a ring of one transfer per GPU; host CPU not stated (Intel assumed, as the preset)",
      [=](const P& p) { return ring_gbps(rtx4090({{1, 1, 1, 1}}, 1.2), p, p2p); });
  add("C7", "6 x 4090, one pair one way, CE P2P", 24.44, "GB/s", "", "AMD host (tinybox): no TLP overhead",
      [=](const P& p) { return total_gbps(rtx4090({{1, 1, 1, 1, 1, 1}}, 1.0), p, {{0, 1}}, ce, false); });
  add("C7", "6 x 4090, one pair both ways, CE P2P", 50.6, "GB/s", "", "50.1-51.2; AMD host",
      [=](const P& p) { return total_gbps(rtx4090({{1, 1, 1, 1, 1, 1}}, 1.0), p, {{0, 1}, {1, 0}}, ce, false); });
  add("C7", "6 x 4090, all-reduce, NCCL P2P", 24.58, "GB/s busbw", "", "as a ring; AMD host",
      [=](const P& p) { return ring_gbps(rtx4090({{1, 1, 1, 1, 1, 1}}, 1.0), p, p2p); });
  add("C8", "3 x 4090, one pair both ways, CE P2P", 41.4, "GB/s", "", "host not stated (Intel assumed)",
      [=](const P& p) { return total_gbps(rtx4090({{1, 1, 1}}, 1.2), p, {{0, 1}, {1, 0}}, ce, false); });
  add("C8", "3 x 4090, one pair both ways, P2P off (CE staged)", 25.8, "GB/s", "input",
      "sets the host-staged cap (13 GB/s a flow)",
      [=](const P& p) { return total_gbps(rtx4090({{1, 1, 1}}, 1.2), p, {{0, 1}, {1, 0}}, TransportKind::cuda_staged, false); });
  add("C8", "7 x 4090 on Threadripper 3995WX, one pair both ways, CE P2P", 50.5, "GB/s", "", "50-51; AMD host",
      [=](const P& p) { return total_gbps(rtx4090({{1, 1, 1, 1, 1, 1, 1}}, 1.0), p, {{0, 1}, {1, 0}}, ce, false); });
  add("C9", "4090 on Xeon, all-reduce, 8 GPUs", 20, "GB/s busbw", "", "as a ring over two sockets of 4",
      [=](const P& p) {
        BoxSpec b = rtx4090({{1, 1, 1, 1}, {1, 1, 1, 1}}, 1.2);
        b.socket_gbps = 1000;  // Xeon 6530/6430 UPI: not the 4090 presets' 10 GB/s QPI
        return ring_gbps(b, p, p2p);
      });
  add("C9", "4090 on AMD, all-reduce, 8 GPUs", 25, "GB/s busbw", "", "as a ring over two sockets of 4",
      [=](const P& p) {
        BoxSpec b = rtx4090({{1, 1, 1, 1}, {1, 1, 1, 1}}, 1.0);
        b.socket_gbps = 1000;
        return ring_gbps(b, p, p2p);
      });
  add("C4", "4 x L40S in one switch, all-reduce", 22, "GB/s busbw", "", "as a ring inside the switch (Gen4: 24)",
      [=](const P& p) { return ring_gbps(rtx4090({{4}}, 1.0), p, p2p); });
  add("C6", "8 x A40, 2 x EPYC 7302, one pair both ways, same socket, CE", 50, "GB/s", "",
      "p2pBandwidthLatencyTest (posted writes); Gen4 links of 24",
      [=](const P& p) { return total_gbps(rtx4090({{1, 1, 1, 1}, {1, 1, 1, 1}}, 1.0), p, {{0, 1}, {1, 0}}, ce, false); });
  add("C6", "8 x A40, 2 x EPYC 7302, one pair both ways, across sockets, CE", 40.4, "GB/s",
      "", "39.2-41.6; the model has no loss for posted writes across the socket link",
      [=](const P& p) {
        BoxSpec b = rtx4090({{1, 1, 1, 1}, {1, 1, 1, 1}}, 1.0);
        b.socket_gbps = 1000;  // EPYC Rome's xGMI: not a 4090 preset's QPI
        return total_gbps(b, p, {{0, 4}, {4, 0}}, ce, false);
      });
  // --- RTX PRO 6000 boxes (Gen5 x16), copy engines (p2pmark: every GPU reads from all peers).
  add("C10", "8 GPUs behind 3 switches, p2pmark all-to-all", 0.435, "score", kCe,
      "layout inferred by the source: taken as switches of 3, 3 and 2 on one CPU",
      [=](const P& p) { return p2pmark_score(gen5({{3, 3, 2}}, 54.3), p); });
  add("C11", "dual EPYC Turin, 4 GPUs on root ports of one NUMA node, p2pmark", 0.59, "score", kCe, "",
      [=](const P& p) { return p2pmark_score(gen5({{1, 1, 1, 1}}, 55), p); });
  add("C11", "dual EPYC Turin, 8 GPUs on root ports over 2 sockets, p2pmark", 0.41, "score", kCe,
      "socket link taken from C13 (77 GB/s a direction)",
      [=](const P& p) { return p2pmark_score(gen5({{1, 1, 1, 1}, {1, 1, 1, 1}}, 55, kGenoaSocketGbps), p); });
  add("C12", "4 GPUs in one switch, p2pmark", 0.64, "score", kCe, "",
      [=](const P& p) { return p2pmark_score(gen5({{4}}, 55), p); });
  add("C12", "8 GPUs behind switches, p2pmark", 0.44, "score", kCe, "taken as two switches of 4 on one CPU",
      [=](const P& p) { return p2pmark_score(gen5({{4, 4}}, 55), p); });
  add("C13", "2 x EPYC 9124, one pair one way, same socket", 57.2, "GB/s", "input", "sets the GPU link (~55 alone)",
      [=](const P& p) { return total_gbps(gen5({{1, 1, 1, 1}, {1, 1, 1, 1}}, 57.2, kGenoaSocketGbps), p, {{1, 0}}, ce, true); });
  add("C13", "2 x EPYC 9124, one pair one way, across sockets", 43, "GB/s", "read_window_bytes", "42-44",
      [=](const P& p) { return total_gbps(gen5({{1, 1, 1, 1}, {1, 1, 1, 1}}, 57.2, kGenoaSocketGbps), p, {{4, 0}}, ce, true); });
  add("C13", "2 x EPYC 9124, one pair both ways, same socket", 112.3, "GB/s", "", "",
      [=](const P& p) {
        return total_gbps(gen5({{1, 1, 1, 1}, {1, 1, 1, 1}}, 57.2, kGenoaSocketGbps), p, {{1, 0}, {0, 1}}, ce, true);
      });
  add("C13", "2 x EPYC 9124, one pair both ways, across sockets", 81.5, "GB/s", "", "75-88",
      [=](const P& p) {
        return total_gbps(gen5({{1, 1, 1, 1}, {1, 1, 1, 1}}, 57.2, kGenoaSocketGbps), p, {{4, 0}, {0, 4}}, ce, true);
      });
  add("C13", "2 x EPYC 9124, 8 flows all crossing sockets", 19.3, "GB/s a flow", "input", "sets the socket link",
      [=](const P& p) {
        return total_gbps(gen5({{1, 1, 1, 1}, {1, 1, 1, 1}}, 57.2, kGenoaSocketGbps), p,
                          {{0, 4}, {1, 5}, {2, 6}, {3, 7}, {4, 0}, {5, 1}, {6, 2}, {7, 3}}, ce, true) / 8;
      });
  add("C13", "2 x EPYC 9124, 8 GPUs, 56-flow all-to-all (p2pmark)", 0.41, "score", kCe, "",
      [=](const P& p) { return p2pmark_score(gen5({{1, 1, 1, 1}, {1, 1, 1, 1}}, 55, kGenoaSocketGbps), p); });
  add("C15", "4 disjoint flows inside one switch", 203.9, "GB/s", "", "1 and 2 flows: 54.1, 108.6 (54.1 sets the link)",
      [=](const P& p) { return total_gbps(gen5({{8}}, 54.1), p, {{0, 1}, {1, 0}, {2, 3}, {3, 2}}, ce, true); });
  add("C15", "4 GPUs inside one switch, 12-flow all-to-all", 153, "GB/s", kCe, "",
      [=](const P& p) { return total_gbps(gen5({{4}}, 54.1), p, all_to_all(4), ce, true); });
  add("C15", "4 GPUs inside one switch, p2pmark", 0.58, "score", kCe, "",
      [=](const P& p) { return p2pmark_score(gen5({{4}}, 54.1), p); });
  add("C16", "Threadripper Pro, 2 switches of 4, 16 flows between them", 51.6, "GB/s", "",
      "the uplink from its own 2-flow figure (53.8): fair sharing, no loss",
      [=](const P& p) {
        BoxSpec b = gen5({{4, 4}}, 54);
        b.uplink_gbps = 53.8;
        Pairs cross;
        for (int a = 0; a < 4; ++a)
          for (int d = 4; d < 8; ++d) cross.push_back({a, d});
        return total_gbps(b, p, cross, ce, true);
      });
  add("C16", "Threadripper Pro, 2 switches of 4, p2pmark", 0.38, "score", kCe, "uplinks 53.8 (its 2-flow figure)",
      [=](const P& p) {
        BoxSpec b = gen5({{4, 4}}, 54);
        b.uplink_gbps = 53.8;
        return p2pmark_score(b, p);
      });
  add("C18", "dual Turin, 4 GPUs on one NUMA node, all-reduce, NCCL P2P", 39.3, "GB/s busbw",
      "nccl_channel_bytes_per_s", "as a ring of one connection per GPU, 2 channels each (its only line)",
      [=](const P& p) { return ring_gbps(gen5({{1, 1, 1, 1}}, 55), p, p2p); });
  return v;
}

double& parameter(ContentionParams& p, const std::string& name) {
  if (name == "gpu_ce_alpha") return p.gpu_ce_alpha;
  if (name == "rc_sm_alpha") return p.rc_sm_alpha;
  if (name == "read_window_bytes") return p.read_window_bytes;
  if (name == "nccl_channel_bytes_per_s") return p.nccl_channel_bytes_per_s;
  throw std::logic_error("calibration: no fitted parameter " + name);
}

/// Minimises the sum of squared log errors of `name`'s points over its range (golden section;
/// the window on a log scale). With no point left the mechanism is off (0).
void fit_one(ContentionParams& p, const std::vector<CalibrationPoint>& points, const std::string& name, int leave_out) {
  std::vector<const CalibrationPoint*> mine;
  for (std::size_t i = 0; i < points.size(); ++i)
    if (points[i].fits == name && static_cast<int>(i) != leave_out) mine.push_back(&points[i]);
  double& x = parameter(p, name);
  if (mine.empty()) {
    x = 0;
    return;
  }
  const bool log_scale = name == "read_window_bytes" || name == "nccl_channel_bytes_per_s";
  const bool rate = name == "nccl_channel_bytes_per_s";
  double lo = log_scale ? std::log(rate ? 1e9 : 1e3) : 0.0, hi = log_scale ? std::log(rate ? 1e12 : 1e8) : 20.0;
  auto cost = [&](double t) {
    x = log_scale ? std::exp(t) : t;
    double sum = 0;
    for (const CalibrationPoint* pt : mine) sum += std::pow(std::log(pt->model(p) / pt->measured), 2);
    return sum;
  };
  // A grid first (a capped rate makes the cost flat on one side: golden section alone can walk
  // away from the valley), then golden section between the best grid point's neighbours.
  constexpr int kGrid = 100;
  const double step = (hi - lo) / kGrid;
  int best = 0;
  double best_cost = cost(lo);
  for (int i = 1; i <= kGrid; ++i) {
    const double c = cost(lo + i * step);
    if (c < best_cost) best_cost = c, best = i;
  }
  const double grid_lo = lo;
  lo = grid_lo + std::max(0, best - 1) * step;
  hi = grid_lo + std::min(kGrid, best + 1) * step;
  const double g = (std::sqrt(5.0) - 1) / 2;
  double a = hi - g * (hi - lo), b = lo + g * (hi - lo), fa = cost(a), fb = cost(b);
  for (int i = 0; i < 40; ++i) {
    if (fa < fb) {
      hi = b, b = a, fb = fa, a = hi - g * (hi - lo), fa = cost(a);
    } else {
      lo = a, a = b, fa = fb, b = lo + g * (hi - lo), fb = cost(b);
    }
  }
  const double t = (lo + hi) / 2;
  x = log_scale ? std::exp(t) : t;
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

}  // namespace

const std::vector<CalibrationPoint>& calibration_points() {
  static const std::vector<CalibrationPoint> points = make_points();
  return points;
}

ContentionParams fit_contention(const std::vector<CalibrationPoint>& points, int leave_out) {
  ContentionParams p;
  // One pass: each fitted point's model depends on its own parameter only (a separable cost,
  // tests/sim/contention_test.cpp checks it), so a second pass of coordinate descent moves
  // nothing; it used to run and doubled `calibrate`'s time for the same bits.
  for (const char* name : {"read_window_bytes", "nccl_channel_bytes_per_s", "gpu_ce_alpha", "rc_sm_alpha"})
    fit_one(p, points, name, leave_out);
  return p;
}

Calibration calibrate() {
  const auto& points = calibration_points();
  Calibration c;
  c.fitted = fit_contention(points);
  for (std::size_t i = 0; i < points.size(); ++i) {
    CalibrationRow row;
    row.point = &points[i];
    row.predicted = points[i].model(c.fitted);
    row.error = row.predicted / points[i].measured - 1;
    const bool fitted = !points[i].fits.empty() && points[i].fits != "input";
    // Left out, only the point's own parameter is fitted again: the cost is separable (above).
    ContentionParams loo = c.fitted;
    if (fitted) fit_one(loo, points, points[i].fits, static_cast<int>(i));
    row.loo_predicted = points[i].model(loo);
    row.loo_error = row.loo_predicted / points[i].measured - 1;
    c.rows.push_back(row);
  }
  return c;
}

std::string calibration_table(const Calibration& c) {
  std::ostringstream out;
  out << "fitted: gpu_ce_alpha " << fmt("%.3f", c.fitted.gpu_ce_alpha) << ", rc_sm_alpha "
      << fmt("%.3f", c.fitted.rc_sm_alpha) << ", read_window_bytes " << fmt("%.0f", c.fitted.read_window_bytes)
      << ", nccl_channel_gbps " << fmt("%.2f", c.fitted.nccl_channel_bytes_per_s / kGiga) << "\n";
  out << "line  measured     unit         model    error   loo_model  loo_err  used_for                 what\n";
  for (const CalibrationRow& r : c.rows) {
    const CalibrationPoint& p = *r.point;
    char buf[512];
    std::snprintf(buf, sizeof buf, "%-5s %8.3f  %-11s %9.3f  %+6.1f%%   %9.3f  %+6.1f%%  %-24s %s\n", p.line.c_str(),
                  p.measured, p.unit.c_str(), r.predicted, 100 * r.error, r.loo_predicted, 100 * r.loo_error,
                  p.fits.empty() ? "prediction" : p.fits.c_str(), p.what.c_str());
    out << buf;
  }
  double worst = 0, worst_loo = 0;
  for (const CalibrationRow& r : c.rows) {
    worst = std::max(worst, std::abs(r.error));
    worst_loo = std::max(worst_loo, std::abs(r.loo_error));
  }
  out << "worst |error| " << fmt("%.1f", 100 * worst) << " %, leave-one-out " << fmt("%.1f", 100 * worst_loo)
      << " % (error = model / measured - 1; loo: fitted without that point)\n";
  return out.str();
}

std::string calibration_json(const Calibration& c) {
  nlohmann::ordered_json j;
  j["format"] = "ulysses-a2a/calibration";
  j["version"] = 1;
  j["fitted"] = {{"gpu_ce_alpha", c.fitted.gpu_ce_alpha},
                 {"rc_sm_alpha", c.fitted.rc_sm_alpha},
                 {"read_window_bytes", c.fitted.read_window_bytes},
                 {"nccl_channel_gbps", c.fitted.nccl_channel_bytes_per_s / kGiga}};
  j["points"] = nlohmann::ordered_json::array();
  for (const CalibrationRow& r : c.rows) {
    const CalibrationPoint& p = *r.point;
    j["points"].push_back({{"line", p.line},
                           {"what", p.what},
                           {"measured", p.measured},
                           {"unit", p.unit},
                           {"used_for", p.fits.empty() ? "prediction" : p.fits},
                           {"note", p.note},
                           {"model", r.predicted},
                           {"error", r.error},
                           {"loo_model", r.loo_predicted},
                           {"loo_error", r.loo_error}});
  }
  return j.dump(1) + "\n";
}

}  // namespace ua2a
