// libFuzzer target for the importers of measure import (nccl-tests, p2pBandwidthLatencyTest,
// nvbandwidth text): any input either gives points or throws MeasurementError, and the points
// always make a measurement document that writes and reads back to the same document. Anything
// else (a crash, another exception, a sanitizer report, a document the reader refuses) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "sim/measure_import.h"

using namespace ua2a;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // The first byte picks the options, so every path (no transport, a transport, all sizes) runs.
  ImportOptions options;
  const unsigned pick = size ? data[0] : 0;
  if (pick & 1) options.transport = (pick & 2) ? TransportKind::p2p : TransportKind::shm;
  options.all_sizes = (pick & 4) != 0;
  Measurements m;
  try {
    m.points = import_measurements(text, "fuzz/input.txt", options).points;
  } catch (const MeasurementError&) {
    return 0;
  }
  if (m.points.empty()) __builtin_trap();
  m.box = "4090x8-2s-sw";
  const std::string written = measurements_json(m);
  if (measurements_json(read_measurements(written, "fuzz.json")) != written) __builtin_trap();
  return 0;
}
