// The C ABI of libulysses_a2a.so (capi/ulysses_a2a.h), called as a C caller would: programs that
// move every block exactly where all-to-all puts it, pack/unpack against the documented layout
// and backend's FP8 reference, and the error codes and messages of bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "backend/cpu_kernels.h"
#include "backend/numeric.h"
#include "capi/ulysses_a2a.h"
#include "tests/support.h"
#if defined(UA2A_HAVE_CUDA)
#include <cuda_runtime.h>
#endif

namespace {

struct Programs {
  ua2a_programs* p = nullptr;
  int code = UA2A_OK;
  Programs(int ranks, const char* algo, const char* discipline, unsigned chunks, std::vector<std::uint64_t> parts) {
    code = ua2a_programs_create(ranks, algo, discipline, chunks, parts.data(), static_cast<unsigned>(parts.size()), &p);
  }
  ~Programs() { ua2a_programs_destroy(p); }
  Programs(const Programs&) = delete;
  Programs& operator=(const Programs&) = delete;

  std::vector<std::array<std::int64_t, UA2A_OP_FIELDS>> ops(int rank) const {
    std::uint32_t steps = 0;
    std::uint64_t count = 0;
    EXPECT_EQ(ua2a_programs_rank_size(p, rank, &steps, &count), UA2A_OK);
    std::vector<std::array<std::int64_t, UA2A_OP_FIELDS>> out(count);
    EXPECT_EQ(ua2a_programs_rank_ops(p, rank, out.data()->data(), count), UA2A_OK);
    return out;
  }
};

/// Byte i of the block src owes dst: a function of all three, so any misplaced byte shows.
std::uint8_t block_byte(int src, int dst, std::uint64_t i) {
  return static_cast<std::uint8_t>(src * 131 + dst * 29 + i * 7 + (i >> 8));
}

/// Runs every rank's operations as the IR's semantics say messages match (the k-th send a -> b
/// meets the k-th receive at b from a), copying bytes at the ops' offsets, and returns each rank's
/// receive buffer: N slots of the block size. Nothing here knows the schedule.
std::vector<std::vector<std::uint8_t>> run_on_host(const Programs& programs, int n, std::uint64_t block) {
  std::vector<std::vector<std::uint8_t>> send(n, std::vector<std::uint8_t>(n * block));
  std::vector<std::vector<std::uint8_t>> recv(n, std::vector<std::uint8_t>(n * block, 0xEE));
  for (int r = 0; r < n; ++r)
    for (int j = 0; j < n; ++j)
      for (std::uint64_t i = 0; i < block; ++i) send[r][j * block + i] = block_byte(r, j, i);
  using Fields = std::array<std::int64_t, UA2A_OP_FIELDS>;
  std::map<std::pair<int, int>, std::vector<Fields>> sends, recvs;  // by (from, to), in program order
  for (int r = 0; r < n; ++r)
    for (const Fields& op : programs.ops(r)) {
      if (op[UA2A_OP_KIND] == UA2A_COPY) {
        EXPECT_EQ(op[UA2A_OP_PEER], r);
        std::memcpy(&recv[r][r * block], &send[r][r * block], op[UA2A_OP_BYTES]);
      } else if (op[UA2A_OP_KIND] == UA2A_SEND) {
        sends[{r, static_cast<int>(op[UA2A_OP_PEER])}].push_back(op);
      } else {
        recvs[{static_cast<int>(op[UA2A_OP_PEER]), r}].push_back(op);
      }
    }
  for (auto& [pair, list] : sends) {
    const auto& [from, to] = pair;
    const auto& matching = recvs[pair];
    EXPECT_EQ(list.size(), matching.size()) << from << " -> " << to;
    for (std::size_t k = 0; k < std::min(list.size(), matching.size()); ++k) {
      const Fields& s = list[k];
      const Fields& d = matching[k];
      EXPECT_EQ(s[UA2A_OP_BYTES], d[UA2A_OP_BYTES]);
      EXPECT_EQ(std::tie(s[UA2A_OP_SRC], s[UA2A_OP_DST]), std::make_tuple(std::int64_t{from}, std::int64_t{to}));
      if (static_cast<std::uint64_t>(s[UA2A_OP_OFFSET] + s[UA2A_OP_BYTES]) > block ||
          static_cast<std::uint64_t>(d[UA2A_OP_OFFSET] + s[UA2A_OP_BYTES]) > block) {
        ADD_FAILURE() << "piece outside its block: " << from << " -> " << to;
        continue;
      }
      std::memcpy(&recv[to][from * block + d[UA2A_OP_OFFSET]], &send[from][to * block + s[UA2A_OP_OFFSET]],
                  s[UA2A_OP_BYTES]);
    }
  }
  return recv;
}

std::string error_text() { return ua2a_last_error(); }

}  // namespace

