"""The verified exchange on torch.distributed: RoundRobinA2A, all_to_all_4d, ulysses_attention.

Every step of a verified program (from libulysses_a2a.so, verified once per shape and cached) runs
as one torch.distributed.batch_isend_irecv; Python never derives a schedule. Bytes move as uint8,
so any dtype travels, including ones the process group's backend lacks (bf16 on gloo, FP8 as
bytes). Works with gloo (CPU tensors) and NCCL (CUDA tensors); docs/pytorch.md has the details
and what each option costs.
"""
import ctypes
import datetime
import json
import time
import zlib
from typing import Callable, List, Optional, Sequence

import torch
import torch.distributed as dist

import ulysses_a2a as _ua2a
from . import _lib

__all__ = ["RoundRobinA2A", "ExchangeWork", "all_to_all_4d", "ulysses_attention", "DEFAULT_TIMEOUT"]

#: How long one step may wait for its peers on gloo before the exchange raises, where a call passes
#: no timeout (read at call time). On NCCL waits are stream-ordered and the process group's own
#: timeout (its watchdog) applies.
DEFAULT_TIMEOUT = datetime.timedelta(seconds=300)

_DTYPE_NAMES = {zlib.crc32(str(d).encode()): str(d) for d in vars(torch).values() if isinstance(d, torch.dtype)}
_MAX_DIMS = 8  # dims a shape check carries; more is refused


class _Group:
    """Who is who in a process group: this rank, the group size, the global ranks, the backend."""

    def __init__(self, group):
        self.group = group
        self.rank = dist.get_rank(group)
        if self.rank < 0:
            raise ValueError("this process is not a member of the group passed: call the exchange only on the "
                             "ranks of that group (dist.new_group(ranks) returns a group on every process)")
        self.size = dist.get_world_size(group)
        if group is None or group is dist.GroupMember.WORLD:
            self.global_ranks = list(range(self.size))
        else:
            self.global_ranks = list(dist.get_process_group_ranks(group))
        self.backend = str(dist.get_backend(group))
        self.nccl = self.backend == "nccl"


def _shape_code(tensor: torch.Tensor) -> List[int]:
    if tensor.dim() > _MAX_DIMS:
        raise ValueError(f"tensors of more than {_MAX_DIMS} dims are not supported (got {tensor.dim()})")
    shape = list(tensor.shape) + [-1] * (_MAX_DIMS - tensor.dim())
    return [tensor.dim(), zlib.crc32(str(tensor.dtype).encode())] + shape


def _describe(code: Sequence[int]) -> str:
    dims, dtype = code[0], _DTYPE_NAMES.get(code[1], "an unknown dtype")
    return f"{tuple(code[2:2 + dims])} {dtype}"


def _agree(g: _Group, device: torch.device, tensors: Sequence[torch.Tensor], flags: Sequence[int], what: str):
    """Checks that every rank of the group passes the same shapes, dtypes and flags: one small
    all_gather, so a mismatch raises the same ValueError on every rank instead of hanging."""
    local = [v for t in tensors for v in _shape_code(t)] + list(flags)
    mine = torch.tensor(local, dtype=torch.int64, device=device)
    gathered = [torch.empty_like(mine) for _ in range(g.size)]
    dist.all_gather(gathered, mine, group=g.group)
    rows = [t.tolist() for t in gathered]
    if all(row == rows[0] for row in rows):
        return
    width = len(local) - len(flags)
    per = width // max(len(tensors), 1)

    def show(row):
        parts = [_describe(row[i * per:(i + 1) * per]) for i in range(len(tensors))]
        return ", ".join(parts) + (f" options {row[width:]}" if flags else "")
    listing = "; ".join(f"rank {r}: {show(row)}" for r, row in enumerate(rows))
    raise ValueError(f"{what}: the ranks of the group passed different inputs ({listing}); every rank must pass "
                     "the same shapes, dtypes and options")


