#pragma once
/// CPU offload as the reference runs it on 24 GB cards (reference/gpu-facts.md: LightX2V's 4090
/// configs set cpu_offload): the weights stay in host memory and each block's weights are
/// streamed to every GPU over its own PCIe path while the block before computes. Here: how long
/// every GPU of a layout takes to read one block's weights from the host memory of its socket at
/// once, on the box's links (max-min sharing, the simulator's flow model: GPUs behind one switch
/// share its uplink, GPUs of one socket its memory).
#include <cstdint>
#include <string>
#include <vector>

#include "sim/topology.h"

namespace ua2a::plan {

struct HostReadTime {
  double seconds = 0;      ///< until the last GPU has its bytes
  double slowest_bytes_per_s = 0;  ///< the slowest GPU's initial rate
  std::string bottleneck;  ///< the link that binds first ("sw0->gpu0"...)
  std::vector<double> link_bytes;  ///< bytes the read puts on each of the box's links (by edge id)
};

/// Every GPU of `gpus` (box GPU indices, rank order) reads `bytes` from the memory of its own
/// socket, all starting together. Throws std::invalid_argument when a GPU has no path from a
/// host memory (a DOT without a memory node on its socket), naming the GPU.
HostReadTime host_to_gpus(const Topology& topology, const std::vector<std::int32_t>& gpus, double bytes);

}  // namespace ua2a::plan
