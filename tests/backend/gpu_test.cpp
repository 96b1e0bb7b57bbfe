// GPU tests: every kernel against its CPU version, the layer end to end over cuda-peer (8 virtual
// ranks, whatever the GPU count) and nccl (one rank per visible GPU). Skipped cleanly without a GPU.
#include <gtest/gtest.h>

#include <cuda_runtime.h>

#include <cmath>
#include <cstring>

#include "backend/attention.h"
#include "backend/cpu_kernels.h"
#include "backend/cuda/kernels.h"
#include "backend/bench.h"
#include "backend/layer.h"
#include "backend/piece_check.h"
#include "backend/probe.h"
#include "backend/runner.h"
#include "tests/backend/attention_checks.h"
#if UA2A_HAVE_NCCL
#include "backend/cuda/nccl_transport.h"
#endif

using namespace ua2a;

namespace {

#define SKIP_WITHOUT_GPU() \
  if (gpu_count() == 0) GTEST_SKIP() << "no CUDA GPU visible"

void ok(cudaError_t e) { ASSERT_EQ(e, cudaSuccess) << cudaGetErrorString(e); }

/// A device copy of a host vector, freed at scope exit. Fresh buffers start as 0xFF bytes (NaN in
/// bf16 and fp16), so an element a kernel does not write fails the comparison.
struct Dev {
  void* p = nullptr;
  std::size_t bytes = 0;
  explicit Dev(std::size_t n) : bytes(n) { ok(cudaMalloc(&p, n ? n : 1)); poison(); }
  void poison() { ok(cudaMemset(p, 0xFF, bytes ? bytes : 1)); }
  template <class T>
  Dev(const std::vector<T>& v) : Dev(v.size() * sizeof(T)) {
    ok(cudaMemcpy(p, v.data(), bytes, cudaMemcpyHostToDevice));
  }
  ~Dev() { cudaFree(p); }
  template <class T>
  std::vector<T> read() const {
    std::vector<T> v(bytes / sizeof(T));
    ok(cudaMemcpy(v.data(), p, bytes, cudaMemcpyDeviceToHost));
    return v;
  }
};

LayerShape shape(std::int32_t n, std::uint64_t s, std::uint64_t d, bool fp8, ElemType elem, std::uint64_t text = 0) {
  LayerShape x;
  x.ranks = n, x.seq_per_rank = s, x.heads = 2 * n, x.head_dim = d, x.fp8 = fp8, x.elem = elem, x.text_tokens = text;
  return x;
}

}  // namespace

// ThunderKittens' shape: a CPU reference beside the device function, a sweep of shapes.
class GpuPack : public ::testing::TestWithParam<std::tuple<int, bool, int, ElemType>> {};

