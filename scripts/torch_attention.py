#!/usr/bin/env python3
"""PyTorch's scaled_dot_product_attention with the flash and the cuDNN backends, for
scripts/device-check.sh: the same shapes as `ulysses-a2a bench --attention`, bf16, non-causal,
measured on the same GPU in the same run. Prints one JSON object. TFLOP/s = 4 S^2 D h / time.
"""
import json
import sys

SHAPES = [(33272, 5, 128), (76112, 5, 128), (8192, 40, 128)]  # (S, heads, D), as bench --attention


def main():
    try:
        import torch
        from torch.nn.attention import SDPBackend, sdpa_kernel
        from torch.nn.functional import scaled_dot_product_attention as sdpa
    except ImportError as e:
        print(json.dumps({"error": f"PyTorch with torch.nn.attention is needed: {e}"}))
        return 1
    if not torch.cuda.is_available():
        print(json.dumps({"error": "no CUDA device visible to PyTorch"}))
        return 1
    iterations = 10
    rows = []
    for S, h, D in SHAPES:
        q, k, v = (torch.randn(1, h, S, D, device="cuda", dtype=torch.bfloat16) for _ in range(3))
        row = {"seq": S, "heads": h, "head_dim": D}
        for name, backend in (("flash", SDPBackend.FLASH_ATTENTION), ("cudnn", SDPBackend.CUDNN_ATTENTION)):
            try:
                with sdpa_kernel(backend):
                    sdpa(q, k, v)
                    torch.cuda.synchronize()
                    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                    start.record()
                    for _ in range(iterations):
                        sdpa(q, k, v)
                    end.record()
                    end.synchronize()
                seconds = start.elapsed_time(end) / 1e3 / iterations
                row[f"{name}_s"] = seconds
                row[f"{name}_tflops"] = 4.0 * S * S * D * h / seconds / 1e12
            except RuntimeError as e:  # a backend this GPU or build lacks
                row[f"{name}_error"] = str(e).splitlines()[0]
        rows.append(row)
    print(json.dumps({"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "attention": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
