#pragma once
/// The contention model's policy, apart from the event loop that asks it (sim/simulate.cpp):
/// which resources lose capacity as streams interleave through them (by role and engine), the
/// caps on one stream (NCCL's channels, the read window, the host-staging copy), and which of
/// the box's parameters apply at all.
///
/// Scope: the defaults of ContentionParams were fitted on public measurements of particular
/// kinds of box (sim/calibration.cpp). A default applies only to a box of the kind it was fitted
/// on (its `gpu`), to a box calibrated for it on its own measurements, or where the box's file
/// sets a value of its own; elsewhere its mechanism is off, and calibration_status() says so.
#include <string>
#include <vector>

#include "sim/flow_model.h"
#include "sim/route.h"
#include "sim/topology.h"

namespace ua2a {

struct Mechanisms;

/// A default parameter fitted on one kind of box: where it applies, and the lines it rests on.
struct ParameterScope {
  const char* parameter;  ///< a ContentionAttribute name
  std::vector<std::string> gpus;
  const char* lines;  ///< pcie-facts.md lines
};
const std::vector<ParameterScope>& default_scopes();

/// The box's contention parameters with every default that does not apply to it turned off (0).
ContentionParams effective_contention(const Topology& topology);
/// The scoped parameters that are off on this box (their defaults belong to other boxes).
std::vector<std::string> parameters_off(const Topology& topology);

/// One line: calibrated (on how many points, fit and leave-one-out worst) or not, what is off,
/// and the expected error from docs/validation.md.
std::string calibration_status(const Topology& topology);

class ContentionPolicy {
 public:
  /// `transport`: the run's; `ce_reads`: cuda-p2p copies pull from the peer.
  ContentionPolicy(const Topology& topology, TransportKind transport, const Mechanisms& mechanisms, bool ce_reads);
  /// The loss per extra stream of resource `link` (a topology edge id); 0 for none.
  double interleave_alpha(std::uint32_t link) const;
  /// The most one stream of `route` may move (bytes/s): channels, window, staging copy.
  double stream_cap(const Route& route) const;

 private:
  double window_cap(const Route& route) const;
  const Topology& topology_;
  ContentionParams params_;
  TransportKind transport_;
  bool interleave_, window_, channels_, ce_reads_;
};

}  // namespace ua2a