def _byte_rows(tensor: torch.Tensor, rows: int) -> torch.Tensor:
    """A contiguous tensor as `rows` rows of raw bytes (a view, no copy)."""
    return tensor.reshape(rows, -1).view(torch.uint8)


def _check_tensor(tensor, name: str):
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(tensor).__name__}")


def _movable(tensor: torch.Tensor) -> bool:
    return tensor.layout == torch.strided and not tensor.is_quantized


def _check_movable(tensor: torch.Tensor, name: str):
    if not _movable(tensor):
        raise TypeError(f"{name} is a {tensor.layout} {tensor.dtype} tensor: the exchange moves the bytes of dense "
                        "(strided) tensors only; convert it with .to_dense() or .dequantize()")


class _Runner:
    """Runs one rank's verified program over byte rows: send_rows[j] is the block owed to rank j,
    recv_rows[j] receives the block from rank j. Step i+1 is posted when step i completed."""

    def __init__(self, programs, g: _Group, send_rows, recv_rows, timeout, stats=None):
        self.steps = programs.steps(g.rank)
        self.chunks = programs.chunks
        self.g, self.send_rows, self.recv_rows = g, send_rows, recv_rows
        self.timeout = timeout
        self.stats = stats
        self.next_step = 0
        self.pending = []

    def post(self):
        """Posts the next step (its copy runs at once); False when none is left."""
        if self.next_step >= len(self.steps):
            return False
        started = time.perf_counter()
        g, ops, copy_s = self.g, [], 0.0
        for op in self.steps[self.next_step]:
            if op.kind == _lib.COPY:
                copy_started = time.perf_counter()
                self.recv_rows[g.rank, :op.bytes].copy_(self.send_rows[g.rank, :op.bytes])
                copy_s += time.perf_counter() - copy_started
                continue
            # The tag names the piece: gloo matches by (peer, tag); NCCL ignores it and matches in
            # order, which is the IR's semantics either way.
            tag = op.part * self.chunks + op.chunk
            if op.kind == _lib.SEND:
                ops.append(dist.P2POp(dist.isend, self.send_rows[op.dst, op.offset:op.offset + op.bytes],
                                      g.global_ranks[op.peer], g.group, tag))
            else:
                ops.append(dist.P2POp(dist.irecv, self.recv_rows[op.src, op.offset:op.offset + op.bytes],
                                      g.global_ranks[op.peer], g.group, tag))
        built = time.perf_counter()
        self.pending = dist.batch_isend_irecv(ops) if ops else []
        self.next_step += 1
        if self.stats is not None:  # this module's Python (less the local copy), then torch's posting
            self.stats["python_s"] = self.stats.get("python_s", 0.0) + built - started - copy_s
            self.stats["post_s"] = self.stats.get("post_s", 0.0) + time.perf_counter() - built
            self.stats["steps"] = self.stats.get("steps", 0) + 1
        return True

    def wait_step(self):
        """Completes the posted step; a peer that never posts its side raises after the timeout."""
        for work in self.pending:
            try:
                # NCCL: wait() orders the current stream after the step and returns at once.
                done = work.wait() if self.g.nccl else work.wait(self.timeout)
            except RuntimeError as e:
                raise RuntimeError(f"ulysses_a2a exchange: rank {self.g.rank} of {self.g.size}, step "
                                   f"{self.next_step - 1} of {len(self.steps)}, did not complete within "
                                   f"{self.timeout.total_seconds():g} s: a peer did not post its side (do all ranks "
                                   f"call the same exchange?): {e}") from e
            if done is False:
                raise RuntimeError(f"ulysses_a2a exchange: rank {self.g.rank}, step {self.next_step - 1} timed out")
        self.pending = []

    def run_rest(self):
        self.wait_step()
        while self.post():
            self.wait_step()


