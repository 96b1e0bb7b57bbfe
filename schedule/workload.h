#pragma once
/// The Ulysses workload of a video model: token counts from resolution and frames, heads and head
/// dim from the model, and the per-rank shape for N ranks (design.md, reference/ulysses-4090.md).
#include <cstdint>
#include <string>
#include <vector>

#include "schedule/payload.h"

namespace ua2a {

/// A video diffusion transformer as far as the exchange cares.
struct VideoModel {
  const char* name;
  const char* description;
  std::uint64_t heads;      ///< H
  std::uint64_t head_dim;   ///< D
  std::uint32_t spatial;    ///< pixels per token side: VAE downsampling x patch size
  std::uint32_t temporal;   ///< frames per latent frame (after the first)
  // What a whole block and step need (the planner, plan/); 0 where the row does not know it.
  std::uint32_t layers = 0;               ///< transformer blocks
  std::uint64_t hidden = 0;               ///< model width d (= H x D for these models)
  std::uint64_t ffn = 0;                  ///< feed-forward inner width
  std::uint64_t text_tokens = 0;          ///< cross-attention text context (T5 tokens, padded)
  std::uint64_t image_context_tokens = 0; ///< cross-attention image context (I2V: CLIP tokens)
};

/// The one table of models: wan2.1-14b, wan2.1-1.3b, hunyuanvideo-1.5.
const std::vector<VideoModel>& video_models();
const VideoModel& find_video_model(const std::string& name);

/// Image tokens S of one clip: latent frames x (height / spatial) x (width / spatial).
/// Resolutions: "480p" (480 x 832) and "720p" (720 x 1280). Frames must be 4k + 1.
std::uint64_t video_tokens(const VideoModel& model, const std::string& resolution, std::uint32_t frames);

/// The per-rank shape for N ranks: s = ceil(S / N) (the sequence is padded to a multiple of N,
/// as the reference does), h = H / N. Throws std::invalid_argument when H % N != 0.
UlyssesShape ulysses_shape(std::uint64_t tokens, std::uint64_t heads, std::uint64_t head_dim, std::int32_t ranks,
                           DType dtype, Exchange exchange);

}  // namespace ua2a
