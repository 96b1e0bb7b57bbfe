// Model documents and the diffusers config.json importer (models.h).
#include "plan/models.h"

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "plan/documents.h"

namespace ua2a::plan {

namespace {

using json = nlohmann::json;

constexpr const char* kFormat = "ulysses-a2a/model";
constexpr int kVersion = 1;
const std::set<std::string> kModelKeys = {
    "format", "version", "name", "description", "source", "layers", "hidden", "heads", "head_dim", "ffn",
    "ffn_matrices", "text_tokens", "text_in_self_attention", "image_context_tokens", "pixels_per_token",
    "frames_per_latent", "cfg", "parameters", "default_frames", "default_resolution"};

[[noreturn]] void fail(const std::string& origin, const std::string& what) {
  throw ModelFileError((origin.empty() ? std::string("model file") : origin) + ": " + what);
}

/// A whole number in [0, 2^53] under `key`; `fallback` when absent and not required.
std::uint64_t whole(const json& o, const char* key, const std::string& origin, bool required, std::uint64_t fallback = 0) {
  if (!o.contains(key) || (!required && o[key].is_null())) {
    if (required) fail(origin, std::string("field '") + key + "' is missing");
    return fallback;
  }
  const json& v = o[key];
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (d >= 0 && d <= 9007199254740992.0 && std::floor(d) == d) return static_cast<std::uint64_t>(d);
  }
  fail(origin, std::string("field '") + key + "' must be a whole number >= 0 (got " + v.dump() + ")");
}

double number(const json& o, const char* key, const std::string& origin, bool required, double fallback = 0) {
  if (!o.contains(key)) {
    if (required) fail(origin, std::string("field '") + key + "' is missing");
    return fallback;
  }
  const json& v = o[key];
  if (!v.is_number()) fail(origin, std::string("field '") + key + "' must be a number (got " + v.dump() + ")");
  const double d = v.get<double>();
  if (!std::isfinite(d)) fail(origin, std::string("field '") + key + "' must be finite");
  return d;
}

bool boolean(const json& o, const char* key, const std::string& origin, bool required, bool fallback = false) {
  if (!o.contains(key) || (!required && o[key].is_null())) {
    if (required) fail(origin, std::string("field '") + key + "' is missing");
    return fallback;
  }
  if (!o[key].is_boolean()) fail(origin, std::string("field '") + key + "' must be true or false");
  return o[key].get<bool>();
}

std::string text(const json& o, const char* key, const std::string& origin, bool required, const std::string& fallback = "") {
  if (!o.contains(key)) {
    if (required) fail(origin, std::string("field '") + key + "' is missing");
    return fallback;
  }
  if (!o[key].is_string()) fail(origin, std::string("field '") + key + "' must be a string");
  return o[key].get<std::string>();
}

/// Heads and head dim of a diffusers config, in range before anything is computed from them.
void read_attention(const json& c, const std::string& origin, VideoModel& m) {
  m.heads = whole(c, "num_attention_heads", origin, true);
  m.head_dim = whole(c, "attention_head_dim", origin, true);
  if (m.heads < 1 || m.heads > 4096) fail(origin, "num_attention_heads " + std::to_string(m.heads) + " is outside 1..4096");
  if (m.head_dim < 1 || m.head_dim > 1024)
    fail(origin, "attention_head_dim " + std::to_string(m.head_dim) + " is outside 1..1024");
  m.hidden = m.heads * m.head_dim;
}

/// A narrowing that refuses what does not fit (the check below gives the real ranges).
std::uint32_t u32(std::uint64_t v, const char* key, const std::string& origin) {
  if (v > 0xffffffffu) fail(origin, std::string("field '") + key + "' is too large");
  return static_cast<std::uint32_t>(v);
}

VideoModel checked(VideoModel m, const std::string& origin) {
  try {
    check_video_model(m, origin.empty() ? "model file" : origin);
  } catch (const ModelFileError&) {
    throw;
  } catch (const std::invalid_argument& e) {
    throw ModelFileError(e.what());
  }
  return m;
}

VideoModel read_document(const json& doc, const std::string& origin) {
  if (const std::string why = unknown_field(doc, kModelKeys); !why.empty()) fail(origin, why);
  if (text(doc, "format", origin, true) != kFormat)
    fail(origin, "format is '" + doc["format"].dump() + "', not '" + kFormat + "'");
  if (whole(doc, "version", origin, true) != kVersion)
    fail(origin, "version " + doc["version"].dump() + " is not supported: this build reads version 1");
  VideoModel m;
  m.name = text(doc, "name", origin, true);
  m.description = text(doc, "description", origin, false, m.name);
  m.source = text(doc, "source", origin, false, origin);
  m.layers = u32(whole(doc, "layers", origin, true), "layers", origin);
  m.hidden = whole(doc, "hidden", origin, true);
  m.heads = whole(doc, "heads", origin, true);
  m.head_dim = whole(doc, "head_dim", origin, true);
  m.ffn = whole(doc, "ffn", origin, true);
  m.ffn_matrices = u32(whole(doc, "ffn_matrices", origin, false, 2), "ffn_matrices", origin);
  m.text_tokens = whole(doc, "text_tokens", origin, true);
  m.text_in_self_attention = boolean(doc, "text_in_self_attention", origin, true);
  m.image_context_tokens = whole(doc, "image_context_tokens", origin, false, 0);
  m.spatial = u32(whole(doc, "pixels_per_token", origin, true), "pixels_per_token", origin);
  m.temporal = u32(whole(doc, "frames_per_latent", origin, true), "frames_per_latent", origin);
  m.cfg = boolean(doc, "cfg", origin, true);
  m.parameters = number(doc, "parameters", origin, false, 0);
  m.default_frames = u32(whole(doc, "default_frames", origin, false, m.temporal == 0 ? 1 : 81), "default_frames", origin);
  m.default_resolution = text(doc, "default_resolution", origin, false, m.temporal == 0 ? "1024x1024" : "480p");
  return checked(m, origin);
}

// ---- diffusers ----
// What config.json does not say (the VAE's compression, the text length, whether the pipeline
// runs CFG) comes from each class's pipeline defaults, named in `source`. A transformer's
// pixels per token side is the VAE's 8x times its patch size.

constexpr std::uint64_t kVaeSpatial = 8;

std::uint64_t patch(const json& c, const std::string& origin) {
  if (c.contains("patch_size") && c["patch_size"].is_array()) {
    const json& p = c["patch_size"];  // Wan: [t, h, w]
    if (p.size() != 3 || !p[1].is_number_unsigned() || !p[2].is_number_unsigned() || p[1] != p[2])
      fail(origin, "patch_size must be [t, h, w] with h = w");
    return p[1].get<std::uint64_t>();
  }
  return whole(c, "patch_size", origin, true);
}

VideoModel import_wan(const json& c, const std::string& origin) {
  VideoModel m;
  read_attention(c, origin, m);
  m.layers = u32(whole(c, "num_layers", origin, true), "num_layers", origin);
  m.ffn = whole(c, "ffn_dim", origin, true);
  m.spatial = u32(kVaeSpatial * patch(c, origin), "patch_size", origin);
  m.temporal = 4;
  m.text_tokens = 512;  // Wan's text_len (shared_config.py), the pipeline's max_sequence_length
  const bool i2v = c.contains("image_dim") && !c["image_dim"].is_null();
  m.image_context_tokens = i2v ? 257 : 0;  // CLIP ViT-H/14: 16 x 16 patches + the class token
  m.cfg = true;
  m.source = "diffusers WanTransformer3DModel config.json; Wan VAE 8x spatial, 4x temporal; 512 text tokens; CFG";
  return m;
}

/// Double-stream blocks: two streams of qkv, o, the 4d FFN and a 6d modulation: 36 d^2.
/// Single-stream blocks: 3d modulation, qkv, the 4d MLP in and (d + 4d) out: 15 d^2.
constexpr double kDoubleBlock = 36, kSingleBlock = 15, kRefinerBlock = 14;

VideoModel import_mmdit(const json& c, const std::string& origin, bool hunyuan) {
  VideoModel m;
  read_attention(c, origin, m);
  const std::uint64_t doubles = whole(c, "num_layers", origin, true);
  const std::uint64_t singles = whole(c, "num_single_layers", origin, true);
  m.layers = u32(doubles + singles, "num_layers", origin);
  const double ratio = hunyuan ? number(c, "mlp_ratio", origin, false, 4.0) : 4.0;
  if (!(ratio > 0 && ratio <= 64)) fail(origin, "mlp_ratio must be in (0, 64]");
  m.ffn = static_cast<std::uint64_t>(ratio * static_cast<double>(m.hidden));
  const double d = static_cast<double>(m.hidden);
  const double refiners = hunyuan ? static_cast<double>(whole(c, "num_refiner_layers", origin, false, 2)) : 0;
  // The block sums assume the 4d FFN (16 d^2 of a double block, 8 d^2 of a single); another ratio scales those.
  const double ffn_scale = ratio / 4.0;
  m.parameters = (static_cast<double>(doubles) * (kDoubleBlock - 16 + 16 * ffn_scale) +
                  static_cast<double>(singles) * (kSingleBlock - 8 + 8 * ffn_scale) + refiners * kRefinerBlock) * d * d;
  m.text_in_self_attention = true;
  if (hunyuan) {
    m.spatial = u32(kVaeSpatial * patch(c, origin), "patch_size", origin);
    const std::uint64_t pt = whole(c, "patch_size_t", origin, false, 1);
    if (pt != 1) fail(origin, "patch_size_t " + std::to_string(pt) + ": only 1 is known (the released model)");
    m.temporal = 4;
    m.text_tokens = 256;
    m.cfg = false;
    m.default_frames = 129;
    m.default_resolution = "720p";
    m.source = "diffusers HunyuanVideoTransformer3DModel config.json; VAE 8x spatial, 4x temporal; 256 text tokens; "
               "embedded guidance (no CFG)";
  } else {
    // FLUX packs 2 x 2 latent pixels into one token (in_channels 64 = 16 x 4) on top of the 8x VAE.
    if (whole(c, "patch_size", origin, true) != 1) fail(origin, "patch_size must be 1 (FLUX packs 2 x 2 latents itself)");
    m.spatial = 16;
    m.temporal = 0;
    const bool guidance = boolean(c, "guidance_embeds", origin, false, false);
    m.text_tokens = guidance ? 512 : 256;  // dev's pipeline default 512; schnell's 256
    m.cfg = false;
    m.default_frames = 1;
    m.default_resolution = "1024x1024";
    m.source = std::string("diffusers FluxTransformer2DModel config.json; VAE 8x and 2 x 2 packing; ") +
               (guidance ? "512 T5 tokens (dev)" : "256 T5 tokens (schnell)") + "; no CFG";
  }
  return m;
}

VideoModel import_mochi(const json& c, const std::string& origin) {
  VideoModel m;
  read_attention(c, origin, m);
  m.layers = u32(whole(c, "num_layers", origin, true), "num_layers", origin);
  const double d = static_cast<double>(m.hidden);
  const double text = static_cast<double>(whole(c, "pooled_projection_dim", origin, true));
  m.ffn = (4 * m.hidden * 2) / 3;  // SwiGLU inner width, as diffusers' MochiTransformerBlock
  m.ffn_matrices = 3;
  // Visual stream 16 d^2 (4d modulation, qkv, o, the SwiGLU FFN); text stream 8 d c + 8 c^2.
  m.parameters = static_cast<double>(m.layers) * (4 * d * d + 4 * d * d + 3 * d * static_cast<double>(m.ffn) +
                                                  8 * d * text + 8 * text * text);
  m.spatial = u32(kVaeSpatial * whole(c, "patch_size", origin, true), "patch_size", origin);
  m.temporal = 6;
  m.text_tokens = whole(c, "max_sequence_length", origin, false, 256);
  m.text_in_self_attention = true;
  m.cfg = true;
  m.default_frames = 49;
  m.default_resolution = "848x480";
  m.source = "diffusers MochiTransformer3DModel config.json; VAE 8x spatial, 6x temporal; CFG";
  return m;
}

VideoModel import_cogvideox(const json& c, const std::string& origin) {
  VideoModel m;
  read_attention(c, origin, m);
  m.layers = u32(whole(c, "num_layers", origin, true), "num_layers", origin);
  m.ffn = 4 * m.hidden;
  const double d = static_cast<double>(m.hidden);
  const double time_dim = static_cast<double>(whole(c, "time_embed_dim", origin, true));
  m.parameters = static_cast<double>(m.layers) * (12 * d * d + 2 * time_dim * 6 * d);
  m.spatial = u32(kVaeSpatial * whole(c, "patch_size", origin, true), "patch_size", origin);
  m.temporal = u32(whole(c, "temporal_compression_ratio", origin, false, 4), "temporal_compression_ratio", origin);
  if (c.contains("patch_size_t") && !c["patch_size_t"].is_null())
    fail(origin, "patch_size_t is set (CogVideoX 1.5): only the 1.0 models (no temporal patch) are known");
  m.text_tokens = whole(c, "max_text_seq_length", origin, false, 226);
  m.text_in_self_attention = true;
  m.cfg = true;
  m.default_frames = 49;
  m.default_resolution = "720x480";
  m.source = "diffusers CogVideoXTransformer3DModel config.json; VAE 8x spatial; CFG";
  return m;
}

}  // namespace

