#include "backend/cpu_kernels.h"

#include <cmath>
#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "backend/attention.h"

namespace ua2a {

float quantize_row_fp8(const std::uint16_t* row, std::uint64_t n, ElemType elem, std::uint8_t* codes) {
  // The scale comes from the finite elements: an infinity would make it inf, and every code times
  // inf decodes to NaN (0 * inf), the whole row lost for one element. A non-finite element gets
  // the NaN code instead and stays non-finite after the exchange, alone (numeric.h, kFp8NaN).
  float absmax = 0.0f;
  for (std::uint64_t i = 0; i < n; ++i) {
    const float x = elem_to_float(row[i], elem);
    if (std::isfinite(x)) absmax = std::fmax(absmax, std::fabs(x));
  }
  // The kernels compute the same two float32 quotients, so CPU and GPU codes agree bit for bit.
  // A row too small for a finite inverse scale becomes a zero row (numeric.h, kFp8MinAbsmax).
  const bool zero_row = !(absmax >= kFp8MinAbsmax);
  const float inv = zero_row ? 0.0f : kFp8Max / absmax;
  for (std::uint64_t i = 0; i < n; ++i) {
    const float x = elem_to_float(row[i], elem);
    codes[i] = std::isfinite(x) ? float_to_fp8_e4m3(x * inv) : kFp8NaN;
  }
  return zero_row ? 0.0f : absmax / kFp8Max;
}

namespace {

/// Where row (j, t, tok, hh) lives in the packed buffer.
struct PackedRow {
  std::uint64_t data;   ///< byte offset of the row's D elements (or D codes)
  std::uint64_t scale;  ///< byte offset of its float32 scale (FP8 only)
};

PackedRow packed_row(const RowMap& m, std::uint64_t j, std::uint64_t t, std::uint64_t r) {
  const std::uint64_t rows = m.seq * m.heads;  // rows per tensor per block
  const std::uint64_t base = j * m.block_stride;
  if (!m.fp8) return {base + (t * rows + r) * m.head_dim * 2, 0};
  return {base + (t * rows + r) * m.head_dim, base + m.tensors * rows * m.head_dim + (t * rows + r) * 4};
}

template <class F>
void for_each_row(const RowMap& m, F&& f) {
  for (std::uint64_t j = 0; j < m.blocks; ++j)
    for (std::uint64_t t = 0; t < m.tensors; ++t)
      for (std::uint64_t tok = 0; tok < m.seq; ++tok)
        for (std::uint64_t hh = 0; hh < m.heads; ++hh) f(j, t, tok, hh, packed_row(m, j, t, tok * m.heads + hh));
}

}  // namespace

void pack_cpu(const RowMap& m, ElemType elem, const std::uint16_t* const* src, std::byte* packed) {
  const std::uint64_t D = m.head_dim;
  for_each_row(m, [&](std::uint64_t j, std::uint64_t t, std::uint64_t tok, std::uint64_t hh, PackedRow at) {
    const std::uint16_t* row = src[t] + m.strided_row(j, tok, hh);
    if (!m.fp8) {
      std::memcpy(packed + at.data, row, D * 2);
      return;
    }
    const float scale = quantize_row_fp8(row, D, elem, reinterpret_cast<std::uint8_t*>(packed + at.data));
    std::memcpy(packed + at.scale, &scale, sizeof scale);
  });
}

void unpack_cpu(const RowMap& m, ElemType elem, const std::byte* packed, std::uint16_t* const* dst) {
  const std::uint64_t D = m.head_dim;
  for_each_row(m, [&](std::uint64_t j, std::uint64_t t, std::uint64_t tok, std::uint64_t hh, PackedRow at) {
    std::uint16_t* row = dst[t] + m.strided_row(j, tok, hh);
    if (!m.fp8) {
      std::memcpy(row, packed + at.data, D * 2);
      return;
    }
    float scale = 0.0f;
    std::memcpy(&scale, packed + at.scale, sizeof scale);
    const auto* codes = reinterpret_cast<const std::uint8_t*>(packed + at.data);
    for (std::uint64_t d = 0; d < D; ++d) row[d] = float_to_elem(fp8_e4m3_to_float(codes[d]) * scale, elem);
  });
}

void append_text_cpu(const std::uint16_t* text, std::uint64_t tokens, std::uint64_t heads_total,
                     std::uint64_t first_head, std::uint64_t heads, std::uint64_t head_dim, std::uint16_t* dst,
                     std::uint64_t row0) {
  for (std::uint64_t l = 0; l < tokens; ++l)
    std::memcpy(dst + (row0 + l) * heads * head_dim, text + (l * heads_total + first_head) * head_dim,
                heads * head_dim * 2);
}

namespace {

/// Heads [first, last) of attention_cpu.
void attention_heads(const AttentionParams& p, std::uint64_t first, std::uint64_t last) {
  const std::uint64_t S = p.seq, D = p.head_dim, H = p.heads;
  auto load = [&](const void* src, std::uint64_t head) {
    std::vector<float> out(S * D);
    const auto* x = static_cast<const std::uint16_t*>(src);
    for (std::uint64_t i = 0; i < S; ++i)
      for (std::uint64_t d = 0; d < D; ++d) out[i * D + d] = elem_to_float(x[(i * H + head) * D + d], p.elem);
    return out;
  };
  auto* out = static_cast<std::uint16_t*>(p.out);
  std::vector<float> score(S), acc(D);
  for (std::uint64_t head = first; head < last; ++head) {
    const std::vector<float> q = load(p.q, head), k = load(p.k, head), v = load(p.v, head);
    for (std::uint64_t i = 0; i < S; ++i) {
      float max = -INFINITY;
      for (std::uint64_t j = 0; j < S; ++j) {
        if (p.is_padding_key(j)) continue;
        float dot = 0.0f;
        for (std::uint64_t d = 0; d < D; ++d) dot += q[i * D + d] * k[j * D + d];
        score[j] = dot * p.scale;
        max = std::fmax(max, score[j]);
      }
      float sum = 0.0f;
      std::fill(acc.begin(), acc.end(), 0.0f);
      for (std::uint64_t j = 0; j < S; ++j) {
        if (p.is_padding_key(j)) continue;
        const float w = std::exp(score[j] - max);
        sum += w;
        for (std::uint64_t d = 0; d < D; ++d) acc[d] += w * v[j * D + d];
      }
      for (std::uint64_t d = 0; d < D; ++d) out[(i * H + head) * D + d] = float_to_elem(acc[d] / sum, p.elem);
    }
  }
}

}  // namespace

void check_padding(const AttentionParams& p) {
  if (p.pad_begin > p.pad_end || p.pad_end > p.seq)
    throw std::invalid_argument("attention padding keys [" + std::to_string(p.pad_begin) + ", " +
                                std::to_string(p.pad_end) + ") do not lie inside the sequence of " +
                                std::to_string(p.seq) + " tokens");
  if (p.pad_end - p.pad_begin == p.seq && p.seq > 0)
    throw std::invalid_argument("attention padding masks all " + std::to_string(p.seq) +
                                " keys: at least one real key is needed");
}

void attention_cpu(const AttentionParams& p) {
  check_padding(p);
  // Heads are independent: large problems (the reference of a whole layer) use every core; each
  // head's arithmetic is the same either way, so results do not depend on the thread count.
  constexpr double kParallelWork = 1e8;  // multiply-adds below which threads cost more than they save
  const double work = static_cast<double>(p.seq) * p.seq * p.head_dim * p.heads;
  const std::uint64_t threads =
      work < kParallelWork ? 1 : std::min<std::uint64_t>(p.heads, std::max(1u, std::thread::hardware_concurrency()));
  if (threads <= 1) return attention_heads(p, 0, p.heads);
  std::vector<std::jthread> pool;
  for (std::uint64_t t = 0; t < threads; ++t)
    pool.emplace_back([&p, t, threads] { attention_heads(p, p.heads * t / threads, p.heads * (t + 1) / threads); });
}

namespace {

/// One query row of one head in the flash kernel's arithmetic (attention_tiled_cpu), unrounded
/// output in `acc` (D floats) divided by the row sum.
void tiled_row(const AttentionParams& p, std::uint64_t head, std::uint64_t i, std::uint32_t block_n,
               std::vector<float>& s, std::vector<float>& acc) {
  const std::uint64_t S = p.seq, D = p.head_dim, H = p.heads;
  const float scale_log2 = p.scale * 1.4426950408889634f;
  auto at = [&](const void* t, std::uint64_t token, std::uint64_t d) {
    return elem_to_float(static_cast<const std::uint16_t*>(t)[(token * H + head) * D + d], p.elem);
  };
  float m = -INFINITY, l = 0.0f;
  std::fill(acc.begin(), acc.end(), 0.0f);
  for (std::uint64_t key0 = 0; key0 < S; key0 += block_n) {
    const std::uint64_t keys = std::min<std::uint64_t>(block_n, S - key0);
    float mx = m;
    for (std::uint64_t j = 0; j < keys; ++j) {
      s[j] = -INFINITY;  // a padding key, as the kernel masks it
      if (p.is_padding_key(key0 + j)) continue;
      float dot = 0.0f;
      for (std::uint64_t d = 0; d < D; ++d) dot += at(p.q, i, d) * at(p.k, key0 + j, d);
      s[j] = dot;
      mx = std::fmax(mx, dot);
    }
    // A tile of padding keys before any real one leaves the max at -inf: subtract 0 instead, so
    // that every weight and the correction are exp2(-inf) = 0 rather than NaN (as the kernel).
    const float mx_safe = mx == -INFINITY ? 0.0f : mx;
    const float correction = std::exp2((m - mx_safe) * scale_log2);  // 0 on the first tile
    l *= correction;
    for (float& a : acc) a *= correction;
    for (std::uint64_t j = 0; j < keys; ++j) {
      const float pj = std::exp2(s[j] * scale_log2 - mx_safe * scale_log2);
      l += pj;
      const float pj_rounded = elem_to_float(float_to_elem(pj, p.elem), p.elem);
      for (std::uint64_t d = 0; d < D; ++d) acc[d] += pj_rounded * at(p.v, key0 + j, d);
    }
    m = mx;
  }
  for (float& a : acc) a /= l;
}

}  // namespace

void attention_tiled_cpu(const AttentionParams& p, std::uint32_t block_n) {
  check_padding(p);
  const std::uint64_t S = p.seq, D = p.head_dim, H = p.heads;
  std::vector<float> s(block_n), acc(D);
  auto* out = static_cast<std::uint16_t*>(p.out);
  for (std::uint64_t head = 0; head < H; ++head)
    for (std::uint64_t i = 0; i < S; ++i) {
      tiled_row(p, head, i, block_n, s, acc);
      for (std::uint64_t d = 0; d < D; ++d) out[(i * H + head) * D + d] = float_to_elem(acc[d], p.elem);
    }
}

std::vector<double> attention_rows_f64(const AttentionParams& p, const std::vector<std::uint64_t>& rows) {
  check_padding(p);
  const std::uint64_t S = p.seq, D = p.head_dim, H = p.heads;
  for (std::uint64_t r : rows)
    if (r >= S)
      throw std::invalid_argument("attention row " + std::to_string(r) + " is outside the sequence of " +
                                  std::to_string(S) + " tokens");
  auto at = [&](const void* t, std::uint64_t token, std::uint64_t head, std::uint64_t d) {
    return static_cast<double>(elem_to_float(static_cast<const std::uint16_t*>(t)[(token * H + head) * D + d], p.elem));
  };
  std::vector<double> out(rows.size() * H * D);
  // One (row, head) per task over every core: at S = 76112 one row of one head is 10^7 products.
  const std::uint64_t tasks = rows.size() * H;
  const std::uint64_t threads = std::max<std::uint64_t>(1, std::min<std::uint64_t>(tasks, std::thread::hardware_concurrency()));
  auto work = [&](std::uint64_t first, std::uint64_t last) {
    std::vector<double> w(S);
    for (std::uint64_t task = first; task < last; ++task) {
      const std::uint64_t n = task / H, head = task % H, i = rows[n];
      double mx = -INFINITY;
      for (std::uint64_t j = 0; j < S; ++j) {
        if (p.is_padding_key(j)) continue;
        double dot = 0;
        for (std::uint64_t d = 0; d < D; ++d) dot += at(p.q, i, head, d) * at(p.k, j, head, d);
        w[j] = dot * static_cast<double>(p.scale);
        mx = std::max(mx, w[j]);
      }
      double sum = 0;
      for (std::uint64_t j = 0; j < S; ++j)
        if (!p.is_padding_key(j)) sum += (w[j] = std::exp(w[j] - mx));
      for (std::uint64_t d = 0; d < D; ++d) {
        double acc = 0;
        for (std::uint64_t j = 0; j < S; ++j)
          if (!p.is_padding_key(j)) acc += w[j] * at(p.v, j, head, d);
        out[(n * H + head) * D + d] = acc / sum;
      }
    }
  };
  {
    std::vector<std::jthread> pool;  // joined at the end of this scope, before `out` is returned
    for (std::uint64_t t = 0; t < threads; ++t) pool.emplace_back(work, tasks * t / threads, tasks * (t + 1) / threads);
  }
  return out;
}

}  // namespace ua2a
