#!/usr/bin/env python3
"""The targets of scripts/device-check.sh: every figure a ratio measured in the same run, and every
GPU output at the real shapes judged against its stated bound, read from the JSON the bench and
torch steps wrote (LOGS/<step>.log). Usage: device_summary.py LOGS.
Prints one line per target (PASS / FAIL) and exits 1 when any target failed or its input is missing."""
import json, os, sys
out = sys.argv[1]
def load(name):
    try:
        with open(os.path.join(out, name)) as f:
            return json.load(f)
    except Exception as e:
        return {"error": f"{name}: {e}"}
k = load("bench-kernels.log").get("kernels", {})
t = load("torch-baselines.log")
lb, lf = load("bench-layer-bf16.log").get("layer", {}), load("bench-layer-fp8.log").get("layer", {})
rows, ok = [], True
def target(name, value, limit, better, note=""):
    global ok
    if value is None:
        rows.append((name, "n/a", limit, "FAIL", note)); ok = False; return
    good = value >= limit if better == ">=" else value == limit if better == "==" else value <= limit
    ok &= good
    shown = f"{value}" if isinstance(value, int) else f"{value:.3f}"
    rows.append((name, shown, f"{better} {limit}", "PASS" if good else "FAIL", note))
def ratio(a, b):
    return a / b if a and b else None
copy = k.get("copy_gbps")
print(f"targets on {k.get('device', '?')} (PyTorch {t.get('torch', '?')} on {t.get('device', '?')})")
print(f"  device copy: ours {copy or 0:.0f} GB/s, PyTorch {t.get('copy_gbps', 0):.0f} GB/s (read + write)")
print(f"  pack: {k.get('pack_gbps', 0):.0f} GB/s, with FP8 {k.get('pack_fp8_gbps', 0):.0f} GB/s; PyTorch pack "
      f"{t.get('pack_gbps', 0):.0f} GB/s ({100 * (ratio(t.get('pack_gbps'), t.get('copy_gbps')) or 0):.0f} % of its copy), "
      f"its FP8 quantisation {t.get('fp8_quant_gbps_of_input', 0):.0f} GB/s of input")
print(f"  unpack: {k.get('unpack_gbps', 0):.0f} GB/s, with FP8 {k.get('unpack_fp8_gbps', 0):.0f} GB/s "
      f"({(k.get('unpack_fp8_s') or 0) * 1e3:.3f} ms vs PyTorch dequantise + unpack {(t.get('unpack_dequant_s') or 0) * 1e3:.3f} ms)")
print(f"  8-rank exchange: cuda-peer {(k.get('exchange_s') or 0) * 1e3:.3f} ms, one plain copy of the same bytes "
      f"{(k.get('plain_copy_s') or 0) * 1e3:.3f} ms, PyTorch 64 tensor copies {(t.get('all_to_all_copies_s') or 0) * 1e3:.3f} ms")
target("pack+FP8 / device copy", ratio(k.get("pack_fp8_gbps"), copy), 0.80, ">=")
target("unpack+FP8 / device copy", ratio(k.get("unpack_fp8_gbps"), copy), 0.80, ">=")
target("cuda-peer exchange / plain copy", ratio(k.get("exchange_s"), k.get("plain_copy_s")), 1.3, "<=")
# Memory: the bf16 layer against send + receive + attention output, allowing cudaMalloc's 2 MiB
# granularity. The FP8 layer is reported, not judged: its attention inputs are dequantised bf16
# q, k, v, larger than the FP8 send buffer whose region they reuse.
GRAIN = 2 << 20
m, lim = lb.get("measured_bytes_per_rank"), lb.get("send_recv_out_bytes")
target("extra memory per rank / (send + recv + out), bf16", ratio(m, lim + GRAIN if lim else None), 1.0, "<=",
       f"{(m or 0) / 1e6:.1f} MB measured, limit {(lim or 0) / 1e6:.1f} MB + 2 MiB granularity")
m8, lim8 = lf.get("measured_bytes_per_rank"), lf.get("send_recv_out_bytes")
rows.append(("extra memory per rank / (send + recv + out), fp8", f"{ratio(m8, lim8) or 0:.3f}", "info", "INFO",
             f"{(m8 or 0) / 1e6:.1f} MB measured vs {(lim8 or 0) / 1e6:.1f} MB: bf16 attention inputs exceed the FP8 send buffer"))
