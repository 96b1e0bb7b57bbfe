#include "backend/models.h"

#include <stdexcept>

#include "schedule/named.h"
#include "schedule/workload.h"

namespace ua2a {

const std::vector<ModelPreset>& model_presets() {
  // Derived from the one table of video models (schedule/workload.h), 81 frames, no text tokens
  // in self-attention (reference, "Worked sizes": Wan2.1-14B 480p is 21 x 30 x 52 = 32760 tokens).
  static const std::vector<ModelPreset> table = [] {
    constexpr std::uint32_t kFrames = 81;
    std::vector<ModelPreset> out;
    for (const VideoModel& m : video_models())
      for (const char* resolution : {"480p", "720p"}) {
        // 81 frames where the model's VAE takes them; its own default otherwise (Mochi's 6x
        // temporal packing, an image model's one frame).
        const std::uint32_t frames = !m.image() && (kFrames - 1) % m.temporal == 0 ? kFrames : m.default_frames;
        const std::uint64_t tokens = video_tokens(m, resolution, frames);
        out.push_back({std::string(m.name) + "-" + resolution,
                       std::string(m.description) + ", " + resolution + ", " + std::to_string(frames) +
                           " frames: S = " + std::to_string(tokens),
                       tokens, m.heads, m.head_dim, 0});
      }
    return out;
  }();
  return table;
}

const ModelPreset& find_model(const std::string& name) {
  if (const ModelPreset* m = find_named(model_presets(), name)) return *m;
  throw std::invalid_argument("unknown model '" + name + "': use one of " + joined_names(model_presets()) +
                              ", or give --seq --heads --head-dim");
}

std::uint64_t seq_per_rank(const ModelPreset& m, std::int32_t ranks) {
  if (ranks < 1) throw std::invalid_argument("--ranks must be at least 1");
  const std::uint64_t n = static_cast<std::uint64_t>(ranks);
  return (m.image_tokens + n - 1) / n;
}

}  // namespace ua2a
