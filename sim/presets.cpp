// Preset boxes. Every figure cites the line of docs/reference/pcie-facts.md it comes from
// ("facts:NN"), or says plainly that it is an assumption. docs/simulate.md repeats the table.
#include <string>

#include "schedule/named.h"
#include "sim/topology.h"

namespace ua2a {

namespace {

// --- Link capacities, bytes/s per direction -------------------------------------------------
/// facts:11: PCIe 4.0 x16 as NCCL models it, 24 GB/s (the RTX 4090's host link).
constexpr double kPcie4x16 = 24e9;
/// facts:15: PCIe 5.0 x16 (H100), ~64 GB/s.
constexpr double kPcie5x16 = 64e9;
/// facts:14 (NCCL SKL QPI constant, 10 GB/s) and facts:28 (10 GB/s between the sockets of an
/// 8 x 4090 box): the 4090 presets model a Xeon Scalable (Skylake/Cascade Lake) host.
constexpr double kSkylakeQpi = 10e9;
/// facts:14: NCCL's Sapphire Rapids inter-socket constant, 22 GB/s (the H100 box's host).
constexpr double kSapphireRapidsUpi = 22e9;
/// facts:16: NVLink 4 on H100 SXM, 450 GB/s per direction, through the NVSwitch.
constexpr double kNvlink4 = 450e9;
/// Assumption (not in pcie-facts.md): host DRAM of one Xeon Scalable 2nd-gen socket, 6 channels
/// of DDR4-2933 = 6 x 2933e6 x 8 B = 140.8 GB/s (Intel's specification). Reads and writes share
/// the channels and host staging writes and reads every byte once, so each direction of the
/// cpu<->mem link gets half.
constexpr double kXeonDdr4HalfDuplex = 140.8e9 / 2;
/// Assumption: one Sapphire Rapids socket, 8 channels of DDR5-4800 = 307.2 GB/s, halved as above.
constexpr double kSprDdr5HalfDuplex = 307.2e9 / 2;
/// Assumption, from facts:11 and facts:24: a CPU root complex forwards GPU peer-to-peer traffic
/// at about one x16 port's worth in total (one pair alone reaches 24.2-24.4 GB/s one way, facts:24),
/// shared by every P2P flow through that CPU.
constexpr double kCpuForward = kPcie4x16;
/// facts:13: on Intel CPUs NCCL charges 6/5 of the bytes of GPU P2P traffic (64 B TLPs); with
/// kCpuForward this gives ~20 GB/s for one pair, as facts:25 measures on Xeon hosts.
constexpr double kIntelP2pOverhead = 6.0 / 5.0;
/// facts:23: a host-staged copy between two 4090s moves ~25.6-26.2 GB/s bidirectional, i.e.
/// ~13 GB/s per direction: the cap of one host-staged flow (the staging copy itself).
constexpr double kShmFlowCap = 13e9;

// --- Latencies and software costs: assumptions, not in pcie-facts.md ------------------------
constexpr double kPcieHopLatency = 0.5e-6;  ///< one PCIe link incl. its switch or root port
constexpr double kSocketLatency = 0.5e-6;   ///< one QPI/UPI crossing
constexpr double kMemoryLatency = 0.1e-6;   ///< DRAM access
constexpr double kNvlinkLatency = 0.5e-6;
constexpr double kOpCost = 5e-6;  ///< per operation: launch and proxy/progress cost of one send/recv

/// A Xeon host socket: cpu<i> and mem<i>, with the P2P forwarding limits of facts:13/24.
NodeIndex add_socket(Topology& t, std::int32_t socket, double memory_bytes_per_s) {
  const NodeIndex cpu = t.add_node({"cpu" + std::to_string(socket), NodeKind::cpu, 0, socket, kCpuForward,
                                    kIntelP2pOverhead});
  const NodeIndex mem = t.add_node({"mem" + std::to_string(socket), NodeKind::memory, 0, socket});
  t.add_link(cpu, mem, memory_bytes_per_s, kMemoryLatency, LinkKind::memory);
  return cpu;
}

NodeIndex add_gpu(Topology& t, std::int32_t index, std::int32_t socket, NodeIndex parent, double bytes_per_s) {
  const NodeIndex gpu = t.add_node({"gpu" + std::to_string(index), NodeKind::gpu, 0, socket});
  t.add_link(gpu, parent, bytes_per_s, kPcieHopLatency, LinkKind::pcie);
  return gpu;
}

NodeIndex add_switch(Topology& t, std::int32_t index, std::int32_t socket, NodeIndex cpu) {
  const NodeIndex sw = t.add_node({"sw" + std::to_string(index), NodeKind::pcie_switch, 0, socket});
  t.add_link(sw, cpu, kPcie4x16, kPcieHopLatency, LinkKind::pcie);  // one x16 uplink (facts:28, 34)
  return sw;
}

TopoParams rtx4090_params() {
  TopoParams p;
  p.transport = TransportKind::shm;  // facts:22: P2P is off on stock GeForce drivers; NCCL uses SHM
  p.op_cost_s = kOpCost;
  p.chunk_bytes = 128 * 1024;  // NCCL's chunk on PCIe (issue 4)
  p.shm_flow_cap_bytes_per_s = kShmFlowCap;
  p.nic_bytes_per_s = 25e9;  // assumption: one 200 Gb/s NIC per 4090 box
  p.gpu = "rtx4090";  // the contention defaults fitted on 4090 boxes apply (contention_policy.h)
  p.p2p = false;      // facts:22: the stock GeForce driver; `--p2p` or a DOT's p2p="on" for the patched one
  return p;
}

Topology box_4090x4() {
  Topology t;
  t.name = "4090x4";
  t.params = rtx4090_params();
  const NodeIndex cpu = add_socket(t, 0, kXeonDdr4HalfDuplex);
  for (int g = 0; g < 4; ++g) add_gpu(t, g, 0, cpu, kPcie4x16);  // each on its own root port
  return t;
}

/// Two Xeon sockets joined by QPI; `gpus_under` places GPU g (0..7) under a node of socket g / 4.
template <typename Place>
Topology dual_socket(const char* name, Place place) {
  Topology t;
  t.name = name;
  t.params = rtx4090_params();
  const NodeIndex cpu0 = add_socket(t, 0, kXeonDdr4HalfDuplex);
  const NodeIndex cpu1 = add_socket(t, 1, kXeonDdr4HalfDuplex);
  t.add_link(cpu0, cpu1, kSkylakeQpi, kSocketLatency, LinkKind::socket);
  place(t, cpu0, cpu1);
  return t;
}

Topology box_4090x8_2s() {
  // facts:33: dual-root, 4 GPUs per socket, each on its own root port.
  return dual_socket("4090x8-2s", [](Topology& t, NodeIndex cpu0, NodeIndex cpu1) {
    for (int g = 0; g < 8; ++g) add_gpu(t, g, g / 4, g < 4 ? cpu0 : cpu1, kPcie4x16);
  });
}

Topology box_4090x8_2s_sw() {
  // facts:28 and facts:34: per socket one switch holding 4 GPUs behind one x16 uplink.
  return dual_socket("4090x8-2s-sw", [](Topology& t, NodeIndex cpu0, NodeIndex cpu1) {
    const NodeIndex sw[2] = {add_switch(t, 0, 0, cpu0), add_switch(t, 1, 1, cpu1)};
    for (int g = 0; g < 8; ++g) add_gpu(t, g, g / 4, sw[g / 4], kPcie4x16);
  });
}

Topology box_4090x8_sw2() {
  // facts:34-35: per socket two switches with 2 GPUs each.
  return dual_socket("4090x8-sw2", [](Topology& t, NodeIndex cpu0, NodeIndex cpu1) {
    NodeIndex sw[4];
    for (int s = 0; s < 4; ++s) sw[s] = add_switch(t, s, s / 2, s < 2 ? cpu0 : cpu1);
    for (int g = 0; g < 8; ++g) add_gpu(t, g, g / 4, sw[g / 2], kPcie4x16);
  });
}

Topology box_h100x8_nvs() {
  Topology t;
  t.name = "h100x8-nvs";
  t.params.transport = TransportKind::nvlink;
  t.params.op_cost_s = kOpCost;
  t.params.chunk_bytes = 512 * 1024;  // assumption: NCCL's larger NVLink chunk
  t.params.nic_bytes_per_s = 50e9;    // assumption: one 400 Gb/s NIC per box
  t.params.gpu = "h100";
  t.params.p2p = true;  // a datacenter card: the driver allows P2P (here over NVLink)
  const NodeIndex cpu0 = add_socket(t, 0, kSprDdr5HalfDuplex);
  const NodeIndex cpu1 = add_socket(t, 1, kSprDdr5HalfDuplex);
  t.add_link(cpu0, cpu1, kSapphireRapidsUpi, kSocketLatency, LinkKind::socket);
  const NodeIndex nvs = t.add_node({"sw0", NodeKind::pcie_switch, 0, 0});  // the NVSwitch fabric
  for (int g = 0; g < 8; ++g) {
    const NodeIndex gpu = add_gpu(t, g, g / 4, g < 4 ? cpu0 : cpu1, kPcie5x16);
    t.add_link(gpu, nvs, kNvlink4, kNvlinkLatency, LinkKind::nvlink);
  }
  return t;
}

}  // namespace

const std::vector<ContentionAttribute>& contention_attributes() {
  static const std::vector<ContentionAttribute> table = {
      {"gpu_ce_alpha", &ContentionParams::gpu_ce_alpha, 1, "loss per extra stream out of a GPU, copy engines"},
      {"gpu_sm_alpha", &ContentionParams::gpu_sm_alpha, 1, "loss per extra stream out of a GPU, SM kernels"},
      {"rc_ce_alpha", &ContentionParams::rc_ce_alpha, 1, "loss per extra stream at a root port forwarding P2P, copy engines"},
      {"rc_sm_alpha", &ContentionParams::rc_sm_alpha, 1, "loss per extra stream at a root port forwarding P2P, SM kernels"},
      {"uplink_alpha", &ContentionParams::uplink_alpha, 1, "loss per extra stream on a switch uplink"},
      {"memory_alpha", &ContentionParams::memory_alpha, 1, "loss per extra stream on host memory (staged copies)"},
      {"read_window_bytes", &ContentionParams::read_window_bytes, 1, "non-posted bytes in flight per reading stream (0: none)"},
      {"nccl_fifo_bytes", &ContentionParams::nccl_fifo_bytes, 1, "NCCL's FIFO per connection, its window (0: none)"},
      {"nccl_channels", &ContentionParams::nccl_channels, 1, "NCCL channels per PCIe peer"},
      {"nccl_channel_gbps", &ContentionParams::nccl_channel_bytes_per_s, 1e9, "GB/s one NCCL channel moves (0: no cap)"},
  };
  return table;
}

const std::vector<PlatformInfo>& platforms() {
  static const std::vector<PlatformInfo> table = {
      {"intel-xeon", "Intel Xeon: P2P through the CPU in 64 B TLPs (NCCL charges 6/5)", kIntelP2pOverhead},
      {"amd-epyc", "AMD EPYC / Threadripper: no TLP charge (pcie-facts.md: 25 GB/s P2P vs 20 on Intel)", 1.0},
  };
  return table;
}

const PlatformInfo& find_platform(const std::string& name) {
  if (const PlatformInfo* p = find_named(platforms(), name)) return *p;
  throw TopologyError("unknown platform '" + name + "': use one of " + joined_names(platforms()));
}

const std::vector<PresetInfo>& presets() {
  static const std::vector<PresetInfo> table = {
      {"4090x4", "4 x RTX 4090 on one Xeon socket, each on its own x16 root port", box_4090x4},
      {"4090x8-2s", "8 x RTX 4090, dual Xeon socket, 4 per socket on direct root ports, 10 GB/s QPI",
       box_4090x8_2s},
      {"4090x8-2s-sw", "8 x RTX 4090, dual socket, one PCIe switch of 4 GPUs per socket (x16 uplink)",
       box_4090x8_2s_sw},
      {"4090x8-sw2", "8 x RTX 4090, dual socket, two PCIe switches of 2 GPUs per socket", box_4090x8_sw2},
      {"h100x8-nvs", "8 x H100 SXM on NVSwitch (NVLink 4), dual Sapphire Rapids, for contrast", box_h100x8_nvs},
  };
  return table;
}

Topology make_preset(const std::string& name) {
  for (const auto& p : presets())
    if (name == p.name) return p.make();
  std::string names, close;
  for (const auto& p : presets()) {
    names += std::string(names.empty() ? "" : ", ") + p.name;
    if (close.empty() && !name.empty() && std::string(p.name).find(name.substr(0, 4)) != std::string::npos)
      close = p.name;
  }
  throw TopologyError("unknown topology '" + name + "'" + (close.empty() ? "" : " (did you mean " + close + "?)") +
                      ": use a preset (" + names + ") or a DOT file path");
}

}  // namespace ua2a
