#pragma once
/// The planner against public end-to-end figures: LightX2V's README (ModelTC/LightX2V,
/// Wan2.1-I2V-14B-480P, 40 steps, 81 frames), seconds per denoising step, and the training lines
/// T1-T6 of docs/reference/gpu-facts.md (xDiT's HunyuanVideo, Mochi-1 and FLUX figures on L20,
/// L40, H20 and H100 boxes, end to end). docs/validation.md, section 4, prints this table and says
/// how each configuration is read.
#include <cstdint>
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
  std::string model = "wan2.1-i2v-14b";
  std::string resolution = "480p";
  std::uint32_t frames = 81;
  double steps = 1;        ///< measured_s covers this many denoising steps (1: seconds per step)
  AttentionKernel attention = AttentionKernel::sage;
  std::string source = "LightX2V";  ///< the group: orderings compare lines of one group
  bool ring_fit = false;   ///< used to fit the ring's parameters (relative to its Ulysses twin)
  std::string twin;        ///< ring lines: the line of the same group and GPU count without a ring
  bool best_of = false;    ///< the layout is not stated: the model's best of layout.gpus() GPUs
  /// measured_s covers the whole run (xDiT's lines): the steps and what the planner does not plan
  /// (text encoders, the VAE's decode), which the prediction leaves out (docs/validation.md).
  bool end_to_end = false;
  bool measured() const { return measured_s > 0; }  ///< 0: the source states only an ordering
};
const std::vector<ValidationLine>& lightx2v_lines();
/// The training lines T1-T6 (docs/reference/gpu-facts.md, "Step times of other models").
const std::vector<ValidationLine>& training_lines();
/// Every line: LightX2V's, then T1-T6.
std::vector<ValidationLine> validation_lines();

/// A stated or measured order: `faster` runs in less time than `slower` (ids of lines).
struct Ordering {
  std::string faster, slower;
  std::string stated;  ///< where it comes from: "measured" (from the two times) or the source's words
};
/// T4, T5: every pair of measured lines of one group where one runs a ring and the other does not,
/// ordered by the measured times; T6: the orderings its text states.
std::vector<Ordering> ring_orderings();

/// The lines the host time per block forward (PlanOptions::host_overhead_s) is fitted to: xDiT's
/// measured lines (end to end, eager PyTorch) but the ring-fit ones.
bool host_fit(const ValidationLine& l);

struct ValidationRow {
  ValidationLine line;
  double predicted_s = 0;
  double error = 0;        ///< predicted / measured - 1
  double loo_predicted_s = 0;  ///< fitted lines: predicted with the efficiency fitted without it
  double loo_error = 0;
  double loo_pass_overhead_s = 0, loo_half_keys = 0;  ///< ring-fit lines: the ring's fit without it
  double loo_host_overhead_s = 0;  ///< host-fit lines: the host time fitted without it
  Candidate candidate;     ///< the stages behind the prediction
};

struct OrderingRow {
  Ordering ordering;
  double faster_s = 0, slower_s = 0;  ///< the model's times of the two lines
  double loo_faster_s = 0, loo_slower_s = 0;
  bool right = false;                 ///< the model puts them in the stated order
  bool loo_right = false;             ///< the same with the leave-one-out predictions
};

/// The ring's fitted parameters (PlanOptions::ring_pass_overhead_s, attention_half_keys).
struct RingParameters {
  double pass_overhead_s = 0;
  double half_keys = 0;
};

struct Validation {
  double gemm_efficiency = 0;  ///< fitted to the lines marked fitted (least squares on log error)
  RingParameters ring;         ///< fitted to the lines marked ring_fit
  double host_overhead_s = 0;  ///< fitted to the host_fit lines
  std::vector<ValidationRow> rows;
  std::vector<OrderingRow> orderings;
};

/// Predicts one line's step with a GEMM efficiency, the ring's parameters and the host time per
/// block forward (defaults: the planner's).
Candidate predict(const ValidationLine& line, double gemm_efficiency,
                  RingParameters ring = {kRingPassOverheadS, kAttentionHalfKeys},
                  double host_overhead_s = kHostOverheadS);
/// Fits the GEMM efficiency to the lines marked fitted, the ring's parameters to the lines marked
/// ring_fit and the host time to the host_fit lines (in turn, until they settle), predicts
/// every line, the fitted ones again with the parameters fitted without them, and checks the
/// orderings.
Validation validate();
/// The table docs/validation.md shows.
std::string validation_table(const Validation& v);

}  // namespace ua2a::plan
