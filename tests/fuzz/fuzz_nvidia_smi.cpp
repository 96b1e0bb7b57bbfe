// libFuzzer target for the `nvidia-smi topo -m` reader: any input either imports into a topology
// whose DOT reads back, or throws TopologyError. Anything else is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "sim/nvsmi.h"
#include "sim/topology.h"

using namespace ua2a;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 1 << 16) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const Topology t = import_nvidia_smi(text);
    const std::string dot = write_dot(t);
    if (write_dot(read_dot(dot)) != dot) __builtin_trap();
  } catch (const TopologyError&) {
  }
  return 0;
}
