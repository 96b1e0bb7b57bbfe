"""ulysses_attention against a single-process reference of the same attention, one process per
rank on gloo. Three checks per configuration:
  1. what attention receives on every rank equals, byte for byte, its heads of the global
     sequence (image tokens in rank order, then text), FP8 through an independent quantiser;
  2. with attention = identity the layer returns its input (FP8: quantised twice): the reverse
     exchange and the text all-gather, byte for byte;
  3. with the default attention the output matches attention over the global sequence.
The FP8 quantiser here is written from the format's definition (docs/reference/ulysses-4090.md:
scale = absmax / 448 per token and head, e4m3 round to nearest even, saturating), not from the
library's code."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

harness.require_torch()
import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402

from ulysses_a2a.torch import sdpa_attention, ulysses_attention  # noqa: E402


def e4m3_values():
    """The non-negative finite e4m3 values by code 0x00 .. 0x7E (0x7F is NaN)."""
    values = []
    for code in range(0x7F):
        exponent, mantissa = code >> 3, code & 7
        values.append(mantissa / 8 * 2.0 ** -6 if exponent == 0 else (1 + mantissa / 8) * 2.0 ** (exponent - 7))
    return torch.tensor(values, dtype=torch.float64)


E4M3 = e4m3_values()


def e4m3_round(y):
    """float32 -> the nearest e4m3 value (ties to the even code), saturating at 448."""
    a = y.double().abs().clamp(max=448.0)
    hi = torch.searchsorted(E4M3, a).clamp(max=len(E4M3) - 1)
    lo = (hi - 1).clamp(min=0)
    d_lo, d_hi = a - E4M3[lo], E4M3[hi] - a
    pick = torch.where(d_lo < d_hi, lo, torch.where(d_hi < d_lo, hi, torch.where(lo % 2 == 0, lo, hi)))
    return (E4M3[pick] * torch.sign(y.double())).float()


def fp8_roundtrip(x):
    """Quantise each row of D (one token, one head) with scale absmax / 448 and dequantise."""
    xf = x.float()
    absmax = xf.abs().amax(dim=-1, keepdim=True)
    tiny = absmax < 2.0 ** -119  # a zero row (numeric.h): codes and scale 0
    inv = torch.where(tiny, torch.zeros_like(absmax), torch.full_like(absmax, 448.0) / absmax)
    scale = torch.where(tiny, torch.zeros_like(absmax), absmax / 448.0)
    return (e4m3_round(xf * inv) * scale).to(x.dtype)


class Config:
    def __init__(self, name, dtype, heads, dim, seq, text, fp8=False, merged=True, **kwargs):
        self.name, self.dtype, self.heads, self.dim, self.seq, self.text = name, dtype, heads, dim, seq, text
        self.fp8, self.merged, self.kwargs = fp8, merged, kwargs

    def call(self, q, k, v, group, attention):
        return ulysses_attention(q, k, v, group=group, attention=attention, fp8=self.fp8, merged=self.merged,
                                 text_tokens=self.text, **self.kwargs)


def global_inputs(cfg, n):
    """q, k, v of the whole sequence [N*s + L, H, D] (image tokens in rank order, then text); the
    same on every rank (one seed)."""
    gen = torch.Generator().manual_seed(7)
    shape = (n * cfg.seq + cfg.text, cfg.heads, cfg.dim)
    return [torch.randn(shape, generator=gen).mul(1.5).to(cfg.dtype) for _ in range(3)]


def local_rows(x, cfg, me):
    """Rank me's input: its s image tokens, then the replicated text."""
    n_s = x.shape[0] - cfg.text
    return torch.cat([x[me * cfg.seq:(me + 1) * cfg.seq], x[n_s:]]).contiguous()


def wire(x, cfg, image_rows):
    """What the wire delivers of x's first image_rows rows (FP8: quantised), text rows untouched."""
    if not cfg.fp8:
        return x
    return torch.cat([fp8_roundtrip(x[:image_rows]), x[image_rows:]])


