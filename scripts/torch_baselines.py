#!/usr/bin/env python3
"""PyTorch baselines for scripts/device-check.sh, measured on the same GPU in the same run.

What a user of the reference implementation gets today for the per-rank work of merged-QKV
Ulysses (see ../shared/reference/pcie-facts.md): a device copy, the stack + permute pack, the
per-row FP8 quantisation, the dequantise + unpack, and the 8-virtual-rank all-to-all done as N*N
tensor copies. Prints one JSON object. GB/s = 10^9 bytes/s; bytes counted as in pcie-facts.md.
"""
import argparse
import json
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--ranks", type=int, default=8)
    ap.add_argument("--seq", type=int, default=9450, help="tokens per rank s (720p Wan2.1-14B, N = 8)")
    ap.add_argument("--heads", type=int, default=40)
    ap.add_argument("--head-dim", type=int, default=128)
    ap.add_argument("--iterations", type=int, default=20)
    a = ap.parse_args()
    try:
        import torch
    except ImportError:
        print(json.dumps({"error": "PyTorch is not installed"}))
        return 1
    if not torch.cuda.is_available():
        print(json.dumps({"error": "no CUDA device visible to PyTorch"}))
        return 1
    n, s, H, D = a.ranks, a.seq, a.heads, a.head_dim
    h = H // n
    dev = torch.device("cuda")
    gen = torch.Generator(device=dev).manual_seed(1)
    q, k, v = (torch.randn(s, H, D, device=dev, dtype=torch.bfloat16, generator=gen) for _ in range(3))
    in_bytes = 3 * s * H * D * 2

    def timed(fn):
        fn()
        torch.cuda.synchronize()
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(a.iterations):
            fn()
        end.record()
        end.synchronize()
        return start.elapsed_time(end) / 1e3 / a.iterations

    src = torch.stack([q, k, v])
    dst = torch.empty_like(src)
    copy_s = timed(lambda: dst.copy_(src))

    def pack():  # the reference: stack, split heads per destination, contiguous
        return torch.stack([q, k, v]).view(3, s, n, h, D).permute(2, 0, 1, 3, 4).contiguous()
    pack_s = timed(pack)

    def quantise():  # one float32 scale per (tensor, token, head) row = absmax / 448
        x = torch.stack([q, k, v]).float()
        scale = x.abs().amax(dim=-1, keepdim=True) / 448.0
        return (x / scale.clamp_min(1e-12)).to(torch.float8_e4m3fn), scale
    quant_s = timed(quantise)

    packed = pack()
    codes, scale = quantise()
    codes_blocks = codes.view(3, s, n, h, D).permute(2, 0, 1, 3, 4).contiguous()
    scale_blocks = scale.view(3, s, n, h, 1).permute(2, 0, 1, 3, 4).contiguous()

    def unpack():  # dequantise and concatenate by source: [3, N*s, h, D]
        x = (codes_blocks.float() * scale_blocks).to(torch.bfloat16)
        return x.permute(1, 0, 2, 3, 4).reshape(3, n * s, h, D)
    unpack_s = timed(unpack)

    blocks = [[packed[j].clone() for j in range(n)] for _ in range(n)]
    recv = [[torch.empty_like(packed[0]) for _ in range(n)] for _ in range(n)]

    def all_to_all():  # 8 virtual ranks on one GPU: N*N tensor copies
        for i in range(n):
            for j in range(n):
                recv[j][i].copy_(blocks[i][j])
    a2a_s = timed(all_to_all)
    a2a_bytes = n * n * packed[0].numel() * 2

    print(json.dumps({
        "device": torch.cuda.get_device_name(0), "torch": torch.__version__,
        "shape": {"ranks": n, "seq_per_rank": s, "heads": H, "head_dim": D},
        "copy_gbps": 2 * in_bytes / copy_s / 1e9,
        "pack_s": pack_s, "pack_gbps": 2 * in_bytes / pack_s / 1e9,
        "fp8_quant_s": quant_s, "fp8_quant_gbps_of_input": in_bytes / quant_s / 1e9,
        "unpack_dequant_s": unpack_s,
        "all_to_all_copies_s": a2a_s, "all_to_all_bytes": a2a_bytes,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