TEST(Capi, VersionAndBuild) {
  EXPECT_EQ(ua2a_abi_version(), UA2A_ABI_VERSION);
  EXPECT_STREQ(ua2a_version(), UA2A_VERSION_STRING);
#if defined(UA2A_HAVE_CUDA)
  EXPECT_EQ(ua2a_has_cuda(), 1);
#else
  EXPECT_EQ(ua2a_has_cuda(), 0);
#endif
}

// All-to-all's definition: slot j of rank r's receive buffer is the block j owed r.
TEST(Capi, ProgramsDeliverEveryBlockToItsSlot) {
  struct Case {
    int n;
    const char* algo;
    const char* discipline;
    unsigned chunks;
    std::vector<std::uint64_t> parts;
  };
  const std::vector<Case> cases = {
      {1, "round-robin", "paired-full", 1, {5}},       {2, "round-robin", "paired-half", 1, {9}},
      {3, "round-robin", "paired-full", 2, {11}},      {7, "round-robin", "paired-half", 3, {10, 3}},
      {8, "round-robin", "grouped", 1, {64}},          {8, "xor", "paired-full", 4, {33, 33, 33}},
      {6, "shift", "paired-full", 1, {17}},            {5, "staircase", "paired-half", 2, {6, 1, 6, 2}},
      {4, "grouped", "grouped", 1, {3}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.algo) + " / " + c.discipline + " N=" + std::to_string(c.n));
    Programs p(c.n, c.algo, c.discipline, c.chunks, c.parts);
    ASSERT_EQ(p.code, UA2A_OK) << error_text();
    std::uint64_t block = 0;
    ASSERT_EQ(ua2a_programs_block_bytes(p.p, &block), UA2A_OK);
    std::uint64_t expected_block = 0;
    for (auto b : c.parts) expected_block += b;
    ASSERT_EQ(block, expected_block);
    const auto recv = run_on_host(p, c.n, block);
    for (int r = 0; r < c.n; ++r)
      for (int j = 0; j < c.n; ++j)
        for (std::uint64_t i = 0; i < block; ++i)
          ASSERT_EQ(recv[r][j * block + i], block_byte(j, r, i)) << "rank " << r << " slot " << j << " byte " << i;
  }
}

