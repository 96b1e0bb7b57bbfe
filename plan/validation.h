#pragma once
/// The planner against public end-to-end figures: LightX2V's README (ModelTC/LightX2V,
/// Wan2.1-I2V-14B-480P, 40 steps, 81 frames), seconds per denoising step. docs/validation.md,
/// section 4, prints this table and says how each configuration is read.
#include <optional>
#include <string>
#include <vector>

#include "plan/plan.h"

namespace ua2a::plan {

/// One stated line and how it is modelled.
struct ValidationLine {
  std::string id;          ///< "4090d-1", "h100-8-cfg", ...
  std::string what;        ///< the README's words
  std::string gpu;         ///< a row of gpus()
  std::string topology;    ///< a preset
  Layout layout;
  bool cfg = true;         ///< guidance on: two forwards per step
  Combo combo;             ///< the Ulysses exchange (unused when ulysses = 1)
  std::optional<TransportKind> transport;  ///< nullopt: the box's
  DType wire = DType::bf16;
  double measured_s = 0;
  bool fitted = false;     ///< used to fit the GEMM efficiency
  std::string reading;     ///< how the configuration is read (assumptions)
};
const std::vector<ValidationLine>& lightx2v_lines();

struct ValidationRow {
  ValidationLine line;
  double predicted_s = 0;
  double error = 0;        ///< predicted / measured - 1
  double loo_predicted_s = 0;  ///< fitted lines: predicted with the efficiency fitted without it
  double loo_error = 0;
  Candidate candidate;     ///< the stages behind the prediction
};

struct Validation {
  double gemm_efficiency = 0;  ///< fitted to the lines marked fitted (least squares on log error)
  std::vector<ValidationRow> rows;
};

/// Predicts one line with a GEMM efficiency.
Candidate predict(const ValidationLine& line, double gemm_efficiency);
/// Fits the GEMM efficiency to the lines marked fitted, predicts every line, and the fitted ones
/// again with the efficiency fitted without them.
Validation validate();
/// The table docs/validation.md shows.
std::string validation_table(const Validation& v);

}  // namespace ua2a::plan
