#include "plan/plan.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <stdexcept>

#include "schedule/named.h"
#include "schedule/generators.h"
#include "schedule/lower.h"
#include "schedule/study.h"
#include "schedule/workload.h"
#include "plan/offload.h"
#include "sim/contention_policy.h"

namespace ua2a::plan {

namespace {

/// Bytes one element takes on the wire: bf16/fp16 2; FP8 1 plus a float32 scale per row of D
/// (reference/ulysses-4090.md, "FP8 communication").
double wire_bytes(DType d, std::uint64_t head_dim) {
  return d == DType::fp8 ? 1.0 + 4.0 / static_cast<double>(head_dim) : 2.0;
}
constexpr double kActivationBytes = 2;  // bf16 activations
/// Largest block the planner simulates: a bigger one is a typo in --seq or --batch, not a layout.
constexpr double kMaxBlockBytes = 1e13;

/// What one candidate layout means for one GPU.
struct PerGpu {
  std::uint64_t tokens = 0;  ///< t = ceil(S / (ulysses ring)): own tokens per sample
  double bt = 0;             ///< B t
  double padded = 0;         ///< S padded to a multiple of ulysses x ring
};

PerGpu per_gpu(const Workload& w, const Layout& l) {
  const auto p = static_cast<std::uint64_t>(l.ulysses) * static_cast<std::uint64_t>(l.ring);
  PerGpu g;
  g.tokens = (w.tokens + p - 1) / p;
  g.bt = static_cast<double>(w.batch) * static_cast<double>(g.tokens);
  g.padded = static_cast<double>(g.tokens * p);
  return g;
}

/// Renumbers `local` (programs over `members.size()` ranks) onto the global ranks `members`.
void append_mapped(const ProgramSet& local, const std::vector<Rank>& members, ProgramSet& out) {
  for (const Program& p : local.programs) {
    Program g = p;
    g.rank = members[static_cast<std::size_t>(p.rank)];
    for (Op& op : g.ops) {
      op.peer = members[static_cast<std::size_t>(op.peer)];
      op.block = {members[static_cast<std::size_t>(op.block.src)], members[static_cast<std::size_t>(op.block.dst)]};
    }
    out.programs[static_cast<std::size_t>(g.rank)] = std::move(g);
  }
}

ProgramSet empty_set(std::int32_t ranks, const Payload& payload) {
  ProgramSet s;
  s.ranks = ranks;
  s.payload = payload;
  s.programs.resize(static_cast<std::size_t>(ranks));
  for (Rank r = 0; r < ranks; ++r) s.programs[static_cast<std::size_t>(r)].rank = r;
  return s;
}

class Planner {
 public:
  Planner(const Topology& t, const GpuInfo& gpu, const Workload& w, const PlanOptions& o)
      : topo_(t), gpu_(gpu), w_(w), o_(o) {}

  /// The GPUs of layout `l` (map_layout on the GPUs the options allow), one per layout.
  const Mapping& mapping(const Layout& l) {
    const std::string key = to_string(l);
    auto it = mappings_.find(key);
    if (it == mappings_.end()) it = mappings_.emplace(key, map_layout(topo_, l.cfg, l.ring, l.ulysses, o_.gpu_list)).first;
    return it->second;
  }

  /// Seconds of one Ulysses exchange of every group at once, or nullopt (with `why`) when the
  /// schedule does not apply to this group size.
  /// `chunks` > 1: one of that many token chunks of each rank's block.
  std::optional<double> exchange(const Layout& l, const Combo& c, std::optional<TransportKind> t, DType d,
                                 Exchange e, std::uint64_t heads_per_rank, std::string& why, std::uint32_t chunks = 1) {
    const PerGpu g = per_gpu(w_, l);
    const auto bt = static_cast<std::uint64_t>(g.bt);
    const std::uint64_t seq = (bt + chunks - 1) / chunks;
    const Mapping& m = mapping(l);
    const std::string key = to_string(m) + "/" + std::to_string(l.ulysses) + "/" + std::to_string(seq) + "/" + c.label() + "/" +
                            (t ? to_string(*t) : "-") + "/" + to_string(d) + "/" + to_string(e) + "/" +
                            std::to_string(heads_per_rank);
    if (auto it = cache_.find(key); it != cache_.end()) {
      if (!it->second) why = why_[key];
      last_bytes_ = link_bytes_[key];
      return it->second;
    }
    std::optional<double> result;
    try {
      const UlyssesShape shape{seq, heads_per_rank, w_.head_dim, d, e};
      const Payload payload = ulysses_payload(shape, !c.unmerged, 1);
      if (static_cast<double>(payload.block_bytes()) > kMaxBlockBytes)
        throw std::invalid_argument("a block of " + std::to_string(payload.block_bytes()) +
                                    " bytes: check --seq and --batch");
      // The study's expansion of this one combo and exchange: a combo that cannot run here
      // throws its reason (by name), which becomes `why`.
      StudySchedules one;
      one.ranks = l.ulysses;
      one.combos = {c};
      one.by_name = true;
      one.exchanges = {to_string(e)};
      one.payload = [&](const Combo&, const std::string&) { return payload; };
      const ProgramSet local = expand(one).cases.at(0).programs;
      ProgramSet all = empty_set(m.span(), payload);
      for (const auto& branch : m.groups)
        for (const auto& group : branch) append_mapped(local, group, all);
      result = run(all, t, &link_bytes_[key]);
      last_bytes_ = link_bytes_[key];
    } catch (const std::invalid_argument& ex) {
      why_[key] = ex.what();
      why = ex.what();
    }
    cache_[key] = result;
    return result;
  }