// A schedule file's order (ulysses-a2a synthesize, 7 ranks on 4090x8-2s-sw with P2P: 12 directed
// rounds, 4 chunks, paired-full), re-cut to other sizes: still all-to-all by the definition.
TEST(Capi, ProgramsFromAScheduleFileDeliverEveryBlockToItsSlot) {
  const std::string text = ua2a::testing::read_source("tests/python/data/synth-7.json");
  struct Case {
    const char* discipline;
    unsigned chunks;
    std::vector<std::uint64_t> parts;
  };
  for (const Case& c : std::vector<Case>{{"", 0, {10}}, {"paired-full", 1, {7, 2}}, {"grouped", 3, {5}}}) {
    SCOPED_TRACE(std::string("discipline '") + c.discipline + "' chunks " + std::to_string(c.chunks));
    ua2a_programs* p = nullptr;
    ASSERT_EQ(ua2a_programs_from_schedule(text.c_str(), 7, c.discipline, c.chunks, c.parts.data(),
                                          static_cast<unsigned>(c.parts.size()), &p),
              UA2A_OK)
        << error_text();
    Programs held(0, "", "", 0, {});  // empty: takes the handle so it is destroyed
    held.p = p;
    std::uint64_t block = 0;
    ASSERT_EQ(ua2a_programs_block_bytes(p, &block), UA2A_OK);
    const auto recv = run_on_host(held, 7, block);
    for (int r = 0; r < 7; ++r)
      for (int j = 0; j < 7; ++j)
        for (std::uint64_t i = 0; i < block; ++i)
          ASSERT_EQ(recv[r][j * block + i], block_byte(j, r, i)) << "rank " << r << " slot " << j << " byte " << i;
    // The file's 4 chunks (chunks 0): rank 0 sends 6 blocks of 4 pieces; else the asked count.
    std::size_t sends = 0;
    for (const auto& op : held.ops(0)) sends += op[UA2A_OP_KIND] == UA2A_SEND;
    EXPECT_EQ(sends, 6u * (c.chunks ? c.chunks : 4) * c.parts.size());
  }
}

TEST(Capi, ScheduleFilesThatCannotRunAreRefused) {
  const std::string text = ua2a::testing::read_source("tests/python/data/synth-7.json");
  const std::uint64_t bytes = 8;
  ua2a_programs* p = nullptr;
  EXPECT_EQ(ua2a_programs_from_schedule("{\"format\": 1}", 7, "", 0, &bytes, 1, &p), UA2A_BAD_INPUT);
  EXPECT_NE(error_text().find("not a schedule JSON"), std::string::npos) << error_text();
  EXPECT_EQ(ua2a_programs_from_schedule(text.c_str(), 8, "", 0, &bytes, 1, &p), UA2A_BAD_INPUT);
  EXPECT_NE(error_text().find("for 7 ranks, the group has 8"), std::string::npos) << error_text();
  EXPECT_EQ(ua2a_programs_from_schedule(text.c_str(), 7, "naive", 0, &bytes, 1, &p), UA2A_VIOLATION);
  EXPECT_NE(error_text().find("deadlock-free: NO"), std::string::npos) << error_text();
  // Rounds where a rank has two partners cannot be lowered one partner at a time.
  EXPECT_EQ(ua2a_programs_from_schedule(text.c_str(), 7, "paired-half", 0, &bytes, 1, &p), UA2A_BAD_INPUT);
  EXPECT_NE(error_text().find("use paired-full or grouped"), std::string::npos) << error_text();
  EXPECT_EQ(ua2a_programs_from_schedule(nullptr, 7, "", 0, &bytes, 1, &p), UA2A_BAD_INPUT);
  EXPECT_EQ(ua2a_programs_from_schedule(text.c_str(), 7, "", 1u << 30, &bytes, 1, &p), UA2A_BAD_INPUT);
  EXPECT_EQ(p, nullptr);
}

TEST(Capi, RefusesWhatTheVerifierRefuses) {
  Programs naive(4, "round-robin", "naive", 1, {8});
  EXPECT_EQ(naive.code, UA2A_VIOLATION);
  EXPECT_EQ(naive.p, nullptr);
  EXPECT_NE(error_text().find("deadlock-free: NO"), std::string::npos) << error_text();
}

