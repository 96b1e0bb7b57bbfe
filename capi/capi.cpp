// The C ABI of ulysses_a2a.h over schedule/, verify/ and backend/. Every entry point catches
// everything: an exception must never cross into a C or Python caller.
#include "capi/ulysses_a2a.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "backend/cpu_kernels.h"
#include "backend/layout.h"
#include "schedule/generators.h"
#include "schedule/io.h"
#include "schedule/limits.h"
#include "schedule/lower.h"
#include "schedule/payload.h"
#include "verify/report.h"
#if defined(UA2A_HAVE_CUDA)
#include "backend/cuda/kernels.h"
#endif

#define UA2A_API extern "C" __attribute__((visibility("default")))

struct ua2a_programs {
  ua2a::ProgramSet set;
};

namespace {

thread_local std::string last_error;

/// A verification failure is a result, not bad input: it gets its own code.
struct Violation : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Runs `body`; maps an exception to its code and keeps its message for ua2a_last_error().
template <class F>
int guarded(F&& body) {
  try {
    body();
    return UA2A_OK;
  } catch (const Violation& e) {
    last_error = e.what();
    return UA2A_VIOLATION;
  } catch (const std::invalid_argument& e) {
    last_error = e.what();
    return UA2A_BAD_INPUT;
  } catch (const std::out_of_range& e) {
    last_error = e.what();
    return UA2A_BAD_INPUT;
  } catch (const std::bad_alloc&) {
    last_error = "out of memory";
    return UA2A_FAILURE;
  } catch (const std::exception& e) {
    last_error = e.what();
    return UA2A_FAILURE;
  } catch (...) {
    last_error = "unknown C++ exception";
    return UA2A_FAILURE;
  }
}

template <class T>
void require(const T* p, const char* name) {
  if (!p) throw std::invalid_argument(std::string(name) + " is NULL: pass a valid pointer");
}

void check_rank(const ua2a::ProgramSet& set, std::int32_t rank) {
  if (rank < 0 || rank >= set.ranks)
    throw std::invalid_argument("rank " + std::to_string(rank) + " is outside 0.." + std::to_string(set.ranks - 1));
}

/// The first lines of the verifier's text report: the verdicts and the first counterexample.
std::string report_head(const ua2a::VerifyReport& report) {
  const std::string text = ua2a::report_to_text(report);
  constexpr std::size_t kMaxChars = 2000;
  return text.size() <= kMaxChars ? text : text.substr(0, kMaxChars) + "\n...";
}

/// One layer exchange's shape, validated once for layer_parts, pack and unpack.
struct LayerArgs {
  ua2a::Exchange exchange = ua2a::Exchange::qkv;
  std::int32_t ranks = 0;
  std::uint64_t seq = 0, heads = 0, head_dim = 0;
  std::uint32_t elem_bytes = 0;
  int wire = UA2A_WIRE_RAW;

