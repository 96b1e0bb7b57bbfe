// libFuzzer target for the measurement document reader: any input either reads (and then writes
// back as JSON that reads again to the same document) or throws MeasurementError. Anything else
// (a crash, another exception, a sanitizer report) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "sim/measurements.h"

using namespace ua2a;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  Measurements m;
  try {
    m = read_measurements(text, "fuzz.json");
  } catch (const MeasurementError&) {
    return 0;
  }
  const std::string written = measurements_json(m);
  if (measurements_json(read_measurements(written, "fuzz.json")) != written) __builtin_trap();
  return 0;
}
