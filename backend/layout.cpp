#include "backend/layout.h"

#include <algorithm>
#include <stdexcept>

#include "schedule/limits.h"
#include "schedule/payload.h"

namespace ua2a {

void validate(const LayerShape& shape) {
  const std::string n = std::to_string(shape.ranks);
  if (shape.ranks < 1) throw std::invalid_argument("--ranks must be at least 1 (got " + n + ")");
  if (shape.seq_per_rank == 0) throw std::invalid_argument("--seq (image tokens per rank) must be at least 1");
  if (shape.heads == 0 || shape.heads % static_cast<std::uint64_t>(shape.ranks) != 0)
    throw std::invalid_argument("--heads " + std::to_string(shape.heads) + " is not a positive multiple of --ranks " + n +
                                ": Ulysses gives every rank H/N whole heads; pick H divisible by N");
  if (shape.head_dim != 64 && shape.head_dim != 128)
    throw std::invalid_argument("--head-dim " + std::to_string(shape.head_dim) +
                                " is not supported: the attention kernels take head dims 64 and 128");
  // The padded sequence N x s through the one checked arithmetic (2^64 - 1 tokens wrapped to 0).
  checked_product(static_cast<std::uint64_t>(shape.ranks), shape.seq_per_rank, "the padded sequence N x s (--ranks, --seq or --image-tokens)");
  if (shape.image_tokens > shape.padded_image_tokens())
    throw std::invalid_argument("--image-tokens " + std::to_string(shape.image_tokens) + " exceeds N x s = " +
                                std::to_string(shape.padded_image_tokens()) +
                                ": the real sequence must fit the padded one; give s = ceil(S / N)");
}

namespace {

std::uint64_t round_up(std::uint64_t x, std::uint64_t a) { return (x + a - 1) / a * a; }

UlyssesShape ulysses(const LayerShape& s, Exchange exchange) {
  return {s.seq_per_rank, s.heads_per_rank(), s.head_dim, s.fp8 ? DType::fp8 : DType::bf16, exchange};
}

}  // namespace

LayerPlan make_plan(const LayerShape& shape) {
  validate(shape);
  LayerPlan p;
  p.shape = shape;
  p.fwd_block_bytes = ulysses_payload(ulysses(shape, Exchange::qkv), true, 1).block_bytes();
  p.rev_block_bytes = ulysses_payload(ulysses(shape, Exchange::out), true, 1).block_bytes();
  p.fwd_block_stride = round_up(p.fwd_block_bytes, kBlockAlign);
  p.rev_block_stride = round_up(p.rev_block_bytes, kBlockAlign);
  constexpr std::uint64_t kElem = 2;  // bf16 or fp16
  const std::uint64_t D = shape.head_dim, h = shape.heads_per_rank();
  p.input_bytes = shape.seq_per_rank * shape.heads * D * kElem;
  p.text_bytes = shape.text_tokens * shape.heads * D * kElem;
  p.attn_tensor_bytes = round_up(shape.attn_tokens() * h * D * kElem, kBlockAlign);
  p.region_a_bytes = std::max({p.fwd_buffer_bytes(), 3 * p.attn_tensor_bytes, p.rev_buffer_bytes()});
  p.region_b_bytes = std::max(p.fwd_buffer_bytes(), p.rev_buffer_bytes());
  p.region_o_bytes = p.attn_tensor_bytes;
  return p;
}

std::uint64_t piece_offset(const Payload& payload, std::uint32_t part, std::uint32_t chunk) {
  if (part >= payload.parts.size() || chunk >= payload.chunks)
    throw std::out_of_range("piece part " + std::to_string(part) + " chunk " + std::to_string(chunk) +
                            " is outside the payload");
  std::uint64_t offset = 0;
  for (std::uint32_t p = 0; p < part; ++p) offset += payload.parts[p].bytes;
  // chunk_bytes gives the remainder to the first chunks: the first `rem` chunks are one longer.
  const std::uint64_t bytes = payload.parts[part].bytes;
  const std::uint64_t base = bytes / payload.chunks, rem = bytes % payload.chunks;
  return offset + chunk * base + std::min<std::uint64_t>(chunk, rem);
}

namespace {

RowMap row_map(const LayerPlan& plan, Exchange e, bool attn_side) {
  const LayerShape& s = plan.shape;
  RowMap m;
  m.blocks = static_cast<std::uint32_t>(s.ranks);
  m.tensors = e == Exchange::qkv ? 3 : 1;
  m.seq = s.seq_per_rank;
  m.heads = s.heads_per_rank();
  m.head_dim = s.head_dim;
  m.tok_per_block = attn_side ? m.seq : 0;
  m.heads_total = attn_side ? m.heads : s.heads;
  m.head_per_block = attn_side ? 0 : m.heads;
  m.block_stride = e == Exchange::qkv ? plan.fwd_block_stride : plan.rev_block_stride;
  m.fp8 = s.fp8;
  return m;
}

}  // namespace

void check_vector_alignment(const RowMap& map, const void* const* tensors, const void* packed) {
  auto misaligned = [](const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 16 != 0; };
  for (std::uint32_t t = 0; t < map.tensors; ++t)
    if (misaligned(tensors[t]))
      throw std::invalid_argument("pack/unpack tensor " + std::to_string(t) +
                                  " does not start on a 16-byte boundary: the kernels move 16-byte vectors");
  if (misaligned(packed))
    throw std::invalid_argument("pack/unpack packed buffer does not start on a 16-byte boundary: the kernels move "
                                "16-byte vectors");
}

RowMap pack_map(const LayerPlan& plan, Exchange e) { return row_map(plan, e, e == Exchange::out); }
RowMap unpack_map(const LayerPlan& plan, Exchange e) { return row_map(plan, e, e == Exchange::qkv); }

}  // namespace ua2a
