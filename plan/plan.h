#pragma once
/// The planner: for a model (or a bare attention shape) on a box of G GPUs, every layout
/// CFG x Ulysses x ring with each schedule, discipline, transport, communication precision and
/// overlap, its predicted time split into stages (each saying where its figure comes from), and
/// the ranking. docs/plan.md explains the model.
///
/// Worked example (a stage from FLOPs and a rate): Wan2.1-14B 480p, S = 32760, H = 40, D = 128,
/// Ulysses-8 on RTX 4090s with SageAttention at 291 TFLOP/s: each GPU runs 5 heads over the whole
/// sequence, 4 S^2 D h = 4 x 32760^2 x 128 x 5 = 2.75 TFLOP, 9.44 ms per attention.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "plan/gpus.h"
#include "plan/mapping.h"
#include "plan/study.h"
#include "schedule/named.h"
#include "schedule/workload.h"
#include "schedule/payload.h"
#include "sim/simulate.h"
#include "sim/topology.h"

namespace ua2a::plan {

/// attention: one attention (exchanges included); layer: one transformer block; step: one
/// denoising step (all blocks, both CFG branches).
enum class Scope { attention, layer, step };
std::string to_string(Scope s);
/// Throws std::invalid_argument naming --scope.
Scope parse_scope(const std::string& name);
/// The one table of scope names (attention, layer, step).
const std::vector<NamedValue<Scope>>& scopes();

/// What runs: the attention shape and, for layer and step scope, the rest of a block.
struct Workload {
  std::string name = "shape";
  std::uint64_t tokens = 0;    ///< S, image tokens of one sample
  std::uint64_t heads = 0;     ///< H
  std::uint64_t head_dim = 0;  ///< D
  std::uint64_t batch = 1;     ///< B
  std::uint32_t layers = 0;    ///< blocks (0: unknown: attention scope only)
  std::uint64_t hidden = 0;    ///< d
  std::uint64_t ffn = 0;
  std::uint64_t context_tokens = 0;  ///< cross-attention context: text + image tokens
  std::uint64_t image_context_tokens = 0;  ///< of which image (I2V: its own k and v projections)
  bool cfg = false;  ///< classifier-free guidance: two forwards per step (conditional, unconditional)
  double parameters = 0;          ///< the transformer's weights (0: the Wan block's count from the shape)
  std::uint32_t ffn_matrices = 2; ///< 3 for a SwiGLU FFN
};

/// A model of schedule/workload.h at a resolution and frame count; `cfg` as the model runs.
Workload model_workload(const std::string& model, const std::string& resolution, std::uint32_t frames, bool cfg);
/// The same for a model of any origin (the table, a model file, a diffusers config.json):
/// resolution "" and frames 0 take the model's defaults; `cfg` is and-ed with the model's own.
/// A joint-attention model's text tokens join the sequence (tokens = image + text) and it has no
/// cross-attention context.
Workload model_workload(const VideoModel& model, const std::string& resolution, std::uint32_t frames, bool cfg);
/// A bare attention shape. Throws std::invalid_argument naming the option that is zero.
Workload shape_workload(std::uint64_t seq, std::uint64_t heads, std::uint64_t head_dim, std::uint64_t batch);

/// How the G GPUs are split: cfg x ulysses x ring = G. Which GPUs of the box form each group is the
/// candidate's Mapping (plan/mapping.h), chosen from the topology.
struct Layout {
  std::int32_t cfg = 1;
  std::int32_t ulysses = 1;
  std::int32_t ring = 1;
  std::int32_t gpus() const { return cfg * ulysses * ring; }
  friend bool operator==(const Layout&, const Layout&) = default;
};
/// "cfg2 x u4 x r1".
std::string to_string(const Layout& l);

/// Every split of `gpus` whose constraints hold: ulysses divides the heads; cfg is 1, or 2 when
/// the workload has CFG and the scope is a step (the two branches are the only thing CFG
/// parallelism splits). Throws std::invalid_argument when gpus < 1.
std::vector<Layout> layouts(std::int32_t gpus, const Workload& w, Scope scope);

/// Predicted seconds per stage; they add up to the candidate's time (exchanges that overlap
/// attention count only their exposed part).
struct Stages {
  double pack = 0;        ///< layout transforms before the exchanges: bytes over memory bandwidth
  double a2a_fwd = 0;     ///< Ulysses q|k|v exchange (simulated on the box)
  double attention = 0;   ///< self-attention FLOPs over the kernel's achieved rate
  double ring = 0;        ///< ring K/V passes not hidden behind attention (simulated)
  double a2a_rev = 0;     ///< Ulysses output exchange (simulated)
  double unpack = 0;      ///< layout transforms after the exchanges
  double linear = 0;      ///< projections and FFN: FLOPs over the dense rate x GEMM efficiency
  double cross_attention = 0;  ///< attention to the text and image context
  double other = 0;       ///< norms, modulation, RoPE, residuals: passes over the hidden state
  double host = 0;        ///< the framework's host time per block forward that the GPU waits for
  double offload = 0;     ///< CPU offload: weight streaming from host memory not hidden behind the block
  double total() const;
};
/// The stage names in the order of Stages (the JSON keys and the picture's legend).
const std::vector<std::string>& stage_names();
std::vector<double> stage_values(const Stages& s);

/// How the Ulysses exchanges overlap compute. head: per head, as the reference's newer
/// head_parallel (head i+1's exchange beside head i's attention, head i-1's output going back
/// meanwhile). chunk: the sequence in kOverlapChunks token chunks, each chunk's q|k|v exchange
/// beside the next chunk's QKV projection and each output chunk's exchange beside the previous
/// chunk's output projection (layer and step scope only: it hides behind the block's GEMMs).
enum class Overlap { none, head, chunk };
std::string to_string(Overlap o);
inline constexpr std::uint32_t kOverlapChunks = 4;

struct Candidate {
  Layout layout;
  std::string algo = "-";        ///< the Ulysses exchange's schedule ("-": no exchange)
  std::string discipline = "-";
  bool unmerged = false;
  std::string transport = "-";   ///< "-" when nothing is exchanged
  DType dtype = DType::bf16;     ///< communication precision (exchanges and ring passes)
  Overlap overlap = Overlap::none;  ///< of the exchanges with compute
  Stages stages;
  double time_s = 0;
  std::string bottleneck;        ///< the largest stage
  double memory_bytes = 0;       ///< estimated peak per GPU
  bool fits = true;              ///< memory_bytes <= the card's
  /// The weights do not fit: they stay in host memory and each block's are streamed in beside
  /// the block before (two blocks resident); memory_bytes then counts those two.
  bool offload = false;
  double offload_block_s = 0;    ///< simulated: every GPU reading one block's weights at once
  double speedup_one_gpu = 0;
  double speedup_reference = 0;  ///< 0 when the reference layout does not apply (H % G != 0)
  // Raw simulated times of one exchange (no overlap), for the JSON.
  double a2a_fwd_sim_s = 0, a2a_rev_sim_s = 0, ring_pass_sim_s = 0;
  Mapping mapping;                ///< which GPUs of the box form each CFG, ring and Ulysses group
  std::vector<std::string> needs; ///< what the transport needs on those GPUs (transport_needs)
};

struct PlanOptions {
  Scope scope = Scope::step;
  std::int32_t gpus = 0;                       ///< G; 0: every GPU of the box (or of gpu_list)
  /// The box's GPUs to plan on (--gpus 0,1,4,5); empty: the planner chooses `gpus` of the box.
  std::vector<std::int32_t> gpu_list;
  AttentionKernel attention = AttentionKernel::sage;
  DType weights = DType::bf16;                 ///< GEMM precision and weight storage (bf16 or fp8)
  SimModel sim_model = SimModel::contention;
  double gemm_efficiency = 0;                  ///< 0: kGemmEfficiency (fitted, docs/validation.md)
  /// Restrict the candidates (empty or unset: all), e.g. to evaluate one stated configuration
  /// as the validation does.
  std::vector<Combo> combos;                                ///< empty: study_schedules()
  std::vector<std::optional<TransportKind>> transports;     ///< empty: study_transports()
  std::optional<Layout> only_layout;
  std::optional<DType> only_dtype;
  std::optional<Overlap> only_overlap;
  /// The ring's passes as they run (docs/plan.md, "The ring"); < 0: the fitted defaults below.
  double ring_pass_overhead_s = -1;  ///< fixed seconds per pass: launches and the send/recv handshake
  double attention_half_keys = -1;   ///< keys at which an attention block runs at half its long-sequence rate
  /// Host time per block forward that the GPU does not hide (an eager framework's Python and
  /// launches between synchronising calls); < 0: kHostOverheadS (fitted), 0: none (CUDA graphs).
  double host_overhead_s = -1;
  /// Called before each candidate is timed: the layout's index of `layouts` and the candidate, for
  /// progress lines (a big box takes minutes); empty: nothing is called.
  std::function<void(std::size_t layout, std::size_t layouts, const std::string& candidate)> on_candidate;
};

/// Fixed cost of one ring pass (kernel launches of the block's attention and merge, the send/recv
/// handshake), fitted with kAttentionHalfKeys to the ring lines T5-r2, T5-r4, T5-u2r2 of
/// docs/validation.md, section 4 (each against its Ulysses twin on as many GPUs), rounded.
inline constexpr double kRingPassOverheadS = 178e-6;
/// An attention block over n keys runs at the long-sequence rate x n / (n + kAttentionHalfKeys)
/// (relative to the whole sequence's block: a layout without a ring is unchanged); fitted with
/// kRingPassOverheadS, rounded.
inline constexpr double kAttentionHalfKeys = 7290;
/// Bytes the log-sum-exp merge moves per element of a partial output: the float32 accumulator read
/// and written, the block's bf16 output read (4 + 4 + 2), and per (token, head) the three float32
/// LSEs (12 bytes, counted per element as 12 / D).
inline constexpr double kMergeBytesPerElement = 10;
inline constexpr double kMergeLseBytes = 12;

/// The GEMM efficiency: the achieved fraction of the dense tensor rate for the block's linear
/// layers, fitted to the two one-GPU lines of LightX2V's README (docs/validation.md, section 4).
inline constexpr double kGemmEfficiency = 0.78;
/// Host time per block forward (PlanOptions::host_overhead_s), fitted to the measured T1-T6 lines
/// of docs/validation.md, section 4 (xDiT, eager PyTorch) but the ring-fit ones, rounded.
inline constexpr double kHostOverheadS = 1.8e-3;
/// Full passes over the hidden state per block for the elementwise work (two norms and
/// modulations, RoPE and qk-norm on q and k, three gated residuals, GELU on the FFN width counted
/// in hidden-state units): counted by hand from Wan2.1's block, docs/plan.md.
inline constexpr double kElementwisePasses = 30;

struct PlanResult {
  std::string topology;
  std::string gpu;
  GpuInfo gpu_info;  ///< the row planned with (a --gpu-file's too)
  Workload workload;
  PlanOptions options;
  std::int32_t gpus = 0;
  std::vector<Candidate> candidates;     ///< best first
  Candidate one_gpu;                     ///< the same work on one GPU
  std::optional<Candidate> reference;    ///< Ulysses-G, round-robin paired-half, bf16, box transport
  std::vector<std::string> skipped;      ///< combinations that do not apply, with why
  std::vector<std::string> notes;        ///< memory and model warnings
  std::size_t recommended_index = 0;     ///< into candidates: what the answer recommends
};

/// An FP8 wire is recommended only when at least this much faster than the best bf16 candidate:
/// FP8 costs accuracy (kFp8WireAccuracy) and a lossless layout within 5 % is the safer answer.
inline constexpr double kFp8Margin = 0.05;
/// What FP8 costs in accuracy, as measured (docs/plan.md, "Precision").
inline constexpr const char* kFp8WireAccuracy =
    "e4m3 with a float32 scale per row keeps 3 mantissa bits (relative step 1/16) on every q, k, v and output "
    "element; this project's layer check measured attention outputs within about 0.05 absolute of the unquantised "
    "reference (q, k in [-2, 2), v in [-1, 1); docs/backend.md); the reference publishes no error figure";
inline constexpr const char* kFp8WeightsAccuracy =
    "w8a8 GEMMs; not measured here, and the reference publishes only its FP8 time (LightX2V README: 2.35 s against "
    "3.13 s a step on 8 x 4090D); check the output quality of your model";

/// Plans `w` on `topology` with `gpu`. Throws std::invalid_argument naming the option at fault
/// (more GPUs than the box has, a scope the workload cannot give, no layout).
PlanResult make_plan(const Topology& topology, const GpuInfo& gpu, const Workload& w, const PlanOptions& options);

/// Where each stage's figure comes from, for this GPU and options (one line per stage).
std::vector<std::pair<std::string, std::string>> stage_sources(const GpuInfo& gpu, const PlanOptions& options);

/// The ranked table (the first `top` rows, plus the reference and one GPU) and a recommendation.
std::string plan_table(const PlanResult& r, std::size_t top = 15);
/// {"format":"ulysses-a2a/plan","version":1,...,"candidates":[...]} best first.
std::string plan_json(const PlanResult& r, int indent = 1);
/// A stacked-bar SVG of the stage breakdown of the first `top` candidates and the reference.
std::string plan_svg(const PlanResult& r, std::size_t top = 12);

}  // namespace ua2a::plan