  /// Seconds of one ring pass: every rank sends its K and V block to the next rank of its ring
  /// and receives the previous one's, all rings at once.
  double ring_pass(const Layout& l, std::optional<TransportKind> t, DType d) {
    const PerGpu g = per_gpu(w_, l);
    // K and V of the ring block: (ulysses t) tokens x (H / ulysses) heads x D, per sample.
    const double bytes = 2.0 * g.bt * static_cast<double>(w_.heads * w_.head_dim) * wire_bytes(d, w_.head_dim);
    const Mapping& m = mapping(l);
    const std::string key = "ring/" + to_string(l) + "/" + to_string(m) + "/" + std::to_string(g.tokens) + "/" +
                            (t ? to_string(*t) : "-") + "/" + to_string(d);
    if (auto it = cache_.find(key); it != cache_.end()) {
      last_bytes_ = link_bytes_[key];
      return *it->second;
    }
    const Payload payload = uniform_payload(static_cast<std::uint64_t>(bytes), true, 1);
    // One ring's pass (schedule/ring_pass), lowered with both directions posted together and
    // without the diagonal copy (the ring keeps its own block), mapped onto each ring's GPUs.
    const ProgramSet local = without_local_copies(lower(ua2a::ring_pass(l.ring, payload), Discipline::paired_full));
    ProgramSet all = empty_set(m.span(), payload);
    for (std::int32_t ci = 0; ci < l.cfg; ++ci)
      for (std::int32_t u = 0; u < l.ulysses; ++u) {
        std::vector<Rank> ring;
        for (std::int32_t ri = 0; ri < l.ring; ++ri) ring.push_back(m.gpu(ci, ri, u));
        append_mapped(local, ring, all);
      }
    const double s = run(all, t, &link_bytes_[key]);
    last_bytes_ = link_bytes_[key];
    cache_[key] = s;
    return s;
  }

