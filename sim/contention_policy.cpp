// The contention model's policy (contention_policy.h).
#include "sim/contention_policy.h"

#include <algorithm>
#include <cstdio>

#include "sim/simulate.h"

namespace ua2a {

namespace {

double& member(ContentionParams& p, const std::string& name) {
  for (const ContentionAttribute& a : contention_attributes())
    if (name == a.name) return p.*a.member;
  throw std::logic_error("no contention parameter " + name);
}

bool calibrated_for(const Topology& t, const std::string& parameter) {
  const auto& fitted = t.params.calibration.parameters;
  return std::find(fitted.begin(), fitted.end(), parameter) != fitted.end();
}

/// Where the default does not apply: not fitted on this box, not set by its file, not its GPU.
bool out_of_scope(const Topology& t, const ParameterScope& scope) {
  ContentionParams defaults, own = t.params.contention;
  if (calibrated_for(t, scope.parameter)) return false;
  if (member(own, scope.parameter) != member(defaults, scope.parameter)) return false;
  return std::find(scope.gpus.begin(), scope.gpus.end(), t.params.gpu) == scope.gpus.end();
}

std::string percent(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %%", 100 * v);
  return buf;
}

}  // namespace

const std::vector<ParameterScope>& default_scopes() {
  static const std::vector<ParameterScope> table = {
      {"gpu_ce_alpha", {"rtxpro6000"}, "C10-C13, C15, C16"},
      {"rc_sm_alpha", {"rtx4090"}, "C1"},
      {"read_window_bytes", {"rtxpro6000"}, "C13"},
      {"nccl_channel_gbps", {"rtxpro6000"}, "C18"},
  };
  return table;
}

ContentionParams effective_contention(const Topology& topology) {
  ContentionParams p = topology.params.contention;
  for (const ParameterScope& s : default_scopes())
    if (out_of_scope(topology, s)) member(p, s.parameter) = 0;
  return p;
}

std::vector<std::string> parameters_off(const Topology& topology) {
  std::vector<std::string> off;
  for (const ParameterScope& s : default_scopes())
    if (out_of_scope(topology, s)) off.push_back(s.parameter);
  return off;
}

std::string calibration_status(const Topology& topology) {
  const BoxCalibration& c = topology.params.calibration;
  std::string out;
  if (!c.empty()) {
    out = "calibrated on " + std::to_string(c.points) + " of its own measurements (fit worst " + percent(c.fit_worst) +
          ", leave-one-out worst " + percent(c.loo_worst) + ")";
  } else {
    out = "uncalibrated (GPU " + (topology.params.gpu.empty() ? std::string("unknown") : topology.params.gpu) +
          "): expect within about 10 % where one link limits, up to several times off where many streams "
          "interleave (docs/validation.md, section 5); calibrate it on its measurements (docs/simulate.md)";
  }
  const std::vector<std::string> off = parameters_off(topology);
  if (!off.empty()) {
    out += "; off here, fitted on other kinds of box:";
    for (const std::string& name : off) out += " " + name;
  }
  return out;
}

ContentionPolicy::ContentionPolicy(const Topology& topology, TransportKind transport, const Mechanisms& mechanisms,
                                   bool ce_reads)
    : topology_(topology),
      params_(effective_contention(topology)),
      transport_(transport),
      interleave_(mechanisms.interleave),
      window_(mechanisms.window),
      channels_(mechanisms.channels),
      ce_reads_(ce_reads) {}

double ContentionPolicy::interleave_alpha(std::uint32_t link) const {
  if (!interleave_) return 0;
  const ContentionParams& c = params_;
  const bool ce = transport_ == TransportKind::cuda_p2p || transport_ == TransportKind::cuda_staged;
  const bool sm = transport_ == TransportKind::shm || transport_ == TransportKind::p2p;
  if (!ce && !sm) return 0;  // NVLink: no PCIe interleaving in the data
  const bool forwarded = transport_ == TransportKind::p2p || transport_ == TransportKind::cuda_p2p;
  const bool staged = transport_ == TransportKind::shm || transport_ == TransportKind::cuda_staged;
  const EdgeRef e = topology_.edges()[link];
  const NodeKind a = topology_.node(boost::source(e, topology_.graph)).kind;
  const NodeKind b = topology_.node(boost::target(e, topology_.graph)).kind;
  const LinkKind kind = topology_.link(e).kind;
  auto touches = [&](NodeKind k) { return a == k || b == k; };
  double alpha = 0;
  // A GPU sending to many peers at once (serving their reads, or writing): its own link out.
  if (kind == LinkKind::pcie && a == NodeKind::gpu) alpha = std::max(alpha, ce ? c.gpu_ce_alpha : c.gpu_sm_alpha);
  if (forwarded && touches(NodeKind::cpu) && (kind == LinkKind::pcie || kind == LinkKind::socket))
    alpha = std::max(alpha, ce ? c.rc_ce_alpha : c.rc_sm_alpha);
  if (kind == LinkKind::pcie && touches(NodeKind::pcie_switch) && touches(NodeKind::cpu))
    alpha = std::max(alpha, c.uplink_alpha);
  if (staged && kind == LinkKind::memory) alpha = std::max(alpha, c.memory_alpha);
  return alpha;
}

double ContentionPolicy::stream_cap(const Route& route) const {
  const ContentionParams& c = params_;
  const bool nccl = route.transport == TransportKind::shm || route.transport == TransportKind::p2p;
  const bool capped = nccl && channels_ && c.nccl_channels > 0 && c.nccl_channel_bytes_per_s > 0;
  const double channels = capped ? c.nccl_channels * c.nccl_channel_bytes_per_s : FlowModel::kUncapped;
  return std::min(channels, window_cap(route));
}

/// A stream's bytes in flight over its route's round trip.
double ContentionPolicy::window_cap(const Route& route) const {
  if (!window_ || route.latency_s <= 0) return FlowModel::kUncapped;
  double window = 0;
  switch (route.transport) {
    case TransportKind::shm:
    case TransportKind::p2p: window = params_.nccl_fifo_bytes; break;  // credits come back per FIFO slot
    case TransportKind::cuda_p2p: window = ce_reads_ ? params_.read_window_bytes : 0; break;
    default: break;  // posted writes: PCIe credits are per hop, no end-to-end window
  }
  return window > 0 ? window / (2 * route.latency_s) : FlowModel::kUncapped;
}

}  // namespace ua2a
