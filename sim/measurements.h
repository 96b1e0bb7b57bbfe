#pragma once
/// Measurements of one box: the "ulysses-a2a/measurements" document (docs/formats.md). Each point
/// is a set of GPU-to-GPU flows started together, `bytes` each, and one figure measured on them,
/// with the transport and the direction (the source writes, or the destination reads) that moved
/// them. Importers of nccl-tests, p2pBandwidthLatencyTest and nvbandwidth output, `probe`, and
/// hand-written files all produce this document; `simulate --measurements` predicts it and
/// `calibrate --measurements` fits a box to it.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "schedule/printable.h"
#include "sim/topology.h"

namespace ua2a {

/// A measurement document that cannot be used; the message names the file, the point and the fix.
struct MeasurementError : std::invalid_argument {
  explicit MeasurementError(const std::string& what) : std::invalid_argument(printable(what)) {}
};

enum class MeasureOp : std::uint8_t { write, read };
std::string to_string(MeasureOp op);
MeasureOp parse_measure_op(const std::string& name);

/// How the figure is computed from the flows' times (all flows start at t = 0):
///  - total: all bytes / the time the last flow ends;
///  - flow_min: the slowest flow's bytes / its own duration;
///  - rank_min: over sending GPUs, the smallest of its bytes / the time its last flow ends;
///  - busbw: nccl-tests' bus bandwidth for the collective the flows form, which for every
///    collective nccl-tests times (all-to-all, all-reduce as its ring, send/receive, all-gather,
///    reduce-scatter) equals the bytes the busiest GPU sends / the time the last flow ends.
enum class MeasureMetric : std::uint8_t { total, flow_min, rank_min, busbw };
std::string to_string(MeasureMetric metric);
MeasureMetric parse_measure_metric(const std::string& name);

using Flow = std::pair<std::int32_t, std::int32_t>;  ///< (source GPU, destination GPU) of the box

struct MeasurementPoint {
  std::string name;
  TransportKind transport = TransportKind::cuda_p2p;
  MeasureOp op = MeasureOp::write;
  std::uint64_t bytes = 0;  ///< per flow
  std::vector<Flow> flows;
  MeasureMetric metric = MeasureMetric::total;
  double gbps = 0;  ///< the measured figure, GB/s (10^9 bytes/s)
  std::string source;
  /// Optional, informational: the collective by name ("all_to_all", "all_reduce", "sendrecv")
  /// and the size nccl-tests printed for it (bytes per rank of the collective).
  std::string collective;
  std::uint64_t size_bytes = 0;
};

struct Measurements {
  /// The box as the document names it (a preset or a DOT path relative to the document), and
  /// resolved: a preset name, or the DOT path relative to the working directory. Empty: none.
  std::string box;
  std::string box_resolved;
  std::vector<MeasurementPoint> points;
  std::string origin;  ///< the file it was read from (for messages); empty for text
};

/// Limits of one document, checked before anything is built from it.
inline constexpr std::size_t kMaxMeasurementPoints = 4096;
inline constexpr std::size_t kMaxFlowsPerPoint = 4096;
inline constexpr std::int32_t kMaxMeasuredGpu = 4095;
inline constexpr std::uint64_t kMaxMeasuredBytes = std::uint64_t{1} << 40;  ///< 1 TiB per flow

/// Parses a document; `origin` is the file's path (messages name it, and `box` is resolved
/// against its folder). Throws MeasurementError naming the file, the point and the field.
Measurements read_measurements(const std::string& text, const std::string& origin = "");
/// The document as JSON (box as given, points in order); read_measurements reads it back.
std::string measurements_json(const Measurements& m);
/// Several documents as one: every box must resolve to the same box (or be empty). Throws
/// MeasurementError naming the two files otherwise.
Measurements merge_measurements(const std::vector<Measurements>& docs);

/// Throws MeasurementError when a point names a GPU the topology lacks or a transport it cannot
/// route (nvlink on a PCIe box), naming the point and the fix.
void check_measurements_fit(const Measurements& m, const Topology& topology);

}  // namespace ua2a