def check_config(cfg, group, result, label):
    n, me = dist.get_world_size(group), dist.get_rank(group)
    h, n_s = cfg.heads // n, n * cfg.seq
    full = global_inputs(cfg, n)
    mine = [local_rows(x, cfg, me) for x in full]
    heads = slice(me * h, (me + 1) * h)

    # 1. attention's inputs: my heads of the global sequence, as the wire delivers them.
    seen = []

    def capture(q, k, v):
        seen.extend([q.clone(), k.clone(), v.clone()])
        return sdpa_attention(q, k, v)
    cfg.call(*mine, group, capture)
    for got, x in zip(seen, full):
        expected = wire(x, cfg, n_s)[:, heads]
        assert got.dtype == x.dtype and torch.equal(got, expected), f"{label}: attention input on rank {me}"
    result["checked"].append(f"{label} inputs")

    # 2. identity attention: the layer gives back q (FP8: quantised on the way there and back).
    out = cfg.call(*mine, group, lambda q, k, v: q.clone())
    expected = local_rows(wire(wire(full[0], cfg, n_s), cfg, n_s), cfg, me)
    assert out.shape == mine[0].shape and torch.equal(out, expected), f"{label}: identity round trip on rank {me}"
    result["checked"].append(f"{label} identity")

    # 3. the layer against attention over the global sequence, on one process. With FP8 the output
    # is quantised again on the way back: the reference is too, and a value near a rounding boundary
    # may land one e4m3 step (1/8 relative) away.
    out = cfg.call(*mine, group, None)
    reference = local_rows(wire(sdpa_attention(*[wire(x, cfg, n_s) for x in full]), cfg, n_s), cfg, me)
    atol = 1e-5 if cfg.dtype == torch.float32 else 2e-2  # one bf16/fp16 rounding of a value below 2
    rtol = 0.125 if cfg.fp8 else 0.0
    excess = ((out.float() - reference.float()).abs() - atol - rtol * reference.float().abs()).max().item()
    assert excess <= 0, f"{label}: layer differs from the reference by {excess} beyond tolerance on rank {me}"
    result["checked"].append(f"{label} reference")


CONFIGS = {
    1: [Config("bf16 text", torch.bfloat16, 4, 16, 5, 3)],
    3: [Config("bf16 text", torch.bfloat16, 6, 16, 4, 4),
        Config("fp8 merged text", torch.bfloat16, 6, 16, 4, 2, fp8=True)],
    4: [Config("bf16", torch.bfloat16, 8, 16, 6, 0),
        Config("fp8 merged text", torch.bfloat16, 8, 16, 6, 5, fp8=True),
        Config("fp16 fp8 unmerged", torch.float16, 8, 32, 3, 3, fp8=True, merged=False),
        Config("fp32 unmerged text", torch.float32, 4, 8, 5, 5, merged=False),
        Config("bf16 paired-half chunks", torch.bfloat16, 8, 16, 6, 2, discipline="paired-half", chunks=2),
        # A schedule file (ulysses-a2a synthesize --ranks 4 on 4090x8-2s-sw, P2P): its order and discipline.
        Config("fp8 synthesised schedule", torch.bfloat16, 8, 16, 6, 3, fp8=True,
               schedule=os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "synth-4.json"))],
}
MESH_CONFIG = Config("mesh fp8 text", torch.bfloat16, 4, 16, 4, 3, fp8=True)


def layer_main(rank, world, result):
    for cfg in CONFIGS[world]:
        check_config(cfg, None, result, f"world {world} {cfg.name}")
    if world == 4:  # a 2 x 2 CFG x Ulysses mesh, Ulysses groups interleaved: {0, 2} and {1, 3}
        groups = [dist.new_group([0, 2]), dist.new_group([1, 3])]
        check_config(MESH_CONFIG, groups[rank % 2], result, f"mesh group {rank % 2}")


class LayerAgainstReference(unittest.TestCase):
    def run_world(self, n):
        results = harness.spawn_world(n, layer_main)
        harness.assert_world_ok(self, results, 3 * (len(CONFIGS[n]) + (n == 4)))

    def test_world_1(self):
        self.run_world(1)

    def test_world_3(self):
        self.run_world(3)

    def test_world_4(self):
        self.run_world(4)


class IndependentQuantiser(unittest.TestCase):
    """The test's own quantiser, on values whose codes are known from the e4m3 table."""

    def test_exact_values_ties_and_saturation(self):
        y = torch.tensor([0.0, 1.0, 1.0625, 1.1875, 448.0, 500.0, -3.0, 2.0 ** -9, 3 * 2.0 ** -10])
        # 1.0625 lies halfway between 1.0 (code 0x38, even) and 1.125 (0x39): to 1.0; 1.1875 halfway
        # between 1.125 (0x39) and 1.25 (0x3A, even): to 1.25; 3 * 2^-10 halfway between 2^-9 (0x01)
        # and 2^-8 (0x02, even): to 2^-8.
        expected = torch.tensor([0.0, 1.0, 1.0, 1.25, 448.0, 448.0, -3.0, 2.0 ** -9, 2.0 ** -8])
        self.assertTrue(torch.equal(e4m3_round(y), expected), e4m3_round(y))

    def test_row_scale(self):
        row = torch.tensor([[448.0, -224.0, 1.0, 0.0]], dtype=torch.bfloat16)  # absmax 448: scale 1
        self.assertTrue(torch.equal(fp8_roundtrip(row), row))


if __name__ == "__main__":
    unittest.main(verbosity=2)
