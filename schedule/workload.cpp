#include "schedule/workload.h"

#include <stdexcept>

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
  static const std::vector<VideoModel> table = {
      {"wan2.1-14b", "Wan2.1 14B: H = 40, D = 128", 40, 128, 16, 4, 40, 5120, 13824, 512, 0},
      {"wan2.1-1.3b", "Wan2.1 1.3B: H = 12, D = 128", 12, 128, 16, 4, 30, 1536, 8960, 512, 0},
      {"hunyuanvideo-1.5", "HunyuanVideo-1.5 (8.3B): H = 16, D = 128", 16, 128, 16, 4},
      {"wan2.1-i2v-14b", "Wan2.1 I2V 14B: H = 40, D = 128, 257 image-context tokens", 40, 128, 16, 4, 40, 5120, 13824,
       512, 257},
  };
  return table;
}

const VideoModel& find_video_model(const std::string& name) {
  if (const VideoModel* m = find_named(video_models(), name)) return *m;
  throw std::invalid_argument("unknown --model '" + name + "': use one of " + joined_names(video_models()));
}

std::uint64_t video_tokens(const VideoModel& model, const std::string& resolution, std::uint32_t frames) {
  std::uint64_t height = 0, width = 0;
  if (resolution == "480p") height = 480, width = 832;
  else if (resolution == "720p") height = 720, width = 1280;
  else throw std::invalid_argument("unknown --resolution '" + resolution + "': use 480p or 720p");
  if (frames == 0 || (frames - 1) % model.temporal != 0)
    throw std::invalid_argument("--frames " + std::to_string(frames) + " is not " + std::to_string(model.temporal) +
                                "k + 1: the causal VAE keeps the first frame and packs " +
                                std::to_string(model.temporal) + " per latent frame (use e.g. 81)");
  const std::uint64_t latent_frames = 1 + (frames - 1) / model.temporal;
  return latent_frames * (height / model.spatial) * (width / model.spatial);
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

}  // namespace ua2a