TEST_P(GpuPack, PackAndUnpackEqualTheCpuBytes) {
  SKIP_WITHOUT_GPU();
  const auto [n, fp8, d, elem] = GetParam();
  const LayerShape s = shape(n, 37, d, fp8, elem);
  const LayerPlan plan = make_plan(s);
  const LayerInputs in = make_inputs(s, 3);
  for (Exchange e : {Exchange::qkv, Exchange::out}) {
    SCOPED_TRACE(e == Exchange::qkv ? "forward" : "reverse");
    const RowMap pm = pack_map(plan, e), um = unpack_map(plan, e);
    // Forward packs [s, H, D] inputs; reverse packs an [N*s, h, D] tensor: reuse the input values.
    std::vector<std::vector<std::uint16_t>> src(pm.tensors);
    for (std::uint32_t t = 0; t < pm.tensors; ++t) src[t] = in.qkv[0][t];
    std::vector<std::byte> cpu_packed(e == Exchange::qkv ? plan.fwd_buffer_bytes() : plan.rev_buffer_bytes());
    const std::uint16_t* cpu_src[3] = {src[0].data(), pm.tensors > 1 ? src[1].data() : nullptr,
                                       pm.tensors > 1 ? src[2].data() : nullptr};
    pack_cpu(pm, elem, cpu_src, cpu_packed.data());

    std::vector<std::unique_ptr<Dev>> dsrc;
    const void* gpu_src[3] = {};
    for (std::uint32_t t = 0; t < pm.tensors; ++t) dsrc.push_back(std::make_unique<Dev>(src[t])), gpu_src[t] = dsrc[t]->p;
    Dev packed(cpu_packed.size());
    pack_gpu(pm, elem, gpu_src, static_cast<std::byte*>(packed.p), nullptr);
    ok(cudaDeviceSynchronize());
    const auto gpu_packed = packed.read<std::byte>();
    const std::uint64_t stride = pm.block_stride, used = e == Exchange::qkv ? plan.fwd_block_bytes : plan.rev_block_bytes;
    for (std::uint32_t j = 0; j < pm.blocks; ++j)
      ASSERT_EQ(std::memcmp(gpu_packed.data() + j * stride, cpu_packed.data() + j * stride, used), 0) << "block " << j;

    // Unpack the same packed bytes on both sides.
    const std::uint64_t elems = src[0].size();
    std::vector<std::vector<std::uint16_t>> cpu_dst(um.tensors, std::vector<std::uint16_t>(elems));
    std::uint16_t* cpu_out[3] = {};
    void* gpu_out[3] = {};
    std::vector<std::unique_ptr<Dev>> ddst;
    for (std::uint32_t t = 0; t < um.tensors; ++t) {
      cpu_out[t] = cpu_dst[t].data();
      ddst.push_back(std::make_unique<Dev>(elems * 2));
      gpu_out[t] = ddst[t]->p;
    }
    unpack_cpu(um, elem, cpu_packed.data(), cpu_out);
    unpack_gpu(um, elem, static_cast<const std::byte*>(packed.p), gpu_out, nullptr);
    ok(cudaDeviceSynchronize());
    for (std::uint32_t t = 0; t < um.tensors; ++t) EXPECT_EQ(ddst[t]->read<std::uint16_t>(), cpu_dst[t]) << "tensor " << t;
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, GpuPack,
                         ::testing::Combine(::testing::Values(1, 3, 8), ::testing::Bool(), ::testing::Values(64, 128),
                                            ::testing::Values(ElemType::bf16, ElemType::fp16)));

/// flash: the key tile this GPU picks; flash32: the 32-key tile a 100 KiB-per-SM GPU (RTX 4090)
/// picks at D = 128, forced, so that an H200 run tests it too; simple: the plain kernel.
enum class Kernel { flash, flash32, simple };

void launch(Kernel kernel, const AttentionParams& p) {
  if (kernel == Kernel::simple) attention_forward_simple(p, nullptr);
  else attention_forward(p, nullptr, kernel == Kernel::flash32 ? 32 : 0);
  ok(cudaDeviceSynchronize());
}

std::uint32_t block_n_of(Kernel kernel, std::uint64_t d) {
  return kernel == Kernel::flash32 ? 32 : flash_block_n(d);
}

/// Runs `kernel` on x into a freshly poisoned output and returns it.
std::vector<std::uint16_t> on_gpu(Kernel kernel, const test::Qkv& x) {
  Dev q(x.q), k(x.k), v(x.v), o(x.q.size() * 2);
  AttentionParams p = x.params(o.p);
  p.q = q.p, p.k = k.p, p.v = v.p;
  launch(kernel, p);
  return o.read<std::uint16_t>();
}

class GpuAttention : public ::testing::TestWithParam<std::tuple<int, int, ElemType, Kernel>> {};

TEST_P(GpuAttention, MatchesTheMirrorAndTheReferenceOnFreshInputsEveryIteration) {
  SKIP_WITHOUT_GPU();
  const auto [seq, d, elem, kernel] = GetParam();
  if (kernel == Kernel::flash32 && d != 128) GTEST_SKIP() << "32-key tiles exist at D = 128 only";
  const std::uint64_t S = static_cast<std::uint64_t>(seq), D = static_cast<std::uint64_t>(d);
  const std::uint64_t heads = S > 2000 ? 1 : 3;  // the CPU mirror is single-threaded
  // The long sequence with a tail gets flat scores (q scaled down): its 63 padded keys then shift
  // every output by about 3 % if the kernel does not mask them (attention_oracle_test proves the
  // criterion rejects that), far beyond the few ulps the mirror comparison allows.
  const float q_amplitude = S > 2000 ? 0.5f : 2.0f;
  for (std::uint32_t it = 0; it < 2; ++it) {  // the second iteration is checked as fully as the first
    SCOPED_TRACE("iteration " + std::to_string(it));
    const test::Qkv x = test::random_qkv(S, heads, D, elem, 100 + it, q_amplitude);
    const std::vector<std::uint16_t> got = on_gpu(kernel, x);
    std::vector<std::uint16_t> plain(got.size()), mirror(got.size());
    attention_cpu(x.params(plain.data()));
    const test::RmsError vs_plain = test::error_vs(got, elem, plain);
    EXPECT_TRUE(test::near_reference(vs_plain))
        << "vs attention_cpu: max " << vs_plain.max_ulps() << " ulps at RMS, rms " << vs_plain.rms_ulps()
        << " (element " << vs_plain.worst << ")";
    if (kernel != Kernel::simple) {  // the mirror does the flash kernel's arithmetic, tile for tile
      attention_tiled_cpu(x.params(mirror.data()), block_n_of(kernel, D));
      const test::RmsError vs_mirror = test::error_vs(got, elem, mirror);
      EXPECT_TRUE(test::near_mirror(vs_mirror))
          << "vs attention_tiled_cpu: max " << vs_mirror.max_ulps() << " ulps at RMS, rms " << vs_mirror.rms_ulps()
          << " (element " << vs_mirror.worst << ")";
    }
    if (S <= 100) {  // the float64 oracle is slow; the plain reference covers the long cases
      const test::RmsError vs_f64 = test::error_vs(got, elem, test::attention_f64(x));
      EXPECT_TRUE(test::near_reference(vs_f64)) << "vs float64: max " << vs_f64.max_ulps() << " rms " << vs_f64.rms_ulps();
    }
  }
}

const char* kernel_name(Kernel k) { return k == Kernel::flash ? "flash" : k == Kernel::flash32 ? "flash32" : "simple"; }

std::string attention_case_name(const ::testing::TestParamInfo<std::tuple<int, int, ElemType, Kernel>>& info) {
  const auto& [seq, d, elem, kernel] = info.param;
  return "S" + std::to_string(seq) + "_D" + std::to_string(d) + "_" + to_string(elem) + "_" + kernel_name(kernel);
}

// Lengths around the 16-row, 32-key (simple) and 64-row, 32/64-key (flash) tiles, a long one, and
// a long one with a 63-key tail (2049). Named S<len>_D<dim>_<elem>_<kernel>, so that the device
// run's sanitizer steps can pick the short ones (*GpuAttention.*/S33_*).
INSTANTIATE_TEST_SUITE_P(Shapes, GpuAttention,
                         ::testing::Combine(::testing::Values(1, 31, 33, 63, 65, 100, 1029, 2049), ::testing::Values(64, 128),
                                            ::testing::Values(ElemType::bf16, ElemType::fp16),
                                            ::testing::Values(Kernel::flash, Kernel::flash32, Kernel::simple)),
                         attention_case_name);

class GpuAttentionPadding : public ::testing::TestWithParam<Kernel> {};

TEST_P(GpuAttentionPadding, PaddingKeysAreMaskedAgainstTheUnpaddedFloat64) {
  SKIP_WITHOUT_GPU();
  const Kernel kernel = GetParam();
  // As padding_test.cpp on the CPU: padding inserted inside, filling whole key tiles, in front
  // of every real key (the first tiles have none: no NaN), and across many tiles of a long one.
  struct Case {
    std::uint64_t real, at, pad;
  };
  for (const Case c : {Case{66, 61, 3}, Case{66, 32, 40}, Case{66, 0, 40}, Case{1000, 900, 100}}) {
    SCOPED_TRACE("padding " + std::to_string(c.pad) + " at " + std::to_string(c.at) + " of " + std::to_string(c.real));
    const test::Qkv x = test::random_qkv(c.real, 2, 128, ElemType::bf16, 51, 1.0f);
    const test::Qkv junk = test::random_qkv(c.pad, 2, 128, ElemType::bf16, 52);
    test::Qkv p = x;
    p.seq = c.real + c.pad;
    for (int t = 0; t < 3; ++t) {
      auto& dst = t == 0 ? p.q : t == 1 ? p.k : p.v;
      const auto& src = t == 0 ? junk.q : t == 1 ? junk.k : junk.v;
      dst.insert(dst.begin() + static_cast<std::ptrdiff_t>(c.at * 2 * 128), src.begin(), src.end());
    }
    Dev q(p.q), k(p.k), v(p.v), o(p.q.size() * 2);
    AttentionParams a = p.params(o.p);
    a.q = q.p, a.k = k.p, a.v = v.p, a.pad_begin = c.at, a.pad_end = c.at + c.pad;
    launch(kernel, a);
    std::vector<std::uint16_t> got = o.read<std::uint16_t>();
    for (std::uint64_t i = c.at * 256; i < (c.at + c.pad) * 256; ++i)
      ASSERT_TRUE(std::isfinite(bf16_to_float(got[i]))) << "padding row element " << i << " unwritten or NaN";
    got.erase(got.begin() + static_cast<std::ptrdiff_t>(c.at * 256), got.begin() + static_cast<std::ptrdiff_t>((c.at + c.pad) * 256));
    const test::RmsError e = test::error_vs(got, ElemType::bf16, test::attention_f64(x));
    EXPECT_TRUE(test::near_reference(e)) << "max " << e.max_ulps() << " rms " << e.rms_ulps() << " (element " << e.worst << ")";
  }
}

INSTANTIATE_TEST_SUITE_P(Kernels, GpuAttentionPadding, ::testing::Values(Kernel::flash, Kernel::flash32, Kernel::simple),
                         [](const auto& info) { return std::string(kernel_name(info.param)); });

TEST(GpuAttentionBench, EveryTileIsJudgedAndPassesOnAShortShape) {
  SKIP_WITHOUT_GPU();
  // The bench's judgement itself, on a shape the test can afford: both tiles at D = 128, the
  // simple kernel and float64 on the sampled rows, occupancy measured.
  const AttentionBench b = bench_attention(1000, 3, 128, ElemType::bf16, 2);
  ASSERT_EQ(b.tiles.size(), 2u);
  for (const FlashTile& t : b.tiles) {
    EXPECT_TRUE(t.ok()) << t.block_n << "-key tile: vs simple " << t.vs_simple.max_ulps << "/" << t.vs_simple.rms_ulps
                        << " (" << t.vs_simple.nonfinite << " non-finite), vs float64 " << t.vs_f64.max_ulps << "/"
                        << t.vs_f64.rms_ulps;
    EXPECT_EQ(t.vs_simple.compared, 1000u * 3 * 128);
    EXPECT_GE(t.blocks_per_sm, 1);
  }
  EXPECT_TRUE(within(b.simple_vs_f64, kAttentionBound));
  EXPECT_TRUE(b.ok());
}

class GpuAttentionOracle : public ::testing::TestWithParam<Kernel> {};

TEST_P(GpuAttentionOracle, OneKeyGivesItsValueAndEqualKeysGiveTheMean) {
  SKIP_WITHOUT_GPU();
  const Kernel kernel = GetParam();
  for (std::uint64_t d : {64u, 128u}) {
    if (kernel == Kernel::flash32 && d != 128) continue;
    const test::Qkv one = test::random_qkv(1, 3, d, ElemType::bf16, 31);
    EXPECT_EQ(on_gpu(kernel, one), one.v) << "one key, D = " << d;
    test::Qkv eq = test::random_qkv(100, 2, d, ElemType::bf16, 32);
    for (std::uint64_t s = 1; s < eq.seq; ++s) std::copy_n(eq.k.begin(), 2 * d, eq.k.begin() + s * 2 * d);
    std::vector<double> mean(eq.v.size());
    for (std::uint64_t i = 0; i < 2 * d; ++i) {
      double m = 0;
      for (std::uint64_t s = 0; s < eq.seq; ++s) m += bf16_to_float(eq.v[s * 2 * d + i]);
      for (std::uint64_t s = 0; s < eq.seq; ++s) mean[s * 2 * d + i] = m / eq.seq;
    }
    const test::RmsError e = test::error_vs(on_gpu(kernel, eq), ElemType::bf16, mean);
    EXPECT_TRUE(test::near_reference(e)) << "equal keys, D = " << d << ": max " << e.max_ulps() << " rms " << e.rms_ulps();
  }
}

INSTANTIATE_TEST_SUITE_P(Kernels, GpuAttentionOracle, ::testing::Values(Kernel::flash, Kernel::flash32, Kernel::simple));

TEST(GpuAttentionErrors, AKeyTileTheKernelLacksIsRefused) {
  SKIP_WITHOUT_GPU();
  const test::Qkv x = test::random_qkv(4, 1, 64, ElemType::bf16, 33);
  Dev q(x.q), k(x.k), v(x.v), o(x.q.size() * 2);
  AttentionParams p = x.params(o.p);
  p.q = q.p, p.k = k.p, p.v = v.p;
  EXPECT_THROW(attention_forward(p, nullptr, 32), std::invalid_argument);  // D = 64 has 64 only
  EXPECT_THROW(attention_forward(p, nullptr, 48), std::invalid_argument);
}

TEST(GpuPackFp8, ARowWithATinyAbsmaxIsAZeroRowNotNaN) {
  SKIP_WITHOUT_GPU();
  // One row of 1e-37 (below the inverse scale's float32 range) among ordinary rows: GPU and CPU
  // must both write codes 0 and scale 0, and the round trip must give zeros, never NaN.
  const LayerShape s = shape(2, 4, 128, true, ElemType::bf16);
  const LayerPlan plan = make_plan(s);
  LayerInputs in = make_inputs(s, 4);
  for (std::uint64_t d = 0; d < s.head_dim; ++d) in.qkv[0][1][d] = float_to_bf16(d == 5 ? 1e-37f : 0.0f);
  const RowMap pm = pack_map(plan, Exchange::qkv), um = unpack_map(plan, Exchange::qkv);
  std::vector<std::byte> cpu(plan.fwd_buffer_bytes());
  const std::uint16_t* src[3] = {in.qkv[0][0].data(), in.qkv[0][1].data(), in.qkv[0][2].data()};
  pack_cpu(pm, s.elem, src, cpu.data());
  Dev q(in.qkv[0][0]), k(in.qkv[0][1]), v(in.qkv[0][2]), packed(cpu.size());
  const void* gsrc[3] = {q.p, k.p, v.p};
  pack_gpu(pm, s.elem, gsrc, static_cast<std::byte*>(packed.p), nullptr);
  ok(cudaDeviceSynchronize());
  const auto gpu = packed.read<std::byte>();
  for (std::uint32_t j = 0; j < pm.blocks; ++j)
    ASSERT_EQ(std::memcmp(gpu.data() + j * pm.block_stride, cpu.data() + j * pm.block_stride, plan.fwd_block_bytes), 0);
  Dev a(in.qkv[0][0].size() * 2), b(in.qkv[0][0].size() * 2), c(in.qkv[0][0].size() * 2);
  void* dst[3] = {a.p, b.p, c.p};
  unpack_gpu(um, s.elem, static_cast<const std::byte*>(packed.p), dst, nullptr);
  ok(cudaDeviceSynchronize());
  const auto keys = b.read<std::uint16_t>();
  for (std::uint64_t i = 0; i < keys.size(); ++i) ASSERT_FALSE(std::isnan(bf16_to_float(keys[i]))) << "element " << i;
}

TEST(GpuPackFp8, ARowWithAnInfinityKeepsItsOtherElements) {
  SKIP_WITHOUT_GPU();
  // One infinity in a key row: GPU and CPU both scale by the finite elements and give it the NaN
  // code; the bytes agree and only that element decodes to NaN.
  const LayerShape s = shape(2, 4, 128, true, ElemType::bf16);
  const LayerPlan plan = make_plan(s);
  LayerInputs in = make_inputs(s, 4);
  in.qkv[0][1][7] = float_to_bf16(INFINITY);
  in.qkv[0][1][128 + 3] = float_to_bf16(-INFINITY);
  const RowMap pm = pack_map(plan, Exchange::qkv), um = unpack_map(plan, Exchange::qkv);
  std::vector<std::byte> cpu(plan.fwd_buffer_bytes());
  const std::uint16_t* src[3] = {in.qkv[0][0].data(), in.qkv[0][1].data(), in.qkv[0][2].data()};
  pack_cpu(pm, s.elem, src, cpu.data());
  Dev q(in.qkv[0][0]), k(in.qkv[0][1]), v(in.qkv[0][2]), packed(cpu.size());
  const void* gsrc[3] = {q.p, k.p, v.p};
  pack_gpu(pm, s.elem, gsrc, static_cast<std::byte*>(packed.p), nullptr);
  ok(cudaDeviceSynchronize());
  const auto gpu = packed.read<std::byte>();
  for (std::uint32_t j = 0; j < pm.blocks; ++j)
    ASSERT_EQ(std::memcmp(gpu.data() + j * pm.block_stride, cpu.data() + j * pm.block_stride, plan.fwd_block_bytes), 0);
  Dev a(in.qkv[0][0].size() * 2), b(in.qkv[0][0].size() * 2), c(in.qkv[0][0].size() * 2);
  void* dst[3] = {a.p, b.p, c.p};
  unpack_gpu(um, s.elem, static_cast<const std::byte*>(packed.p), dst, nullptr);
  ok(cudaDeviceSynchronize());
  // Rank 0's heads 0..1 of its tokens land in block 0 of the attention layout: token 0, head 0.
  const auto keys = b.read<std::uint16_t>();
  std::uint64_t nan = 0;
  for (std::uint64_t i = 0; i < s.seq_per_rank * s.heads_per_rank() * s.head_dim; ++i)
    nan += std::isnan(bf16_to_float(keys[i]));
  EXPECT_EQ(nan, 2u) << "only the two infinite elements";
}

TEST(GpuPackAlignment, AMisalignedTensorIsRefusedBeforeTheLaunch) {
  SKIP_WITHOUT_GPU();
  const LayerShape s = shape(2, 4, 64, false, ElemType::bf16);
  const LayerPlan plan = make_plan(s);
  Dev t(plan.input_bytes + 16), packed(plan.fwd_buffer_bytes());
  const void* src[3] = {static_cast<std::byte*>(t.p) + 8, t.p, t.p};
  EXPECT_THROW(pack_gpu(pack_map(plan, Exchange::qkv), s.elem, src, static_cast<std::byte*>(packed.p), nullptr),
               std::invalid_argument);
}

TEST(GpuPieceChecksum, EqualsTheCpuChecksumAtAnyOffsetAndLength) {
  SKIP_WITHOUT_GPU();
  std::vector<std::byte> host(3 << 20);
  for (std::size_t i = 0; i < host.size(); ++i) host[i] = static_cast<std::byte>(checksum_term(i, 1) >> 7);
  Dev d(host);
  Dev out(sizeof(std::uint64_t));
  for (const auto& [offset, bytes] : {std::pair<std::uint64_t, std::uint64_t>{0, 1}, {3, 5}, {1, 4097}, {17, (3 << 20) - 17},
                                      {100, 0}}) {
    piece_checksum_gpu(static_cast<const std::byte*>(d.p) + offset, bytes, static_cast<std::uint64_t*>(out.p), nullptr);
    ok(cudaDeviceSynchronize());
    EXPECT_EQ(out.read<std::uint64_t>()[0], piece_checksum(host.data() + offset, bytes)) << offset << " + " << bytes;
  }
}

#if UA2A_HAVE_NCCL
TEST(GpuNccl, OneRankCommunicatorSendsToItselfFinalizesAndAborts) {
  SKIP_WITHOUT_GPU();
  // What one GPU can exercise of NCCL: init, a group with a self send/receive (data checked),
  // finalize, abort, and a new communicator after the abort.
  const int version = nccl_one_rank_check(0, (1 << 20) + 3, 60);
  EXPECT_GT(version, 20000);
  RecordProperty("nccl_version", std::to_string(version));
}
#endif

TEST(GpuNccl, OneRankLayerRunsThroughTheTransport) {
  SKIP_WITHOUT_GPU();
  if (!find_transport("nccl").available) GTEST_SKIP() << "built without NCCL";
  // One rank: no piece crosses, but the transport's init, groups (the local copy), the ledger's
  // checksum all-gather and finalize all run.
  RunConfig c;
  c.transport = "nccl";
  c.shape = shape(1, 61, 128, false, ElemType::bf16, 5);
  c.shape.image_tokens = 58;
  c.check = true;
  c.iterations = 2;
  const RunReport r = run_layer(c, make_layer_programs(c.shape, "round-robin", Discipline::paired_full));
  EXPECT_TRUE(r.ok()) << r.forward_ledger.summary() << " max abs " << (r.errors.empty() ? -1 : r.errors[0].max_abs);
}

TEST(GpuLayerPadded, CudaPeerMatchesTheUnpaddedReference) {
  SKIP_WITHOUT_GPU();
  // 8 virtual ranks, S = 125 image tokens (s = 16, 3 padding), 5 text tokens, 4 chunks: the
  // end-to-end case of the device run's sanitizer steps.
  for (bool fp8 : {false, true}) {
    RunConfig c;
    c.transport = "cuda-peer";
    c.shape = shape(8, 16, 64, fp8, ElemType::bf16, 5);
    c.shape.image_tokens = 125;
    c.check = true;
    c.iterations = 2;
    const RunReport r = run_layer(c, make_layer_programs(c.shape, "round-robin", Discipline::paired_half, 4));
    EXPECT_TRUE(r.ok()) << (fp8 ? "fp8: " : "bf16: ") << r.forward_ledger.summary();
  }
}

class GpuLayerEndToEnd : public ::testing::TestWithParam<std::tuple<std::string, bool>> {};

TEST_P(GpuLayerEndToEnd, MatchesTheReferenceWithExactlyOnceDelivery) {
  SKIP_WITHOUT_GPU();
  const auto [transport, fp8] = GetParam();
  RunConfig c;
  c.transport = transport;
  // cuda-peer: 8 virtual ranks whatever the GPU count; nccl: one rank per visible GPU, and at
  // least two (a 1-rank run exchanges nothing and would pass without testing NCCL).
  const std::int32_t n = transport == "nccl" ? gpu_count() : 8;
  if (transport == "nccl" && !find_transport("nccl").available) GTEST_SKIP() << "built without NCCL";
  if (transport == "nccl" && n < 2) GTEST_SKIP() << "nccl end to end needs at least 2 GPUs, " << n << " visible";
  c.shape = shape(n, 19, 128, fp8, ElemType::bf16, 7);
  c.check = true;
  c.iterations = 2;  // every run checked: fresh inputs, poisoned workspace and outputs, fresh ledgers
  for (const char* algo : {"round-robin", "grouped"})
    for (Discipline d : {Discipline::paired_full, Discipline::grouped}) {
      if (std::string(algo) == "round-robin" && d == Discipline::grouped) continue;
      SCOPED_TRACE(std::string(algo) + " " + to_string(d));
      const RunReport r = run_layer(c, make_layer_programs(c.shape, algo, d, 2));
      EXPECT_EQ(r.checked_runs, 2u);
      EXPECT_TRUE(r.forward_ledger_ok) << r.forward_ledger.summary();
      EXPECT_TRUE(r.reverse_ledger_ok) << r.reverse_ledger.summary();
      for (std::size_t i = 0; i < r.errors.size(); ++i) EXPECT_TRUE(r.errors[i].ok()) << "rank " << i << " max abs " << r.errors[i].max_abs;
    }
  c.shape.ranks = n, c.shape.heads = 2 * n;
  const RunReport half = run_layer(c, make_layer_programs(c.shape, "round-robin", Discipline::paired_half));
  EXPECT_TRUE(half.ok());
}

INSTANTIATE_TEST_SUITE_P(Transports, GpuLayerEndToEnd,
                         ::testing::Combine(::testing::Values("cuda-peer", "nccl"), ::testing::Bool()));

TEST(GpuNccl, TwoRanksOnOneGpuAreRefusedClearly) {
  SKIP_WITHOUT_GPU();
  if (!find_transport("nccl").available) GTEST_SKIP() << "built without NCCL";
  RunConfig c;
  c.transport = "nccl";
  c.shape = shape(gpu_count() + 1, 4, 64, false, ElemType::bf16);
  try {
    run_layer(c, make_layer_programs(c.shape, "round-robin", Discipline::paired_full));
    FAIL() << "expected a refusal";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("NCCL refuses two ranks on one GPU"), std::string::npos) << e.what();
  }
}

