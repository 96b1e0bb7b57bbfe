// `ulysses-a2a measure import` end to end: the document it writes, its box reference, its notes.
// Bad invocations are rows of tests/cli/bad_input_test.cpp.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "sim/measurements.h"
#include "tests/support.h"

using ua2a::testing::read_text;
using ua2a::testing::run_cli;

namespace fs = std::filesystem;

namespace {

const std::string kData = std::string(UA2A_SOURCE_DIR) + "/tests/sim/data/measure/";

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("ua2a-measure-" + std::to_string(::getpid()) + "-" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

}  // namespace

TEST(MeasureCli, ImportsSeveralToolsIntoOneDocumentOfAPresetBox) {
  const fs::path dir = scratch("preset");
  const std::string out = (dir / "m.json").string();
  const auto r = run_cli("measure import " + kData + "nccl_all_reduce_4x4090.txt " + kData +
                         "p2p_6x4090_nccl814.txt --box 4090x8-2s-sw --transport shm -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.stderr_text.find("nccl_all_reduce_4x4090.txt: nccl-tests, 12 points"), std::string::npos) << r.out;
  EXPECT_NE(r.stderr_text.find("p2p_6x4090_nccl814.txt: p2pBandwidthLatencyTest, 90 points"), std::string::npos);
  EXPECT_NE(r.stderr_text.find("note: 17 rows below 1 MiB skipped"), std::string::npos);
  EXPECT_NE(r.stderr_text.find("wrote " + out + ": 102 points of box 4090x8-2s-sw"), std::string::npos);
  const ua2a::Measurements m = ua2a::read_measurements(read_text(out), out);
  EXPECT_EQ(m.box, "4090x8-2s-sw");
  ASSERT_EQ(m.points.size(), 102u);
  EXPECT_EQ(m.points.front().name, "nccl_all_reduce_4x4090.txt: all_reduce, 4 GPUs, 1048576 B float");
  EXPECT_DOUBLE_EQ(m.points.front().gbps, 2.45);
  EXPECT_EQ(m.points.back().name, "p2p_6x4090_nccl814.txt: P2P on (reads), GPU 5 <- GPU 4");
  EXPECT_DOUBLE_EQ(m.points.back().gbps, 9.95);
  fs::remove_all(dir);
}

TEST(MeasureCli, ABoxFileIsNamedRelativeToTheDocument) {
  const fs::path dir = scratch("dot");
  fs::create_directories(dir / "boxes");
  fs::create_directories(dir / "docs");
  ASSERT_EQ(run_cli("topo show 4090x8-sw2 -o " + (dir / "boxes" / "mine.dot").string()).exit_code, 0);
  const std::string out = (dir / "docs" / "m.json").string();
  const auto r = run_cli("measure import " + kData + "nvbandwidth_read_ce_6xa6000.txt --box " +
                         (dir / "boxes" / "mine.dot").string() + " -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const ua2a::Measurements m = ua2a::read_measurements(read_text(out), out);
  EXPECT_EQ(m.box, "../boxes/mine.dot");
  EXPECT_EQ(fs::path(m.box_resolved), (dir / "boxes" / "mine.dot").lexically_normal());
  EXPECT_EQ(m.points.size(), 30u);
  fs::remove_all(dir);
}

TEST(MeasureCli, WritesToStdoutAndTakesAllSizes) {
  const auto r =
      run_cli("measure import " + kData + "nccl_all_reduce_4x4090.txt --box 4090x4 --transport p2p --all-sizes -o -");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json doc = nlohmann::json::parse(r.stdout_text);
  EXPECT_EQ(doc.at("format"), "ulysses-a2a/measurements");
  EXPECT_EQ(doc.at("box"), "4090x4");
  EXPECT_EQ(doc.at("points").size(), 25u);  // 29 rows, 4 with busbw 0.00
  EXPECT_EQ(doc.at("points").at(0).at("transport"), "p2p");
}
