#pragma once
/// Model presets for `run` and `bench` (--model wan2.1-14b-480p ...): every video model of
/// schedule/workload.h at 480p and 720p, 81 frames; the worked sizes of the reference.
#include <string>
#include <vector>

#include "backend/layout.h"

namespace ua2a {

struct ModelPreset {
  std::string name;  ///< "<model>-<resolution>"
  std::string description;
  std::uint64_t image_tokens;  ///< S before padding to a multiple of N
  std::uint64_t heads;
  std::uint64_t head_dim;
  std::uint64_t text_tokens;
};

/// The one table of presets.
const std::vector<ModelPreset>& model_presets();
/// Finds a preset; throws std::invalid_argument listing the names otherwise.
const ModelPreset& find_model(const std::string& name);
/// Tokens per rank for `ranks`: S padded up to a multiple of N, divided by N (as the model pads).
std::uint64_t seq_per_rank(const ModelPreset& m, std::int32_t ranks);

}  // namespace ua2a