  bool fp8() const { return wire != UA2A_WIRE_RAW; }
  /// Rows are moved as 2-byte words: raw rows of any element type are head_dim * elem_bytes / 2 words.
  std::uint64_t words_per_row() const { return fp8() ? head_dim : head_dim * elem_bytes / 2; }
  ua2a::ElemType elem() const { return wire == UA2A_WIRE_FP8_FROM_FP16 ? ua2a::ElemType::fp16 : ua2a::ElemType::bf16; }
  ua2a::UlyssesShape ulysses() const {
    return {seq, heads / static_cast<std::uint64_t>(ranks), words_per_row(), fp8() ? ua2a::DType::fp8 : ua2a::DType::bf16,
            exchange};
  }
};

LayerArgs layer_args(int exchange, std::int32_t ranks, std::uint64_t seq, std::uint64_t heads, std::uint64_t head_dim,
                     std::uint32_t elem_bytes, int wire) {
  if (exchange != UA2A_EXCHANGE_QKV && exchange != UA2A_EXCHANGE_OUT)
    throw std::invalid_argument("exchange " + std::to_string(exchange) +
                                " is unknown: use UA2A_EXCHANGE_QKV (0) or UA2A_EXCHANGE_OUT (1)");
  if (ranks < 1 || ranks > ua2a::kMaxRanks)
    throw std::invalid_argument("ranks " + std::to_string(ranks) + " is outside 1.." + std::to_string(ua2a::kMaxRanks));
  if (seq == 0) throw std::invalid_argument("seq (tokens per rank) must be at least 1");
  if (heads == 0 || heads % static_cast<std::uint64_t>(ranks) != 0)
    throw std::invalid_argument("heads " + std::to_string(heads) + " is not a positive multiple of ranks " +
                                std::to_string(ranks) + ": Ulysses gives every rank H/N whole heads; pick H divisible by N");
  if (head_dim == 0) throw std::invalid_argument("head_dim must be at least 1");
  if (wire != UA2A_WIRE_RAW && wire != UA2A_WIRE_FP8_FROM_BF16 && wire != UA2A_WIRE_FP8_FROM_FP16)
    throw std::invalid_argument("wire " + std::to_string(wire) +
                                " is unknown: use UA2A_WIRE_RAW (0), UA2A_WIRE_FP8_FROM_BF16 (1) or _FP16 (2)");
  if (wire != UA2A_WIRE_RAW && elem_bytes != 2)
    throw std::invalid_argument("the FP8 wire quantises 2-byte bf16 or fp16 elements, got elem_bytes " +
                                std::to_string(elem_bytes) + ": convert to bf16 or use the raw wire");
  if (elem_bytes == 0 || head_dim * elem_bytes % 2 != 0)
    throw std::invalid_argument("a row of head_dim " + std::to_string(head_dim) + " x elem_bytes " +
                                std::to_string(elem_bytes) + " bytes must be a positive even byte count");
  return {exchange == UA2A_EXCHANGE_QKV ? ua2a::Exchange::qkv : ua2a::Exchange::out, ranks, seq, heads, head_dim,
          elem_bytes, wire};
}

/// The row map of pack (or unpack) for `a`, with blocks `block_stride` bytes apart.
ua2a::RowMap row_map(const LayerArgs& a, std::uint64_t block_stride, bool packing) {
  const ua2a::Payload payload = ua2a::ulysses_payload(a.ulysses(), true, 1);
  if (block_stride < payload.block_bytes())
    throw std::invalid_argument("block_stride " + std::to_string(block_stride) + " is below the block's " +
                                std::to_string(payload.block_bytes()) + " bytes: use the stride ua2a_layer_parts gives");
  const bool attn_side = (a.exchange == ua2a::Exchange::qkv) != packing;  // [ranks*s + L, h, D]
  const std::uint64_t h = a.heads / static_cast<std::uint64_t>(a.ranks);
  ua2a::RowMap m;
  m.blocks = static_cast<std::uint32_t>(a.ranks);
  m.tensors = a.exchange == ua2a::Exchange::qkv ? 3 : 1;
  m.seq = a.seq;
  m.heads = h;
  m.head_dim = a.words_per_row();
  m.tok_per_block = attn_side ? a.seq : 0;
  m.heads_total = attn_side ? h : a.heads;
  m.head_per_block = attn_side ? 0 : h;
  m.block_stride = block_stride;
  m.fp8 = a.fp8();
  return m;
}

void check_pointers(const void* const* tensors, std::uint32_t count, const void* packed) {
  require(tensors, "tensors");
  require(packed, "packed");
  for (std::uint32_t i = 0; i < count; ++i)
    if (!tensors[i]) throw std::invalid_argument("tensors[" + std::to_string(i) + "] is NULL: pass every tensor");
}

void check_device(int device) {
  if (device != 0 && device != 1)
    throw std::invalid_argument("device " + std::to_string(device) + " is unknown: use 0 (host) or 1 (CUDA)");
#if !defined(UA2A_HAVE_CUDA)
  if (device == 1)
    throw std::invalid_argument("this libulysses_a2a was built without CUDA: build with a CUDA toolkit "
                                "(UA2A_CUDA=ON) to pack device memory, or pass host tensors");
#endif
}

}  // namespace

UA2A_API int ua2a_abi_version(void) { return UA2A_ABI_VERSION; }
UA2A_API const char* ua2a_version(void) { return UA2A_VERSION_STRING; }
UA2A_API const char* ua2a_last_error(void) { return last_error.c_str(); }
UA2A_API int ua2a_has_cuda(void) {
#if defined(UA2A_HAVE_CUDA)
  return 1;
#else
  return 0;
#endif
}

namespace {

/// `parts` messages of part_bytes[i] bytes, each in `chunks` pieces: one block of the exchange.
ua2a::Payload payload_of(std::uint32_t chunks, const uint64_t* part_bytes, std::uint32_t parts) {
  if (parts == 0 || parts > ua2a::kMaxParts)
    throw std::invalid_argument("parts " + std::to_string(parts) + " is outside 1.." + std::to_string(ua2a::kMaxParts));
  require(part_bytes, "part_bytes");
  if (chunks == 0) throw std::invalid_argument("chunks must be at least 1 (got 0)");
  ua2a::Payload payload;
  payload.chunks = chunks;
  payload.parts.clear();
  for (std::uint32_t i = 0; i < parts; ++i) payload.parts.push_back({"part" + std::to_string(i), part_bytes[i]});
  return payload;
}

/// Lowers and proves `schedule`; the programs only when the verifier accepts them.
std::unique_ptr<ua2a_programs> verified_programs(const ua2a::Schedule& schedule, ua2a::Discipline d,
                                                 const std::string& what) {
  auto programs = std::make_unique<ua2a_programs>();
  programs->set = ua2a::lower(schedule, d);
  const ua2a::VerifyReport report = ua2a::verify(schedule, programs->set);
  if (!report.ok())
    throw Violation("the programs of " + what + " failed verification; pick another algo or discipline:\n" +
                    report_head(report));
  return programs;
}

}  // namespace