TEST(Capi, BadInputNamesTheInput) {
  struct Row {
    int n;
    const char* algo;
    const char* discipline;
    unsigned chunks;
    std::vector<std::uint64_t> parts;
    const char* message;
  };
  const std::vector<Row> rows = {
      {0, "round-robin", "paired-full", 1, {8}, "ranks must be at least 1"},
      {4097, "round-robin", "paired-full", 1, {8}, "4096"},
      {4, "round_robin", "paired-full", 1, {8}, "did you mean 'round-robin'"},
      {4, "round-robin", "half", 1, {8}, "unknown discipline 'half'"},
      {4, "round-robin", "paired-full", 0, {8}, "chunks must be at least 1"},
      {6, "xor", "paired-full", 1, {8}, "power-of-two"},
      {4, "round-robin", "paired-full", 1, {}, "parts 0 is outside"},
  };
  for (const Row& row : rows) {
    Programs p(row.n, row.algo, row.discipline, row.chunks, row.parts);
    EXPECT_EQ(p.code, UA2A_BAD_INPUT) << row.message;
    EXPECT_NE(error_text().find(row.message), std::string::npos) << error_text();
  }
  ua2a_programs* out = nullptr;
  std::uint64_t bytes = 8;
  EXPECT_EQ(ua2a_programs_create(2, nullptr, "paired-full", 1, &bytes, 1, &out), UA2A_BAD_INPUT);
  EXPECT_NE(error_text().find("algo is NULL"), std::string::npos);
  Programs p(2, "round-robin", "paired-full", 1, {8});
  std::uint32_t steps = 0;
  std::uint64_t count = 0;
  EXPECT_EQ(ua2a_programs_rank_size(p.p, 2, &steps, &count), UA2A_BAD_INPUT);
  EXPECT_NE(error_text().find("rank 2 is outside 0..1"), std::string::npos);
  std::int64_t one[UA2A_OP_FIELDS];
  EXPECT_EQ(ua2a_programs_rank_ops(p.p, 0, one, 1), UA2A_BAD_INPUT);
  EXPECT_NE(error_text().find("capacity 1 is below"), std::string::npos) << error_text();
}

namespace {

constexpr int kN = 4;
constexpr std::uint64_t kS = 3, kH = 8, kD = 16, kHpr = kH / kN;

/// bf16 value of element (tensor, global token, head, dim): exact in bf16, so positions show.
std::uint16_t element(std::uint64_t t, std::uint64_t token, std::uint64_t head, std::uint64_t d) {
  return ua2a::float_to_bf16(static_cast<float>(t * 1000 + token * 50 + head * 5) + static_cast<float>(d) / 16);
}

/// Rank r's q, k, v [s, H, D].
std::vector<std::vector<std::uint16_t>> rank_inputs(int r) {
  std::vector<std::vector<std::uint16_t>> qkv(3, std::vector<std::uint16_t>(kS * kH * kD));
  for (std::uint64_t t = 0; t < 3; ++t)
    for (std::uint64_t tok = 0; tok < kS; ++tok)
      for (std::uint64_t h = 0; h < kH; ++h)
        for (std::uint64_t d = 0; d < kD; ++d) qkv[t][(tok * kH + h) * kD + d] = element(t, r * kS + tok, h, d);
  return qkv;
}

std::uint64_t stride_of(int exchange, int wire) {
  std::uint64_t parts[6], stride = 0;
  std::uint32_t count = 0;
  EXPECT_EQ(ua2a_layer_parts(exchange, kN, kS, kH, kD, 2, wire, 1, parts, 6, &count, &stride), UA2A_OK);
  return stride;
}

}  // namespace

// The documented layout: block j = heads j*h .. of q | k | v, each [s, h, D] token-major.
TEST(Capi, PackFollowsTheDocumentedLayout) {
  const auto qkv = rank_inputs(1);
  const void* src[3] = {qkv[0].data(), qkv[1].data(), qkv[2].data()};
  const std::uint64_t stride = stride_of(UA2A_EXCHANGE_QKV, UA2A_WIRE_RAW);
  ASSERT_EQ(stride % UA2A_BLOCK_ALIGN, 0u);
  std::vector<std::uint16_t> packed(kN * stride / 2);
  ASSERT_EQ(ua2a_pack(UA2A_EXCHANGE_QKV, kN, kS, kH, kD, 2, UA2A_WIRE_RAW, stride, src, packed.data(), 0, nullptr),
            UA2A_OK)
      << error_text();
  for (std::uint64_t j = 0; j < kN; ++j)
    for (std::uint64_t t = 0; t < 3; ++t)
      for (std::uint64_t tok = 0; tok < kS; ++tok)
        for (std::uint64_t hh = 0; hh < kHpr; ++hh)
          for (std::uint64_t d = 0; d < kD; ++d) {
            const std::uint64_t at = j * stride / 2 + ((t * kS + tok) * kHpr + hh) * kD + d;
            ASSERT_EQ(packed[at], element(t, 1 * kS + tok, j * kHpr + hh, d)) << j << " " << t << " " << tok;
          }
}

