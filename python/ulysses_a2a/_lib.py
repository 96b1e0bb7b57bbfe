"""ctypes bindings of libulysses_a2a.so (capi/ulysses_a2a.h). Nothing here imports torch.

The library is looked up, in order: the file named by ULYSSES_A2A_LIBRARY; libulysses_a2a.so
beside this package; the build folder of the source tree this package sits in (build/capi/).
"""
import ctypes
import os
from pathlib import Path

ABI_VERSION = 1
LIBRARY_NAME = "libulysses_a2a.so"
ENV_VARIABLE = "ULYSSES_A2A_LIBRARY"

# Codes and op fields of ulysses_a2a.h.
OK, VIOLATION, BAD_INPUT, FAILURE = 0, -1, -2, -3
OP_FIELDS = 9
OP_STEP, OP_KIND, OP_PEER, OP_SRC, OP_DST, OP_PART, OP_CHUNK, OP_OFFSET, OP_BYTES = range(OP_FIELDS)
SEND, RECV, COPY = 0, 1, 2
EXCHANGE_QKV, EXCHANGE_OUT = 0, 1
WIRE_RAW, WIRE_FP8_FROM_BF16, WIRE_FP8_FROM_FP16 = 0, 1, 2
BLOCK_ALIGN = 256


class LibraryNotFound(ImportError):
    """libulysses_a2a.so is not where the package looks, or it is not loadable."""


class VerificationError(RuntimeError):
    """The verifier refused the programs (a deadlock, a piece lost or delivered twice)."""


class LibraryFailure(RuntimeError):
    """The library failed at run time (memory, CUDA)."""


def _candidates():
    package_dir = Path(__file__).resolve().parent
    env = os.environ.get(ENV_VARIABLE)
    if env:
        return [Path(env)]
    return [package_dir / LIBRARY_NAME, package_dir.parent.parent / "build" / "capi" / LIBRARY_NAME]


def _load():
    tried = []
    for path in _candidates():
        if not path.is_file():
            tried.append(f"{path} (absent)")
            continue
        try:
            return ctypes.CDLL(str(path))
        except OSError as e:
            tried.append(f"{path} ({e})")
    raise LibraryNotFound(
        f"cannot load {LIBRARY_NAME}; looked at: {'; '.join(tried)}. Build it (cmake, target ulysses_a2a), then set "
        f"{ENV_VARIABLE}=/path/to/{LIBRARY_NAME} or copy it beside the ulysses_a2a package (docs/pytorch.md)")


def _declare(lib):
    c = ctypes
    i32, u32, u64, i64, p = c.c_int32, c.c_uint32, c.c_uint64, c.c_int64, c.c_void_p
    signatures = {
        "ua2a_abi_version": (c.c_int, []),
        "ua2a_version": (c.c_char_p, []),
        "ua2a_last_error": (c.c_char_p, []),
        "ua2a_has_cuda": (c.c_int, []),
        "ua2a_programs_create": (c.c_int, [i32, c.c_char_p, c.c_char_p, u32, c.POINTER(u64), u32, c.POINTER(p)]),
        "ua2a_programs_from_schedule": (c.c_int, [c.c_char_p, i32, c.c_char_p, u32, c.POINTER(u64), u32,
                                                  c.POINTER(p)]),
        "ua2a_programs_destroy": (None, [p]),
        "ua2a_programs_ranks": (c.c_int, [p, c.POINTER(i32)]),
        "ua2a_programs_block_bytes": (c.c_int, [p, c.POINTER(u64)]),
        "ua2a_programs_rank_size": (c.c_int, [p, i32, c.POINTER(u32), c.POINTER(u64)]),
        "ua2a_programs_rank_ops": (c.c_int, [p, i32, c.POINTER(i64), u64]),
        "ua2a_layer_parts": (c.c_int, [c.c_int, i32, u64, u64, u64, u32, c.c_int, c.c_int, c.POINTER(u64), u32,
                                       c.POINTER(u32), c.POINTER(u64)]),
        "ua2a_pack": (c.c_int, [c.c_int, i32, u64, u64, u64, u32, c.c_int, u64, c.POINTER(p), p, c.c_int, p]),
        "ua2a_unpack": (c.c_int, [c.c_int, i32, u64, u64, u64, u32, c.c_int, u64, p, c.POINTER(p), c.c_int, p]),
    }
    for name, (restype, argtypes) in signatures.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


_lib = None


def lib():
    """The loaded library, declared and checked against this package's ABI version."""
    global _lib
    if _lib is None:
        loaded = _declare(_load())
        found = loaded.ua2a_abi_version()
        if found != ABI_VERSION:
            raise LibraryNotFound(f"{LIBRARY_NAME} has ABI version {found}, this package needs {ABI_VERSION}: "
                                  "rebuild the library from the same source tree as the package")
        _lib = loaded
    return _lib


def check(code):
    """Raises the Python exception of a library return code, with the library's message."""
    if code == OK:
        return
    message = lib().ua2a_last_error().decode(errors="replace")
    if code == BAD_INPUT:
        raise ValueError(message)
    if code == VIOLATION:
        raise VerificationError(message)
    raise LibraryFailure(message)
