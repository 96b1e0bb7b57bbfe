#pragma once
/// Import of `nvidia-smi topo -m` text: the GPU/NIC connection matrix (legend X, PIX, PXB, PHB,
/// NODE, SYS, NV#) and the NUMA affinity column become a Topology with default link speeds that the
/// caller can override. What the matrix cannot tell (how many switches a PXB path crosses, link
/// widths) follows the simplest box that gives the same legend; docs/simulate.md says how. NV#
/// cells whose sum for one GPU exceeds the 18 NVLinks a GPU has are taken as an NVSwitch: one
/// node "nvs0" with a link of # NVLinks from each GPU, as the h100x8-nvs preset has.
#include <optional>
#include <string>

#include "sim/topology.h"

namespace ua2a {

/// Link speeds for an imported box (GB/s per direction unless noted); defaults as the 4090 presets.
struct NvsmiOptions {
  std::string name = "imported";
  double gpu_link_gbps = 24;       ///< GPU to its switch or root port (pcie-facts.md line 11)
  double uplink_gbps = 24;         ///< switch to CPU
  double socket_gbps = 10;         ///< between sockets (line 14/28)
  double memory_gbps = 140.8;      ///< per socket, reads + writes together (assumption: 6 x DDR4-2933)
  double cpu_forward_gbps = 24;    ///< P2P forwarding of a root complex (assumption, see presets)
  double p2p_overhead = 1.2;       ///< bytes charged per P2P byte through a CPU (line 13, Intel)
  double nvlink_gbps_per_link = 25;  ///< one NVLink 4 link: 450 / 18 (line 16)
  double shm_flow_cap_gbps = 13;   ///< one host-staged flow (line 23); 0 = none
  ContentionParams contention;     ///< the contention model's parameters (platform label included)
  std::string gpu;                 ///< the GPUs' kind ("" unknown): which fitted defaults apply (contention_policy.h)
  /// P2P between the GPUs: the matrix cannot say (it shows paths, not the driver's mode); unset:
  /// default_p2p by the GPU kind (off for GeForce and an unknown kind).
  std::optional<bool> p2p;
};

/// Parses the text; throws TopologyError naming the line or cell that is wrong.
Topology import_nvidia_smi(const std::string& text, const NvsmiOptions& options = {});

}  // namespace ua2a
