#!/usr/bin/env bash
# Regenerates the table of docs/synthesize.md: `ulysses-a2a synthesize` on every 4090 preset and
# every transport a 4090 box runs, the synthesised schedule against the best study schedule and
# the bound. Usage: scripts/synthesize-table.sh [BUILD_DIR] [extra synthesize options...]
set -euo pipefail
build=${1:-build}
shift || true
cli="$build/cli/ulysses-a2a"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for box in 4090x4 4090x8-2s 4090x8-2s-sw 4090x8-sw2; do
  for transport in shm cuda-staged p2p cuda-p2p; do
    start=$(date +%s.%N)
    "$cli" synthesize -t "$box" --p2p --transport "$transport" -o "$out/$box-$transport.sched.json" \
      --json-out "$out/$box-$transport.json" "$@" >/dev/null
    end=$(date +%s.%N)
    echo "$end - $start" | bc > "$out/$box-$transport.seconds"
  done
done
python3 - "$out" <<'PY'
import json, pathlib, sys
out = pathlib.Path(sys.argv[1])
print("| box | transport | synthesised (ms) | best study (ms) | schedule | vs best study | vs grouped | vs reference | bound (ms) | efficiency | winner | seconds |")
print("|---|---|---:|---:|---|---:|---:|---:|---:|---:|---|---:|")
for box in ["4090x4", "4090x8-2s", "4090x8-2s-sw", "4090x8-sw2"]:
    for t in ["shm", "cuda-staged", "p2p", "cuda-p2p"]:
        d = json.loads((out / f"{box}-{t}.json").read_text())
        w, b = d["winner"], d["best_study"]
        study = {s["schedule"]: s["time_s"] for s in d["study"]}
        grouped, ref = study["grouped grouped"], study["round-robin paired-half"]
        secs = float((out / f"{box}-{t}.seconds").read_text())
        print(f"| {box} | {t} | {w['time_s']*1e3:.3f} | {b['time_s']*1e3:.3f} | {b['schedule']} | "
              f"{b['time_s']/w['time_s']:.2f}x | {grouped/w['time_s']:.2f}x | {ref/w['time_s']:.2f}x | "
              f"{w['bound_s']*1e3:.3f} | {w['efficiency']*100:.0f} % | {w['name']} | {secs:.1f} |")
PY
