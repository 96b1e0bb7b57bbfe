#include "backend/reference.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <thread>

#include "backend/attention.h"

namespace ua2a {

namespace {

std::uint64_t mix(std::uint64_t x) {  // splitmix64 finaliser
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

float input_value(std::uint32_t tensor, std::uint64_t token, std::uint64_t head, std::uint64_t dim, std::uint32_t seed) {
  const std::uint64_t h = mix(mix(mix(mix(seed) ^ tensor) ^ token) ^ (head << 20 | dim));
  const float unit = static_cast<float>(h >> 40) / static_cast<float>(1ull << 24);  // [0, 1)
  const float amplitude = tensor == 2 ? 1.0f : 2.0f;  // q, k wider so the softmax is not flat
  return (2.0f * unit - 1.0f) * amplitude;
}

LayerInputs make_inputs(const LayerShape& shape, std::uint32_t seed) {
  validate(shape);
  const std::uint64_t s = shape.seq_per_rank, H = shape.heads, D = shape.head_dim, L = shape.text_tokens;
  auto fill = [&](std::uint32_t t, std::uint64_t first_token, std::uint64_t tokens) {
    std::vector<std::uint16_t> x(tokens * H * D);
    for (std::uint64_t i = 0; i < tokens; ++i)
      for (std::uint64_t hd = 0; hd < H; ++hd)
        for (std::uint64_t d = 0; d < D; ++d)
          x[(i * H + hd) * D + d] = float_to_elem(input_value(t, first_token + i, hd, d, seed), shape.elem);
    return x;
  };
  LayerInputs in;
  in.qkv.resize(shape.ranks);
  {
    // One thread per rank: the Wan shapes hash a billion elements.
    std::vector<std::jthread> threads;
    for (std::int32_t r = 0; r < shape.ranks; ++r)
      threads.emplace_back([&, r] {
        for (std::uint32_t t = 0; t < 3; ++t) in.qkv[r][t] = fill(t, r * s, s);
      });
  }
  for (std::uint32_t t = 0; t < 3; ++t) in.text[t] = fill(t, shape.ranks * s, L);
  return in;
}

std::vector<std::uint16_t> reference_layer(const LayerShape& shape, const LayerInputs& inputs) {
  // Built from the unpadded sequence: the padding tokens are left out here rather than masked, so
  // the reference does not rest on the mask it checks.
  const std::uint64_t real = shape.real_image_tokens(), s = shape.seq_per_rank;
  const std::uint64_t S = real + shape.text_tokens;
  const std::uint64_t row = shape.heads * shape.head_dim;  // elements per token
  std::array<std::vector<std::uint16_t>, 3> global;
  for (std::uint32_t t = 0; t < 3; ++t) {
    global[t].reserve(S * row);
    for (std::size_t r = 0; r < inputs.qkv.size(); ++r) {
      const std::uint64_t first = r * s, tokens = first >= real ? 0 : std::min(s, real - first);
      const auto& x = inputs.qkv[r][t];
      global[t].insert(global[t].end(), x.begin(), x.begin() + static_cast<std::ptrdiff_t>(tokens * row));
    }
    global[t].insert(global[t].end(), inputs.text[t].begin(), inputs.text[t].end());
  }
  std::vector<std::uint16_t> out(S * row);
  attention_cpu({global[0].data(), global[1].data(), global[2].data(), out.data(), S, shape.heads, shape.head_dim,
                 1.0f / std::sqrt(static_cast<float>(shape.head_dim)), shape.elem});
  return out;
}

Tolerance tolerance_for(const LayerShape& shape) {
  // bf16 keeps 8 significant bits (relative step 2^-8); fp16 11. The outputs are weighted means
  // of v in [-1, 1), so an absolute term covers near-zero outputs. FP8 perturbs every q, k, v by
  // up to 1/16 relative; measured worst case on the test data is about 0.05 absolute.
  if (shape.fp8) return {0.1, 0.1};
  return {1e-2, 1e-2};
}

std::vector<RankError> compare_with_reference(const LayerShape& shape, const LayerOutputs& outputs,
                                              const std::vector<std::uint16_t>& reference, Tolerance tol) {
  const std::uint64_t s = shape.seq_per_rank, H = shape.heads, h = shape.heads_per_rank(), D = shape.head_dim;
  const std::uint64_t real = shape.real_image_tokens();  // the reference's text rows follow the real tokens
  std::vector<RankError> errors(shape.ranks);
  auto check = [&](RankError& e, std::uint16_t got_bits, std::uint16_t ref_bits) {
    const double got = elem_to_float(got_bits, shape.elem), ref = elem_to_float(ref_bits, shape.elem);
    const double diff = std::fabs(got - ref);
    e.max_abs = std::max(e.max_abs, std::isnan(diff) ? INFINITY : diff);
    e.max_ref = std::max(e.max_ref, std::fabs(ref));
    if (!(diff <= tol.atol + tol.rtol * std::fabs(ref))) ++e.failed;  // NaN fails too
  };
  for (std::int32_t r = 0; r < shape.ranks; ++r) {
    RankError& e = errors[r];
    if (r >= static_cast<std::int32_t>(outputs.out.size()) || outputs.out[r].empty()) continue;  // not local
    const auto& out = outputs.out[r];
    for (std::uint64_t i = 0; i < s * H * D; ++i) {
      const std::uint64_t g = r * s + i / (H * D);  // the element's global image token
      // A padding token's output is not part of the result, but the layer must still have
      // written it (the outputs start as NaN): finite, or the element fails.
      if (shape.is_padding(g)) e.failed += !std::isfinite(elem_to_float(out[i], shape.elem));
      else check(e, out[i], reference[r * s * H * D + i]);
    }
    const auto& text = outputs.text_out.at(r);
    for (std::uint64_t l = 0; l < shape.text_tokens; ++l)
      for (std::uint64_t hh = 0; hh < h; ++hh)
        for (std::uint64_t d = 0; d < D; ++d)
          check(e, text[(l * h + hh) * D + d], reference[((real + l) * H + r * h + hh) * D + d]);
    e.max_rel = e.max_ref > 0 ? e.max_abs / e.max_ref : e.max_abs;
  }
  return errors;
}

}  // namespace ua2a