VideoModel import_diffusers_config(const std::string& body, const std::string& origin) {
  json c;
  try {
    c = json::parse(body);
  } catch (const json::exception& e) {
    fail(origin, std::string("not JSON: ") + e.what());
  }
  if (!c.is_object() || !c.contains("_class_name") || !c["_class_name"].is_string())
    fail(origin, "no \"_class_name\": not a diffusers config.json (give the transformer's, e.g. transformer/config.json)");
  const std::string cls = c["_class_name"].get<std::string>();
  VideoModel m;
  if (cls == "WanTransformer3DModel") m = import_wan(c, origin);
  else if (cls == "HunyuanVideoTransformer3DModel") m = import_mmdit(c, origin, true);
  else if (cls == "FluxTransformer2DModel") m = import_mmdit(c, origin, false);
  else if (cls == "MochiTransformer3DModel") m = import_mochi(c, origin);
  else if (cls == "CogVideoXTransformer3DModel") m = import_cogvideox(c, origin);
  else
    fail(origin, "diffusers class '" + cls +
                     "' is not known: use WanTransformer3DModel, HunyuanVideoTransformer3DModel, MochiTransformer3DModel, "
                     "FluxTransformer2DModel or CogVideoXTransformer3DModel, or write a model file (docs/formats.md)");
  m.name = cls;
  m.description = cls + " (" + (origin.empty() ? "config.json" : origin) + ")";
  return checked(m, origin);
}

