"""RoundRobinA2A.exchange and all_to_all_4d against torch.distributed.all_to_all_single, byte for
byte, one process per rank on gloo: N = 1, 2, 3, 4, 7, 8 and the subgroups of a CFG x Ulysses mesh
of 8 processes (contiguous and interleaved); at N = 7 and 8 also schedules synthesised for a box. Cases are grouped per spawned world to keep the wall
time small; every rank reports the cases it checked and the test counts them."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

harness.require_torch()
import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402

from ulysses_a2a.torch import RoundRobinA2A, all_to_all_4d  # noqa: E402

# (dtype, shape after dim 0): bf16 and fp16 (gloo has no bf16 all-to-all of its own), FP8 as bytes
# (uint8), blocks of odd byte counts, 8-byte and 1-byte types, and a 64 KiB block.
TENSORS = [(torch.float32, (5, 3)), (torch.bfloat16, (4, 2)), (torch.float16, (7,)), (torch.uint8, (3,)),
           (torch.int64, (2, 2)), (torch.bool, (5,)), (torch.complex64, (2,)), (torch.float32, (1024, 16))]
if hasattr(torch, "float8_e4m3fn"):  # PyTorch 2.1+: the FP8 dtype itself (the device machine)
    TENSORS.append((torch.float8_e4m3fn, (6,)))
# (algo, discipline, chunks): the default, the reference's discipline, everything in one step, the
# other generators, pieces cut into chunks.
SCHEDULES = [("round-robin", "paired-full", 1), ("round-robin", "paired-half", 1), ("round-robin", "grouped", 1),
             ("round-robin", "paired-full", 3), ("shift", "paired-full", 1), ("staircase", "paired-half", 2),
             ("grouped", "grouped", 1)]


def schedules_for(n):
    extra = [("xor", "paired-half", 1)] if n & (n - 1) == 0 else []
    return SCHEDULES + extra


def make_input(rank, n, dtype, shape, case):
    """Values that differ per rank, block and case; random bits for the non-float types."""
    gen = torch.Generator().manual_seed(1000 * rank + case)
    if dtype.is_floating_point or dtype.is_complex:
        x = torch.randn((n,) + shape, generator=gen).to(dtype) if not dtype.is_complex else \
            torch.randn((n,) + shape, dtype=dtype, generator=gen)
        return x
    if dtype == torch.bool:
        return torch.randint(0, 2, (n,) + shape, generator=gen).bool()
    return torch.randint(0, 250, (n,) + shape, generator=gen).to(dtype)


def oracle(x, group):
    """all_to_all_single on the raw bytes: the independent expectation."""
    n = x.shape[0]
    send = x.contiguous().reshape(n, -1).view(torch.uint8).reshape(-1)
    recv = torch.empty_like(send)
    dist.all_to_all_single(recv, send, group=group)
    return recv


def same_bytes(out, expected):
    return torch.equal(out.contiguous().reshape(out.shape[0], -1).view(torch.uint8).reshape(-1), expected)


def check_group(rank, result, group, n, label):
    """Every tensor under every schedule, sync and async, then all_to_all_4d both ways."""
    me = dist.get_rank(group)
    case = 0
    for algo, discipline, chunks in schedules_for(n):
        a2a = RoundRobinA2A(algo, discipline, chunks)
        for dtype, shape in TENSORS:
            case += 1
            x = make_input(rank, n, dtype, shape, case)
            out, work = a2a.exchange(x, group=group)
            assert work is None
            assert out.shape == x.shape and out.dtype == x.dtype
            assert same_bytes(out, oracle(x, group)), f"{label} {algo}/{discipline}/{chunks} {dtype}{shape} rank {me}"
            result["checked"].append(f"{label} {algo} {discipline} {chunks} {dtype} {shape}")
    # async_op: the first step is posted, compute runs, wait() completes the rest.
    x = make_input(rank, n, torch.bfloat16, (64, 4), 99)
    out, work = RoundRobinA2A().exchange(x, group=group, async_op=True)
    busy = torch.randn(64, 64) @ torch.randn(64, 64)
    assert work.wait() and work.is_completed() and busy.shape == (64, 64)
    assert same_bytes(out, oracle(x, group)), f"{label} async rank {me}"
    result["checked"].append(f"{label} async")
    # A non-contiguous input moves as its contiguous copy.
    x = make_input(rank, n, torch.float32, (3, 5), 98).transpose(1, 2)
    assert same_bytes(RoundRobinA2A().exchange(x, group=group)[0], oracle(x, group)), f"{label} strided"
    result["checked"].append(f"{label} strided")
    check_4d(rank, result, group, n, label)


def bytes_all_to_all(blocks, group):
    """all_to_all_single of a [P, ...] tensor's raw bytes (gloo has no bf16 all-to-all)."""
    recv = torch.empty_like(blocks)
    dist.all_to_all_single(recv.view(torch.uint8).reshape(-1), blocks.view(torch.uint8).reshape(-1), group=group)
    return recv


