// GPU tests: every kernel against its CPU version, the layer end to end over cuda-peer (8 virtual
// ranks, whatever the GPU count) and nccl (one rank per visible GPU). Skipped cleanly without a GPU.
#include <gtest/gtest.h>

#include <cuda_runtime.h>

#include <cmath>
#include <cstring>

#include "backend/attention.h"
#include "backend/cpu_kernels.h"
#include "backend/cuda/kernels.h"
#include "backend/layer.h"
#include "backend/runner.h"

using namespace ua2a;

namespace {

#define SKIP_WITHOUT_GPU() \
  if (gpu_count() == 0) GTEST_SKIP() << "no CUDA GPU visible"

void ok(cudaError_t e) { ASSERT_EQ(e, cudaSuccess) << cudaGetErrorString(e); }

/// A device copy of a host vector, freed at scope exit.
struct Dev {
  void* p = nullptr;
  std::size_t bytes = 0;
  explicit Dev(std::size_t n) : bytes(n) { ok(cudaMalloc(&p, n ? n : 1)); ok(cudaMemset(p, 0, n ? n : 1)); }
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

enum class Kernel { flash, simple };

class GpuAttention : public ::testing::TestWithParam<std::tuple<int, int, ElemType, Kernel>> {};

TEST_P(GpuAttention, MatchesTheCpuAttention) {
  SKIP_WITHOUT_GPU();
  const auto [seq, d, elem, kernel] = GetParam();
  const std::uint64_t heads = 3;
  std::vector<std::uint16_t> x[3];
  for (int t = 0; t < 3; ++t) {
    x[t].resize(seq * heads * d);
    for (std::size_t i = 0; i < x[t].size(); ++i) x[t][i] = float_to_elem(input_value(t, i / (heads * d), (i / d) % heads, i % d, 5), elem);
  }
  std::vector<std::uint16_t> want(x[0].size());
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  attention_cpu({x[0].data(), x[1].data(), x[2].data(), want.data(), static_cast<std::uint64_t>(seq), heads,
                 static_cast<std::uint64_t>(d), scale, elem});
  Dev q(x[0]), k(x[1]), v(x[2]), o(want.size() * 2);
  const AttentionParams params{q.p, k.p, v.p, o.p, static_cast<std::uint64_t>(seq), heads, static_cast<std::uint64_t>(d), scale, elem};
  kernel == Kernel::flash ? attention_forward(params, nullptr) : attention_forward_simple(params, nullptr);
  ok(cudaDeviceSynchronize());
  const auto got = o.read<std::uint16_t>();
  for (std::size_t i = 0; i < got.size(); ++i) {
    const float a = elem_to_float(got[i], elem), b = elem_to_float(want[i], elem);
    ASSERT_LE(std::fabs(a - b), 1e-2 + 1e-2 * std::fabs(b)) << "element " << i;
  }
}

// Lengths around the 16-row, 32-key (simple) and 64-row, 64-key (flash) tiles, and a long one.
INSTANTIATE_TEST_SUITE_P(Shapes, GpuAttention,
                         ::testing::Combine(::testing::Values(1, 31, 33, 63, 65, 100, 1029), ::testing::Values(64, 128),
                                            ::testing::Values(ElemType::bf16, ElemType::fp16),
                                            ::testing::Values(Kernel::flash, Kernel::simple)));

class GpuLayerEndToEnd : public ::testing::TestWithParam<std::tuple<std::string, bool>> {};

TEST_P(GpuLayerEndToEnd, MatchesTheReferenceWithExactlyOnceDelivery) {
  SKIP_WITHOUT_GPU();
  const auto [transport, fp8] = GetParam();
  RunConfig c;
  c.transport = transport;
  // cuda-peer: 8 virtual ranks whatever the GPU count; nccl: one rank per visible GPU.
  const std::int32_t n = transport == "nccl" ? gpu_count() : 8;
  if (transport == "nccl" && !find_transport("nccl").available) GTEST_SKIP() << "built without NCCL";
  c.shape = shape(n, 19, 128, fp8, ElemType::bf16, 7);
  c.check = true;
  c.iterations = 2;  // the second run reuses the workspace
  for (const char* algo : {"round-robin", "grouped"})
    for (Discipline d : {Discipline::paired_full, Discipline::grouped}) {
      if (std::string(algo) == "round-robin" && d == Discipline::grouped) continue;
      SCOPED_TRACE(std::string(algo) + " " + to_string(d));
      const RunReport r = run_layer(c, make_layer_programs(c.shape, algo, d, 2));
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