class ExchangeWork:
    """What exchange(async_op=True) returns: the first step is posted; wait() runs the others."""

    def __init__(self, runner: _Runner):
        self._runner = runner
        self._done = False

    def wait(self, timeout: Optional[datetime.timedelta] = None) -> bool:
        if not self._done:
            if timeout is not None:
                self._runner.timeout = timeout
            self._runner.run_rest()
            self._done = True
        return True

    def is_completed(self) -> bool:
        return self._done


_nccl_ready = set()


def _ready_nccl(g: _Group, device):
    """NCCL builds a group's communicator on its first collective, which every rank must join;
    a step of P2P with only some ranks must not be that first call (torch's batch_isend_irecv note)."""
    key = id(g.group)
    if g.nccl and key not in _nccl_ready:
        dist.all_reduce(torch.zeros(1, device=device), group=g.group)
        _nccl_ready.add(key)


def _exchange_rows(programs, g: _Group, send_rows, recv_rows, timeout, async_op=False, stats=None):
    runner = _Runner(programs, g, send_rows, recv_rows, timeout, stats)
    runner.post()
    if async_op:
        return ExchangeWork(runner)
    runner.run_rest()
    return None


def _order(algo, discipline, chunks, schedule):
    """(algo, discipline, chunks, schedule text, its N) from the arguments: a generator by name, or a
    schedule file's order (its discipline and chunks where not given: '' and 0). Bad names, a file
    that is not a schedule and programs the verifier refuses fail here, on construction."""
    if schedule is None:
        algo, discipline = algo or "round-robin", discipline or "paired-full"
        chunks = 1 if chunks is None else int(chunks)
        _ua2a.programs(2, algo, discipline, chunks)
        return algo, discipline, chunks, None, None
    if algo is not None:
        raise ValueError(f"algo {algo!r} and schedule {schedule!r} both choose the order: give one")
    text = _ua2a.read_schedule(schedule)
    try:
        ranks = int(json.loads(text)["ranks"])
    except (ValueError, KeyError, TypeError):
        raise ValueError(f"schedule file {schedule!r} is not a schedule JSON (no 'ranks'): give a file that "
                         "'ulysses-a2a synthesize -o FILE' or 'ulysses-a2a schedule --format json' wrote") from None
    discipline, chunks = discipline or "", 0 if chunks is None else int(chunks)
    _ua2a.programs(ranks, "schedule", discipline, chunks, (1,), text)
    return "schedule", discipline, chunks, text, ranks


class RoundRobinA2A:
    """The reference's a2a-backend plug-in point, on a verified program.

    exchange(input_tensor, group=None, async_op=False) -> (output, work): dim 0 of the input is the
    group size N and output[i] is what rank i sent here (as torch.distributed.all_to_all_single).
    Any N, any dtype, subgroups with global-rank mapping. With async_op=True the first step is
    posted and work.wait() runs the rest; with False the exchange is complete on return and work
    is None.

    algo: round-robin (circle method), shift, xor (power-of-two N), grouped, staircase.
    discipline: paired-full (both directions of a pair at once), paired-half (the reference: lower
    rank sends first), grouped (every operation in one step). chunks: pieces per message.
    check: one small all_gather per call comparing shapes and dtypes across ranks, so a mismatch
    raises the same ValueError everywhere (False saves that collective).
    schedule: the path of a schedule file (``ulysses-a2a synthesize -o FILE``) to run instead of
    algo: its order, and its discipline and chunks unless given here; the group size must be its N.
    """

    def __init__(self, algo: Optional[str] = None, discipline: Optional[str] = None, chunks: Optional[int] = None,
                 check: bool = True, timeout: Optional[datetime.timedelta] = None, schedule: Optional[str] = None):
        self.check = check
        self.timeout = timeout
        self.stats = None  # a dict here collects per-step host times and step counts (bench/torch)
        self.algo, self.discipline, self.chunks, self.schedule, self.schedule_ranks = _order(
            algo, discipline, chunks, schedule)

    def exchange(self, input_tensor: torch.Tensor, group=None, async_op: bool = False):
        _check_tensor(input_tensor, "input_tensor")
        g = _Group(group)
        # The ranks compare their inputs before any of them refuses its own: the same error everywhere.
        if g.size > 1 and self.check:
            _agree(g, input_tensor.device, [input_tensor], [int(_movable(input_tensor))], "exchange")
        _check_movable(input_tensor, "input_tensor")
        if input_tensor.dim() < 1 or input_tensor.shape[0] != g.size:
            raise ValueError(f"exchange expects dim 0 == the group size ({g.size}), got shape "
                             f"{tuple(input_tensor.shape)}")
        source = input_tensor.contiguous()
        output = torch.empty_like(source, memory_format=torch.contiguous_format)
        block_bytes = source[0].numel() * source.element_size()
        if block_bytes == 0:
            return output, (_Done() if async_op else None)
        _ready_nccl(g, source.device)
        programs = _ua2a.programs(g.size, self.algo, self.discipline, self.chunks, (block_bytes,), self.schedule)
        work = _exchange_rows(programs, g, _byte_rows(source, g.size), _byte_rows(output, g.size),
                              self.timeout or DEFAULT_TIMEOUT, async_op, self.stats)
        return output, work

    __call__ = exchange


