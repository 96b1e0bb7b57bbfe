"""Shared by the Python tests: the torch check, and spawning one process per rank on gloo.

Each test file runs as a plain script under ctest (tests/python/CMakeLists.txt). Without torch a
file exits 77, which ctest reports as skipped, except where UA2A_REQUIRE_TOOLS=1
(scripts/test.sh, which installs python3-torch): there a missing torch fails.
"""
import json
import os
import sys
import tempfile
import time
import traceback

SKIP_CODE = 77


def require_torch():
    """Imports torch or ends the test file: skipped (exit 77), or failed where torch is required."""
    try:
        import torch  # noqa: F401
        import torch.distributed as dist
        if not dist.is_available() or not dist.is_gloo_available():
            raise ImportError("torch.distributed with gloo is not available in this torch build")
    except ImportError as e:
        print(f"skipped: PyTorch with torch.distributed (gloo) is not importable by {sys.executable}: {e} "
              "(scripts/install-deps.sh installs Debian's python3-torch)")
        sys.exit(1 if os.environ.get("UA2A_REQUIRE_TOOLS") == "1" else SKIP_CODE)


def _child(rank, world, init_file, result_dir, fn, args):
    import datetime
    import torch
    import torch.distributed as dist
    torch.set_num_threads(1)  # N processes share 2 cores: no oversubscription inside each
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world,
                            timeout=datetime.timedelta(seconds=60))
    import ulysses_a2a.torch
    # A step whose peer never comes fails in 30 s with the rank and step named, before the
    # world's own limit kills it without a word.
    ulysses_a2a.torch.DEFAULT_TIMEOUT = datetime.timedelta(seconds=30)
    result = {"rank": rank, "checked": [], "failures": []}
    try:
        fn(rank, world, result, *args)
    except Exception:  # every rank reports its own traceback, then the parent fails the test
        result["failures"].append(traceback.format_exc())
    with open(os.path.join(result_dir, f"rank{rank}.json"), "w") as f:
        json.dump(result, f)
    # No destroy_process_group: a case may leave a deliberately unmatched receive behind. And no
    # interpreter teardown either: with a peer already gone, gloo's threads can abort the process
    # on the way out ("terminate called without an active exception", SIGABRT, seen about one run
    # in ten at N = 3) after every check has passed. The result file above is what the parent
    # judges (a rank that dies before writing it is reported), so leave at once.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def spawn_world(world, fn, *args, timeout_s=120):
    """Runs fn(rank, world, result, *args) in `world` processes on gloo; returns every rank's
    result dict ({"checked": [case names], "failures": [tracebacks]}). A world still running after
    timeout_s is killed and reported, so no test can hang."""
    import torch.multiprocessing as mp
    with tempfile.TemporaryDirectory(prefix="ua2a-py-") as tmp:
        init_file = os.path.join(tmp, "init")
        context = mp.spawn(_child, args=(world, init_file, tmp, fn, args), nprocs=world, join=False)
        deadline = time.monotonic() + timeout_s
        while not context.join(timeout=0.5):
            if time.monotonic() > deadline:
                for p in context.processes:
                    if p.is_alive():
                        p.kill()
                # The ranks that did finish usually say why the others waited.
                reports = [f"rank {r['rank']}:\n{t}" for r in _results(tmp, world) if r for t in r["failures"]]
                raise TimeoutError(f"a world of {world} processes ran past {timeout_s} s: killed; "
                                   + ("\n".join(reports) or "no rank reported a failure"))
        results = _results(tmp, world)
        missing = [rank for rank, r in enumerate(results) if r is None]
        if missing:
            raise RuntimeError(f"ranks {missing} of {world} wrote no result")
        return results


def _results(folder, world):
    """Each rank's result dict, or None for a rank that wrote none."""
    results = []
    for rank in range(world):
        path = os.path.join(folder, f"rank{rank}.json")
        if os.path.exists(path):
            with open(path) as f:
                results.append(json.load(f))
        else:
            results.append(None)
    return results


def assert_world_ok(testcase, results, expected_checks):
    """Fails `testcase` with every rank's tracebacks; checks that each rank ran `expected_checks` cases."""
    failures = [f"rank {r['rank']}:\n{t}" for r in results for t in r["failures"]]
    if failures:
        testcase.fail("\n".join(failures))
    for r in results:
        testcase.assertEqual(len(r["checked"]), expected_checks, f"rank {r['rank']} checked {r['checked']}")