  /// The compute and memory stages of one forward of one block (or one attention) per GPU.
  Candidate evaluate(const Layout& l, const Combo* c, std::optional<TransportKind> t, DType d, Overlap overlap,
                     std::string& why) {
    Candidate k;
    k.layout = l;
    k.dtype = d;
    k.overlap = overlap;
    k.mapping = mapping(l);
    const PerGpu g = per_gpu(w_, l);
    const double hd = static_cast<double>(w_.heads * w_.head_dim);
    const double wb = wire_bytes(d, w_.head_dim);
    const double bw = gpu_.memory_bytes_per_s;
    Stages s;
    std::vector<double> traffic;  // this block's exchanges: bytes on each link of the box
    if (l.ulysses > 1) {
      k.algo = c->algo;
      k.discipline = c->discipline;
      k.unmerged = c->unmerged;
      k.transport = to_string(t ? *t : topo_.params.transport);
      // Pack reads the bf16 q, k, v and writes the wire layout; unpack the other way; then the
      // same for the output (one tensor): 4 tensors of B t H D elements each way.
      s.pack = 4.0 * g.bt * hd * (kActivationBytes + wb) / bw;
      s.unpack = s.pack;
      const std::uint64_t h = w_.heads / static_cast<std::uint64_t>(l.ulysses);
      const auto fwd = exchange(l, *c, t, d, Exchange::qkv, h, why);
      add_traffic(traffic, 1.0);
      const auto rev = fwd ? exchange(l, *c, t, d, Exchange::out, h, why) : std::nullopt;
      if (!fwd || !rev) return Candidate{};
      add_traffic(traffic, 1.0);
      k.a2a_fwd_sim_s = *fwd;
      k.a2a_rev_sim_s = *rev;
      s.a2a_fwd = *fwd;
      s.a2a_rev = *rev;
    }
    const double attn_rate = attention_rate(gpu_, o_.attention);
    // Each GPU: its (S / ring) query tokens of its H / ulysses heads against all S keys.
    const double attn_flops = 4.0 * static_cast<double>(w_.batch) * (g.padded / l.ring) * g.padded *
                              static_cast<double>(w_.head_dim) * static_cast<double>(w_.heads / l.ulysses);
    s.attention = attn_flops / attn_rate;
    if (l.ring > 1) {
      k.transport = to_string(t ? *t : topo_.params.transport);
      const double pass = ring_pass(l, t, d);
      add_traffic(traffic, l.ring - 1.0);
      k.ring_pass_sim_s = pass;
      // R blocks of attention over S / R keys each: a smaller block runs at a lower rate (the
      // kernel's fixed work per query tile amortised over fewer keys), relative to the whole
      // sequence's block that the rate was measured on.
      const double half = ring_half_keys();
      const double keys = g.padded / l.ring;
      s.attention /= (keys / (keys + half)) / (g.padded / (g.padded + half));
      // Each of the R - 1 passes runs beside the block before it: what it does not hide is
      // exposed, plus its fixed launch and handshake cost and the log-sum-exp merge of the
      // block's partial output into the accumulator (memory traffic).
      const double block = s.attention / l.ring;
      const double elements = g.bt * hd / static_cast<double>(l.ulysses);
      const double merge =
          elements * (kMergeBytesPerElement + kMergeLseBytes / static_cast<double>(w_.head_dim)) / bw;
      s.ring = (l.ring - 1) * (std::max(0.0, pass - block) + ring_overhead() + merge);
    }
    if (overlap == Overlap::head) {
      // Per head (the reference's head_parallel): head i+1's exchange runs beside head i's
      // attention, head i-1's output goes back meanwhile: a pipeline of h stages of three.
      const std::uint64_t h = w_.heads / static_cast<std::uint64_t>(l.ulysses);
      const auto f1 = exchange(l, *c, t, d, Exchange::qkv, 1, why);
      const auto r1 = f1 ? exchange(l, *c, t, d, Exchange::out, 1, why) : std::nullopt;
      if (!f1 || !r1) return Candidate{};
      const double a1 = (s.attention + s.ring) / static_cast<double>(h);
      const double pipeline = *f1 + a1 + *r1 + static_cast<double>(h - 1) * std::max({*f1, a1, *r1});
      const double exposed = std::max(0.0, pipeline - (s.attention + s.ring));
      s.a2a_fwd = exposed * *f1 / (*f1 + *r1);
      s.a2a_rev = exposed * *r1 / (*f1 + *r1);
    }
    double forwards = 1;
    if (o_.scope != Scope::attention) {
      const double dd = static_cast<double>(w_.hidden), f = static_cast<double>(w_.ffn);
      const double ctx = static_cast<double>(w_.context_tokens) * static_cast<double>(w_.batch);
      const double gemm_rate = (o_.weights == DType::fp8 ? gpu_.fp8_flops : gpu_.bf16_flops) * efficiency();
      // q, k, v, o of self-attention (4 d^2), q and o of cross-attention (2 d^2), the FFN (2 d f),
      // 2 FLOPs a multiply-add; the context's k and v (2 d^2 per context token) on every GPU.
      // A joint-attention model (no cross-attention context) has q, k, v, o and the FFN only.
      const double per_token = (ctx > 0 ? 6.0 : 4.0) * dd * dd + static_cast<double>(w_.ffn_matrices) * dd * f;
      s.linear = (2.0 * g.bt * per_token + 2.0 * ctx * 2.0 * dd * dd) / gemm_rate;
      s.cross_attention = 4.0 * g.bt * ctx / static_cast<double>(w_.batch) * dd / attn_rate;
      s.other = kElementwisePasses * g.bt * dd * kActivationBytes / bw;
      s.host = host_overhead();
      if (o_.scope == Scope::step) forwards = static_cast<double>(w_.layers) * (w_.cfg ? 2.0 : 1.0) / l.cfg;
      if (overlap == Overlap::chunk) {
        // Two pipelines of kOverlapChunks stages: projection of chunk i+1 beside the exchange of
        // chunk i (q, k, v: 3 d^2 a token), and the exchange of output chunk i+1 beside the
        // output projection of chunk i (d^2 a token).
        const auto f1 = exchange(l, *c, t, d, Exchange::qkv, w_.heads / l.ulysses, why, kOverlapChunks);
        const auto r1 = f1 ? exchange(l, *c, t, d, Exchange::out, w_.heads / l.ulysses, why, kOverlapChunks) : std::nullopt;
        if (!f1 || !r1) return Candidate{};
        const double n = kOverlapChunks;
        const double qkv = 2.0 * g.bt * 3.0 * dd * dd / gemm_rate, out = 2.0 * g.bt * dd * dd / gemm_rate;
        const double fwd = qkv / n + *f1 + (n - 1) * std::max(qkv / n, *f1);
        const double rev = *r1 + out / n + (n - 1) * std::max(out / n, *r1);
        s.a2a_fwd = std::max(0.0, fwd - qkv);
        s.a2a_rev = std::max(0.0, rev - out);
      }
    }
    k.memory_bytes = memory(l, d);
    k.fits = k.memory_bytes <= gpu_.memory_bytes;
    if (!k.fits && o_.scope != Scope::attention) offload(k.mapping.gpus(), traffic, s, k);
    for (double* v : {&s.pack, &s.a2a_fwd, &s.attention, &s.ring, &s.a2a_rev, &s.unpack, &s.linear,
                      &s.cross_attention, &s.other, &s.host, &s.offload})
      *v *= forwards;
    k.stages = s;
    // Blocks that wait on their weights take exactly the stream's time (equal for every layout
    // that waits: they tie exactly, and the simpler one goes first).
    k.time_s = s.offload > 0 ? k.offload_block_s * forwards : s.total();
    const auto names = stage_names();
    const auto values = stage_values(s);
    k.bottleneck = names[static_cast<std::size_t>(std::max_element(values.begin(), values.end()) - values.begin())];
    if (s.offload > 0) k.bottleneck = "offload";  // the weight stream sets every block's time
    return k;
  }

