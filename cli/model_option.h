#pragma once
/// --model NAME or --model-file PATH, with --resolution and --frames: the one way simulate, report
/// and synthesize take a video model (issue 23, item 6). A name is a row of schedule/workload.h's
/// table (the old spelling "wan2.1-14b-480p" too); a file is read by plan/models.h, a model
/// document or a diffusers transformer config.json, the same reader as `plan --model-file`.
/// Built with plan/ (run and bench, in the GPU slice without Boost, keep names only: layer_options.h).
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "schedule/workload.h"

namespace ua2a::cli {

struct ModelOptions {
  std::string name;          ///< --model; empty with no --model-file: wan2.1-14b
  std::string file;          ///< --model-file
  std::string resolution;    ///< --resolution; not given: the model's default_resolution
  std::uint32_t frames = 0;  ///< --frames; not given: the model's default_frames
  CLI::Option* resolution_option = nullptr;  ///< set by add_model_options: was it given?
  CLI::Option* frames_option = nullptr;
  /// --model or --model-file was given.
  bool given() const { return !name.empty() || !file.empty(); }
  /// "--model" or "--model-file" (the one given), for messages.
  std::string option() const { return file.empty() ? "--model" : "--model-file"; }
  bool resolution_given() const { return resolution_option != nullptr && resolution_option->count() > 0; }
  bool frames_given() const { return frames_option != nullptr && frames_option->count() > 0; }
};

/// A model at the resolution and frames asked (or its defaults).
struct ModelAtSize {
  VideoModel model;
  std::string resolution;
  std::uint32_t frames = 0;
  /// Tokens of one sequence, as the planner counts them (plan::model_workload): the image tokens,
  /// and a joint-attention model's text tokens, which go through the same exchange.
  std::uint64_t tokens = 0;
  /// How a command line names it: "--model wan2.1-14b" or "--model-file PATH".
  std::string spelled;
  /// How a report names it: the table's name, or "NAME (PATH)" for a file.
  std::string label;
};

/// Adds --model, --model-file, --resolution, --frames to `cmd`; `purpose` starts --model's help
/// ("video model for the message size").
void add_model_options(CLI::App& cmd, ModelOptions& o, const std::string& purpose);

/// The model `o` names at its size. Throws std::invalid_argument (exit 2): --model and
/// --model-file both given, an unknown name, a file that cannot be read or is not a model, a
/// resolution or frame count the model cannot take.
ModelAtSize resolve_model_options(const ModelOptions& o);

}  // namespace ua2a::cli
