// The measurement document: what it accepts, what it refuses (and how it says so), round trips.
#include <gtest/gtest.h>

#include "sim/measurements.h"

using namespace ua2a;

namespace {

std::string doc(const std::string& points, const std::string& box = R"("box": "4090x4", )") {
  return R"({"format": "ulysses-a2a/measurements", "version": 1, )" + box + R"("points": [)" + points + "]}";
}

const std::string kPoint =
    R"({"name": "2 flows", "transport": "cuda-p2p", "op": "read", "bytes": 67108864, "flows": [[0, 1], [1, 0]],
        "metric": "total", "gbps": 53.8, "source": "test"})";

/// The message of the MeasurementError that reading `text` throws ("" when it reads).
std::string refusal(const std::string& text) {
  try {
    read_measurements(text, "dir/m.json");
  } catch (const MeasurementError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Measurements, ReadsEveryField) {
  const Measurements m = read_measurements(doc(kPoint), "dir/m.json");
  ASSERT_EQ(m.points.size(), 1u);
  const MeasurementPoint& p = m.points[0];
  EXPECT_EQ(p.name, "2 flows");
  EXPECT_EQ(p.transport, TransportKind::cuda_p2p);
  EXPECT_EQ(p.op, MeasureOp::read);
  EXPECT_EQ(p.bytes, 67108864u);
  EXPECT_EQ(p.flows, (std::vector<Flow>{{0, 1}, {1, 0}}));
  EXPECT_EQ(p.metric, MeasureMetric::total);
  EXPECT_DOUBLE_EQ(p.gbps, 53.8);
  EXPECT_EQ(p.source, "test");
  EXPECT_EQ(m.box_resolved, "4090x4");  // a preset stays a preset
}

TEST(Measurements, ResolvesABoxFileAgainstTheDocumentsFolder) {
  const Measurements m = read_measurements(doc(kPoint, R"("box": "../boxes/b.dot", )"), "data/runs/m.json");
  EXPECT_EQ(m.box, "../boxes/b.dot");
  EXPECT_EQ(m.box_resolved, "data/boxes/b.dot");
}

TEST(Measurements, OpDefaultsToWrite) {
  const Measurements m = read_measurements(
      doc(R"({"name": "a", "transport": "shm", "bytes": 1000, "flows": [[0, 1]], "metric": "busbw", "gbps": 1})"));
  EXPECT_EQ(m.points[0].op, MeasureOp::write);
}

TEST(Measurements, RoundTripsThroughItsJson) {
  Measurements m = read_measurements(doc(kPoint + "," + R"({"name": "b", "transport": "shm", "bytes": 8, "flows": [[2, 3]],
      "metric": "busbw", "gbps": 1.5, "collective": "all_to_all", "size_bytes": 32})"));
  const Measurements again = read_measurements(measurements_json(m));
  ASSERT_EQ(again.points.size(), 2u);
  EXPECT_EQ(again.box, "4090x4");
  EXPECT_EQ(again.points[1].collective, "all_to_all");
  EXPECT_EQ(again.points[1].size_bytes, 32u);
  EXPECT_EQ(again.points[0].flows, m.points[0].flows);
  EXPECT_EQ(measurements_json(again), measurements_json(m));
}

TEST(Measurements, RefusesWhatItCannotUseNamingFilePointAndField) {
  const std::string p = R"("name": "x", "transport": "cuda-p2p", "metric": "total", "gbps": 1, "bytes": 8)";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{", "dir/m.json: not valid JSON"},
      {"4444.4e44444", "dir/m.json: not valid JSON"},  // a number past a double: found by fuzz_measurements
      {"[]", "a JSON object"},
      {R"({"format": "other", "version": 1, "points": []})", "field 'format'"},
      {R"({"format": "ulysses-a2a/measurements", "version": 2, "points": [1]})", "version 1 only"},
      {doc(""), "non-empty list"},
      {doc("{" + p + R"(, "flows": [[0, 0]]})"), "from a GPU to itself"},
      {doc("{" + p + R"(, "flows": [[0, 1], [0, 1]]})"), "listed twice"},
      {doc("{" + p + R"(, "flows": [[0, -1]]})"), "destination GPU must be a whole number"},
      {doc("{" + p + R"(, "flows": [[0, 1.5]]})"), "whole number"},
      {doc("{" + p + R"(, "flows": []})"), "non-empty list of [source GPU"},
      {doc("{" + p + R"(, "flows": [[0, 1, 2]]})"), "pair"},
      {doc("{" + p + R"(, "flows": [[0, 1]], "extra": 1})"), "point 0 ('x'): unknown field 'extra'"},
      {doc(R"({"name": "x", "transport": "warp", "metric": "total", "gbps": 1, "bytes": 8, "flows": [[0, 1]]})"),
       "unknown transport 'warp'"},
      {doc(R"({"name": "x", "transport": "shm", "metric": "mean", "gbps": 1, "bytes": 8, "flows": [[0, 1]]})"),
       "unknown metric 'mean': use one of total, flow_min, rank_min, busbw"},
      {doc(R"({"name": "x", "transport": "shm", "op": "read", "metric": "total", "gbps": 1, "bytes": 8, "flows": [[0, 1]]})"),
       "op 'read' applies to cuda-p2p only"},
      {doc(R"({"name": "x", "transport": "shm", "metric": "total", "gbps": 0, "bytes": 8, "flows": [[0, 1]]})"),
       "positive figure"},
      {doc(R"({"name": "x", "transport": "shm", "metric": "total", "gbps": "fast", "bytes": 8, "flows": [[0, 1]]})"),
       "'gbps' must be a number"},
      {doc(R"({"name": "x", "transport": "shm", "metric": "total", "gbps": 1, "bytes": 0, "flows": [[0, 1]]})"),
       "'bytes' must be a whole number from 1"},
      {doc(R"({"name": "x", "transport": "shm", "metric": "total", "gbps": 1, "flows": [[0, 1]]})"), "'bytes' is missing"},
      {doc(kPoint + "," + kPoint), "the name '2 flows' is used twice"},
  };
  for (const auto& [text, expected] : cases) {
    const std::string message = refusal(text);
    EXPECT_NE(message.find(expected), std::string::npos) << text << "\n-> " << message;
    EXPECT_EQ(message.rfind("dir/m.json", 0), 0u) << "the message names the file: " << message;
  }
}

TEST(Measurements, MergesDocumentsOfOneBoxOnly) {
  Measurements a = read_measurements(doc(kPoint), "a.json");
  Measurements b = read_measurements(
      doc(R"({"name": "other", "transport": "shm", "bytes": 8, "flows": [[0, 1]], "metric": "total", "gbps": 1})"),
      "b.json");
  EXPECT_EQ(merge_measurements({a, b}).points.size(), 2u);
  EXPECT_THROW(merge_measurements({a, a}), MeasurementError);  // the same names twice
  b.box_resolved = "4090x8-2s";
  try {
    merge_measurements({a, b});
    FAIL() << "two boxes merged";
  } catch (const MeasurementError& e) {
    EXPECT_NE(std::string(e.what()).find("differs from a.json"), std::string::npos) << e.what();
  }
}

TEST(Measurements, ChecksTheGpusAgainstTheBox) {
  const Measurements m = read_measurements(
      doc(R"({"name": "far", "transport": "shm", "bytes": 8, "flows": [[0, 7]], "metric": "total", "gbps": 1})"));
  EXPECT_NO_THROW(check_measurements_fit(m, make_preset("4090x8-2s")));
  try {
    check_measurements_fit(m, make_preset("4090x4"));
    FAIL() << "GPU 7 accepted on a 4-GPU box";
  } catch (const MeasurementError& e) {
    EXPECT_NE(std::string(e.what()).find("uses GPU 7 but box '4090x4' has GPUs 0 to 3"), std::string::npos) << e.what();
  }
}

TEST(Measurements, ChecksTheTransportsAgainstTheBox) {
  const Measurements m = read_measurements(
      doc(R"({"name": "nv", "transport": "nvlink", "bytes": 8, "flows": [[0, 1]], "metric": "total", "gbps": 1})"), "m.json");
  EXPECT_NO_THROW(check_measurements_fit(m, make_preset("h100x8-nvs")));
  try {
    check_measurements_fit(m, make_preset("4090x4"));
    FAIL() << "an NVLink point accepted on a PCIe box";
  } catch (const MeasurementError& e) {
    EXPECT_NE(std::string(e.what()).find("m.json: point 'nv' was measured over nvlink, which box '4090x4' cannot route"),
              std::string::npos)
        << e.what();
  }
}
