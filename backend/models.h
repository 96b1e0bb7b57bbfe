#pragma once
/// Model presets: the shapes of ../shared/reference/ulysses-4090.md's worked sizes.
#include <string>
#include <vector>

#include "backend/layout.h"

namespace ua2a {

struct ModelPreset {
  const char* name;
  const char* description;
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