def yunchang_oracle(x, scatter, gather, group, n):
    """yunchang's all_to_all_4D semantics, written with all_to_all_single on a [P, ...] layout."""
    bs, seq, heads, dim = x.shape
    if (scatter, gather) == (2, 1):
        h = heads // n
        blocks = x.reshape(bs, seq, n, h, dim).movedim(2, 0).contiguous()  # block j: my tokens, heads of j
        return bytes_all_to_all(blocks, group).movedim(0, 1).reshape(bs, n * seq, h, dim)  # rank j's tokens at j*seq
    s = seq // n
    blocks = x.reshape(bs, n, s, heads, dim).movedim(1, 0).contiguous()  # block j: tokens of j, my heads
    return bytes_all_to_all(blocks, group).permute(1, 2, 0, 3, 4).reshape(bs, s, n * heads, dim)  # rank j's heads


def check_4d(rank, result, group, n, label):
    for dtype in (torch.float32, torch.bfloat16):
        gen = torch.Generator().manual_seed(rank)
        x = torch.randn(2, 3, 2 * n, 4, generator=gen).to(dtype)  # (bs, S/P, hc, hs)
        y = all_to_all_4d(x, 2, 1, group=group)
        assert y.shape == (2, 3 * n, 2, 4) and torch.equal(y, yunchang_oracle(x, 2, 1, group, n)), f"{label} 4d 2,1"
        back = all_to_all_4d(y, 1, 2, group=group, use_sync=True)  # yunchang's keyword too
        assert torch.equal(back, x), f"{label} 4d round trip"
        assert torch.equal(back, yunchang_oracle(y, 1, 2, group, n)), f"{label} 4d 1,2"
        result["checked"].append(f"{label} 4d {dtype}")


# Schedules `ulysses-a2a synthesize` wrote for 4090x8-2s-sw with --p2p --transport p2p (7 ranks: odd
# N, 12 directed rounds of 4 chunks; 8 ranks: 16 rounds of 4 chunks): the file's order, discipline
# and chunks run through RoundRobinA2A(schedule=...), checked against all_to_all_single.
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
SYNTHESISED = {7: os.path.join(DATA, "synth-7.json"), 8: os.path.join(DATA, "synth-8.json")}


def check_synthesised(rank, result, n):
    a2a = RoundRobinA2A(schedule=SYNTHESISED[n])
    assert (a2a.discipline, a2a.chunks, a2a.schedule_ranks) == ("", 0, n), "the file's own discipline and chunks"
    for case, (dtype, shape) in enumerate(TENSORS):
        x = make_input(rank, n, dtype, shape, 500 + case)
        out, _ = a2a.exchange(x)
        assert same_bytes(out, oracle(x, None)), f"synthesised N = {n} {dtype}{shape} rank {rank}"
        result["checked"].append(f"synthesised {n} {dtype} {shape}")


def world_main(rank, world, result):
    check_group(rank, result, None, world, f"world {world}")
    if world in SYNTHESISED:
        check_synthesised(rank, result, world)
    if world == 8:  # the same processes then form the mesh's subgroups: one spawn less
        mesh_main(rank, world, result)


def mesh_main(rank, world, result):
    """A 2 x 4 CFG x Ulysses mesh: the Ulysses groups contiguous ({0..3}, {4..7}), then interleaved
    ({0,2,4,6}, {1,3,5,7}); and the CFG pairs of the first layout. new_group runs on every rank."""
    layouts = {"contiguous": [[0, 1, 2, 3], [4, 5, 6, 7]], "interleaved": [[0, 2, 4, 6], [1, 3, 5, 7]],
               "cfg pairs": [[0, 4], [1, 5], [2, 6], [3, 7]]}
    for name, groups in layouts.items():
        handles = [dist.new_group(ranks) for ranks in groups]
        mine = next(i for i, ranks in enumerate(groups) if rank in ranks)
        check_group(rank, result, handles[mine], len(groups[mine]), f"{name} group {mine}")


def checks_per_group(n):
    return len(schedules_for(n)) * len(TENSORS) + 2 + 2


class ExchangeAgainstAllToAllSingle(unittest.TestCase):
    def run_world(self, n):  # n < 8
        results = harness.spawn_world(n, world_main)
        harness.assert_world_ok(self, results, checks_per_group(n) + len(TENSORS) * (n in SYNTHESISED))

    def test_world_1(self):
        self.run_world(1)

    def test_world_2(self):
        self.run_world(2)

    def test_world_3(self):
        self.run_world(3)

    def test_world_4(self):
        self.run_world(4)

    def test_world_7(self):
        self.run_world(7)

    def test_world_8_and_mesh_subgroups(self):
        results = harness.spawn_world(8, world_main)
        harness.assert_world_ok(self, results, checks_per_group(8) + len(TENSORS) + 2 * checks_per_group(4) +
                                checks_per_group(2))


if __name__ == "__main__":
    unittest.main(verbosity=2)
