#include "plan/validation.h"

#include <cmath>
#include <algorithm>
#include <cstdio>
#include <map>
#include <stdexcept>
#include <sstream>

#include "sim/topology.h"

namespace ua2a::plan {

namespace {
constexpr double kFitLow = 0.2, kFitHigh = 1.0;  // GEMM efficiency search range
constexpr int kFitIterations = 80;               // golden-section steps: far below 1e-6
}  // namespace

const std::vector<ValidationLine>& lightx2v_lines() {
  // The README's "LightX2V Performance Comparison" and "Cross-Framework" tables. How each is read
  // (docs/validation.md, section 4): "cfg" is guidance on (two forwards a step); on 8 GPUs the
  // framework's hybrid config then splits the two branches over two groups of 4 (cfg_p_size 2,
  // seq_p_size 4); "no cfg" is one forward, Ulysses over all 8; "fp8" is the FP8 communication of
  // its Ulysses exchange (#590). The 4090D box is not stated: an 8 x 4090 preset, dual socket,
  // stock driver (NCCL over host memory), and the reference's round-robin paired-half exchange.
  // Its GPUs sit on their own root ports (4090x8-2s): the weights (16.1e9, 32 GB in bf16) must
  // stream from host memory on 24 GB cards, and the measured 3.13 s a step leaves 78 ms a block,
  // which four GPUs behind one 24 GB/s switch uplink (4090x8-2s-sw) cannot feed (134.6 ms for
  // 807 MB each); the exchanges are the same on both within 0.5 % (docs/validation.md); the H100 box is an NVSwitch SXM box with NCCL's grouped
  // all-to-all (its default all_to_all_single).
  const Combo rr{"round-robin", "paired-half", false};
  const Combo grouped{"grouped", "grouped", false};
  static const std::vector<ValidationLine> lines = {
      {"4090d-1", "RTX 4090D, 1 card", "rtx4090d", "4090x8-2s", {1, 1, 1}, true, rr, std::nullopt, DType::bf16, 20.26,
       true, "guidance on; one GPU; no exchange"},
      {"4090d-8-cfg", "RTX 4090D, 8 cards + cfg", "rtx4090d", "4090x8-2s", {2, 4, 1}, true, rr, TransportKind::shm,
       DType::bf16, 4.75, false, "CFG-parallel 2 x Ulysses 4 (each group on one socket's switch), round-robin, SHM"},
      {"4090d-8", "RTX 4090D, 8 cards + no cfg", "rtx4090d", "4090x8-2s", {1, 8, 1}, false, rr, TransportKind::shm,
       DType::bf16, 3.13, false, "one forward a step; Ulysses 8 across both sockets, round-robin, SHM"},
      {"4090d-8-fp8", "RTX 4090D, 8 cards + no cfg + fp8", "rtx4090d", "4090x8-2s", {1, 8, 1}, false, rr,
       TransportKind::shm, DType::fp8, 2.35, false, "as above with FP8 communication"},
      {"h100-1", "H100, 1 card", "h100", "h100x8-nvs", {1, 1, 1}, true, grouped, std::nullopt, DType::bf16, 5.18, true,
       "guidance on; one GPU; no exchange"},
      {"h100-8-cfg", "H100, 8 cards + cfg", "h100", "h100x8-nvs", {2, 4, 1}, true, grouped, std::nullopt, DType::bf16, 0.75,
       false, "CFG-parallel 2 x Ulysses 4, NCCL grouped all-to-all over NVLink"},
      {"h100-8", "H100, 8 cards + no cfg", "h100", "h100x8-nvs", {1, 8, 1}, false, grouped, std::nullopt, DType::bf16, 0.39,
       false, "one forward a step; Ulysses 8, grouped over NVLink"},
      {"h100-8-fp8", "H100, 8 cards + no cfg + fp8", "h100", "h100x8-nvs", {1, 8, 1}, false, grouped, std::nullopt,
       DType::fp8, 0.35, false, "as above with FP8 communication"},
  };
  return lines;
}

namespace {

/// A line of the training set T1-T6: xDiT's figures, end to end over `steps` steps, flash attention
/// (xDiT runs FlashAttention 2; T1 names flash-attn 2.7.2), NCCL's grouped all-to-all, the box's
/// own transport.
ValidationLine xdit(std::string id, std::string what, std::string source, std::string gpu, std::string topology,
                    Layout layout, bool cfg, std::string model, std::string resolution, std::uint32_t frames,
                    double steps, double measured_s, std::string reading) {
  ValidationLine l;
  l.id = std::move(id);
  l.what = std::move(what);
  l.gpu = std::move(gpu);
  l.topology = std::move(topology);
  l.layout = layout;
  l.cfg = cfg;
  l.combo = {"grouped", "grouped", false};
  l.measured_s = measured_s;
  l.reading = std::move(reading);
  l.model = std::move(model);
  l.resolution = std::move(resolution);
  l.frames = frames;
  l.steps = steps;
  l.attention = AttentionKernel::flash;
  l.source = std::move(source);
  l.end_to_end = true;
  return l;
}

ValidationLine ring_line(ValidationLine l, std::string twin, bool fit) {
  l.twin = std::move(twin);
  l.ring_fit = fit;
  return l;
}

ValidationLine best_line(ValidationLine l) {
  l.best_of = true;
  return l;
}

}  // namespace

const std::vector<ValidationLine>& training_lines() {
  // docs/reference/gpu-facts.md, "Step times of other models". Boxes: the L20 and L40 boxes are
  // PCIe Gen4 x16 cards; T6 states two sockets, T1, T2 and T4 state nothing: all are read as the
  // 8-GPU dual-socket Gen4 preset 4090x8-2s (each GPU on its own root port, the 10 GB/s socket
  // link) with the L20 or L40 row of plan/gpus.cpp; the H100 and H20 lines as h100x8-nvs (NVLink).
  // T1-T3's tables are titled "Ulysses Latency": G GPUs are Ulysses-G. HunyuanVideo and FLUX are
  // guidance-distilled (one forward a step), Mochi runs CFG. Steps: T1-T3 state 50, T5 28, T6 4;
  // T4's README states none: its demo's default, 64 (mochi-xdit demos/cli.py --num_steps).
  const std::string hy = "hunyuanvideo", mochi = "mochi-1", dev = "flux.1-dev", schnell = "flux.1-schnell";
  const std::string l20 = "l20", l40 = "l40", pcie = "4090x8-2s", nvs = "h100x8-nvs";
  static const std::vector<ValidationLine> lines = {
      xdit("T1-1", "L20, HunyuanVideo 1280x720, 1 GPU", "T1", l20, pcie, {1, 1, 1}, false, hy, "720p", 129, 50, 6043.88,
           "one GPU, 50 steps end to end"),
      xdit("T1-u2", "L20, HunyuanVideo 1280x720, Ulysses-2", "T1", l20, pcie, {1, 2, 1}, false, hy, "720p", 129, 50,
           3271.44, "Ulysses-2 on one socket"),
      xdit("T1-u4", "L20, HunyuanVideo 1280x720, Ulysses-4", "T1", l20, pcie, {1, 4, 1}, false, hy, "720p", 129, 50,
           2080.05, "Ulysses-4 on one socket"),
      xdit("T2-1", "L20, HunyuanVideo 960x960, 1 GPU", "T2", l20, pcie, {1, 1, 1}, false, hy, "960x960", 129, 50,
           6039.08, "one GPU"),
      xdit("T2-u2", "L20, HunyuanVideo 960x960, Ulysses-2", "T2", l20, pcie, {1, 2, 1}, false, hy, "960x960", 129, 50,
           3260.62, "Ulysses-2"),
      xdit("T2-u3", "L20, HunyuanVideo 960x960, Ulysses-3", "T2", l20, pcie, {1, 3, 1}, false, hy, "960x960", 129, 50,
           2284.74, "Ulysses-3"),
      xdit("T3-h100-1", "H100, HunyuanVideo 1280x720, 1 GPU", "T3", "h100", nvs, {1, 1, 1}, false, hy, "720p", 129, 50,
           1904.08, "one GPU"),
      xdit("T3-h100-2", "H100, HunyuanVideo 1280x720, 2 GPUs", "T3", "h100", nvs, {1, 2, 1}, false, hy, "720p", 129, 50,
           925.04, "Ulysses-2"),
      xdit("T3-h100-4", "H100, HunyuanVideo 1280x720, 4 GPUs", "T3", "h100", nvs, {1, 4, 1}, false, hy, "720p", 129, 50,
           514.08, "Ulysses-4"),
      xdit("T3-h100-8", "H100, HunyuanVideo 1280x720, 8 GPUs", "T3", "h100", nvs, {1, 8, 1}, false, hy, "720p", 129, 50,
           337.58, "Ulysses-8"),
      xdit("T3-h20-1", "H20, HunyuanVideo 1280x720, 1 GPU", "T3", "h20", nvs, {1, 1, 1}, false, hy, "720p", 129, 50,
           6639.17, "one GPU"),
      xdit("T3-h20-2", "H20, HunyuanVideo 1280x720, 2 GPUs", "T3", "h20", nvs, {1, 2, 1}, false, hy, "720p", 129, 50,
           3400.55, "Ulysses-2"),
      xdit("T3-h20-4", "H20, HunyuanVideo 1280x720, 4 GPUs", "T3", "h20", nvs, {1, 4, 1}, false, hy, "720p", 129, 50,
           1762.86, "Ulysses-4"),
      xdit("T3-h20-8", "H20, HunyuanVideo 1280x720, 8 GPUs", "T3", "h20", nvs, {1, 8, 1}, false, hy, "720p", 129, 50,
           940.97, "Ulysses-8"),
      xdit("T4-1", "L40, Mochi-1 848x480 49 frames, 1 GPU", "T4", l40, pcie, {1, 1, 1}, true, mochi, "848x480", 49, 64,
           398.00, "one GPU, CFG (two forwards a step), 64 steps (the demo's default)"),
      xdit("T4-u2", "L40, Mochi-1, Ulysses-2", "T4", l40, pcie, {1, 2, 1}, true, mochi, "848x480", 49, 64, 216.50,
           "Ulysses-2, the CFG branches one after the other"),
      xdit("T4-cfg2", "L40, Mochi-1, CFG-2", "T4", l40, pcie, {2, 1, 1}, true, mochi, "848x480", 49, 64, 199.07,
           "one CFG branch a GPU"),
      ring_line(xdit("T4-cfg2r3", "L40, Mochi-1, CFG-2 x ring-3", "T4", l40, pcie, {2, 1, 3}, true, mochi, "848x480",
                     49, 64, 74.06, "one CFG branch per socket, a ring of 3 in each"),
                "", false),
      xdit("T5-1", "H100, FLUX.1-dev 1024px, 1 GPU", "T5", "h100", nvs, {1, 1, 1}, false, dev, "1024x1024", 1, 28, 6.71,
           "one GPU, 28 steps, eager"),
      xdit("T5-u2", "H100, FLUX.1-dev, Ulysses-2", "T5", "h100", nvs, {1, 2, 1}, false, dev, "1024x1024", 1, 28, 4.38,
           "Ulysses-2"),
      ring_line(xdit("T5-r2", "H100, FLUX.1-dev, ring-2", "T5", "h100", nvs, {1, 1, 2}, false, dev, "1024x1024", 1, 28,
                     5.31, "ring-2"),
                "T5-u2", true),
      ring_line(xdit("T5-u2r2", "H100, FLUX.1-dev, Ulysses-2 x ring-2", "T5", "h100", nvs, {1, 2, 2}, false, dev,
                     "1024x1024", 1, 28, 5.19, "Ulysses-2 inside, ring-2 across"),
                "T5-u4", true),
      xdit("T5-u4", "H100, FLUX.1-dev, Ulysses-4", "T5", "h100", nvs, {1, 4, 1}, false, dev, "1024x1024", 1, 28, 4.24,
           "Ulysses-4"),
      ring_line(xdit("T5-r4", "H100, FLUX.1-dev, ring-4", "T5", "h100", nvs, {1, 1, 4}, false, dev, "1024x1024", 1, 28,
                     5.11, "ring-4"),
                "T5-u4", true),
      ring_line(xdit("T6-1024-u2r2", "8 x L40, FLUX.1-schnell 1024px, Ulysses-2 x ring-2 on 4", "T6", l40, pcie,
                     {1, 2, 2}, false, schnell, "1024x1024", 1, 4, 1.41, "4 steps, on one socket"),
                "T6-1024-u4", false),
      xdit("T6-1024-u4", "FLUX.1-schnell 1024px, Ulysses-4", "T6", l40, pcie, {1, 4, 1}, false, schnell, "1024x1024", 1,
           4, 0, "no time stated: slower than Ulysses-2 x ring-2"),
      ring_line(xdit("T6-1024-r4", "FLUX.1-schnell 1024px, ring-4", "T6", l40, pcie, {1, 1, 4}, false, schnell,
                     "1024x1024", 1, 4, 0, "no time stated: slower than Ulysses-2 x ring-2"),
                "T6-1024-u4", false),
      best_line(xdit("T6-1024-best4", "FLUX.1-schnell 1024px, 4 GPUs", "T6", l40, pcie, {1, 4, 1}, false, schnell,
                     "1024x1024", 1, 4, 0, "no time stated (the text: Ulysses-2 x ring-2, 1.41 s); the model's best of 4")),
      best_line(xdit("T6-1024-best8", "FLUX.1-schnell 1024px, 8 GPUs", "T6", l40, pcie, {1, 8, 1}, false, schnell,
                     "1024x1024", 1, 4, 0, "no time stated, layout not stated (the model's best of 8): slower than 4")),
      best_line(xdit("T6-2048-best4", "FLUX.1-schnell 2048px, 4 GPUs", "T6", l40, pcie, {1, 4, 1}, false, schnell,
                     "2048x2048", 1, 4, 0, "no time stated, layout not stated (the model's best of 4)")),
      best_line(xdit("T6-2048-best8", "FLUX.1-schnell 2048px, 8 GPUs", "T6", l40, pcie, {1, 8, 1}, false, schnell,
                     "2048x2048", 1, 4, 3.67, "the best stated, layout not stated (the model's best of 8)")),
  };
  return lines;
}

std::vector<ValidationLine> validation_lines() {
  std::vector<ValidationLine> all = lightx2v_lines();
  const auto& t = training_lines();
  all.insert(all.end(), t.begin(), t.end());
  return all;
}

std::vector<Ordering> ring_orderings() {
  std::vector<Ordering> out;
  const auto& t = training_lines();
  auto comparable = [](const ValidationLine& ring, const ValidationLine& other) {
    return other.source == ring.source && other.layout.ring == 1 && other.measured();
  };
  for (const ValidationLine& r : t) {
    if (r.layout.ring == 1 || !r.measured() || r.source == "T6") continue;
    // Against the lines without a ring on as many GPUs; where the group has none (T4), all of them.
    bool same_count = false;
    for (const ValidationLine& o : t)
      same_count = same_count || (comparable(r, o) && o.layout.gpus() == r.layout.gpus());
    for (const ValidationLine& o : t) {
      if (!comparable(r, o) || (same_count && o.layout.gpus() != r.layout.gpus()) || o.measured_s == r.measured_s)
        continue;
      const bool ring_first = r.measured_s < o.measured_s;
      out.push_back({ring_first ? r.id : o.id, ring_first ? o.id : r.id, "measured"});
    }
  }
  // T6's text (xDiT docs/performance/flux.md, 2025-02).
  out.push_back({"T6-1024-u2r2", "T6-1024-u4", "1024px: Ulysses-2 x ring-2 faster than Ulysses alone"});
  out.push_back({"T6-1024-u2r2", "T6-1024-r4", "1024px: Ulysses-2 x ring-2 faster than ring alone"});
  out.push_back({"T6-1024-best4", "T6-1024-best8", "1024px: 8 GPUs slower than 4 (QPI communication)"});
  out.push_back({"T6-2048-best8", "T6-2048-best4", "2048px: 8 GPUs faster than 4"});
  return out;
}

bool host_fit(const ValidationLine& l) { return l.end_to_end && l.measured() && !l.ring_fit; }

Candidate predict(const ValidationLine& line, double gemm_efficiency, RingParameters ring, double host_overhead_s) {
  const Topology topology = make_preset(line.topology);
  const Workload w = model_workload(line.model, line.resolution, line.frames, line.cfg);
  PlanOptions o;
  o.scope = Scope::step;
  o.gpus = line.layout.gpus();
  o.gemm_efficiency = gemm_efficiency;
  o.attention = line.attention;
  o.ring_pass_overhead_s = ring.pass_overhead_s;
  o.attention_half_keys = ring.half_keys;
  o.host_overhead_s = host_overhead_s;
  o.combos = {line.combo};
  o.transports = {line.transport};
  if (!line.best_of) o.only_layout = line.layout;
  o.only_dtype = line.wire;
  o.only_overlap = Overlap::none;
  const PlanResult r = make_plan(topology, find_gpu(line.gpu), w, o);
  if (line.layout.gpus() == 1) return r.one_gpu;
  const auto best = std::min_element(r.candidates.begin(), r.candidates.end(),
                                     [](const Candidate& a, const Candidate& b) { return a.time_s < b.time_s; });
  return *best;
}

namespace {

/// The minimum of a unimodal `cost` on [lo, hi] (golden-section search).
template <class Cost>
double golden(Cost cost, double lo, double hi, int iterations) {
  const double phi = (std::sqrt(5.0) - 1) / 2;
  double a = lo, b = hi;
  double x1 = b - phi * (b - a), x2 = a + phi * (b - a);
  double f1 = cost(x1), f2 = cost(x2);
  for (int i = 0; i < iterations && b - a > 1e-9 * (hi - lo); ++i) {
    if (f1 < f2) {
      b = x2, x2 = x1, f2 = f1;
      x1 = b - phi * (b - a), f1 = cost(x1);
    } else {
      a = x1, x1 = x2, f1 = f2;
      x2 = a + phi * (b - a), f2 = cost(x2);
    }
  }
  return (a + b) / 2;
}

/// Every fitted parameter at once.
struct Parameters {
  double gemm_efficiency = kGemmEfficiency;
  RingParameters ring{kRingPassOverheadS, kAttentionHalfKeys};
  double host_overhead_s = kHostOverheadS;
};

/// Seconds the line's measurement covers, predicted (a step times its steps).
double predicted_s(const ValidationLine& l, const Parameters& p) {
  return predict(l, p.gemm_efficiency, p.ring, p.host_overhead_s).time_s * l.steps;
}

/// The efficiency minimising the sum of squared log errors over `lines` (each line's time falls
/// monotonically with the efficiency, so the sum is unimodal).
double fit_efficiency(const std::vector<const ValidationLine*>& lines, Parameters p) {
  auto cost = [&](double e) {
    p.gemm_efficiency = e;
    double c = 0;
    for (const ValidationLine* l : lines) {
      const double err = std::log(predicted_s(*l, p) / l->measured_s);
      c += err * err;
    }
    return c;
  };
  return golden(cost, kFitLow, kFitHigh, kFitIterations);
}

constexpr double kOverheadHigh = 0.01;   // s per pass: the search range of the pass overhead
constexpr double kHalfKeysHigh = 16384;  // keys: the search range of the half-rate key count
constexpr int kRingRounds = 4, kRingIterations = 40;

/// The ring's parameters minimising the sum of squared errors of each ring line's log error less
/// its Ulysses twin's (what the ring costs beyond the same GPUs without it; the twin's own error,
/// common to both, is not the ring's to fit). Coordinate descent, golden section on each.
RingParameters fit_ring(const std::vector<const ValidationLine*>& lines, Parameters p,
                        const std::map<std::string, double>& twin_log_error) {
  auto cost = [&](RingParameters r) {
    p.ring = r;
    double c = 0;
    for (const ValidationLine* l : lines) {
      const double err = std::log(predicted_s(*l, p) / l->measured_s) - twin_log_error.at(l->twin);
      c += err * err;
    }
    return c;
  };
  RingParameters r{0, 0};
  for (int round = 0; round < kRingRounds; ++round) {
    r.pass_overhead_s = golden([&](double x) { return cost({x, r.half_keys}); }, 0, kOverheadHigh, kRingIterations);
    r.half_keys = golden([&](double x) { return cost({r.pass_overhead_s, x}); }, 0, kHalfKeysHigh, kRingIterations);
  }
  return r;
}

/// A host-fit line's prediction as a function of the host time h: steps + a h (the step grows by
/// h for each block forward of each step). Linear, so the fit evaluates it without re-planning.
struct HostTerms {
  double steps_s = 0, per_host_s = 0, measured_s = 0;
};
constexpr double kHostProbeS = 1e-3;  // the host time at which the slope per_host_s is taken
HostTerms host_terms(const ValidationLine& l, Parameters p) {
  HostTerms t;
  p.host_overhead_s = 0;
  t.steps_s = predicted_s(l, p);
  p.host_overhead_s = kHostProbeS;
  t.per_host_s = (predicted_s(l, p) - t.steps_s) / kHostProbeS;
  t.measured_s = l.measured_s;
  return t;
}

constexpr double kHostHigh = 0.02;  // s per block forward: the search range of the host time

/// The host time minimising the sum of squared log errors over `terms`.
double fit_host(const std::vector<HostTerms>& terms) {
  auto cost = [&](double h) {
    double c = 0;
    for (const HostTerms& t : terms) {
      const double err = std::log((t.steps_s + t.per_host_s * h) / t.measured_s);
      c += err * err;
    }
    return c;
  };
  return golden(cost, 0, kHostHigh, kFitIterations);
}

const ValidationRow& row_of(const Validation& v, const std::string& id) {
  for (const ValidationRow& r : v.rows)
    if (r.line.id == id) return r;
  throw std::logic_error("no validation line " + id);
}

}  // namespace

constexpr int kJointRounds = 3;  // the three fits in turn: the parameters settle in two

Validation validate() {
  Validation v;
  const std::vector<ValidationLine> lines = validation_lines();
  std::vector<const ValidationLine*> fitted, ring_fitted, host_fitted;
  for (const ValidationLine& l : lines) {
    if (l.fitted) fitted.push_back(&l);
    if (l.ring_fit) ring_fitted.push_back(&l);
    if (host_fit(l)) host_fitted.push_back(&l);
  }
  Parameters p;
  std::map<std::string, double> twin_log_error;
  std::vector<HostTerms> terms;
  for (int round = 0; round < kJointRounds; ++round) {
    p.gemm_efficiency = fit_efficiency(fitted, p);
    terms.clear();
    for (const ValidationLine* l : host_fitted) terms.push_back(host_terms(*l, p));
    p.host_overhead_s = fit_host(terms);
    for (const ValidationLine* l : ring_fitted)
      for (const ValidationLine& t : lines)
        if (t.id == l->twin) twin_log_error[t.id] = std::log(predicted_s(t, p) / t.measured_s);
    p.ring = fit_ring(ring_fitted, p, twin_log_error);
  }
  v.gemm_efficiency = p.gemm_efficiency;
  v.ring = p.ring;
  v.host_overhead_s = p.host_overhead_s;
  for (const ValidationLine& l : lines) {
    ValidationRow row;
    row.line = l;
    row.candidate = predict(l, p.gemm_efficiency, p.ring, p.host_overhead_s);
    row.predicted_s = row.candidate.time_s * l.steps;
    row.loo_predicted_s = row.predicted_s;  // not fitted to: already out of sample
    if (l.fitted) {
      std::vector<const ValidationLine*> others;
      for (const ValidationLine* f : fitted)
        if (f != &l) others.push_back(f);
      Parameters loo = p;
      if (!others.empty()) loo.gemm_efficiency = fit_efficiency(others, p);
      row.loo_predicted_s = predicted_s(l, loo);
    }
    if (l.ring_fit) {
      std::vector<const ValidationLine*> others;
      for (const ValidationLine* f : ring_fitted)
        if (f != &l) others.push_back(f);
      Parameters loo = p;
      loo.ring = fit_ring(others, p, twin_log_error);
      row.loo_pass_overhead_s = loo.ring.pass_overhead_s;
      row.loo_half_keys = loo.ring.half_keys;
      row.loo_predicted_s = predicted_s(l, loo);
    }
    if (host_fit(l)) {
      std::vector<HostTerms> others;
      for (std::size_t i = 0; i < host_fitted.size(); ++i)
        if (host_fitted[i] != &l) others.push_back(terms[i]);
      Parameters loo = p;
      loo.host_overhead_s = fit_host(others);
      row.loo_host_overhead_s = loo.host_overhead_s;
      row.loo_predicted_s = predicted_s(l, loo);
    }
    if (l.measured()) {
      row.error = row.predicted_s / l.measured_s - 1;
      row.loo_error = row.loo_predicted_s / l.measured_s - 1;
    }
    v.rows.push_back(row);
  }
  for (const Ordering& o : ring_orderings()) {
    OrderingRow r;
    r.ordering = o;
    const ValidationRow &f = row_of(v, o.faster), &s = row_of(v, o.slower);
    r.faster_s = f.predicted_s, r.slower_s = s.predicted_s;
    r.loo_faster_s = f.loo_predicted_s, r.loo_slower_s = s.loo_predicted_s;
    r.right = r.faster_s < r.slower_s;
    r.loo_right = r.loo_faster_s < r.loo_slower_s;
    v.orderings.push_back(r);
  }
  return v;
}

std::string validation_table(const Validation& v) {
  std::ostringstream o;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "fitted: gemm_efficiency %.3f (to the lines marked fitted); ring: pass overhead %.3f ms, attention "
                "half-rate keys %.0f (to the lines marked ring-fit, each against its twin); host %.2f ms a block "
                "forward (to the lines marked host-fit)\n",
                v.gemm_efficiency, 1e3 * v.ring.pass_overhead_s, v.ring.half_keys, 1e3 * v.host_overhead_s);
  o << buf;
  std::snprintf(buf, sizeof buf, "%-14s %9s %9s %8s %9s %8s  %-8s %-16s %s\n", "line", "measured", "model", "error",
                "loo_model", "loo_err", "used_for", "layout",
                "stages (s): attention / linear / exchanges / other / host");
  o << buf;
  for (const ValidationRow& r : v.rows) {
    const Stages& s = r.candidate.stages;
    const double k = r.line.steps;
    const char* use = r.line.fitted ? "fitted" : r.line.ring_fit ? "ring-fit" : host_fit(r.line) ? "host-fit" : "predict";
    char measured[32], err[32], loo_err[32];
    if (r.line.measured()) {
      std::snprintf(measured, sizeof measured, "%9.3f", r.line.measured_s);
      std::snprintf(err, sizeof err, "%+7.1f%%", 100 * r.error);
      std::snprintf(loo_err, sizeof loo_err, "%+7.1f%%", 100 * r.loo_error);
    } else {
      std::snprintf(measured, sizeof measured, "%9s", "-");
      std::snprintf(err, sizeof err, "%8s", "-");
      std::snprintf(loo_err, sizeof loo_err, "%8s", "-");
    }
    std::snprintf(buf, sizeof buf, "%-14s %s %9.3f %s %9.3f %s  %-8s %-16s %.3f / %.3f / %.3f / %.3f / %.3f%s\n",
                  r.line.id.c_str(), measured, r.predicted_s, err, r.loo_predicted_s, loo_err, use,
                  to_string(r.candidate.layout).c_str(), k * (s.attention + s.cross_attention), k * s.linear,
                  k * (s.a2a_fwd + s.a2a_rev + s.ring), k * (s.pack + s.unpack + s.other), k * s.host,
                  r.line.measured() && std::fabs(r.error) > 0.25 ? "  (over 25 %)" : "");
    o << buf;
    if (r.line.ring_fit) {
      const ValidationRow& twin = row_of(v, r.line.twin);
      const double model = r.predicted_s / twin.predicted_s, measured = r.line.measured_s / twin.line.measured_s;
      std::snprintf(buf, sizeof buf,
                    "%-14s   (against %s: model %.3f, measured %.3f, %+.1f %%; left out: fitted on the other two, "
                    "%.3f ms a pass, %.0f keys, %.3f)\n",
                    "", twin.line.id.c_str(), model, measured, 100 * (model / measured - 1), 1e3 * r.loo_pass_overhead_s,
                    r.loo_half_keys, r.loo_predicted_s / twin.predicted_s);
      o << buf;
    }
  }
  o << "ring against Ulysses (faster < slower, as stated; the model's times; loo: with the leave-one-out fits)\n";
  for (const OrderingRow& r : v.orderings) {
    std::snprintf(buf, sizeof buf, "%-14s < %-14s model %9.3f %s %9.3f  %-5s loo %-5s  %s\n",
                  r.ordering.faster.c_str(), r.ordering.slower.c_str(), r.faster_s, r.right ? "<" : ">=", r.slower_s,
                  r.right ? "right" : "WRONG", r.loo_right ? "right" : "WRONG", r.ordering.stated.c_str());
    o << buf;
  }
  return o.str();
}

}  // namespace ua2a::plan
