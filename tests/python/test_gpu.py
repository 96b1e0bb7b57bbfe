"""The package on CUDA tensors (skipped without a CUDA GPU or with a library built without CUDA):
the library's device pack/unpack through ctypes on the current stream, against the host pack on
the same data (the CUDA kernels are bit-exact with the CPU ones, backend/numeric.h), on a world of
one over NCCL; with two or more GPUs, the exchange over NCCL against all_to_all_single byte for
byte, one process per GPU. Has not run: no GPU was lent to the session that wrote it."""
import datetime
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

harness.require_torch()
import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402

import ulysses_a2a  # noqa: E402

if not torch.cuda.is_available():
    print("skipped: no CUDA GPU visible to PyTorch")
    sys.exit(harness.SKIP_CODE)
if not ulysses_a2a.has_cuda():
    print("skipped: this libulysses_a2a was built without CUDA (configure with a CUDA toolkit)")
    sys.exit(harness.SKIP_CODE)

from ulysses_a2a.torch import RoundRobinA2A, ulysses_attention  # noqa: E402


def captured_layer(q, k, v, group, fp8, text):
    """The layer with identity attention: what attention received, and the layer's output."""
    seen = []

    def capture(a, b, c):
        seen.extend([a.clone(), b.clone(), c.clone()])
        return a.clone()
    out = ulysses_attention(q, k, v, group=group, attention=capture, fp8=fp8, text_tokens=text)
    return [t.cpu() for t in seen], out.cpu()


class OneGpu(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        tmp = tempfile.mkdtemp(prefix="ua2a-gpu-")
        torch.cuda.set_device(0)
        dist.init_process_group("nccl", init_method=f"file://{tmp}/init", rank=0, world_size=1,
                                timeout=datetime.timedelta(seconds=60))
        cls.cpu_group = dist.new_group([0], backend="gloo")

    def test_device_pack_equals_host_pack(self):
        gen = torch.Generator().manual_seed(3)
        for fp8 in (False, True):
            for dim in (64, 128):  # the kernels' head dims
                q, k, v = (torch.randn(9, 8, dim, generator=gen).to(torch.bfloat16) for _ in range(3))
                host = captured_layer(q, k, v, self.cpu_group, fp8, 3)
                device = captured_layer(q.cuda(), k.cuda(), v.cuda(), None, fp8, 3)
                for a, b in zip(host[0] + [host[1]], device[0] + [device[1]]):
                    self.assertTrue(torch.equal(a, b), f"fp8={fp8} D={dim}")

    def test_exchange_on_cuda_tensors(self):
        x = torch.randn(1, 5, 7, device="cuda").to(torch.bfloat16)
        out, work = RoundRobinA2A().exchange(x)
        self.assertIsNone(work)
        self.assertTrue(torch.equal(out, x))


def nccl_main(rank, world, result):
    """Runs inside harness.spawn_world's gloo world: a second, NCCL, group of all ranks."""
    torch.cuda.set_device(rank)
    nccl = dist.new_group(list(range(world)), backend="nccl")
    torch.manual_seed(rank)  # every rank its own data, or a block from the wrong source would pass
    for dtype, shape in ((torch.bfloat16, (64, 8)), (torch.uint8, (4097,)), (torch.float32, (3, 5))):
        x = (torch.randn((world,) + shape, device="cuda") * 50).to(dtype)
        for discipline in ("paired-full", "paired-half", "grouped"):
            out, _ = RoundRobinA2A(discipline=discipline).exchange(x, group=nccl)
            ref = torch.empty_like(x)
            dist.all_to_all_single(ref.view(torch.uint8).reshape(-1), x.view(torch.uint8).reshape(-1), group=nccl)
            torch.cuda.synchronize()
            assert torch.equal(out.view(torch.uint8), ref.view(torch.uint8)), f"{dtype} {discipline} rank {rank}"
            result["checked"].append(f"{dtype} {discipline}")


class SeveralGpus(unittest.TestCase):
    def test_exchange_over_nccl(self):
        world = min(torch.cuda.device_count(), 8)
        if world < 2:
            self.skipTest(f"NCCL between ranks needs two GPUs, {world} visible")
        results = harness.spawn_world(world, nccl_main)
        harness.assert_world_ok(self, results, 9)


if __name__ == "__main__":
    unittest.main(verbosity=2)
