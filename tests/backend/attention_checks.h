#pragma once
// Attention oracles and comparisons shared by the CPU tests and the GPU tests: a float64
// reference that does not rest on attention_cpu, inputs with a chosen score spread, and errors
// measured relative to the output's RMS (bf16 keeps 8 significant bits: one "ulp at the RMS" is
// RMS * 2^-8).
#include <cmath>
#include <cstdint>
#include <vector>

#include "backend/attention.h"
#include "backend/reference.h"

namespace ua2a::test {

struct Qkv {
  std::uint64_t seq = 0, heads = 0, dim = 0;
  ElemType elem = ElemType::bf16;
  std::vector<std::uint16_t> q, k, v;
  AttentionParams params(void* out) const {
    return {q.data(), k.data(), v.data(), out, seq, heads, dim, 1.0f / std::sqrt(static_cast<float>(dim)), elem};
  }
};

/// Random q, k, v [seq, heads, dim] from (seed, index) hashes, never all zeros. q is scaled by
/// `q_amplitude` / 2: small values flatten the softmax, which makes every key (and so a key the
/// kernel forgot to mask) weigh in.
inline Qkv random_qkv(std::uint64_t seq, std::uint64_t heads, std::uint64_t dim, ElemType elem, std::uint32_t seed,
                      float q_amplitude = 2.0f) {
  Qkv x{seq, heads, dim, elem, {}, {}, {}};
  for (std::uint32_t t = 0; t < 3; ++t) {
    auto& out = t == 0 ? x.q : t == 1 ? x.k : x.v;
    out.resize(seq * heads * dim);
    for (std::size_t i = 0; i < out.size(); ++i) {
      const float value = input_value(t, i / (heads * dim), (i / dim) % heads, i % dim, seed);
      out[i] = float_to_elem(t == 0 ? value * q_amplitude / 2.0f : value, elem);
    }
  }
  return x;
}

/// softmax(q k^T / sqrt(D)) v in float64 from the stored (rounded) inputs, unrounded.
inline std::vector<double> attention_f64(const Qkv& x) {
  const std::uint64_t S = x.seq, H = x.heads, D = x.dim;
  auto at = [&](const std::vector<std::uint16_t>& t, std::uint64_t s, std::uint64_t h, std::uint64_t d) {
    return static_cast<double>(elem_to_float(t[(s * H + h) * D + d], x.elem));
  };
  std::vector<double> out(S * H * D), w(S);
  const double scale = 1.0 / std::sqrt(static_cast<double>(D));
  for (std::uint64_t h = 0; h < H; ++h)
    for (std::uint64_t i = 0; i < S; ++i) {
      double mx = -INFINITY;
      for (std::uint64_t j = 0; j < S; ++j) {
        double dot = 0;
        for (std::uint64_t d = 0; d < D; ++d) dot += at(x.q, i, h, d) * at(x.k, j, h, d);
        w[j] = dot * scale;
        mx = std::max(mx, w[j]);
      }
      double sum = 0;
      for (std::uint64_t j = 0; j < S; ++j) sum += (w[j] = std::exp(w[j] - mx));
      for (std::uint64_t d = 0; d < D; ++d) {
        double acc = 0;
        for (std::uint64_t j = 0; j < S; ++j) acc += w[j] * at(x.v, j, h, d);
        out[(i * H + h) * D + d] = acc / sum;
      }
    }
  return out;
}

/// How far `got` (elements) is from `want`, relative to want's RMS. NaN counts as infinitely far.
struct RmsError {
  double rms = 0;       ///< RMS of want
  double max_abs = 0;   ///< max |got - want|
  double rms_diff = 0;  ///< RMS of got - want
  std::size_t worst = 0;
  /// Both measured in units of RMS * 2^-8 (one bf16 ulp at the output's scale).
  double max_ulps() const { return max_abs / (rms * 0x1p-8); }
  double rms_ulps() const { return rms_diff / (rms * 0x1p-8); }
};

template <class Want>
RmsError rms_error(const std::vector<std::uint16_t>& got, ElemType elem, const Want& want_at, std::size_t n) {
  RmsError e;
  double ss = 0, sd = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double w = want_at(i), g = elem_to_float(got[i], elem);
    const double d = std::isnan(g) ? INFINITY : std::fabs(g - w);
    ss += w * w, sd += d * d;
    if (!(d <= e.max_abs)) e.max_abs = d, e.worst = i;
  }
  e.rms = std::sqrt(ss / n), e.rms_diff = std::sqrt(sd / n);
  return e;
}

inline RmsError error_vs(const std::vector<std::uint16_t>& got, ElemType elem, const std::vector<double>& want) {
  return rms_error(got, elem, [&](std::size_t i) { return want[i]; }, want.size());
}
inline RmsError error_vs(const std::vector<std::uint16_t>& got, ElemType elem, const std::vector<std::uint16_t>& want) {
  return rms_error(got, elem, [&](std::size_t i) { return static_cast<double>(elem_to_float(want[i], elem)); },
                   want.size());
}

/// Against the tiled CPU mirror, which does the kernel's arithmetic: a few ulps at the RMS for the
/// worst element (the two sides may round one output apart), and much less on average.
inline bool near_mirror(const RmsError& e) { return e.max_ulps() <= 8 && e.rms_ulps() <= 1; }
/// Against an exact (float64) or plain float32 reference: the P rounding of the tiled algorithm.
inline bool near_reference(const RmsError& e) { return e.max_ulps() <= 16 && e.rms_ulps() <= 2; }

/// The tiled mirror with the key mask left out: keys past the end of the last tile count as zero
/// vectors (score 0, v = 0), which is what a kernel that forgot the mask computes on its
/// zero-filled tiles. The tests use it to prove their criteria would catch that kernel.
inline std::vector<std::uint16_t> tiled_without_key_mask(const Qkv& x, std::uint32_t block_n) {
  const std::uint64_t padded = (x.seq + block_n - 1) / block_n * block_n;
  Qkv p = x;
  p.seq = padded;
  for (auto* t : {&p.q, &p.k, &p.v}) t->resize(padded * x.heads * x.dim, float_to_elem(0.0f, x.elem));
  std::vector<std::uint16_t> out(padded * x.heads * x.dim);
  AttentionParams a = p.params(out.data());
  a.scale = 1.0f / std::sqrt(static_cast<float>(x.dim));
  attention_tiled_cpu(a, block_n);
  out.resize(x.seq * x.heads * x.dim);
  return out;
}

}  // namespace ua2a::test