for name, layer in (("bf16", lb), ("fp8", lf)):
    if layer:
        print(f"  layer 480p {name}, ms: pack {layer['pack_s']*1e3:.3f} exchange {layer['exchange_s']*1e3:.3f} "
              f"unpack {layer['unpack_s']*1e3:.3f} attention {layer['attention_s']*1e3:.1f} "
              f"({layer['attention_tflops']:.1f} TFLOP/s, flash kernel) reverse pack {layer['reverse_pack_s']*1e3:.3f} "
              f"reverse exchange {layer['reverse_exchange_s']*1e3:.3f} reverse unpack {layer['reverse_unpack_s']*1e3:.3f}")
# Correctness at the real shapes (issue 24): every GPU output judged against its bound; a missing
# input is a failure, never a pass.
vs_cpu = k.get("vs_cpu")
target("pack/unpack 720p N=8 vs CPU: bytes/elements differing", None if vs_cpu is None else
       sum(vs_cpu.get(f, 1) for f in ("pack_bytes_differing", "pack_fp8_bytes_differing",
                                      "unpack_elements_differing", "unpack_fp8_elements_differing"))
       + (0 if vs_cpu.get("pack_bytes_compared") and vs_cpu.get("unpack_elements_compared") else 1), 0, "<=",
       "bf16 and fp8, one rank, poisoned outputs" if vs_cpu else "bench-kernels.log has no vs_cpu")
ours = load("bench-attention.log").get("attention")
if not ours:
    target("attention judged at the real shapes", None, 0, "<=", "bench-attention.log has no attention rows")
ours = ours or []
def judged(name, e, bound):
    if not isinstance(e, dict) or e.get("compared", 0) == 0:
        target(name, None, 0, "<=", "not measured"); return
    if e.get("nonfinite", 0):
        target(name + ": NaN/Inf", e["nonfinite"], 0, "<="); return
    target(name + ": max ulps", e["max_ulps"], bound["max_ulps"], "<=", f"rms {e['rms_ulps']:.2f} (<= {bound['rms_ulps']})")
    if e["rms_ulps"] > bound["rms_ulps"]:
        target(name + ": rms ulps", e["rms_ulps"], bound["rms_ulps"], "<=")
occupancy_seen = set()
for o in ours:
    b = o.get("bound", {"max_ulps": 16, "rms_ulps": 2})
    judged(f"attention S={o['seq']} h={o['heads']} simple vs float64", o.get("simple_vs_f64"), b)
    for t in o.get("tiles", []):
        name = f"attention S={o['seq']} h={o['heads']} {t['block_n']}-key"
        judged(name + " vs simple", t.get("vs_simple"), b)
        judged(name + " vs float64", t.get("vs_f64"), b)
        if (o["head_dim"], t["block_n"]) in occupancy_seen:
            continue  # one line per configuration, not per shape
        occupancy_seen.add((o["head_dim"], t["block_n"]))
        if t.get("documented_blocks_per_sm"):
            target(f"flash D={o['head_dim']} {t['block_n']}-key blocks/SM = docs' figure", t.get("blocks_per_sm"),
                   t["documented_blocks_per_sm"], "==", f"sm_{o.get('compute_capability')}")
        else:
            rows.append((f"flash D={o['head_dim']} {t['block_n']}-key blocks/SM", str(t.get("blocks_per_sm")), "info",
                         "INFO", f"no docs figure for sm_{o.get('compute_capability')}"))
# Attention speed (issue 8): ours against PyTorch's SDPA flash (target >= 60 % at both Wan shapes) and cuDNN.
ours_attn = {(r["seq"], r["heads"]): r for r in ours}
torch_attn = {(r["seq"], r["heads"]): r for r in load("torch-attention.log").get("attention", [])}
for key in sorted(ours_attn, key=lambda x: -x[0]):
    o, p = ours_attn[key], torch_attn.get(key, {})
    print(f"  attention S = {key[0]}, h = {key[1]}: flash kernel {o['flash_tflops']:.0f} TFLOP/s; PyTorch flash "
          f"{p.get('flash_tflops', 0):.0f}, cuDNN {p.get('cudnn_tflops', 0):.0f} TFLOP/s; simple kernel "
          f"{o.get('simple_tflops', 0):.1f}; " + ", ".join(f"{t['block_n']}-key {t['tflops']:.0f}" for t in o.get("tiles", [])))
    if key[1] == 5:
        target(f"attention S={key[0]} / PyTorch flash", ratio(o["flash_tflops"], p.get("flash_tflops")), 0.60, ">=",
               f"cuDNN ratio {ratio(o['flash_tflops'], p.get('cudnn_tflops')) or 0:.2f}")
print(f"  {'target':58} {'value':>8} {'limit':>8}  verdict")
for r in rows:
    print(f"  {r[0]:58} {r[1]:>8} {r[2]:>8}  {r[3]}  {r[4]}")
print("targets:", "PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