// The probe's runner on the GPU: every flow set below moves its words exactly once, whichever GPU
// issues the copies and whether they go peer to peer or through host memory. 4 ranks share the
// visible GPUs when there are fewer (the check of the machinery still holds there).
class GpuFlowProber : public ::testing::TestWithParam<std::tuple<bool, bool>> {};

TEST_P(GpuFlowProber, EveryFlowSetArrivesExactlyOnce) {
  SKIP_WITHOUT_GPU();
  const auto [writes, peer] = GetParam();
  const std::int32_t n = 4;
  if (peer) {
    for (int a = 0; a < std::min(gpu_count(), n); ++a)
      for (int b = 0; b < std::min(gpu_count(), n); ++b)
        if (a != b && !gpus_can_peer(a, b)) GTEST_SKIP() << "GPUs " << a << " and " << b << " cannot peer";
  }
  FlowProbeConfig c;
  c.transport = "cuda-peer";
  c.warmup = 1;
  c.iterations = 2;
  c.share_gpus = gpu_count() < n;
  FlowProber prober(c, n, (1 << 20) + 4);  // not a multiple of the block alignment
  const std::vector<std::vector<std::pair<Rank, Rank>>> sets = {
      {{0, 1}}, {{0, 1}, {1, 0}}, {{0, 1}, {0, 2}, {0, 3}, {1, 0}, {2, 0}, {3, 0}}, {{0, 3}, {1, 2}, {2, 1}, {3, 0}}};
  for (const auto& flows : sets) {
    const FlowTiming t = prober.time({flows, writes, peer});
    EXPECT_EQ(t.wrong_words, 0u) << flows.size() << " flows";
    EXPECT_TRUE(t.ledger_ok) << t.ledger.summary();
    EXPECT_EQ(t.ledger.arrived, flows.size());
    EXPECT_GT(t.min_s, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(WritesAndPeerAccess, GpuFlowProber, ::testing::Combine(::testing::Bool(), ::testing::Bool()));

TEST(GpuFlowProber, MoreRanksThanGpusAreRefusedUnlessShared) {
  SKIP_WITHOUT_GPU();
  FlowProbeConfig c;
  c.transport = "cuda-peer";
  try {
    FlowProber(c, gpu_count() + 1, 64);
    FAIL() << "more ranks than GPUs were accepted";
  } catch (const TransportError& e) {
    EXPECT_NE(std::string(e.what()).find("every rank needs a GPU of its own"), std::string::npos) << e.what();
  }
}
