#include "cli/model_option.h"

#include "cli/common.h"
#include "cli/outputs.h"
#include "plan/models.h"
#include "schedule/named.h"

namespace ua2a::cli {

void add_model_options(CLI::App& cmd, ModelOptions& o, const std::string& purpose) {
  cmd.add_option("--model", o.name, purpose + ": " + joined_names(video_models()) + " (default wan2.1-14b)");
  input_option(cmd.add_option("--model-file", o.file,
                              "a model instead of --model: a model document or a diffusers transformer config.json "
                              "(docs/plan.md, \"Models\")")
                   ->check(CLI::ExistingFile));
  o.resolution_option =
      cmd.add_option("--resolution", o.resolution, "480p, 720p or WIDTHxHEIGHT (default: the model's; 480p for Wan)");
  o.frames_option = cmd.add_option("--frames", o.frames, "video frames, k x the model's latent frames + 1 (default: "
                                                         "the model's; 81 for Wan, 1 for an image model)")
                        ->check(CLI::Range(1, 100000));
}

ModelAtSize resolve_model_options(const ModelOptions& o) {
  ModelAtSize r;
  std::string name = o.name;
  r.resolution = o.resolution_given() ? o.resolution : "";
  if (!o.name.empty() && o.file.empty()) {  // the old spelling carries a resolution
    const ModelChoice choice = resolve_model(o.name, r.resolution, o.resolution_given());
    name = choice.model;
    r.resolution = choice.resolution;
  }
  r.model = plan::resolve_model(name, o.file);  // refuses both, reads the file
  if (r.resolution.empty()) r.resolution = r.model.default_resolution;
  r.frames = o.frames_given() ? o.frames : r.model.default_frames;
  r.tokens = sequence_tokens(r.model, r.resolution, r.frames);
  r.spelled = o.file.empty() ? "--model " + r.model.name : "--model-file " + o.file;
  r.label = o.file.empty() ? r.model.name : r.model.name + " (" + o.file + ")";
  return r;
}

}  // namespace ua2a::cli
