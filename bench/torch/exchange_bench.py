#!/usr/bin/env python3
"""RoundRobinA2A.exchange against torch.distributed.all_to_all_single on the same group, in the
same run: one process per rank, gloo on CPU (the default) or NCCL with one GPU per rank.

Per block size: the time of one exchange (check=False: the production setting), the same with the
cross-rank shape check (check=True, the default), and all_to_all_single on the same bytes; the
ratio exchange / all_to_all_single; and per step of the program, the Python overhead (the host
time this package spends building the step's views and P2POps) and torch's posting of them
(batch_isend_irecv's host time, which on gloo may include the sends themselves), both means over
the timed calls, so a rare stall shows there and not in the medians. Call times are the slowest
rank's median over --iterations calls after --warmup calls. Every size is checked once, byte for
byte, against all_to_all_single before it is timed.

  PYTHONPATH=python ULYSSES_A2A_LIBRARY=build/capi/libulysses_a2a.so \\
    /usr/bin/python3 bench/torch/exchange_bench.py --ranks 4
"""
import argparse
import datetime
import json
import os
import statistics
import sys
import tempfile
import time


def parse_size(text):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper()
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def timed(fn, iterations, warmup, sync):
    """The median of `iterations` timed calls: on a shared machine a descheduled rank costs a
    scheduler tick (about 4 ms) now and then, which a mean would spread over every call."""
    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(iterations):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def rank_main(rank, args, init_file, out_file):
    import torch
    import torch.distributed as dist
    from ulysses_a2a.torch import RoundRobinA2A
    n = args.ranks
    nccl = args.backend == "nccl"
    torch.set_num_threads(1)
    if nccl:
        torch.cuda.set_device(rank)
    dist.init_process_group(args.backend, init_method=f"file://{init_file}", rank=rank, world_size=n,
                            timeout=datetime.timedelta(seconds=120))
    device = torch.device("cuda", rank) if nccl else torch.device("cpu")
    sync = (lambda: torch.cuda.synchronize(device)) if nccl else (lambda: None)
    fast = RoundRobinA2A(args.algo, args.discipline, args.chunks, check=False)
    checked = RoundRobinA2A(args.algo, args.discipline, args.chunks, check=True)
    rows = []
    for block in args.sizes:
        x = torch.randint(0, 255, (n, block), dtype=torch.uint8, device=device)  # FP8 payloads move as bytes
        ref = torch.empty_like(x)
        dist.all_to_all_single(ref, x)
        if not torch.equal(fast.exchange(x)[0], ref):
            raise RuntimeError(f"exchange differs from all_to_all_single at {block} B per block on rank {rank}")
        fast.stats = {}
        t_exchange = timed(lambda: fast.exchange(x), args.iterations, args.warmup, sync)
        steps = max(fast.stats.get("steps", 0), 1)
        python_s, post_s = fast.stats.get("python_s", 0.0) / steps, fast.stats.get("post_s", 0.0) / steps
        fast.stats = None
        t_checked = timed(lambda: checked.exchange(x), args.iterations, args.warmup, sync)
        t_a2a = timed(lambda: dist.all_to_all_single(ref, x), args.iterations, args.warmup, sync)
        local = torch.tensor([t_exchange, t_checked, t_a2a, python_s, post_s], dtype=torch.float64, device=device)
        dist.all_reduce(local, op=dist.ReduceOp.MAX)  # the slowest rank sets each figure
        t_exchange, t_checked, t_a2a, python_s, post_s = local.tolist()
        steps_per_call = len(__import__("ulysses_a2a").programs(n, args.algo, args.discipline, args.chunks,
                                                                (block,)).steps(rank))
        rows.append({"block_bytes": block, "exchange_s": t_exchange, "exchange_checked_s": t_checked,
                     "all_to_all_single_s": t_a2a, "ratio": t_exchange / t_a2a,
                     "python_s_per_step": python_s, "post_s_per_step": post_s, "steps": steps_per_call})
    if rank == 0:
        with open(out_file, "w") as f:
            json.dump(rows, f)
    dist.barrier()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ranks", type=int, default=4, help="processes, one per rank (default 4)")
    ap.add_argument("--backend", choices=["gloo", "nccl"], default="gloo", help="gloo on CPU, or NCCL, one GPU per rank")
    ap.add_argument("--sizes", default="1K,64K,1M", help="bytes per block, comma-separated, K/M/G suffixes")
    ap.add_argument("--algo", default="round-robin")
    ap.add_argument("--discipline", default="paired-full")
    ap.add_argument("--chunks", type=int, default=1)
    ap.add_argument("--iterations", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--json", action="store_true", help="print one JSON document instead of the table")
    args = ap.parse_args()
    try:
        args.sizes = [parse_size(s) for s in args.sizes.split(",")]
    except ValueError:
        ap.error(f"--sizes '{args.sizes}': use byte counts such as 1K,64K,1M")
    if args.ranks < 2 or any(s < 1 for s in args.sizes) or args.iterations < 1 or args.warmup < 0:
        ap.error("--ranks must be at least 2, sizes and --iterations at least 1, --warmup at least 0")
    import torch
    import torch.multiprocessing as mp
    if args.backend == "nccl" and torch.cuda.device_count() < args.ranks:
        ap.error(f"--backend nccl needs one GPU per rank: {torch.cuda.device_count()} visible for --ranks {args.ranks}")
    with tempfile.TemporaryDirectory(prefix="ua2a-bench-") as tmp:
        out_file = os.path.join(tmp, "rows.json")
        mp.spawn(rank_main, args=(args, os.path.join(tmp, "init"), out_file), nprocs=args.ranks)
        with open(out_file) as f:
            rows = json.load(f)
    meta = {"format": "ulysses-a2a/torch-exchange-bench", "version": 1, "ranks": args.ranks, "backend": args.backend,
            "algo": args.algo, "discipline": args.discipline, "chunks": args.chunks, "torch": torch.__version__,
            "iterations": args.iterations, "rows": rows}
    if args.json:
        print(json.dumps(meta, indent=1))
        return 0
    print(f"# {args.ranks} ranks, {args.backend}, {args.algo} / {args.discipline}, chunks {args.chunks}, "
          f"torch {torch.__version__}; times: slowest rank, median of {args.iterations}")
    print(f"{'bytes/block':>12} {'exchange_ms':>12} {'checked_ms':>11} {'a2a_single_ms':>14} {'ratio':>7} "
          f"{'steps':>6} {'py_us/step':>11} {'post_us/step':>13}")
    for r in rows:
        print(f"{r['block_bytes']:>12} {r['exchange_s'] * 1e3:>12.3f} {r['exchange_checked_s'] * 1e3:>11.3f} "
              f"{r['all_to_all_single_s'] * 1e3:>14.3f} {r['ratio']:>6.2f}x {r['steps']:>6} "
              f"{r['python_s_per_step'] * 1e6:>11.1f} {r['post_s_per_step'] * 1e6:>13.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