VideoModel read_model_file(const std::string& body, const std::string& origin) {
  json doc;
  try {
    doc = json::parse(body);
  } catch (const json::exception& e) {
    fail(origin, std::string("not JSON: ") + e.what());
  }
  if (!doc.is_object()) fail(origin, "a model file is a JSON object (docs/formats.md)");
  if (doc.contains("_class_name")) return import_diffusers_config(body, origin);
  try {
    return read_document(doc, origin);
  } catch (const json::exception& e) {
    fail(origin, e.what());
  }
}

std::string model_json(const VideoModel& m, int indent) {
  json doc = {{"format", kFormat},
              {"version", kVersion},
              {"name", m.name},
              {"description", m.description},
              {"source", m.source},
              {"layers", m.layers},
              {"hidden", m.hidden},
              {"heads", m.heads},
              {"head_dim", m.head_dim},
              {"ffn", m.ffn},
              {"ffn_matrices", m.ffn_matrices},
              {"text_tokens", m.text_tokens},
              {"text_in_self_attention", m.text_in_self_attention},
              {"image_context_tokens", m.image_context_tokens},
              {"pixels_per_token", m.spatial},
              {"frames_per_latent", m.temporal},
              {"cfg", m.cfg},
              {"parameters", model_parameters(m)},
              {"default_frames", m.default_frames},
              {"default_resolution", m.default_resolution}};
  return doc.dump(indent, ' ', false, json::error_handler_t::replace) + "\n";
}

VideoModel resolve_model(const std::string& name, const std::string& file) {
  if (!name.empty() && !file.empty())
    throw std::invalid_argument("--model and --model-file both give the model: use one");
  if (file.empty()) return find_video_model(name.empty() ? "wan2.1-14b" : name);
  return read_model_file(read_option_file("--model-file", file), file);
}

}  // namespace ua2a::plan
