// --model-file in simulate, report and synthesize (issue 23, item 6): a model given as a file, a
// model document or a diffusers transformer config.json, sizes the exchange exactly as the table's
// row of the same model does, and the sizes are the ones worked by hand from the model's shape.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "tests/support.h"

using nlohmann::json;
using ua2a::testing::read_text;
using ua2a::testing::run_cli;

namespace {

const std::string kData = std::string(UA2A_SOURCE_DIR) + "/tests/plan/data/";

/// The runs of `simulate ARGS --json`, or an empty array (with the failure) when it failed.
json simulate_runs(const std::string& args) {
  const auto r = run_cli("simulate " + args + " --json");
  EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.out;
  if (r.exit_code != 0) return json::array();
  return json::parse(r.stdout_text).at("runs");
}

void expect_same_runs(const json& by_name, const json& by_file, const std::string& what) {
  ASSERT_EQ(by_name.size(), by_file.size()) << what;
  ASSERT_FALSE(by_name.empty()) << what;
  for (std::size_t i = 0; i < by_name.size(); ++i) {
    EXPECT_EQ(by_name[i].at("block_bytes"), by_file[i].at("block_bytes")) << what << " run " << i;
    EXPECT_EQ(by_name[i].at("time_s"), by_file[i].at("time_s")) << what << " run " << i;
    EXPECT_EQ(by_name[i].at("transport"), by_file[i].at("transport")) << what << " run " << i;
  }
}

/// Bytes of one merged q|k|v block: s tokens a rank x H / N heads x D x 3 tensors x 2 bytes (bf16).
std::uint64_t qkv_block(std::uint64_t tokens, std::uint64_t heads, std::uint64_t head_dim, std::uint64_t ranks) {
  return (tokens + ranks - 1) / ranks * (heads / ranks) * head_dim * 3 * 2;
}

}  // namespace

TEST(ModelFileCli, SimulateGivesADiffusersConfigTheTimesOfItsTableRow) {
  // Each config.json beside the table row written from the same public model card.
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"wan2.1-t2v-14b.config.json", "wan2.1-14b"}, {"flux.1-dev.config.json", "flux.1-dev"},
      {"hunyuanvideo.config.json", "hunyuanvideo"}, {"mochi-1-preview.config.json", "mochi-1"},
      {"cogvideox-5b.config.json", "cogvideox-5b"}};
  const std::string box = " --ranks 4 -t 4090x4 --algo grouped,round-robin";
  for (const auto& [file, name] : pairs)
    expect_same_runs(simulate_runs("--model " + name + box), simulate_runs("--model-file " + kData + file + box), name);
  // Worked by hand. Wan2.1-14B at its 480p, 81 frames: 21 latent frames x 30 x 52 = 32760 tokens,
  // 40 heads of 128. FLUX.1-dev at 1024 x 1024: 64 x 64 image tokens and its 512 text tokens in
  // the same (joint) attention, 24 heads of 128.
  EXPECT_EQ(simulate_runs("--model-file " + kData + "wan2.1-t2v-14b.config.json" + box)[0].at("block_bytes"),
            qkv_block(32760, 40, 128, 4));
  EXPECT_EQ(simulate_runs("--model-file " + kData + "flux.1-dev.config.json" + box)[0].at("block_bytes"),
            qkv_block(64 * 64 + 512, 24, 128, 4));
}

TEST(ModelFileCli, SimulateTakesAModelDocumentWithItsOwnDefaultsAndTheOptionsItAllows) {
  // my-model.json: 16 heads of 128, 16 pixels a token, 4 frames a latent frame, 256 joint text
  // tokens, defaults 480p and 81 frames: 32760 + 256 tokens.
  const std::string file = "--model-file " + kData + "my-model.json --algo grouped";
  EXPECT_EQ(simulate_runs(file)[0].at("block_bytes"), qkv_block(32760 + 256, 16, 128, 8));
  // 720p, 41 frames: 11 x 45 x 80 tokens; --dtype fp8 halves the bytes (the scales aside).
  EXPECT_EQ(simulate_runs(file + " --resolution 720p --frames 41")[0].at("block_bytes"),
            qkv_block(11 * 45 * 80 + 256, 16, 128, 8));
  EXPECT_LT(simulate_runs(file + " --dtype fp8")[0].at("block_bytes").get<std::uint64_t>(),
            qkv_block(32760 + 256, 16, 128, 8));
}

TEST(ModelFileCli, SynthesizeWritesTheSameScheduleForAFileAsForItsName) {
  const auto dir = std::filesystem::temp_directory_path() / "ua2a_model_file_synth";
  std::filesystem::create_directories(dir);
  const std::string args = "synthesize -t 4090x4 --budget 0.05 --exact --seed 3";
  const auto by_name = run_cli(args + " --model flux.1-dev -o " + (dir / "name.json").string());
  const auto by_file = run_cli(args + " --model-file " + kData + "flux.1-dev.config.json -o " + (dir / "file.json").string());
  ASSERT_EQ(by_name.exit_code, 0) << by_name.out;
  ASSERT_EQ(by_file.exit_code, 0) << by_file.out;
  const std::string schedule = read_text(dir / "name.json");
  EXPECT_EQ(schedule, read_text(dir / "file.json"));
  // The message is FLUX.1-dev's, 4608 tokens over 4 ranks: 1152 tokens x 6 heads x 128 x 3 x 2 bytes.
  std::uint64_t bytes = 0;
  const json doc = json::parse(schedule);
  for (const auto& part : doc.at("payload").at("parts")) bytes += part.at("bytes").get<std::uint64_t>();
  EXPECT_EQ(bytes, qkv_block(64 * 64 + 512, 24, 128, 4));
  std::filesystem::remove_all(dir);
}

TEST(ModelFileCli, ReportOnAFileMatchesTheReportOnItsName) {
  const auto dir = std::filesystem::temp_directory_path() / "ua2a_model_file_report";
  std::filesystem::remove_all(dir);
  const std::string args = "report --ranks 2 -t 4090x4 --no-layer-check --out ";
  const auto by_name = run_cli(args + (dir / "name").string() + " --model wan2.1-14b");
  const auto by_file = run_cli(args + (dir / "file").string() + " --model-file " + kData + "wan2.1-t2v-14b.config.json");
  ASSERT_EQ(by_name.exit_code, 0) << by_name.out;
  ASSERT_EQ(by_file.exit_code, 0) << by_file.out;
  const json name = json::parse(read_text(dir / "name" / "report.json"));
  const json file = json::parse(read_text(dir / "file" / "report.json"));
  EXPECT_EQ(file.at("model_file"), kData + "wan2.1-t2v-14b.config.json");
  EXPECT_FALSE(name.contains("model_file"));
  EXPECT_EQ(file.at("resolution"), "480p");
  ASSERT_EQ(name.at("schedules").size(), file.at("schedules").size());
  for (std::size_t i = 0; i < name.at("schedules").size(); ++i)
    EXPECT_EQ(name["schedules"][i].at("time_s"), file["schedules"][i].at("time_s")) << i;
  // The planner's answer too, and the command it names is the file's.
  EXPECT_EQ(name.at("plan").at("candidates"), file.at("plan").at("candidates"));
  EXPECT_NE(by_file.out.find("--model-file " + kData + "wan2.1-t2v-14b.config.json --resolution 480p"), std::string::npos)
      << by_file.out;
  std::filesystem::remove_all(dir);
}
