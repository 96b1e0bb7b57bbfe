#pragma once
/// Importers of what users already measured on their box, into measurement points
/// (sim/measurements.h): the text output of nccl-tests (all_to_all_perf, sendrecv_perf,
/// all_reduce_perf), CUDA samples' p2pBandwidthLatencyTest and nvbandwidth. The format is told
/// from the content. GPU indices are the CUDA device ordinals the tool printed (so a run under
/// CUDA_VISIBLE_DEVICES numbers the visible GPUs from 0). docs/formats.md, "Measurement document
/// and importers", says what each importer takes, which flows each figure stands for and what it
/// skips.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/measurements.h"

namespace ua2a {

enum class MeasureTool : std::uint8_t { nccl_tests, p2p_bandwidth_latency_test, nvbandwidth };
std::string to_string(MeasureTool tool);

/// nccl-tests rows below this size are latency-bound (a few microseconds of launch and
/// synchronisation against microseconds of transfer) and say little about bandwidth: by default
/// only rows of at least 1 MiB are imported.
inline constexpr std::uint64_t kDefaultMinImportBytes = std::uint64_t{1} << 20;
/// Inputs larger than this are refused before parsing (a tool's output is kilobytes).
inline constexpr std::size_t kMaxImportTextBytes = std::size_t{16} << 20;

struct ImportOptions {
  /// NCCL's transport where an nccl-tests output has no NCCL_DEBUG=INFO lines ("via P2P/...",
  /// "via SHM/..."); with such lines it may only refine P2P to nvlink (NCCL's P2P transport over
  /// NVLink). One of shm, p2p, nvlink.
  std::optional<TransportKind> transport;
  bool all_sizes = false;  ///< import nccl-tests rows of every size, not only >= kDefaultMinImportBytes
};

struct ImportResult {
  MeasureTool tool = MeasureTool::nccl_tests;
  std::vector<MeasurementPoint> points;
  /// What was skipped and why, and what was assumed (e.g. a message size the output does not
  /// print): the CLI prints them, one a line.
  std::vector<std::string> notes;
  bool used_transport_option = false;  ///< ImportOptions::transport decided or refined a transport
};

/// Which tool printed `text`; throws MeasurementError naming `origin` and the three formats when
/// none (or more than one) fits, and when the text is empty or not text.
MeasureTool detect_measure_tool(const std::string& text, const std::string& origin);

/// Parses `text` (the file `origin`; messages name it and point names carry its file name).
/// Returns at least one point; throws MeasurementError naming the file, the line and the fix on
/// anything it cannot take whole (a cut table, a figure that is not a positive finite number,
/// ranks on several hosts, devices that disagree, nothing to import).
ImportResult import_measurements(const std::string& text, const std::string& origin, const ImportOptions& options = {});

ImportResult import_nccl_tests(const std::string& text, const std::string& origin, const ImportOptions& options = {});
ImportResult import_p2p_bandwidth_latency_test(const std::string& text, const std::string& origin);
ImportResult import_nvbandwidth(const std::string& text, const std::string& origin);

}  // namespace ua2a
