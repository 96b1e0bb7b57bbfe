// `ulysses-a2a probe` end to end: the dry run lists the patterns and runs nothing; the threads
// smoke run writes a measurement document whose points are the dry run's, that the reader takes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "backend/runner.h"
#include "backend/transport.h"
#include "sim/measurements.h"
#include "tests/support.h"

using ua2a::testing::read_text;
using ua2a::testing::run_cli;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

/// A fresh folder per test, removed at the end.
struct Folder {
  fs::path path;
  explicit Folder(const std::string& name)
      : path(fs::temp_directory_path() / ("ua2a-probe-" + name + "-" + std::to_string(::getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~Folder() { fs::remove_all(path); }
  std::string operator/(const std::string& f) const { return (path / f).string(); }
};

json dry_run(const std::string& args) {
  const auto r = run_cli("probe --dry-run --json " + args);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  return json::parse(r.stdout_text);
}

}  // namespace

TEST(ProbeCli, DryRunListsThePatternsAndTheirTimeAndWritesNothing) {
  Folder dir("dry");
  const json plan = dry_run("-t 4090x4 -n 10 -w 2 -o " + dir / "m.json");
  EXPECT_EQ(plan.at("format"), "ulysses-a2a/probe-plan");
  EXPECT_EQ(plan.at("version"), 1);
  // 4 GPUs on one root complex: 12 ordered pairs, 6 both ways, 2 flows through cpu0, the
  // all-to-all, 3 rounds.
  const json& ps = plan.at("patterns");
  ASSERT_EQ(ps.size(), 23u);
  EXPECT_EQ(ps[0].at("name"), "gpu0->gpu1 one way");
  EXPECT_EQ(ps[18].at("name"), "2 flows through cpu0");
  EXPECT_EQ(ps[19].at("metric"), "busbw");
  double total = 0;
  for (const json& p : ps) {
    // 12 runs of the simulated pattern plus the stated overhead
    EXPECT_NEAR(p.at("estimated_s").get<double>(), 12 * p.at("simulated_s").get<double>() + 0.05, 1e-9);
    total += p.at("estimated_s").get<double>();
  }
  EXPECT_NEAR(plan.at("estimated_s").get<double>(), total, 1e-9);
  EXPECT_TRUE(fs::is_empty(dir.path)) << "a dry run wrote a file";

  const auto text = run_cli("probe --dry-run -t 4090x4");
  ASSERT_EQ(text.exit_code, 0) << text.out;
  EXPECT_NE(text.out.find("23 patterns"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("smoke test"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("s in all"), std::string::npos) << text.out;
}

TEST(ProbeCli, ThreadsSmokeRunWritesTheDryRunsPointsAsAMeasurementDocument) {
  Folder dir("smoke");
  const std::string args = "-t 4090x8-sw2 --transport cuda-p2p,shm --op write,read --bytes 4096 -n 2 -w 1";
  const json plan = dry_run(args);
  const auto r = run_cli("probe " + args + " -o " + dir / "m.json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("SMOKE TEST"), std::string::npos) << r.out;
  const std::string path = dir / "m.json";
  const ua2a::Measurements m = ua2a::read_measurements(read_text(path), path);
  EXPECT_EQ(m.box, "4090x8-sw2");
  ASSERT_EQ(m.points.size(), plan.at("patterns").size());
  // cuda-p2p written and read, shm written: three times 56 + 28 + the shared sets + 1 + 7
  EXPECT_GT(m.points.size(), 3u * 92);
  for (std::size_t i = 0; i < m.points.size(); ++i) {
    const json& p = plan.at("patterns")[i];
    const ua2a::MeasurementPoint& q = m.points[i];
    EXPECT_EQ(q.name, p.at("name"));
    EXPECT_EQ(ua2a::to_string(q.transport), p.at("transport"));
    EXPECT_EQ(ua2a::to_string(q.op), p.at("op"));
    EXPECT_EQ(ua2a::to_string(q.metric), p.at("metric"));
    EXPECT_EQ(json(q.flows), p.at("flows"));
    EXPECT_EQ(q.bytes, 4096u);
    EXPECT_GT(q.gbps, 0);
    EXPECT_NE(q.source.find("SMOKE TEST on CPU threads"), std::string::npos) << q.source;
  }
  ua2a::check_measurements_fit(m, ua2a::make_preset("4090x8-sw2"));
}

TEST(ProbeCli, ABoxFromAFileIsNamedRelativeToTheDocument) {
  Folder dir("dot");
  fs::create_directories(dir.path / "boxes");
  fs::create_directories(dir.path / "out");
  ASSERT_EQ(run_cli("topo show 4090x4 -o " + dir / "boxes/b.dot").exit_code, 0);
  const auto r = run_cli("probe -t " + dir / "boxes/b.dot" + " --bytes 256 -n 1 -w 0 -o " + dir / "out/m.json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const std::string path = dir / "out/m.json";
  const ua2a::Measurements m = ua2a::read_measurements(read_text(path), path);
  EXPECT_EQ(m.box, "../boxes/b.dot");
  EXPECT_TRUE(fs::equivalent(m.box_resolved, dir.path / "boxes/b.dot")) << m.box_resolved;
}

TEST(ProbeCli, AGpuBackendWithoutAGpuOrItsBuildSaysSoBeforeRunning) {
  if (ua2a::gpu_count() > 0) GTEST_SKIP() << "a GPU is visible";
  Folder dir("nogpu");
  for (const std::string backend : {"cuda-peer", "nccl"}) {
    const auto r = run_cli("probe --backend " + backend + " -t 4090x4 -o " + dir / "m.json");
    if (ua2a::find_transport(backend).available) {
      EXPECT_EQ(r.exit_code, 3) << r.out;  // the machine lacks what the command needs
      EXPECT_NE(r.out.find("--backend " + backend + " needs a CUDA GPU and none is visible"), std::string::npos) << r.out;
    } else {
      EXPECT_EQ(r.exit_code, 2) << r.out;  // the build lacks it: reconfigure
      EXPECT_NE(r.out.find("--backend " + backend + ": this build has no " + (backend == "nccl" ? "NCCL" : "CUDA")),
                std::string::npos)
          << r.out;
    }
  }
  EXPECT_TRUE(fs::is_empty(dir.path));
}