class _Done:
    """The work of an exchange that had nothing to move."""

    def wait(self, timeout=None):
        return True

    def is_completed(self):
        return True


_default_a2a = None


def _default():
    global _default_a2a
    if _default_a2a is None:
        _default_a2a = RoundRobinA2A()
    return _default_a2a


def all_to_all_4d(input: torch.Tensor, scatter_idx: int = 2, gather_idx: int = 1, group=None,
                  use_sync: bool = False, a2a: Optional[RoundRobinA2A] = None) -> torch.Tensor:
    """yunchang's all_to_all_4D on the verified exchange. (scatter 2, gather 1): (bs, S/P, hc, hs)
    -> (bs, S, hc/P, hs), tokens of rank j at rows j*S/P ..; (scatter 1, gather 2): the inverse,
    (bs, S, hc/P, hs) -> (bs, S/P, hc, hs). use_sync synchronises the GPU afterwards, as
    yunchang's does; a2a picks the exchange (default: RoundRobinA2A())."""
    result = _all_to_all_4d(input, scatter_idx, gather_idx, group, a2a or _default())
    if use_sync and result.is_cuda:
        torch.cuda.synchronize(result.device)
    return result


def _all_to_all_4d(input, scatter_idx, gather_idx, group, a2a):
    _check_movable(input, "input")
    if input.dim() != 4:
        raise ValueError(f"all_to_all_4d expects a 4-D tensor (bs, seq, heads, head_dim), got shape {tuple(input.shape)}")
    n = dist.get_world_size(group)
    bs, seq, heads, dim = input.shape
    if (scatter_idx, gather_idx) == (2, 1):
        if heads % n:
            raise ValueError(f"all_to_all_4d: {heads} heads are not divisible by the group size {n}: every rank "
                             "takes heads/P whole heads; pick heads divisible by the group size")
        h = heads // n
        blocks = input.reshape(bs, seq, n, h, dim).permute(2, 0, 1, 3, 4)  # [P, bs, S/P, hc/P, hs]
        received, _ = a2a.exchange(blocks.contiguous(), group=group)
        return received.permute(1, 0, 2, 3, 4).reshape(bs, n * seq, h, dim)
    if (scatter_idx, gather_idx) == (1, 2):
        if seq % n:
            raise ValueError(f"all_to_all_4d: sequence length {seq} is not divisible by the group size {n}")
        s = seq // n
        blocks = input.reshape(bs, n, s, heads, dim).permute(1, 0, 2, 3, 4)  # [P, bs, S/P, hc/P, hs]
        received, _ = a2a.exchange(blocks.contiguous(), group=group)
        return received.permute(1, 2, 0, 3, 4).reshape(bs, s, n * heads, dim)
    raise ValueError(f"all_to_all_4d supports (scatter_idx, gather_idx) = (2, 1) and (1, 2), got "
                     f"({scatter_idx}, {gather_idx})")


