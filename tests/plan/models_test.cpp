// Models as data: the built-in rows, the diffusers importer on configs written from the public
// model cards (tests/plan/data), the model document, and that each of them plans unchanged.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "plan/models.h"
#include "plan/plan.h"
#include "sim/topology.h"

namespace ua2a::plan {
namespace {

std::string data(const std::string& name) {
  std::ifstream in(std::string(UA2A_SOURCE_DIR) + "/tests/plan/data/" + name);
  EXPECT_TRUE(in) << name;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string error_of(const std::string& text) {
  try {
    read_model_file(text, "m.json");
  } catch (const ModelFileError& e) {
    return e.what();
  }
  return "no error";
}

constexpr double d2 = 3072.0 * 3072.0;

TEST(Models, DiffusersConfigsImportAsTheirModelCardsSay) {
  // Wan2.1-T2V-14B: 40 x (self q k v o 4 d^2 + cross q k v o 4 d^2 + FFN 2 d f), d = 5120, f = 13824.
  const VideoModel wan = read_model_file(data("wan2.1-t2v-14b.config.json"), "wan");
  EXPECT_EQ(wan.heads, 40u);
  EXPECT_EQ(wan.hidden, 5120u);
  EXPECT_EQ(wan.layers, 40u);
  EXPECT_EQ(wan.spatial, 16u);
  EXPECT_FALSE(wan.text_in_self_attention);
  EXPECT_DOUBLE_EQ(model_parameters(wan), 40 * (8 * 5120.0 * 5120 + 2 * 5120.0 * 13824));
  // HunyuanVideo: double-stream blocks are two streams of q, k, v (3 d^2), o (d^2), the 4d MLP
  // (8 d^2) and a 6d modulation (6 d^2); single-stream: 3d modulation, q k v, 4d in, 5d -> d out;
  // two token-refiner blocks of attention (4 d^2), MLP (8 d^2) and 2d modulation.
  const VideoModel hy = read_model_file(data("hunyuanvideo.config.json"), "hy");
  EXPECT_EQ(hy.heads, 24u);
  EXPECT_EQ(hy.layers, 60u);
  EXPECT_FALSE(hy.cfg);  // embedded guidance
  EXPECT_DOUBLE_EQ(hy.parameters, (20 * 2 * (3 + 1 + 8 + 6) + 40 * (3 + 3 + 4 + 5) + 2 * (4 + 8 + 2)) * d2);
  // FLUX.1: the same blocks, 19 + 38, no refiner.
  const VideoModel dev = read_model_file(data("flux.1-dev.config.json"), "dev");
  const VideoModel schnell = read_model_file(data("flux.1-schnell.config.json"), "schnell");
  EXPECT_DOUBLE_EQ(dev.parameters, (19 * 36 + 38 * 15) * d2);
  EXPECT_TRUE(dev.image());
  EXPECT_EQ(dev.text_tokens, 512u);
  EXPECT_EQ(schnell.text_tokens, 256u);
  // Mochi-1: visual stream 4d modulation, q k v o, SwiGLU of (4 x 3072 x 2) / 3 = 8192 (3 matrices);
  // text stream of width c = 1536: 4c modulation from d, q k v from c to d, o back, SwiGLU of 4096.
  const VideoModel mochi = read_model_file(data("mochi-1-preview.config.json"), "mochi");
  EXPECT_EQ(mochi.ffn, 8192u);
  EXPECT_EQ(mochi.ffn_matrices, 3u);
  EXPECT_EQ(mochi.temporal, 6u);
  const double c = 1536;
  EXPECT_DOUBLE_EQ(mochi.parameters,
                   48 * (4 * d2 + 4 * d2 + 3 * 3072.0 * 8192 + 4 * 3072 * c + 4 * 3072 * c + 3 * c * 4096));
  // CogVideoX-5b: 48 heads of 64; two 6d modulations from the 512-wide time embedding.
  const VideoModel cog = read_model_file(data("cogvideox-5b.config.json"), "cog");
  EXPECT_EQ(cog.heads, 48u);
  EXPECT_EQ(cog.head_dim, 64u);
  EXPECT_EQ(cog.text_tokens, 226u);
  EXPECT_DOUBLE_EQ(cog.parameters, 42 * (12 * d2 + 2 * 512.0 * 6 * 3072));
  // Against the sizes the model cards state (the counts leave out biases, norms, embeddings).
  auto near = [](double got, double card, double tolerance) { return std::abs(got / card - 1) < tolerance; };
  EXPECT_TRUE(near(model_parameters(wan), 14e9, 0.02));
  EXPECT_TRUE(near(hy.parameters, 13e9, 0.03));
  EXPECT_TRUE(near(dev.parameters, 12e9, 0.02));
  EXPECT_TRUE(near(mochi.parameters, 10e9, 0.01));
  EXPECT_TRUE(near(cog.parameters, 5e9, 0.12));  // "5B" on the card; the weights count 5.55e9
}

TEST(Models, BuiltInRowsAreTheImportedConfigs) {
  const std::pair<const char*, const char*> pairs[] = {{"hunyuanvideo", "hunyuanvideo.config.json"},
                                                       {"mochi-1", "mochi-1-preview.config.json"},
                                                       {"flux.1-dev", "flux.1-dev.config.json"},
                                                       {"flux.1-schnell", "flux.1-schnell.config.json"},
                                                       {"cogvideox-5b", "cogvideox-5b.config.json"},
                                                       {"wan2.1-14b", "wan2.1-t2v-14b.config.json"}};
  for (const auto& [name, file] : pairs) {
    const VideoModel& row = find_video_model(name);
    const VideoModel imported = read_model_file(data(file), file);
    EXPECT_EQ(row.heads, imported.heads) << name;
    EXPECT_EQ(row.head_dim, imported.head_dim) << name;
    EXPECT_EQ(row.hidden, imported.hidden) << name;
    EXPECT_EQ(row.layers, imported.layers) << name;
    EXPECT_EQ(row.ffn, imported.ffn) << name;
    EXPECT_EQ(row.ffn_matrices, imported.ffn_matrices) << name;
    EXPECT_EQ(row.text_tokens, imported.text_tokens) << name;
    EXPECT_EQ(row.text_in_self_attention, imported.text_in_self_attention) << name;
    EXPECT_EQ(row.spatial, imported.spatial) << name;
    EXPECT_EQ(row.temporal, imported.temporal) << name;
    EXPECT_EQ(row.cfg, imported.cfg) << name;
    EXPECT_DOUBLE_EQ(model_parameters(row), model_parameters(imported)) << name;
  }
}

TEST(Models, TokensOfEachModelAtItsDefaults) {
  // Image tokens: latent frames x (H / 16) x (W / 16); joint models add their text tokens.
  const auto tokens = [](const char* name) { return model_workload(find_video_model(name), "", 0, true).tokens; };
  EXPECT_EQ(tokens("flux.1-dev"), 64u * 64 + 512);               // 1024 x 1024
  EXPECT_EQ(tokens("flux.1-schnell"), 64u * 64 + 256);
  EXPECT_EQ(tokens("mochi-1"), (1u + 48 / 6) * 30 * 53 + 256);   // 848 x 480, 49 frames
  EXPECT_EQ(tokens("cogvideox-5b"), (1u + 48 / 4) * 30 * 45 + 226);  // 720 x 480, 49 frames
  EXPECT_EQ(tokens("hunyuanvideo"), (1u + 128 / 4) * 45 * 80 + 256);  // 1280 x 720, 129 frames
  EXPECT_EQ(tokens("wan2.1-14b"), 21u * 30 * 52);                // cross-attention: text apart
  EXPECT_EQ(model_workload(find_video_model("wan2.1-14b"), "", 0, true).context_tokens, 512u);
  EXPECT_EQ(model_workload(find_video_model("flux.1-dev"), "512x768", 1, true).tokens, 32u * 48 + 512);
  // CFG only where the model runs it.
  EXPECT_FALSE(model_workload(find_video_model("flux.1-dev"), "", 0, true).cfg);
  EXPECT_TRUE(model_workload(find_video_model("mochi-1"), "", 0, true).cfg);
  EXPECT_FALSE(model_workload(find_video_model("mochi-1"), "", 0, false).cfg);
}

TEST(Models, EveryConfigPlansOnTheDefaultBox) {
  const Topology t = make_preset("4090x8-2s-sw");
  for (const char* file : {"hunyuanvideo.config.json", "mochi-1-preview.config.json", "flux.1-dev.config.json",
                           "flux.1-schnell.config.json", "cogvideox-5b.config.json", "wan2.1-t2v-14b.config.json",
                           "my-model.json"}) {
    const VideoModel m = read_model_file(data(file), file);
    PlanOptions o;
    const PlanResult r = make_plan(t, find_gpu("rtx4090"), model_workload(m, "", 0, true), o);
    ASSERT_FALSE(r.candidates.empty()) << file;
    const Candidate& k = r.candidates[r.recommended_index];
    EXPECT_TRUE(k.fits) << file;
    EXPECT_GT(k.speedup_one_gpu, 1.0) << file;
    // Weights per GPU: over 24 GB less the activations they run with offload, and say so.
    const bool over = model_parameters(m) * 2 > 24e9;
    bool said = false;
    for (const std::string& n : r.notes) said |= n.find("runs with CPU offload") != std::string::npos;
    EXPECT_EQ(said, k.offload) << file;
    if (!over) {
      EXPECT_FALSE(k.offload) << file;
    }
  }
}

TEST(Models, ModelDocumentsReadBack) {
  for (const VideoModel& m : video_models()) {
    if (m.layers == 0) continue;  // hunyuanvideo-1.5: no block shape, so no document
    const VideoModel back = read_model_file(model_json(m), "back");
    EXPECT_EQ(model_json(back), model_json(m)) << m.name;
  }
  const VideoModel mine = read_model_file(data("my-model.json"), "my-model.json");
  EXPECT_EQ(mine.name, "my-dit");
  // 24 x (8 x 2048^2 + 2 x 2048 x 8192), the Wan-shaped count when no parameters are given.
  EXPECT_DOUBLE_EQ(model_parameters(mine), 24 * (8 * 2048.0 * 2048 + 2 * 2048.0 * 8192));
}

TEST(Models, BadModelFilesNameTheFieldAndTheFix) {
  const std::string good = data("my-model.json");
  auto with = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    const auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
  };
  EXPECT_NE(error_of("{").find("m.json: not JSON"), std::string::npos);
  EXPECT_NE(error_of("[1]").find("JSON object"), std::string::npos);
  EXPECT_NE(error_of(with("\"layers\"", "\"layer\"")).find("unknown field 'layer'"), std::string::npos);
  EXPECT_NE(error_of(with("\"heads\": 16,", "")).find("field 'heads' is missing"), std::string::npos);
  EXPECT_NE(error_of(with("\"heads\": 16", "\"heads\": 0")).find("heads is 0"), std::string::npos);
  EXPECT_NE(error_of(with("\"heads\": 16", "\"heads\": -3")).find("whole number"), std::string::npos);
  EXPECT_NE(error_of(with("\"heads\": 16", "\"heads\": 1.5")).find("whole number"), std::string::npos);
  EXPECT_NE(error_of(with("\"cfg\": true", "\"cfg\": 1")).find("true or false"), std::string::npos);
  EXPECT_NE(error_of(with("\"version\": 1", "\"version\": 2")).find("version 2"), std::string::npos);
  EXPECT_NE(error_of(with("ulysses-a2a/model", "ulysses-a2a/gpu")).find("format"), std::string::npos);
  EXPECT_NE(error_of(with("\"default_frames\": 81", "\"default_frames\": 80")).find("4k + 1"), std::string::npos);
  EXPECT_NE(error_of(with("\"pixels_per_token\": 16", "\"pixels_per_token\": 7")).find("multiples of 7"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"_class_name": "SD3Transformer2DModel"})").find("'SD3Transformer2DModel' is not known"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"_class_name": "WanTransformer3DModel", "num_attention_heads": 40})")
                .find("'attention_head_dim' is missing"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"_class_name": "WanTransformer3DModel", "num_attention_heads": 40, "attention_head_dim": 128,
                        "num_layers": 40, "ffn_dim": 13824, "patch_size": [1, 2]})")
                .find("patch_size"),
            std::string::npos);
  try {
    resolve_model("wan2.1-14b", "x.json");
    ADD_FAILURE();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--model and --model-file"), std::string::npos);
  }
  EXPECT_THROW(find_video_model("sd3"), std::invalid_argument);
}

}  // namespace
}  // namespace ua2a::plan