  /// One block's weights per GPU.
  double block_weight_bytes() const {
    return weight_bytes() / static_cast<double>(w_.layers);
  }
  double weight_bytes() const {
    return parameters() * (o_.weights == DType::fp8 ? 1.0 : 2.0);
  }

  /// CPU offload, as the reference runs it: two blocks' weights resident (the one computing, the
  /// next arriving); each block's weights read by every GPU from host memory at once (simulated
  /// on the box's links, plan/offload.h) beside the block before. Exposed per block: what the
  /// read takes beyond the block's own time. The read and the exchanges share the uplinks and
  /// host memory; they are not simulated together (an analytic overlap: docs/plan.md, "Offload").
  /// `traffic`: the block's exchanges' bytes on each link (forward, reverse, ring passes); the
  /// block can end no sooner than the busiest link has carried them and its share of the weights.
  /// `gpus`: the layout's GPUs as mapped (plan/mapping.h).
  void offload(const std::vector<std::int32_t>& gpus, const std::vector<double>& traffic, Stages& s, Candidate& k) {
    const double resident = k.memory_bytes - weight_bytes() + 2.0 * block_weight_bytes();
    auto it = reads_.find(gpus);
    if (it == reads_.end()) it = reads_.emplace(gpus, host_to_gpus(topo_, gpus, block_weight_bytes())).first;
    const HostReadTime& read = it->second;
    double shared = 0;  // the busiest link's bytes, weights and exchanges together, over its capacity
    for (std::size_t i = 0; i < read.link_bytes.size(); ++i) {
      const double exchanged = i < traffic.size() ? traffic[i] : 0.0;
      shared = std::max(shared, (read.link_bytes[i] + exchanged) / topo_.link(topo_.edges()[i]).capacity_bytes_per_s);
    }
    k.offload = true;
    k.offload_block_s = std::max(read.seconds, shared);
    k.memory_bytes = resident;
    k.fits = resident <= gpu_.memory_bytes;
    s.offload = std::max(0.0, k.offload_block_s - s.total());
  }

  void add_traffic(std::vector<double>& traffic, double times) const {
    traffic.resize(std::max(traffic.size(), last_bytes_.size()), 0.0);
    for (std::size_t i = 0; i < last_bytes_.size(); ++i) traffic[i] += times * last_bytes_[i];
  }

  double efficiency() const { return o_.gemm_efficiency > 0 ? o_.gemm_efficiency : kGemmEfficiency; }
  double ring_overhead() const { return o_.ring_pass_overhead_s >= 0 ? o_.ring_pass_overhead_s : kRingPassOverheadS; }
  double host_overhead() const { return o_.host_overhead_s >= 0 ? o_.host_overhead_s : kHostOverheadS; }
  double ring_half_keys() const { return o_.attention_half_keys >= 0 ? o_.attention_half_keys : kAttentionHalfKeys; }

  /// Peak bytes per GPU: the weights (replicated by every split here) and the block's live
  /// activations. A coarse estimate: docs/plan.md lists what it counts.
  double parameters() const {
    if (w_.parameters > 0) return w_.parameters;
    const double dd = static_cast<double>(w_.hidden), f = static_cast<double>(w_.ffn);
    return static_cast<double>(w_.layers) *
           (8.0 * dd * dd + static_cast<double>(w_.ffn_matrices) * dd * f + (w_.image_context_tokens > 0 ? 2.0 * dd * dd : 0));
  }

  double memory(const Layout& l, DType d) const {
    const PerGpu g = per_gpu(w_, l);
    const double dd = static_cast<double>(w_.hidden), f = static_cast<double>(w_.ffn);
    const double hd = static_cast<double>(w_.heads * w_.head_dim);
    const double weights = o_.scope != Scope::attention ? weight_bytes() : 0.0;
    const double wb = wire_bytes(d, w_.head_dim);
    double act = 3.0 * g.bt * hd * kActivationBytes + g.bt * hd * kActivationBytes;  // q, k, v and the output
    if (l.ulysses > 1) act += 2.0 * 3.0 * g.bt * hd * wb;                           // send and receive buffers
    if (l.ring > 1) act += 2.0 * 2.0 * g.bt * hd * wb;                              // K/V double buffer
    if (o_.scope != Scope::attention) act += 4.0 * g.bt * dd * kActivationBytes + 2.0 * g.bt * f * kActivationBytes;
    return weights + act;
  }