// Pack on every rank, move block j of rank r to slot r of rank j, unpack: each rank holds its heads
// of the whole sequence, [N*s (+ L), h, D], tokens in rank order. Then the reverse exchange.
TEST(Capi, PackExchangeUnpackGivesTheAttentionLayout) {
  const std::uint64_t fwd = stride_of(UA2A_EXCHANGE_QKV, UA2A_WIRE_RAW);
  const std::uint64_t rev = stride_of(UA2A_EXCHANGE_OUT, UA2A_WIRE_RAW);
  constexpr std::uint64_t kText = 2;
  const std::uint64_t rows = kN * kS + kText;
  std::vector<std::vector<std::byte>> sent(kN, std::vector<std::byte>(kN * fwd));
  for (int r = 0; r < kN; ++r) {
    const auto qkv = rank_inputs(r);
    const void* src[3] = {qkv[0].data(), qkv[1].data(), qkv[2].data()};
    ASSERT_EQ(ua2a_pack(0, kN, kS, kH, kD, 2, 0, fwd, src, sent[r].data(), 0, nullptr), UA2A_OK) << error_text();
  }
  for (int r = 0; r < kN; ++r) {
    std::vector<std::byte> recv(kN * fwd);
    for (int j = 0; j < kN; ++j) std::memcpy(&recv[j * fwd], &sent[j][r * fwd], fwd);
    std::vector<std::vector<std::uint16_t>> attn(3, std::vector<std::uint16_t>(rows * kHpr * kD, 0xFFFF));
    void* dst[3] = {attn[0].data(), attn[1].data(), attn[2].data()};
    ASSERT_EQ(ua2a_unpack(0, kN, kS, kH, kD, 2, 0, fwd, recv.data(), dst, 0, nullptr), UA2A_OK) << error_text();
    for (std::uint64_t t = 0; t < 3; ++t)
      for (std::uint64_t tok = 0; tok < rows; ++tok)
        for (std::uint64_t hh = 0; hh < kHpr; ++hh)
          for (std::uint64_t d = 0; d < kD; ++d) {
            const std::uint16_t got = attn[t][(tok * kHpr + hh) * kD + d];
            if (tok < kN * kS)
              ASSERT_EQ(got, element(t, tok, r * kHpr + hh, d)) << "rank " << r << " token " << tok;
            else
              ASSERT_EQ(got, 0xFFFF) << "text rows are the caller's";
          }
    // Reverse: pack attention q as the "output", send row block j to rank j; rank j unpacks [s, H, D].
    std::vector<std::byte> out_packed(kN * rev);
    const void* out_src[1] = {attn[0].data()};
    ASSERT_EQ(ua2a_pack(1, kN, kS, kH, kD, 2, 0, rev, out_src, out_packed.data(), 0, nullptr), UA2A_OK);
    for (int j = 0; j < kN; ++j)  // block j holds tokens of rank j, heads of rank r
      for (std::uint64_t tok = 0; tok < kS; ++tok)
        for (std::uint64_t hh = 0; hh < kHpr; ++hh) {
          std::uint16_t first = 0;
          std::memcpy(&first, &out_packed[j * rev + ((tok * kHpr + hh) * kD) * 2], 2);
          ASSERT_EQ(first, element(0, j * kS + tok, r * kHpr + hh, 0));
        }
  }
}

