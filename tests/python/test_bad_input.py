"""Bad input gets a clear Python exception on every rank, never a hang: heads not divisible,
shapes or dtypes that differ across ranks, dtypes the library cannot move, a group this process is
not in, a wrong dim 0, names the library does not know, a discipline the verifier refuses, and a
peer that never calls (the wait times out). Also the package's error when the library is missing."""
import datetime
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

harness.require_torch()
import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402

import ulysses_a2a  # noqa: E402
from ulysses_a2a.torch import RoundRobinA2A, all_to_all_4d, ulysses_attention  # noqa: E402


def expect(result, name, error, words, call):
    """call() must raise `error` whose message holds every one of `words`."""
    try:
        call()
    except error as e:
        missing = [w for w in words if w not in str(e)]
        assert not missing, f"{name}: message lacks {missing}: {e}"
        result["checked"].append(name)
        return
    raise AssertionError(f"{name}: no {error.__name__} raised")


def bad_input_main(rank, world, result):
    a2a = RoundRobinA2A()
    x = torch.zeros(2, 4, dtype=torch.bfloat16)
    q = torch.zeros(4, 3, 16, dtype=torch.bfloat16)  # 3 heads, 2 ranks
    expect(result, "heads not divisible", ValueError, ["3 heads", "not divisible", "group size 2"],
           lambda: ulysses_attention(q, q, q))
    expect(result, "4d heads not divisible", ValueError, ["3 heads", "not divisible"],
           lambda: all_to_all_4d(torch.zeros(1, 4, 3, 8)))
    expect(result, "4d wrong indices", ValueError, ["(2, 1)", "(1, 2)"],
           lambda: all_to_all_4d(torch.zeros(1, 4, 2, 8), 3, 1))
    mismatched = torch.zeros(2, 4 + rank, dtype=torch.bfloat16)  # rank 1 passes one more column
    expect(result, "shape differs across ranks", ValueError, ["different inputs", "rank 0: (2, 4)", "rank 1: (2, 5)"],
           lambda: a2a.exchange(mismatched))
    one_rank_wrong = torch.zeros(2 + rank, 4)  # rank 1 alone has a wrong dim 0: rank 0 must not hang
    expect(result, "dim 0 wrong on one rank", ValueError, ["different inputs", "rank 1: (3, 4)"],
           lambda: a2a.exchange(one_rank_wrong))
    other_dtype = torch.zeros(2, 4, dtype=torch.bfloat16 if rank == 0 else torch.float16)
    expect(result, "dtype differs across ranks", ValueError, ["torch.bfloat16", "torch.float16"],
           lambda: a2a.exchange(other_dtype))
    layer_in = torch.zeros(4 + rank, 2, 16, dtype=torch.bfloat16)
    expect(result, "layer shape differs across ranks", ValueError, ["different inputs"],
           lambda: ulysses_attention(layer_in, layer_in, layer_in))
    expect(result, "dim 0 is not the group size", ValueError, ["dim 0", "(3, 4)"],
           lambda: a2a.exchange(torch.zeros(3, 4)))
    expect(result, "sparse tensor", TypeError, ["strided", "to_dense"],
           lambda: a2a.exchange(torch.zeros(2, 4).to_sparse()))
    f32 = torch.zeros(4, 2, 16)
    expect(result, "fp8 of float32", TypeError, ["bf16 or fp16", "torch.float32"],
           lambda: ulysses_attention(f32, f32, f32, fp8=True))
    expect(result, "not a tensor", TypeError, ["torch.Tensor"], lambda: a2a.exchange([1, 2]))
    expect(result, "unknown algo", ValueError, ["unknown algo 'round_robin'", "did you mean 'round-robin'"],
           lambda: RoundRobinA2A("round_robin"))
    expect(result, "unknown discipline", ValueError, ["unknown discipline", "paired-full"],
           lambda: RoundRobinA2A(discipline="paired"))
    expect(result, "xor on 6 ranks", ValueError, ["power-of-two"], lambda: ulysses_a2a.programs(6, "xor"))
    expect(result, "naive deadlocks", ulysses_a2a.VerificationError, ["deadlock-free: NO", "wait-for cycle"],
           lambda: RoundRobinA2A(discipline="naive"))
    expect(result, "zero chunks", ValueError, ["chunks must be at least 1"], lambda: RoundRobinA2A(chunks=0))
    # Schedule files: missing, not a schedule, for another group size, beside an algo.
    data = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
    expect(result, "schedule file missing", ValueError, ["/nonexistent.json", "cannot be read", "synthesize -o"],
           lambda: RoundRobinA2A(schedule="/nonexistent.json"))
    expect(result, "schedule file not a schedule", ValueError, ["test_bad_input.py", "not a schedule JSON"],
           lambda: RoundRobinA2A(schedule=os.path.abspath(__file__)))
    eight = RoundRobinA2A(schedule=os.path.join(data, "synth-8.json"))
    expect(result, "schedule for another group size", ValueError, ["for 8 ranks", "the group has 2"],
           lambda: eight.exchange(torch.zeros(2, 4)))
    expect(result, "schedule and algo", ValueError, ["both choose the order"],
           lambda: RoundRobinA2A("shift", schedule=os.path.join(data, "synth-8.json")))
    expect(result, "schedule with a deadlocking discipline", ulysses_a2a.VerificationError, ["deadlock-free: NO"],
           lambda: RoundRobinA2A(discipline="naive", schedule=os.path.join(data, "synth-4.json")))
    # A group of one that this process is not a member of: new_group runs on every rank.
    only_rank0 = dist.new_group([0])
    if rank == 1:
        expect(result, "not a member of the group", ValueError, ["not a member"],
               lambda: a2a.exchange(torch.zeros(1, 4), group=only_rank0))
    else:
        out, _ = a2a.exchange(torch.arange(4.0)[None], group=only_rank0)  # a group of one: a copy
        assert torch.equal(out, torch.arange(4.0)[None])
        result["checked"].append("group of one")
    # Last: rank 0 exchanges, rank 1 never does. With the check off nothing catches it early; the
    # step's wait times out and raises instead of hanging. Rank 1 stays alive until then.
    dist.barrier()
    if rank == 0:
        started = time.monotonic()
        lonely = RoundRobinA2A(check=False, timeout=datetime.timedelta(seconds=2))
        expect(result, "peer never posts: timeout", RuntimeError, ["did not complete within 2 s"],
               lambda: lonely.exchange(torch.zeros(2, 4)))
        assert time.monotonic() - started < 30
        with open(os.environ["UA2A_TEST_FLAG"], "w") as f:
            f.write("done")
    else:
        deadline = time.monotonic() + 30
        while not os.path.exists(os.environ["UA2A_TEST_FLAG"]) and time.monotonic() < deadline:
            time.sleep(0.1)
        result["checked"].append("stayed until the timeout")


CHECKS = 23


class BadInput(unittest.TestCase):
    def test_errors_on_every_rank(self):
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["UA2A_TEST_FLAG"] = os.path.join(tmp, "flag")
            results = harness.spawn_world(2, bad_input_main)
        harness.assert_world_ok(self, results, CHECKS)

    def test_missing_library(self):
        env = dict(os.environ, ULYSSES_A2A_LIBRARY="/nonexistent/libulysses_a2a.so")
        run = subprocess.run([sys.executable, "-c", "import ulysses_a2a; ulysses_a2a.programs(2)"], env=env,
                             capture_output=True, text=True, timeout=60)
        self.assertNotEqual(run.returncode, 0)
        self.assertIn("LibraryNotFound", run.stderr)
        self.assertIn("/nonexistent/libulysses_a2a.so (absent)", run.stderr)
        self.assertIn("ULYSSES_A2A_LIBRARY", run.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
