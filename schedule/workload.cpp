#include "schedule/workload.h"

#include <stdexcept>
#include <utility>

#include "schedule/named.h"

namespace ua2a {

const std::vector<VideoModel>& video_models() {
  // Wan2.1: 8x spatial / 4x temporal VAE and 2x2 patches: one token per 16 x 16 pixels, 40 heads
  // of 128 (14B, hidden 5120) or 12 of 128 (1.3B, hidden 1536). reference/ulysses-4090.md works
  // the 14B numbers: 480p, 81 frames -> 21 x 30 x 52 = 32760 tokens.
  // HunyuanVideo-1.5: 16x spatial VAE with 1x1 patches (again 16 x 16 pixels per token), hidden
  // 2048 = 16 heads of 128 (from its public model card; an assumption to check against the
  // checkpoint you run).
  // Layers, hidden, FFN and text length: Wan2.1's configs (wan/configs/wan_t2v_14B.py,
  // wan_i2v_14B.py: dim 5120, ffn_dim 13824, 40 layers; wan_t2v_1_3B.py: dim 1536, ffn_dim 8960,
  // 30 layers; shared_config.py: text_len 512). I2V adds 257 CLIP ViT-H/14 image tokens (16 x 16
  // patches + class token) to the cross-attention context. HunyuanVideo-1.5's block shape is not
  // checked here, so its row leaves them 0 (the planner then offers --scope attention only).
  // The models of issue 23 (joint attention: the text tokens join the self-attention sequence and
  // go through the block's projections; FLOPs per token are 4 d^2 + ffn_matrices d f a block for
  // double- and single-stream blocks alike). Each from its diffusers transformer config.json as
  // published on the model's Hugging Face page (the key names in plan/diffusers.cpp), the VAE's
  // compression and the text length from the pipeline's defaults; `parameters` counted by hand
  // from the blocks (docs/plan.md, "Models": the sums; biases, norms and embeddings left out).
  constexpr double d3072sq = 3072.0 * 3072.0;
  static const std::vector<VideoModel> table = {
      {"wan2.1-14b", "Wan2.1 14B: H = 40, D = 128", 40, 128, 16, 4, 40, 5120, 13824, 512, 0},
      {"wan2.1-1.3b", "Wan2.1 1.3B: H = 12, D = 128", 12, 128, 16, 4, 30, 1536, 8960, 512, 0},
      {"hunyuanvideo-1.5", "HunyuanVideo-1.5 (8.3B): H = 16, D = 128", 16, 128, 16, 4},
      {"wan2.1-i2v-14b", "Wan2.1 I2V 14B: H = 40, D = 128, 257 image-context tokens", 40, 128, 16, 4, 40, 5120, 13824,
       512, 257},
      {.name = "hunyuanvideo", .description = "HunyuanVideo (13B): 20 double- + 40 single-stream blocks, H = 24, D = 128",
       .heads = 24, .head_dim = 128, .spatial = 16, .temporal = 4, .layers = 60, .hidden = 3072, .ffn = 12288,
       .text_tokens = 256, .text_in_self_attention = true, .cfg = false,
       // 20 x 36 d^2 (two streams of qkv, o, 4d FFN, 6d modulation) + 40 x 15 d^2 + 2 refiner x 14 d^2
       .parameters = (20 * 36 + 40 * 15 + 2 * 14) * d3072sq, .default_frames = 129, .default_resolution = "720p",
       .source = "hunyuanvideo-community/HunyuanVideo transformer/config.json (HunyuanVideoTransformer3DModel); "
                 "VAE 8x spatial, 4x temporal; 256 text tokens; guidance-distilled (no CFG)"},
      {.name = "mochi-1", .description = "Mochi-1 (10B): 48 blocks, H = 24, D = 128, SwiGLU",
       .heads = 24, .head_dim = 128, .spatial = 16, .temporal = 6, .layers = 48, .hidden = 3072, .ffn = 8192,
       .text_tokens = 256, .text_in_self_attention = true, .ffn_matrices = 3, .cfg = true,
       // 48 x (16 d^2 visual + 8 d c + 8 c^2 text stream), c = 1536
       .parameters = 48 * (16 * d3072sq + 8 * 3072.0 * 1536 + 8 * 1536.0 * 1536), .default_frames = 49,
       .default_resolution = "848x480",
       .source = "genmo/mochi-1-preview transformer/config.json (MochiTransformer3DModel); VAE 8x spatial, 6x "
                 "temporal; 256 text tokens; CFG"},
      {.name = "flux.1-dev", .description = "FLUX.1-dev (12B): 19 double- + 38 single-stream blocks, H = 24, D = 128",
       .heads = 24, .head_dim = 128, .spatial = 16, .temporal = 0, .layers = 57, .hidden = 3072, .ffn = 12288,
       .text_tokens = 512, .text_in_self_attention = true, .cfg = false,
       .parameters = (19 * 36 + 38 * 15) * d3072sq, .default_frames = 1, .default_resolution = "1024x1024",
       .source = "black-forest-labs/FLUX.1-dev transformer/config.json (FluxTransformer2DModel); VAE 8x and 2 x 2 "
                 "packing; 512 T5 tokens; guidance-distilled (no CFG)"},
      {.name = "flux.1-schnell", .description = "FLUX.1-schnell (12B): 19 double- + 38 single-stream blocks, H = 24, D = 128",
       .heads = 24, .head_dim = 128, .spatial = 16, .temporal = 0, .layers = 57, .hidden = 3072, .ffn = 12288,
       .text_tokens = 256, .text_in_self_attention = true, .cfg = false,
       .parameters = (19 * 36 + 38 * 15) * d3072sq, .default_frames = 1, .default_resolution = "1024x1024",
       .source = "black-forest-labs/FLUX.1-schnell transformer/config.json (FluxTransformer2DModel); 256 T5 tokens; "
                 "timestep-distilled (no CFG)"},
      {.name = "cogvideox-5b", .description = "CogVideoX-5b: 42 blocks, H = 48, D = 64",
       .heads = 48, .head_dim = 64, .spatial = 16, .temporal = 4, .layers = 42, .hidden = 3072, .ffn = 12288,
       .text_tokens = 226, .text_in_self_attention = true, .cfg = true,
       // 42 x (12 d^2 + 2 x 512 x 6 d): attention, 4d FFN, two modulations from the 512-wide time embedding
       .parameters = 42 * (12 * d3072sq + 2 * 512.0 * 6 * 3072), .default_frames = 49, .default_resolution = "720x480",
       .source = "THUDM/CogVideoX-5b transformer/config.json (CogVideoXTransformer3DModel); VAE 8x spatial, 4x "
                 "temporal; 226 text tokens; CFG"},
  };
  return table;
}

const VideoModel& find_video_model(const std::string& name) {
  if (const VideoModel* m = find_named(video_models(), name)) return *m;
  throw std::invalid_argument("unknown --model '" + name + "': use one of " + joined_names(video_models()));
}

namespace {

/// Pixels (height, width) of "480p", "720p" or "WIDTHxHEIGHT".
std::pair<std::uint64_t, std::uint64_t> parse_resolution(const std::string& resolution) {
  if (resolution == "480p") return {480, 832};
  if (resolution == "720p") return {720, 1280};
  const auto x = resolution.find('x');
  auto number = [](const std::string& s) -> std::uint64_t {
    if (s.empty() || s.size() > 6 || s.find_first_not_of("0123456789") != std::string::npos) return 0;
    return std::stoull(s);
  };
  const std::uint64_t width = x == std::string::npos ? 0 : number(resolution.substr(0, x));
  const std::uint64_t height = x == std::string::npos ? 0 : number(resolution.substr(x + 1));
  if (width == 0 || height == 0)
    throw std::invalid_argument("unknown --resolution '" + resolution + "': use 480p, 720p or WIDTHxHEIGHT (e.g. 848x480)");
  return {height, width};
}

}  // namespace

std::uint64_t video_tokens(const VideoModel& model, const std::string& resolution, std::uint32_t frames) {
  const auto [height, width] = parse_resolution(resolution);
  if (height % model.spatial != 0 || width % model.spatial != 0)
    throw std::invalid_argument("--resolution " + resolution + ": " + model.name + " takes sides that are multiples of " +
                                std::to_string(model.spatial) + " pixels (VAE and patch): round them");
  if (frames == 0) frames = model.default_frames;
  if (model.image()) {
    if (frames != 1)
      throw std::invalid_argument("--frames " + std::to_string(frames) + ": " + model.name +
                                  " is an image model: give --frames 1 (or leave it out where the default is the model's)");
    return (height / model.spatial) * (width / model.spatial);
  }
  if ((frames - 1) % model.temporal != 0)
    throw std::invalid_argument("--frames " + std::to_string(frames) + " is not " + std::to_string(model.temporal) +
                                "k + 1: the causal VAE keeps the first frame and packs " +
                                std::to_string(model.temporal) + " per latent frame (use e.g. " +
                                std::to_string(model.default_frames) + ")");
  const std::uint64_t latent_frames = 1 + (frames - 1) / model.temporal;
  return latent_frames * (height / model.spatial) * (width / model.spatial);
}

double model_parameters(const VideoModel& m) {
  if (m.parameters > 0) return m.parameters;
  const double d = static_cast<double>(m.hidden), f = static_cast<double>(m.ffn);
  return static_cast<double>(m.layers) *
         (8.0 * d * d + m.ffn_matrices * d * f + (m.image_context_tokens > 0 ? 2.0 * d * d : 0.0));
}

void check_video_model(const VideoModel& m, const std::string& origin) {
  auto bad = [&](const std::string& what) { throw std::invalid_argument(origin + ": " + what); };
  auto range = [&](const char* field, std::uint64_t v, std::uint64_t lo, std::uint64_t hi) {
    if (v < lo || v > hi)
      bad(std::string(field) + " is " + std::to_string(v) + ", outside " + std::to_string(lo) + ".." +
          std::to_string(hi) + ": check the model's config");
  };
  if (m.name.empty() || m.name.size() > 128) bad("name must have 1 to 128 characters");
  range("heads", m.heads, 1, 4096);
  range("head_dim", m.head_dim, 1, 1024);
  range("pixels_per_token", m.spatial, 1, 1024);
  range("frames_per_latent", m.temporal, 0, 64);
  range("layers", m.layers, 1, 10000);
  range("hidden", m.hidden, 1, 1u << 20);
  range("ffn", m.ffn, 1, 1u << 22);
  range("text_tokens", m.text_tokens, 0, 1u << 20);
  range("image_context_tokens", m.image_context_tokens, 0, 1u << 20);
  range("ffn_matrices", m.ffn_matrices, 2, 3);
  range("default_frames", m.default_frames, 1, 100000);
  if (!(m.parameters >= 0) || m.parameters > 1e14) bad("parameters must be between 0 and 1e14");
  if (m.text_in_self_attention && m.image_context_tokens > 0)
    bad("image_context_tokens are a cross-attention context: a joint-attention model (text_in_self_attention) has none");
  if (m.image() && m.default_frames != 1) bad("an image model (frames_per_latent 0) has default_frames 1");
  if (!m.image() && (m.default_frames - 1) % m.temporal != 0)
    bad("default_frames " + std::to_string(m.default_frames) + " is not " + std::to_string(m.temporal) + "k + 1");
  (void)video_tokens(m, m.default_resolution, m.default_frames);  // the defaults must plan
}

UlyssesShape ulysses_shape(std::uint64_t tokens, std::uint64_t heads, std::uint64_t head_dim, std::int32_t ranks,
                           DType dtype, Exchange exchange) {
  if (ranks < 1) throw std::invalid_argument("--ranks must be at least 1 (got " + std::to_string(ranks) + ")");
  const auto n = static_cast<std::uint64_t>(ranks);
  if (heads == 0 || heads % n != 0)
    throw std::invalid_argument(std::to_string(heads) + " heads are not divisible by " + std::to_string(ranks) +
                                " ranks: Ulysses gives every rank H/N whole heads; pick N dividing " +
                                std::to_string(heads));
  if (tokens == 0) throw std::invalid_argument("the sequence has no tokens: give --seq or a model and resolution");
  if (head_dim == 0) throw std::invalid_argument("--head-dim must be at least 1");
  return {(tokens + n - 1) / n, heads / n, head_dim, dtype, exchange};
}

std::uint64_t sequence_tokens(const VideoModel& model, const std::string& resolution, std::uint32_t frames) {
  const std::uint64_t tokens = video_tokens(model, resolution, frames);
  return model.text_in_self_attention ? tokens + model.text_tokens : tokens;
}

}  // namespace ua2a