// FP8: per (tensor, token, head) row the codes and the scale of backend's quantiser (the C++
// reference the CUDA kernels are tested against), codes first, then the float32 scales.
TEST(Capi, Fp8PackMatchesTheBackendQuantiser) {
  const auto qkv = rank_inputs(2);
  const void* src[3] = {qkv[0].data(), qkv[1].data(), qkv[2].data()};
  const std::uint64_t stride = stride_of(UA2A_EXCHANGE_QKV, UA2A_WIRE_FP8_FROM_BF16);
  std::vector<std::uint8_t> packed(kN * stride);
  ASSERT_EQ(ua2a_pack(0, kN, kS, kH, kD, 2, UA2A_WIRE_FP8_FROM_BF16, stride, src, packed.data(), 0, nullptr), UA2A_OK);
  const std::uint64_t rows = kS * kHpr;
  for (std::uint64_t j = 0; j < kN; ++j)
    for (std::uint64_t t = 0; t < 3; ++t)
      for (std::uint64_t tok = 0; tok < kS; ++tok)
        for (std::uint64_t hh = 0; hh < kHpr; ++hh) {
          const std::uint64_t row = t * rows + tok * kHpr + hh;
          std::uint8_t codes[kD];
          const float scale =
              ua2a::quantize_row_fp8(&qkv[t][(tok * kH + j * kHpr + hh) * kD], kD, ua2a::ElemType::bf16, codes);
          ASSERT_EQ(std::memcmp(&packed[j * stride + row * kD], codes, kD), 0) << j << " " << row;
          float got = 0;
          std::memcpy(&got, &packed[j * stride + 3 * rows * kD + row * 4], 4);
          ASSERT_EQ(got, scale);
        }
  // And back: unpack of the same bytes dequantises to code value x scale, rounded to bf16.
  std::vector<std::vector<std::uint16_t>> attn(3, std::vector<std::uint16_t>(kN * kS * kHpr * kD));
  void* dst[3] = {attn[0].data(), attn[1].data(), attn[2].data()};
  ASSERT_EQ(ua2a_unpack(0, kN, kS, kH, kD, 2, 1, stride, packed.data(), dst, 0, nullptr), UA2A_OK);
  float scale0 = 0;
  std::memcpy(&scale0, &packed[3 * rows * kD], 4);
  EXPECT_EQ(attn[0][0], ua2a::float_to_bf16(ua2a::fp8_e4m3_to_float(packed[0]) * scale0));
}

TEST(Capi, LayerBadInput) {
  std::uint64_t parts[6], stride = 0;
  std::uint32_t count = 0;
  EXPECT_EQ(ua2a_layer_parts(0, 4, 3, 6, 16, 2, 0, 1, parts, 6, &count, &stride), UA2A_BAD_INPUT);
  EXPECT_NE(error_text().find("heads 6 is not a positive multiple of ranks 4"), std::string::npos);
  EXPECT_EQ(ua2a_layer_parts(0, 4, 3, 8, 16, 4, 1, 1, parts, 6, &count, &stride), UA2A_BAD_INPUT);
  EXPECT_NE(error_text().find("FP8 wire quantises 2-byte"), std::string::npos);
  EXPECT_EQ(ua2a_layer_parts(0, 4, 3, 8, 3, 1, 0, 1, parts, 6, &count, &stride), UA2A_BAD_INPUT);
  EXPECT_NE(error_text().find("must be a positive even byte count"), std::string::npos);
  EXPECT_EQ(ua2a_layer_parts(0, 4, 3, 8, 16, 2, 1, 0, parts, 3, &count, &stride), UA2A_BAD_INPUT);
  EXPECT_NE(error_text().find("capacity 3 is below the 6 parts"), std::string::npos);
  std::vector<std::byte> buf(1 << 16);
  const void* src[3] = {buf.data(), buf.data(), nullptr};
  EXPECT_EQ(ua2a_pack(0, 4, 3, 8, 16, 2, 0, 1 << 12, src, buf.data(), 0, nullptr), UA2A_BAD_INPUT);
  EXPECT_NE(error_text().find("tensors[2] is NULL"), std::string::npos);
  src[2] = buf.data();
  EXPECT_EQ(ua2a_pack(0, 4, 3, 8, 16, 2, 0, 16, src, buf.data(), 0, nullptr), UA2A_BAD_INPUT);
  EXPECT_NE(error_text().find("block_stride 16 is below"), std::string::npos);
#if !defined(UA2A_HAVE_CUDA)
  EXPECT_EQ(ua2a_pack(0, 4, 3, 8, 16, 2, 0, 1 << 12, src, buf.data(), 1, nullptr), UA2A_BAD_INPUT);
  EXPECT_NE(error_text().find("built without CUDA"), std::string::npos);
#endif
}

