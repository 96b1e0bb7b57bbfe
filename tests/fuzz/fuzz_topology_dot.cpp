// libFuzzer target for the topology DOT reader: any input either reads into a topology (which then
// writes and reads back to the same DOT, and routes) or throws TopologyError. Anything else (a
// crash, another exception, a sanitizer report) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "sim/route.h"
#include "sim/topology.h"

using namespace ua2a;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 1 << 16) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const Topology t = read_dot(text);
    const std::string dot = write_dot(t);
    if (write_dot(read_dot(dot)) != dot) __builtin_trap();
    if (t.gpus().size() < 64) {
      try {
        const Router router(t, t.params.transport);
        for (std::size_t a = 0; a < t.gpus().size(); ++a)
          for (std::size_t b = 0; b < t.gpus().size(); ++b)
            if (a != b) router.route(static_cast<std::int32_t>(a), static_cast<std::int32_t>(b));
      } catch (const std::invalid_argument&) {  // no route under this transport: a documented error
      }
    }
  } catch (const TopologyError&) {
  }
  return 0;
}
