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
  std::string name;
  std::string description;
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
  // Models beyond Wan (issue 23, item 6): defaults keep Wan's rows as they were.
  bool text_in_self_attention = false;  ///< joint attention (MMDiT): the text tokens join the sequence
  std::uint32_t ffn_matrices = 2;       ///< weight matrices of the FFN: 2 (GELU), 3 (SwiGLU: gate, up, down)
  bool cfg = true;                      ///< runs classifier-free guidance (two forwards a step) by default
  double parameters = 0;                ///< the transformer's parameters; 0: layers x (8 d^2 + ffn_matrices d f)
  std::uint32_t default_frames = 81;    ///< frames when none are given (1 for an image model)
  std::string default_resolution = "480p";  ///< resolution when none is given
  std::string source;                   ///< where the shape comes from
  /// An image model (FLUX): one frame, no temporal compression (temporal = 0).
  bool image() const { return temporal == 0; }
};

/// The one table of models: the Wan2.1 family, HunyuanVideo(-1.5), Mochi-1, FLUX.1-dev/-schnell,
/// CogVideoX-5b (docs/plan.md, "Models"; each row names its source).
const std::vector<VideoModel>& video_models();
const VideoModel& find_video_model(const std::string& name);

/// Image tokens S of one clip: latent frames x (height / spatial) x (width / spatial).
/// Resolutions: "480p" (480 x 832), "720p" (720 x 1280) or "WIDTHxHEIGHT" (e.g. "848x480",
/// "1024x1024"), each side a multiple of `spatial`. Frames must be temporal k + 1 (a video model)
/// or 1 (an image model); 0 takes the model's default_frames.
std::uint64_t video_tokens(const VideoModel& model, const std::string& resolution, std::uint32_t frames);
/// Tokens of the sequence the Ulysses exchange moves: the video's, and a joint-attention model's
/// text tokens (text_in_self_attention), which run in the same self-attention.
std::uint64_t sequence_tokens(const VideoModel& model, const std::string& resolution, std::uint32_t frames);
/// The transformer's parameters: `parameters` when the row gives it, else layers x (8 d^2 +
/// ffn_matrices d f), Wan's block (self- and cross-attention, the FFN).
double model_parameters(const VideoModel& model);
/// Checks a model's fields (a model file's or an importer's): throws std::invalid_argument naming
/// `origin` and the field at fault.
void check_video_model(const VideoModel& model, const std::string& origin);

/// The per-rank shape for N ranks: s = ceil(S / N) (the sequence is padded to a multiple of N,
/// as the reference does), h = H / N. Throws std::invalid_argument when H % N != 0.
UlyssesShape ulysses_shape(std::uint64_t tokens, std::uint64_t heads, std::uint64_t head_dim, std::int32_t ranks,
                           DType dtype, Exchange exchange);

}  // namespace ua2a