#if defined(UA2A_HAVE_CUDA)
// Device memory with a stream: the same bytes as the host pack (FP8 included), then unpack back.
TEST(CapiGpu, DevicePackEqualsHostPack) {
  int gpus = 0;
  if (cudaGetDeviceCount(&gpus) != cudaSuccess || gpus == 0) GTEST_SKIP() << "no CUDA GPU visible";
  constexpr std::uint64_t D = 64;  // the kernels take D in {64, 128}
  for (int wire : {UA2A_WIRE_RAW, UA2A_WIRE_FP8_FROM_BF16}) {
    std::uint64_t parts[6], stride = 0;
    std::uint32_t count = 0;
    ASSERT_EQ(ua2a_layer_parts(0, kN, kS, kH, D, 2, wire, 1, parts, 6, &count, &stride), UA2A_OK);
    std::vector<std::uint16_t> host(kS * kH * D);
    for (std::size_t i = 0; i < host.size(); ++i) host[i] = ua2a::float_to_bf16(static_cast<float>(i % 97) - 48.5f);
    const void* hsrc[3] = {host.data(), host.data(), host.data()};
    std::vector<std::uint8_t> expected(kN * stride), got(kN * stride);
    ASSERT_EQ(ua2a_pack(0, kN, kS, kH, D, 2, wire, stride, hsrc, expected.data(), 0, nullptr), UA2A_OK);
    void *dsrc = nullptr, *dpacked = nullptr;
    ASSERT_EQ(cudaMalloc(&dsrc, host.size() * 2), cudaSuccess);
    ASSERT_EQ(cudaMalloc(&dpacked, kN * stride), cudaSuccess);
    cudaStream_t stream = nullptr;
    ASSERT_EQ(cudaStreamCreate(&stream), cudaSuccess);
    ASSERT_EQ(cudaMemcpy(dsrc, host.data(), host.size() * 2, cudaMemcpyHostToDevice), cudaSuccess);
    ASSERT_EQ(cudaMemset(dpacked, 0, kN * stride), cudaSuccess);
    const void* dsrcs[3] = {dsrc, dsrc, dsrc};
    ASSERT_EQ(ua2a_pack(0, kN, kS, kH, D, 2, wire, stride, dsrcs, dpacked, 1, stream), UA2A_OK) << error_text();
    ASSERT_EQ(cudaStreamSynchronize(stream), cudaSuccess);
    ASSERT_EQ(cudaMemcpy(got.data(), dpacked, kN * stride, cudaMemcpyDeviceToHost), cudaSuccess);
    std::vector<std::uint8_t> zero_padded = expected;
    for (std::uint64_t j = 0; j < kN; ++j)  // padding after each block is not written by either
      for (std::uint64_t i = parts[0]; i < stride; ++i) zero_padded[j * stride + i] = got[j * stride + i];
    EXPECT_EQ(got, zero_padded) << "wire " << wire;
    cudaStreamDestroy(stream);
    cudaFree(dsrc);
    cudaFree(dpacked);
  }
}
#endif
