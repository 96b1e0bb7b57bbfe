#include "backend/models.h"

#include <stdexcept>

namespace ua2a {

const std::vector<ModelPreset>& model_presets() {
  // Wan2.1-14B, 81 frames: latent 21 x 30 x 52 (480p) and 21 x 45 x 80 (720p) image tokens,
  // 40 heads of 128, no text tokens in self-attention (reference, "Worked sizes").
  static const std::vector<ModelPreset> table = {
      {"wan2.1-14b-480p", "Wan2.1-14B 480p 81 frames: S = 21x30x52 = 32760, H = 40, D = 128", 32760, 40, 128, 0},
      {"wan2.1-14b-720p", "Wan2.1-14B 720p 81 frames: S = 21x45x80 = 75600, H = 40, D = 128", 75600, 40, 128, 0},
  };
  return table;
}

const ModelPreset& find_model(const std::string& name) {
  std::string names;
  for (const ModelPreset& m : model_presets()) {
    if (name == m.name) return m;
    names += std::string(names.empty() ? "" : ", ") + m.name;
  }
  throw std::invalid_argument("unknown model '" + name + "': use one of " + names + ", or give --seq --heads --head-dim");
}

std::uint64_t seq_per_rank(const ModelPreset& m, std::int32_t ranks) {
  if (ranks < 1) throw std::invalid_argument("--ranks must be at least 1");
  const std::uint64_t n = static_cast<std::uint64_t>(ranks);
  return (m.image_tokens + n - 1) / n;
}

}  // namespace ua2a
