#!/usr/bin/env python3
"""Regenerates docs/validation.md section 5's tables: every box of docs/validation/measurements
fitted with `ulysses-a2a calibrate --measurements` (uncalibrated, fitted and left-out predictions).
Usage: python3 scripts/validation_tables.py [path/to/ulysses-a2a]   (default build/cli/ulysses-a2a)."""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOL = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build/cli/ulysses-a2a")
NAMES = {"4090x4": "C1/C2: 4 x 4090, one socket (preset `4090x4`)", "c7": "C7: tinybox, 6 x 4090 on AMD root ports",
         "c13": "C13: 2 x EPYC 9124, 8 x RTX PRO 6000 on root ports", "c15": "C15: PEX890xx, inside one switch",
         "c16": "C16: Threadripper Pro, 2 switches of 4", "c14": "C14: 2 x EPYC 9575F, Broadcom PEX890xx switches"}


def calibrate(doc):
    with tempfile.TemporaryDirectory() as tmp:
        cal = os.path.join(tmp, "cal.json")
        subprocess.run([TOOL, "calibrate", "--measurements", f"docs/validation/measurements/{doc}.json",
                        "-o", os.path.join(tmp, "fitted.dot"), "--json-out", cal], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        return json.load(open(cal))


def moved(c):
    m = [f"{p['name']} {p['start']:.4g} -> {p['value']:.4g}" for p in c["parameters"]
         if abs(p["value"] - p["start"]) > 1e-3 * max(1, abs(p["start"]))]
    return ", ".join(m) if m else "nothing moved"


def pct(e):
    return f"{100 * e:+.1f} %"


out = []
for doc, name in NAMES.items():
    c = calibrate(doc)
    out += [f"**{name}** (`docs/validation/measurements/{doc}.json`): fitted {moved(c)}", "",
            "| point | measured GB/s | uncalibrated | fitted | left out |", "|---|---|---|---|---|"]
    for p in c["points"]:
        out.append(f"| {p['name']} | {p['measured_gbps']:.4g} | {p['uncalibrated_gbps']:.4g} ({pct(p['uncalibrated_error'])}) "
                   f"| {p['fitted_gbps']:.4g} ({pct(p['fitted_error'])}) | {p['loo_gbps']:.4g} ({pct(p['loo_error'])}) |")
    out += [f"| worst | | {100 * c['uncalibrated_worst']:.1f} % | {100 * c['fit_worst']:.1f} % | {100 * c['loo_worst']:.1f} % |", ""]
c = calibrate("nccl814")
out += ["**NVIDIA/nccl #814: 6 x RTX 4090 on an AMD host, a whole p2pBandwidthLatencyTest imported** (`measure import "
        "tests/sim/data/measure/p2p_6x4090_nccl814.txt --box docs/validation/boxes/nccl814-6x4090.dot`: 90 points, "
        f"`docs/validation/measurements/nccl814.json`): fitted {moved(c)}", "",
        "| matrix (30 one-way pairs each) | measured GB/s | uncalibrated worst | fitted worst | left out worst |",
        "|---|---|---|---|---|"]
groups = {}
for p in c["points"]:
    groups.setdefault(p["name"].split(": ")[1].split(",")[0], []).append(p)
for g, ps in groups.items():
    ms = [p["measured_gbps"] for p in ps]
    worst = lambda k: max(abs(p[k]) for p in ps)
    out.append(f"| {g} | {min(ms):.2f}-{max(ms):.2f} | {100 * worst('uncalibrated_error'):.1f} % | "
               f"{100 * worst('fitted_error'):.1f} % | {100 * worst('loo_error'):.1f} % |")
out += [f"| all 90 | | {100 * c['uncalibrated_worst']:.1f} % | {100 * c['fit_worst']:.1f} % | {100 * c['loo_worst']:.1f} % |", ""]

path = os.path.join(ROOT, "docs/validation.md")
text = open(path).read()
a, b = text.index("**C1/C2: 4 x 4090, one socket"), text.index("**What this says.**")
open(path, "w").write(text[:a] + "\n".join(out) + "\n" + text[b:])
print("docs/validation.md section 5 regenerated")