 private:
  /// Seconds of `all` on the box; its bytes on each of the box's links into `bytes`.
  double run(const ProgramSet& all, std::optional<TransportKind> t, std::vector<double>* bytes) {
    SimOptions so;
    so.transport = t;
    so.model = o_.sim_model;
    so.record_transfers = false;
    so.record_util = false;
    const SimReport r = simulate(topo_, all, so);
    if (!r.ok) throw std::invalid_argument("the simulated exchange did not finish: " + r.error);
    bytes->assign(topo_.edges().size(), 0.0);
    for (std::size_t i = 0; i < bytes->size() && i < r.links.size(); ++i) (*bytes)[i] = r.links[i].bytes;
    return r.time_s;
  }

  const Topology& topo_;
  const GpuInfo& gpu_;
  const Workload& w_;
  const PlanOptions& o_;
  std::map<std::string, Mapping> mappings_;
  std::map<std::string, std::optional<double>> cache_;
  std::map<std::string, std::string> why_;
  std::map<std::vector<std::int32_t>, HostReadTime> reads_;  ///< one block's weights to these GPUs at once
  std::map<std::string, std::vector<double>> link_bytes_;  ///< per cached exchange: bytes on each link
  std::vector<double> last_bytes_;  ///< of the last exchange() or ring_pass() asked
};

}  // namespace

std::string to_string(Overlap o) {
  switch (o) {
    case Overlap::none: return "none";
    case Overlap::head: return "head";
    case Overlap::chunk: return "chunk";
  }
  return "?";
}

const std::vector<NamedValue<Scope>>& scopes() {
  static const std::vector<NamedValue<Scope>> table = {
      {"attention", Scope::attention}, {"layer", Scope::layer}, {"step", Scope::step}};
  return table;
}

std::string to_string(Scope s) { return name_of(scopes(), s); }

Scope parse_scope(const std::string& name) { return parse_value(scopes(), name, "--scope"); }

Workload model_workload(const std::string& model, const std::string& resolution, std::uint32_t frames, bool cfg) {
  return model_workload(find_video_model(model), resolution, frames, cfg);
}

Workload model_workload(const VideoModel& m, const std::string& resolution, std::uint32_t frames, bool cfg) {
  Workload w;
  w.name = m.name;
  w.tokens = sequence_tokens(m, resolution.empty() ? m.default_resolution : resolution, frames);
  w.heads = m.heads;
  w.head_dim = m.head_dim;
  w.layers = m.layers;
  w.hidden = m.hidden;
  w.ffn = m.ffn;
  if (!m.text_in_self_attention) {  // joint attention has its text in the sequence, not a context
    w.context_tokens = m.text_tokens + m.image_context_tokens;
    w.image_context_tokens = m.image_context_tokens;
  }
  w.cfg = cfg && m.cfg;
  w.parameters = m.parameters;
  w.ffn_matrices = m.ffn_matrices;
  return w;
}

Workload shape_workload(std::uint64_t seq, std::uint64_t heads, std::uint64_t head_dim, std::uint64_t batch) {
  if (seq == 0) throw std::invalid_argument("--seq must be at least 1 (the sequence length S, all tokens)");
  if (heads == 0) throw std::invalid_argument("--heads must be at least 1");
  if (head_dim == 0) throw std::invalid_argument("--head-dim must be at least 1");
  if (batch == 0) throw std::invalid_argument("--batch must be at least 1");
  // Products below are taken in doubles; this keeps the integer ones (tokens x heads x dim) exact.
  if (static_cast<double>(seq) * static_cast<double>(heads) * static_cast<double>(head_dim) * static_cast<double>(batch) >
      1e15)
    throw std::invalid_argument("--seq x --heads x --head-dim x --batch is over 10^15 elements: check the shape");
  Workload w;
  w.tokens = seq;
  w.heads = heads;
  w.head_dim = head_dim;
  w.batch = batch;
  return w;
}

std::string to_string(const Layout& l) {
  return "cfg" + std::to_string(l.cfg) + " x u" + std::to_string(l.ulysses) + " x r" + std::to_string(l.ring);
}

std::vector<Layout> layouts(std::int32_t gpus, const Workload& w, Scope scope) {
  if (gpus < 1) throw std::invalid_argument("--gpus must be at least 1 (got " + std::to_string(gpus) + ")");
  std::vector<Layout> out;
  const std::int32_t max_cfg = (w.cfg && scope == Scope::step) ? 2 : 1;
  for (std::int32_t c = 1; c <= max_cfg; ++c) {
    if (gpus % c != 0) continue;
    const std::int32_t p = gpus / c;
    for (std::int32_t u = p; u >= 1; --u) {
      if (p % u != 0 || w.heads % static_cast<std::uint64_t>(u) != 0) continue;
      if (w.tokens < static_cast<std::uint64_t>(p)) continue;  // every GPU needs a token of its own
      out.push_back({c, u, p / u});
    }
  }
  return out;
}

double Stages::total() const {
  return pack + a2a_fwd + attention + ring + a2a_rev + unpack + linear + cross_attention + other + host + offload;
}

const std::vector<std::string>& stage_names() {
  static const std::vector<std::string> names = {"pack", "a2a_fwd", "attention", "ring", "a2a_rev",
                                                 "unpack", "linear", "cross_attention", "other", "host", "offload"};
  return names;
}

std::vector<double> stage_values(const Stages& s) {
  return {s.pack,   s.a2a_fwd, s.attention,       s.ring,  s.a2a_rev,
          s.unpack, s.linear,  s.cross_attention, s.other, s.host,   s.offload};
}

namespace {

/// The best candidate that fits in memory (with offload where it needs it), else the best; an
/// FP8 wire only when it beats the best bf16 one by kFp8Margin (its accuracy cost is not free).
void choose_recommendation(PlanResult& r) {
  auto first = [&](bool want_bf16) -> std::optional<std::size_t> {
    for (std::size_t i = 0; i < r.candidates.size(); ++i)
      if (r.candidates[i].fits && (!want_bf16 || r.candidates[i].dtype == DType::bf16)) return i;
    return std::nullopt;
  };
  const auto best = first(false);
  r.recommended_index = best.value_or(0);
  if (!best || r.candidates[*best].dtype != DType::fp8) return;
  const auto lossless = first(true);
  if (!lossless) return;
  const double fp8 = r.candidates[*best].time_s, bf16 = r.candidates[*lossless].time_s;
  char buf[320];
  if (fp8 > bf16 * (1.0 - kFp8Margin)) {
    r.recommended_index = *lossless;
    std::snprintf(buf, sizeof buf,
                  "an FP8 wire would be %.1f %% faster (%.4g against %.4g s), under the %.0f %% margin that pays for "
                  "its accuracy cost: the bf16 candidate is recommended",
                  100.0 * (1.0 - fp8 / bf16), fp8, bf16, 100.0 * kFp8Margin);
  } else {
    std::snprintf(buf, sizeof buf, "FP8 on the wire is recommended: %.1f %% faster than the best bf16 candidate (%.4g s), "
                  "over the %.0f %% margin", 100.0 * (1.0 - fp8 / bf16), bf16, 100.0 * kFp8Margin);
  }
  r.notes.push_back(buf);
}

void add_memory_and_precision_notes(PlanResult& r, const GpuInfo& gpu) {
  const Candidate& k = r.candidates[r.recommended_index];
  char buf[640];
  if (k.offload) {
    std::snprintf(buf, sizeof buf,
                  "the weights do not fit in the card's %.1f GB beside the activations: the recommendation runs with "
                  "CPU offload (two blocks resident, %.1f GB per GPU; each block's weights read from host memory by "
                  "every GPU at once, %.1f ms a block on this box, simulated; what the block does not hide is the "
                  "offload stage); --weights fp8 halves the bytes",
                  gpu.memory_bytes / 1e9, k.memory_bytes / 1e9, k.offload_block_s * 1e3);
    r.notes.push_back(buf);
  }
  if (!k.fits) {
    std::snprintf(buf, sizeof buf,
                  "no candidate fits in the card's %.1f GB, even with CPU offload: the recommendation needs %.1f GB per "
                  "GPU (activations and exchange buffers): use more GPUs, a shorter sequence or a bigger card",
                  gpu.memory_bytes / 1e9, k.memory_bytes / 1e9);
    r.notes.push_back(buf);
  }
  if (k.bottleneck == "host") {
    std::snprintf(buf, sizeof buf,
                  "the recommendation is host-bound: %.3g of its %.3g s is the framework's host time per block "
                  "forward (%.2f ms each, fitted to eager runs, docs/validation.md), which no split shortens; a step "
                  "captured in CUDA graphs or compiled removes most of it (--host-overhead-ms 0 plans that)",
                  k.stages.host, k.time_s, 1e3 * (r.options.host_overhead_s >= 0 ? r.options.host_overhead_s : kHostOverheadS));
    r.notes.push_back(buf);
  }
  if (k.dtype == DType::fp8)
    r.notes.push_back(std::string("accuracy of an FP8 wire: ") + kFp8WireAccuracy);
  if (r.options.weights == DType::fp8)
    r.notes.push_back(std::string("accuracy of --weights fp8: ") + kFp8WeightsAccuracy);
}

}  // namespace

PlanResult make_plan(const Topology& topology, const GpuInfo& gpu, const Workload& w, const PlanOptions& o) {
  const auto box = static_cast<std::int32_t>(topology.gpus().size());
  for (std::int32_t gpu : o.gpu_list)
    if (gpu < 0 || gpu >= box)
      throw std::invalid_argument("--gpus lists GPU " + std::to_string(gpu) + " but topology '" + topology.name +
                                  "' has GPUs 0.." + std::to_string(box - 1) + ": list GPUs of the box");
  if (!o.gpu_list.empty() && o.gpus != 0 && o.gpus != static_cast<std::int32_t>(o.gpu_list.size()))
    throw std::invalid_argument("--gpus: a count and a list of a different size: give one");
  const std::int32_t g = !o.gpu_list.empty() ? static_cast<std::int32_t>(o.gpu_list.size()) : o.gpus == 0 ? box : o.gpus;
  if (g < 1) throw std::invalid_argument("--gpus must be at least 1 (got " + std::to_string(g) + ")");
  if (g > box)
    throw std::invalid_argument("--gpus " + std::to_string(g) + " but topology '" + topology.name + "' has " +
                                std::to_string(box) + " GPUs: pick at most " + std::to_string(box) + " or a bigger box");
  if (o.scope != Scope::attention && (w.layers == 0 || w.hidden == 0 || w.ffn == 0))
    throw std::invalid_argument("--scope " + to_string(o.scope) + " needs the whole block (layers, hidden, FFN) and " +
                                (w.name == "shape" ? std::string("a bare shape has only the attention")
                                                   : "model '" + w.name + "' does not have them in the table") +
                                ": use --scope attention, or a model with them");
  if (o.weights != DType::bf16 && o.weights != DType::fp8)
    throw std::invalid_argument("--weights must be bf16 or fp8");
  PlanResult r;
  r.topology = topology.name;
  r.gpu = gpu.name;
  r.gpu_info = gpu;
  r.workload = w;
  r.options = o;
  r.gpus = g;
  Planner p(topology, gpu, w, o);
  std::string why;
  r.one_gpu = p.evaluate({1, 1, 1}, nullptr, std::nullopt, DType::bf16, Overlap::none, why);
  std::map<std::string, bool> said;
  auto skip = [&](const std::string& what) {
    if (!said[what]) r.skipped.push_back(what);
    said[what] = true;
  };
  const std::vector<Combo> combos = o.combos.empty() ? study_schedules() : o.combos;
  const auto transports = o.transports.empty() ? study_transports(topology, o.sim_model) : o.transports;
  std::vector<Layout> ls = layouts(g, w, o.scope);
  if (o.only_layout) {
    ls.erase(std::remove_if(ls.begin(), ls.end(), [&](const Layout& l) { return !(l == *o.only_layout); }), ls.end());
    if (ls.empty())
      throw std::invalid_argument("layout " + to_string(*o.only_layout) + " does not apply: ulysses must divide the " +
                                  std::to_string(w.heads) + " heads and cfg x ulysses x ring make --gpus");
  }
  const std::uint64_t fewest_per_cfg = static_cast<std::uint64_t>(g) / ((w.cfg && o.scope == Scope::step) ? 2 : 1);
  if (ls.empty() && w.tokens < fewest_per_cfg)  // the heads are not to blame: no GPU would get a token
    throw std::invalid_argument("no layout of " + std::to_string(g) + " GPUs applies: the sequence of " +
                                std::to_string(w.tokens) + " tokens is shorter than the " + std::to_string(g) +
                                " GPUs (each needs a token of its own): use --gpus " + std::to_string(w.tokens) +
                                " or fewer, or a longer --seq");
  if (ls.empty())
    throw std::invalid_argument("no layout of " + std::to_string(g) + " GPUs applies: the " + std::to_string(w.heads) +
                                " heads divide no Ulysses degree that splits --gpus: pick --gpus dividing them");
  for (std::size_t li = 0; li < ls.size(); ++li) {
    const Layout& l = ls[li];
    const bool exchanges = l.ulysses > 1 || l.ring > 1;
    const std::vector<Combo> cs = l.ulysses > 1 ? combos : std::vector<Combo>{Combo{}};
    const auto ts = exchanges ? transports : std::vector<std::optional<TransportKind>>{std::nullopt};
    for (const Combo& c : cs)
      for (const auto& t : ts)
        for (DType d : {DType::bf16, DType::fp8}) {
          if (!exchanges && d == DType::fp8) continue;  // nothing on the wire
          if (o.only_dtype && d != *o.only_dtype) continue;
          for (Overlap ov : {Overlap::none, Overlap::head, Overlap::chunk}) {
            if (ov != Overlap::none && l.ulysses == 1) continue;  // no exchange to overlap
            if (ov == Overlap::head && w.heads / static_cast<std::uint64_t>(l.ulysses) < 2) continue;
            if (ov == Overlap::chunk && o.scope == Scope::attention) continue;  // no projections to hide behind
            if (o.only_overlap && ov != *o.only_overlap) continue;
            if (o.on_candidate)
              o.on_candidate(li, ls.size(), to_string(l) + (l.ulysses > 1 ? " " + c.label() : "") +
                                                (t ? " over " + to_string(*t) : ""));
            std::string reason;
            Candidate k = p.evaluate(l, l.ulysses > 1 ? &c : nullptr, t, d, ov, reason);
            if (!reason.empty() || k.time_s <= 0) {
              skip("u" + std::to_string(l.ulysses) + " " + c.label() + ": " + reason);
              continue;
            }
            k.needs = transport_needs(topology, k.transport, k.mapping);
            r.candidates.push_back(k);
          }
        }
  }
  if (r.candidates.empty()) throw std::invalid_argument("no candidate applies: " + (r.skipped.empty() ? "" : r.skipped.front()));
  // Best first; among times equal to 6 significant digits (an exchange hidden behind attention
  // makes its schedule and transport irrelevant) the simpler candidate first: bf16, no overlap,
  // the box's own transport.
  auto key = [&](const Candidate& k) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", k.time_s);
    const int extras = (k.dtype != DType::bf16) + (k.overlap != Overlap::none) +
                       (k.transport != "-" && k.transport != to_string(topology.params.transport));
    return std::make_pair(std::strtod(buf, nullptr), extras);
  };
  std::stable_sort(r.candidates.begin(), r.candidates.end(),
                   [&](const Candidate& a, const Candidate& b) { return key(a) < key(b); });
  // The reference layout exists when Ulysses can take every GPU (and means something with two).
  if (g > 1 && w.heads % static_cast<std::uint64_t>(g) == 0 && w.tokens >= static_cast<std::uint64_t>(g)) {
    const Combo ref = reference_schedule();
    Candidate k = p.evaluate({1, g, 1}, &ref, std::nullopt, DType::bf16, Overlap::none, why);
    k.needs = transport_needs(topology, k.transport, k.mapping);
    if (k.time_s > 0) r.reference = k;
  }
  for (Candidate& k : r.candidates) {
    k.speedup_one_gpu = r.one_gpu.time_s / k.time_s;
    if (r.reference) k.speedup_reference = r.reference->time_s / k.time_s;
  }
  if (r.reference) {
    r.reference->speedup_one_gpu = r.one_gpu.time_s / r.reference->time_s;
    r.reference->speedup_reference = 1;
  }
  r.one_gpu.speedup_one_gpu = 1;
  choose_recommendation(r);
  add_memory_and_precision_notes(r, gpu);
  // How sure the exchange stages are: the box's calibration, as every answer states it.
  r.notes.push_back("the exchange times come from the model of box " + topology.name + ", " +
                    calibration_status(topology));
  return r;
}

