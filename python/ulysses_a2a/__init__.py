"""ulysses-a2a from Python: verified all-to-all programs from libulysses_a2a.so (through ctypes).

This module needs no torch. ``ulysses_a2a.torch`` runs the programs on torch.distributed:
``RoundRobinA2A``, ``all_to_all_4d`` and ``ulysses_attention`` (docs/pytorch.md).
"""
import ctypes
import functools
import os
from typing import List, NamedTuple, Optional, Tuple

from . import _lib
from ._lib import LibraryFailure, LibraryNotFound, VerificationError

__all__ = ["Op", "Programs", "programs", "read_schedule", "library_version", "has_cuda", "layer_parts", "SEND",
           "RECV", "COPY", "LibraryNotFound", "VerificationError", "LibraryFailure"]


class Op(NamedTuple):
    """One operation of a rank's program (ulysses_a2a.h, UA2A_OP_*)."""
    kind: int     # SEND, RECV or COPY
    peer: int     # the other rank, in the group (own rank for COPY)
    src: int      # the block: owed by src ...
    dst: int      # ... to dst
    part: int
    chunk: int
    offset: int   # byte offset of the piece inside its block
    bytes: int


SEND, RECV, COPY = _lib.SEND, _lib.RECV, _lib.COPY


class Programs:
    """The verified per-rank programs of one exchange: N ranks, an algo and discipline, a block of
    ``parts`` messages each cut into ``chunks`` pieces. ``steps(rank)`` is that rank's program as a
    tuple of steps, each a tuple of Ops posted together. With ``schedule`` (a schedule JSON's text,
    as ``ulysses-a2a synthesize`` writes it) the order is the file's, not ``algo``'s; an empty
    ``discipline`` and ``chunks`` 0 then mean the file's own."""

    def __init__(self, ranks: int, algo: str, discipline: str, chunks: int, part_bytes: Tuple[int, ...],
                 schedule: Optional[str] = None):
        self._lib = _lib.lib()
        sizes = (ctypes.c_uint64 * len(part_bytes))(*part_bytes)
        self._handle = ctypes.c_void_p()
        if schedule is None:
            _lib.check(self._lib.ua2a_programs_create(ranks, algo.encode(), discipline.encode(), chunks, sizes,
                                                      len(part_bytes), ctypes.byref(self._handle)))
        else:
            _lib.check(self._lib.ua2a_programs_from_schedule(schedule.encode(), ranks, discipline.encode(), chunks,
                                                             sizes, len(part_bytes), ctypes.byref(self._handle)))
        self.ranks = ranks
        self.algo, self.discipline, self.chunks = algo, discipline, chunks
        self.part_bytes = tuple(part_bytes)
        block = ctypes.c_uint64()
        _lib.check(self._lib.ua2a_programs_block_bytes(self._handle, ctypes.byref(block)))
        self.block_bytes = block.value
        self._steps = {}  # read rank by rank, when asked: a process needs its own rank's only

    def __del__(self):
        handle = getattr(self, "_handle", None)
        if handle:
            self._lib.ua2a_programs_destroy(handle)
            self._handle = None

    @staticmethod
    def _read_rank(lib, handle, rank):
        steps, count = ctypes.c_uint32(), ctypes.c_uint64()
        _lib.check(lib.ua2a_programs_rank_size(handle, rank, ctypes.byref(steps), ctypes.byref(count)))
        fields = (ctypes.c_int64 * (max(count.value, 1) * _lib.OP_FIELDS))()
        _lib.check(lib.ua2a_programs_rank_ops(handle, rank, fields, count.value))
        program: List[List[Op]] = [[] for _ in range(steps.value)]
        for i in range(count.value):
            f = fields[i * _lib.OP_FIELDS:(i + 1) * _lib.OP_FIELDS]
            program[f[_lib.OP_STEP]].append(Op(f[_lib.OP_KIND], f[_lib.OP_PEER], f[_lib.OP_SRC], f[_lib.OP_DST],
                                               f[_lib.OP_PART], f[_lib.OP_CHUNK], f[_lib.OP_OFFSET],
                                               f[_lib.OP_BYTES]))
        return tuple(tuple(step) for step in program)

    def steps(self, rank: int):
        """Rank ``rank``'s program: a tuple of steps, each a tuple of Ops."""
        if not 0 <= rank < self.ranks:
            raise ValueError(f"rank {rank} is outside 0..{self.ranks - 1}")
        if rank not in self._steps:
            self._steps[rank] = self._read_rank(self._lib, self._handle, rank)
        return self._steps[rank]


@functools.lru_cache(maxsize=256)
def programs(ranks: int, algo: str = "round-robin", discipline: str = "paired-full", chunks: int = 1,
             part_bytes: Tuple[int, ...] = (1,), schedule: Optional[str] = None) -> Programs:
    """The programs for this exchange, generated, lowered and verified by the library once per
    process and argument set (cached). ``schedule``: a schedule JSON's text (read_schedule) whose
    order replaces ``algo``'s. Raises ValueError for bad arguments and VerificationError when the
    verifier refuses the programs (e.g. discipline 'naive', which deadlocks)."""
    return Programs(int(ranks), str(algo), str(discipline), int(chunks), tuple(int(b) for b in part_bytes),
                    None if schedule is None else str(schedule))


MAX_SCHEDULE_FILE_BYTES = 256 << 20  # far above N = 64 with chunks; the library sizes the rest


def read_schedule(path: str) -> str:
    """The text of a schedule file (``ulysses-a2a synthesize -o`` or ``schedule --format json``),
    for ``schedule=`` of the torch API. Raises ValueError naming the file when it cannot be read."""
    try:
        size = os.path.getsize(path)
        if size > MAX_SCHEDULE_FILE_BYTES:
            raise ValueError(f"schedule file {path!r} is {size} bytes; at most {MAX_SCHEDULE_FILE_BYTES}")
        with open(path, encoding="utf-8") as f:
            return f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f"schedule file {path!r} cannot be read ({e}): give the path of a schedule JSON, as "
                         "'ulysses-a2a synthesize -o FILE' writes it") from None


@functools.lru_cache(maxsize=256)
def layer_parts(exchange: int, ranks: int, seq: int, heads: int, head_dim: int, elem_bytes: int, wire: int,
                merged: bool) -> Tuple[Tuple[int, ...], int]:
    """The message sizes of one block of a layer exchange and the packed block stride (bytes)."""
    lib = _lib.lib()
    sizes = (ctypes.c_uint64 * 6)()
    count, stride = ctypes.c_uint32(), ctypes.c_uint64()
    _lib.check(lib.ua2a_layer_parts(exchange, ranks, seq, heads, head_dim, elem_bytes, wire, int(merged), sizes, 6,
                                    ctypes.byref(count), ctypes.byref(stride)))
    return tuple(sizes[:count.value]), stride.value


def library_version() -> str:
    """The library's version string."""
    return _lib.lib().ua2a_version().decode()


def has_cuda() -> bool:
    """Whether the loaded library packs device memory (built with CUDA)."""
    return bool(_lib.lib().ua2a_has_cuda())