UA2A_API int ua2a_programs_create(int32_t ranks, const char* algo, const char* discipline, uint32_t chunks,
                                  const uint64_t* part_bytes, uint32_t parts, ua2a_programs** out) {
  const int code = guarded([&] {
    require(out, "out");
    *out = nullptr;
    require(algo, "algo");
    require(discipline, "discipline");
    if (ranks < 1) throw std::invalid_argument("ranks must be at least 1 (got " + std::to_string(ranks) + ")");
    const ua2a::Payload payload = payload_of(chunks, part_bytes, parts);
    const ua2a::Discipline d = ua2a::parse_discipline(discipline);
    const ua2a::Schedule schedule = ua2a::generate(algo, ranks, payload);  // checks schedule/limits.h
    *out = verified_programs(schedule, d, std::string(algo) + " / " + discipline + " for " + std::to_string(ranks) +
                                              " ranks").release();
  });
  return code;
}

UA2A_API int ua2a_programs_from_schedule(const char* schedule_json, int32_t ranks, const char* discipline,
                                         uint32_t chunks, const uint64_t* part_bytes, uint32_t parts,
                                         ua2a_programs** out) {
  const int code = guarded([&] {
    require(out, "out");
    *out = nullptr;
    require(schedule_json, "schedule_json");
    ua2a::Schedule file;
    try {
      file = ua2a::schedule_from_json(schedule_json);  // checks schedule/limits.h and the format
    } catch (const ua2a::FormatError& e) {
      throw std::invalid_argument(std::string("not a schedule JSON (docs/formats.md; ulysses-a2a synthesize writes "
                                              "one): ") + e.what());
    }
    if (ranks != file.ranks)
      throw std::invalid_argument("the schedule is for " + std::to_string(file.ranks) + " ranks, the group has " +
                                  std::to_string(ranks) + ": use a schedule made for this group size");
    const std::string name = discipline && *discipline ? discipline
                             : file.discipline.empty() ? "paired-full"
                                                       : file.discipline;
    const ua2a::Payload payload = payload_of(chunks ? chunks : file.payload.chunks, part_bytes, parts);
    ua2a::check_limits(ranks, payload);  // the file's ranks with these pieces: sized before lowering
    const ua2a::Schedule schedule = ua2a::with_payload(file, payload);
    *out = verified_programs(schedule, ua2a::parse_discipline(name),
                             "the schedule file (" + file.algo + ") / " + name).release();
  });
  return code;
}

UA2A_API void ua2a_programs_destroy(ua2a_programs* programs) { delete programs; }

UA2A_API int ua2a_programs_ranks(const ua2a_programs* programs, int32_t* ranks) {
  return guarded([&] {
    require(programs, "programs");
    require(ranks, "ranks");
    *ranks = programs->set.ranks;
  });
}

UA2A_API int ua2a_programs_block_bytes(const ua2a_programs* programs, uint64_t* bytes) {
  return guarded([&] {
    require(programs, "programs");
    require(bytes, "bytes");
    *bytes = programs->set.payload.block_bytes();
  });
}

UA2A_API int ua2a_programs_rank_size(const ua2a_programs* programs, int32_t rank, uint32_t* steps, uint64_t* ops) {
  return guarded([&] {
    require(programs, "programs");
    require(steps, "steps");
    require(ops, "ops");
    check_rank(programs->set, rank);
    const ua2a::Program& p = programs->set.programs[rank];
    *steps = static_cast<std::uint32_t>(p.step_count());
    *ops = p.ops.size();
  });
}