std::vector<std::pair<std::string, std::string>> stage_sources(const GpuInfo& gpu, const PlanOptions& o) {
  const double attn = attention_rate(gpu, o.attention);
  const double gemm = o.weights == DType::fp8 ? gpu.fp8_flops : gpu.bf16_flops;
  const double eff = o.gemm_efficiency > 0 ? o.gemm_efficiency : kGemmEfficiency;
  auto num = [](double v, int prec) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", prec, v);
    return std::string(buf);
  };
  return {
      {"pack", "4 tensors (q, k, v, out) of B t H D read in bf16 and written in the wire format, over " +
                   num(gpu.memory_bytes_per_s / 1e9, 0) + " GB/s (" + gpu.source + ")"},
      {"a2a_fwd", "sim::simulate of the q|k|v exchange of every Ulysses group at once on the box (" +
                      to_string(o.sim_model) + " model, docs/simulate.md)"},
      {"attention", "4 B (S/ring) S D (H/ulysses) FLOPs over " + num(attn / 1e12, 1) + " TFLOP/s, " +
                        to_string(o.attention) + " (" + gpu.attention_source + ")"},
      {"ring", "ring-1 K/V passes, each sim::simulate of every ring's shift at once, less the attention block beside it, "
               "plus per pass " + num(1e6 * (o.ring_pass_overhead_s >= 0 ? o.ring_pass_overhead_s : kRingPassOverheadS), 0) +
               " us of launches and handshake (fitted) and the log-sum-exp merge (10 B an output element over the memory "
               "bandwidth); attention blocks over S/ring keys at n / (n + " +
               num(o.attention_half_keys >= 0 ? o.attention_half_keys : kAttentionHalfKeys, 0) +
               ") of the rate, relative to S keys (fitted, docs/validation.md)"},
      {"a2a_rev", "sim::simulate of the output exchange, as a2a_fwd; with overlap, only the part the per-head "
                  "pipeline (beside attention) or the per-chunk one (beside the projections) leaves exposed"},
      {"unpack", "as pack"},
      {"linear", "2 B t (6 d^2 + 2 d ffn) + 4 B ctx d^2 FLOPs (joint attention: 2 B t (4 d^2 + m d ffn), m = 3 for "
                 "SwiGLU) over " + num(gemm / 1e12, 1) + " TFLOP/s (" +
                     to_string(o.weights) + ") x GEMM efficiency " + num(eff, 2) + " (fitted, docs/validation.md)"},
      {"cross_attention", "4 B t ctx d FLOPs over the attention rate"},
      {"other", num(kElementwisePasses, 0) + " passes of B t d bf16 over memory bandwidth (counted from Wan2.1's block)"},
      {"host", num(1e3 * (o.host_overhead_s >= 0 ? o.host_overhead_s : kHostOverheadS), 2) +
                   " ms of host time per block forward that the GPU waits for (fitted to xDiT's eager runs, "
                   "docs/validation.md; --host-overhead-ms 0 for CUDA graphs)"},
      {"offload", "weights over the card's memory: one block's weights read by every GPU from its socket's host "
                  "memory at once (the simulator's flow model on the box's PCIe and memory links, plan/offload.h), "
                  "less the block's own time (an analytic overlap: the exchanges' traffic is not in the same run)"},
  };
}

}  // namespace ua2a::plan
