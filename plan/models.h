#pragma once
/// Models as data (docs/formats.md, "Model file"; docs/plan.md, "Models"): a model document
/// (format ulysses-a2a/model) and an importer for a diffusers transformer config.json, both
/// giving the VideoModel of schedule/workload.h that the built-in table holds.
#include <stdexcept>
#include <string>

#include "schedule/printable.h"
#include "schedule/workload.h"

namespace ua2a::plan {

/// A model file that cannot be read: names the file and the field, says what to do.
class ModelFileError : public std::invalid_argument {
 public:
  explicit ModelFileError(const std::string& what) : std::invalid_argument(printable(what)) {}
};

/// Reads `text`: a model document ({"format": "ulysses-a2a/model", "version": 1, ...}) or a
/// diffusers transformer config.json (it has "_class_name"). Strict: unknown fields of a model
/// document, missing or mistyped fields, values out of range and unsupported classes are
/// ModelFileError naming `origin`.
VideoModel read_model_file(const std::string& text, const std::string& origin);
/// The diffusers classes the importer knows: WanTransformer3DModel, HunyuanVideoTransformer3DModel,
/// MochiTransformer3DModel, FluxTransformer2DModel, CogVideoXTransformer3DModel.
VideoModel import_diffusers_config(const std::string& text, const std::string& origin);
/// The model document of `m` (reads back to the same model).
std::string model_json(const VideoModel& m, int indent = 1);

/// --model NAME (the built-in table) or --model-file PATH (read here); exactly one may be given.
VideoModel resolve_model(const std::string& name, const std::string& file);

}  // namespace ua2a::plan