def sdpa_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Bidirectional attention over [S, h, D] tensors with scale 1/sqrt(D), no mask: torch's
    scaled_dot_product_attention where it exists (PyTorch 2), else the same maths in float32."""
    sdpa = getattr(torch.nn.functional, "scaled_dot_product_attention", None)
    if sdpa is not None:
        out = sdpa(q.transpose(0, 1)[None], k.transpose(0, 1)[None], v.transpose(0, 1)[None])
        return out[0].transpose(0, 1)
    scale = q.shape[-1] ** -0.5
    scores = torch.einsum("shd,thd->hst", q.float(), k.float()) * scale
    return torch.einsum("hst,thd->shd", scores.softmax(dim=-1), v.float()).to(q.dtype)


_WIRE_OF = {torch.bfloat16: _lib.WIRE_FP8_FROM_BF16, torch.float16: _lib.WIRE_FP8_FROM_FP16}


def _kernel_args(tensor: torch.Tensor):
    device = 1 if tensor.is_cuda else 0
    stream = torch.cuda.current_stream(tensor.device).cuda_stream if tensor.is_cuda else None
    return device, stream


def _pointers(tensors: Sequence[torch.Tensor]):
    return (ctypes.c_void_p * len(tensors))(*[t.data_ptr() for t in tensors])


def _pack(exchange, n, s, heads, dim, esize, wire, stride, tensors, packed):
    device, stream = _kernel_args(packed)
    _lib.check(_lib.lib().ua2a_pack(exchange, n, s, heads, dim, esize, wire, stride, _pointers(tensors),
                                    packed.data_ptr(), device, stream))


def _unpack(exchange, n, s, heads, dim, esize, wire, stride, packed, tensors):
    device, stream = _kernel_args(packed)
    _lib.check(_lib.lib().ua2a_unpack(exchange, n, s, heads, dim, esize, wire, stride, packed.data_ptr(),
                                      _pointers(tensors), device, stream))


def ulysses_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, group=None,
                      attention: Optional[Callable] = None, fp8: bool = False, merged: bool = True,
                      text_tokens: int = 0, algo: Optional[str] = None, discipline: Optional[str] = None,
                      chunks: Optional[int] = None, check: bool = True,
                      timeout: Optional[datetime.timedelta] = None, schedule: Optional[str] = None) -> torch.Tensor:
    """One Ulysses attention layer as the reference (docs/reference/ulysses-4090.md) runs it.

    q, k, v: [s + L, H, D] on every rank: its s image tokens, all heads, then the L = text_tokens
    text tokens replicated on every rank. The image part goes through the forward exchange (merged:
    q|k|v in one message per peer; fp8: e4m3 with a float32 scale per token and head, in the same
    bytes), each rank appends its h = H/N heads of the text, runs attention([N*s + L, h, D] x 3)
    (default: sdpa_attention), and the reverse exchange returns [s, H, D]; the text output is
    all-gathered over the group. Returns [s + L, H, D]. algo, discipline, chunks and schedule
    choose the exchanges' order as in RoundRobinA2A (default: round-robin, paired-full, 1 chunk).
    """
    algo, discipline, chunks, schedule_text, _ = _order(algo, discipline, chunks, schedule)
    for name, t in (("q", q), ("k", k), ("v", v)):
        _check_tensor(t, name)
    g = _Group(group)
    n, r = g.size, g.rank
    if n > 1 and check:  # before any rank refuses its own inputs: the same error everywhere
        flags = [int(text_tokens), int(fp8), int(merged)] + [int(_movable(t)) for t in (q, k, v)]
        _agree(g, q.device, [q, k, v], flags, "ulysses_attention")
    for name, t in (("q", q), ("k", k), ("v", v)):
        _check_movable(t, name)
    if q.dim() != 3 or k.shape != q.shape or v.shape != q.shape or k.dtype != q.dtype or v.dtype != q.dtype:
        raise ValueError(f"ulysses_attention expects q, k, v of one shape [s + L, H, D] and dtype, got "
                         f"{tuple(q.shape)} {q.dtype}, {tuple(k.shape)} {k.dtype}, {tuple(v.shape)} {v.dtype}")
    tokens, heads, dim = q.shape
    s, L = tokens - int(text_tokens), int(text_tokens)
    if L < 0 or s < 1:
        raise ValueError(f"text_tokens {L} leaves no image tokens in q's {tokens} rows")
    if heads % n:
        raise ValueError(f"ulysses_attention: {heads} heads are not divisible by the group size {n}: Ulysses gives "
                         "every rank H/N whole heads; pick H divisible by the group size")
    if fp8 and q.dtype not in _WIRE_OF:
        raise TypeError(f"fp8=True quantises bf16 or fp16 tensors, got {q.dtype}: convert q, k, v to bf16 or pass "
                        "fp8=False")
    h = heads // n
    wire = _WIRE_OF[q.dtype] if fp8 else _lib.WIRE_RAW
    esize = q.element_size()
    attention = attention or sdpa_attention
    q, k, v = q.contiguous(), k.contiguous(), v.contiguous()
    device = q.device
    _ready_nccl(g, device)

    def exchange(kind, tensors_in, tensors_out):
        parts, stride = _ua2a.layer_parts(kind, n, s, heads, dim, esize, wire, merged)
        send = torch.empty(n, stride, dtype=torch.uint8, device=device)
        recv = torch.empty_like(send)
        _pack(kind, n, s, heads, dim, esize, wire, stride, tensors_in, send)
        programs = _ua2a.programs(n, algo, discipline, chunks, parts, schedule_text)
        _exchange_rows(programs, g, send, recv, timeout or DEFAULT_TIMEOUT)
        _unpack(kind, n, s, heads, dim, esize, wire, stride, recv, tensors_out)

    # Forward: image q|k|v -> [N*s + L, h, D], then this rank's heads of the text after them.
    attn_in = [torch.empty(n * s + L, h, dim, dtype=q.dtype, device=device) for _ in range(3)]
    exchange(_lib.EXCHANGE_QKV, [q[:s], k[:s], v[:s]], attn_in)
    if L:
        for dst, src in zip(attn_in, (q, k, v)):
            dst[n * s:] = src[s:, r * h:(r + 1) * h]
    out = attention(*attn_in).contiguous()
    if out.shape != attn_in[0].shape or out.dtype != q.dtype:
        raise ValueError(f"attention returned {tuple(out.shape)} {out.dtype}, expected {tuple(attn_in[0].shape)} "
                         f"{q.dtype}")
    # Reverse: rows j*s .. of the output go back to rank j, which writes them to heads j*h ...
    image_out = torch.empty(s, heads, dim, dtype=q.dtype, device=device)
    exchange(_lib.EXCHANGE_OUT, [out], [image_out])
    if not L:
        return image_out
    text = out[n * s:].contiguous()
    gathered = [torch.empty_like(text) for _ in range(n)]
    if g.nccl:
        dist.all_gather(gathered, text, group=g.group)
    else:  # bytes: gloo lacks some dtypes (bf16)
        byte_parts = [torch.empty(text.numel() * esize, dtype=torch.uint8) for _ in range(n)]
        dist.all_gather(byte_parts, _byte_rows(text, 1)[0], group=g.group)
        gathered = [b.view(q.dtype).view(text.shape) for b in byte_parts]
    return torch.cat([image_out, torch.cat(gathered, dim=1)], dim=0)