UA2A_API int ua2a_programs_rank_ops(const ua2a_programs* programs, int32_t rank, int64_t* ops, uint64_t capacity) {
  return guarded([&] {
    require(programs, "programs");
    require(ops, "ops");
    check_rank(programs->set, rank);
    const ua2a::Program& p = programs->set.programs[rank];
    if (capacity < p.ops.size())
      throw std::invalid_argument("capacity " + std::to_string(capacity) + " is below rank " + std::to_string(rank) +
                                  "'s " + std::to_string(p.ops.size()) + " operations: size ops with ua2a_programs_rank_size");
    const ua2a::Payload& payload = programs->set.payload;
    for (std::size_t step = 0; step < p.step_count(); ++step)
      for (std::uint32_t i = p.step_begin[step]; i < p.step_begin[step + 1]; ++i) {
        const ua2a::Op& op = p.ops[i];
        std::int64_t* f = ops + static_cast<std::size_t>(i) * UA2A_OP_FIELDS;
        f[UA2A_OP_STEP] = static_cast<std::int64_t>(step);
        f[UA2A_OP_KIND] = op.kind == ua2a::OpKind::send ? UA2A_SEND : op.kind == ua2a::OpKind::recv ? UA2A_RECV : UA2A_COPY;
        f[UA2A_OP_PEER] = op.peer;
        f[UA2A_OP_SRC] = op.block.src;
        f[UA2A_OP_DST] = op.block.dst;
        f[UA2A_OP_PART] = op.part;
        f[UA2A_OP_CHUNK] = op.chunk;
        // The local copy moves the whole block from its start.
        f[UA2A_OP_OFFSET] = op.kind == ua2a::OpKind::copy
                                ? 0
                                : static_cast<std::int64_t>(ua2a::piece_offset(payload, op.part, op.chunk));
        f[UA2A_OP_BYTES] = static_cast<std::int64_t>(op.bytes);
      }
  });
}

UA2A_API int ua2a_layer_parts(int exchange, int32_t ranks, uint64_t seq, uint64_t heads, uint64_t head_dim,
                              uint32_t elem_bytes, int wire, int merged, uint64_t* part_bytes, uint32_t capacity,
                              uint32_t* parts, uint64_t* block_stride) {
  return guarded([&] {
    require(part_bytes, "part_bytes");
    require(parts, "parts");
    require(block_stride, "block_stride");
    const LayerArgs a = layer_args(exchange, ranks, seq, heads, head_dim, elem_bytes, wire);
    const ua2a::Payload payload = ua2a::ulysses_payload(a.ulysses(), merged != 0, 1);
    if (capacity < payload.parts.size())
      throw std::invalid_argument("capacity " + std::to_string(capacity) + " is below the " +
                                  std::to_string(payload.parts.size()) + " parts of this block: pass room for 6");
    for (std::size_t i = 0; i < payload.parts.size(); ++i) part_bytes[i] = payload.parts[i].bytes;
    *parts = static_cast<std::uint32_t>(payload.parts.size());
    *block_stride = (payload.block_bytes() + UA2A_BLOCK_ALIGN - 1) / UA2A_BLOCK_ALIGN * UA2A_BLOCK_ALIGN;
  });
}

UA2A_API int ua2a_pack(int exchange, int32_t ranks, uint64_t seq, uint64_t heads, uint64_t head_dim,
                       uint32_t elem_bytes, int wire, uint64_t block_stride, const void* const* tensors, void* packed,
                       int device, void* cuda_stream) {
  return guarded([&] {
    const LayerArgs a = layer_args(exchange, ranks, seq, heads, head_dim, elem_bytes, wire);
    const ua2a::RowMap m = row_map(a, block_stride, true);
    check_pointers(tensors, m.tensors, packed);
    check_device(device);
    auto* out = static_cast<std::byte*>(packed);
    if (device == 0) {
      const std::uint16_t* src[3] = {};
      for (std::uint32_t t = 0; t < m.tensors; ++t) src[t] = static_cast<const std::uint16_t*>(tensors[t]);
      ua2a::pack_cpu(m, a.elem(), src, out);
      return;
    }
#if defined(UA2A_HAVE_CUDA)
    ua2a::pack_gpu(m, a.elem(), tensors, out, static_cast<cudaStream_t>(cuda_stream));
#else
    (void)cuda_stream;
#endif
  });
}

UA2A_API int ua2a_unpack(int exchange, int32_t ranks, uint64_t seq, uint64_t heads, uint64_t head_dim,
                         uint32_t elem_bytes, int wire, uint64_t block_stride, const void* packed, void* const* tensors,
                         int device, void* cuda_stream) {
  return guarded([&] {
    const LayerArgs a = layer_args(exchange, ranks, seq, heads, head_dim, elem_bytes, wire);
    const ua2a::RowMap m = row_map(a, block_stride, false);
    check_pointers(const_cast<const void* const*>(tensors), m.tensors, packed);
    check_device(device);
    const auto* in = static_cast<const std::byte*>(packed);
    if (device == 0) {
      std::uint16_t* dst[3] = {};
      for (std::uint32_t t = 0; t < m.tensors; ++t) dst[t] = static_cast<std::uint16_t*>(tensors[t]);
      ua2a::unpack_cpu(m, a.elem(), in, dst);
      return;
    }
#if defined(UA2A_HAVE_CUDA)
    ua2a::unpack_gpu(m, a.elem(), in, tensors, static_cast<cudaStream_t>(cuda_stream));
#else
    (void)cuda_stream;
#endif
  });
}
