"""Keep freed memory in the process for reuse: far fewer page faults in SAM's encoder pass.

SAM's ViT encoders allocate and free attention matrices of hundreds of MB per layer. glibc serves
such blocks with ``mmap`` and returns them to the system on ``free``, so every layer faults its
pages in again. Raising glibc's mmap and trim thresholds keeps those blocks in the heap for reuse,
with the same peak memory (measured: docs/validate.md, "Memory allocator"). The setting is process-wide, so
samzoo applies it for good only in processes it owns: the ``samzoo`` command, its worker processes
and the demo. In the workers of a Dask cluster samzoo did not start, whose nannies set
``MALLOC_TRIM_THRESHOLD_`` (Dask's default: 64 KiB, return freed memory at once), it applies it for
the duration of each job and restores the worker's own setting afterwards
(:func:`give_back_freed_memory`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_LIMIT = 2**30
#: glibc's M_MMAP_THRESHOLD before anything adjusts it (DEFAULT_MMAP_THRESHOLD_MIN)
GLIBC_MMAP_THRESHOLD = 128 * 1024


@functools.cache
def _mallopt():
    """glibc's ``mallopt`` and ``malloc_trim``, looked up once (``find_library`` may run ``ldconfig``); None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.mallopt, libc.malloc_trim
    except (OSError, AttributeError):  # musl or another C library: leave it alone
        return None


def keep_freed_memory() -> bool:
    """Apply the setting if the C library is glibc; returns whether it was applied."""
    calls = _mallopt()
    if calls is None:
        return False
    mallopt, _ = calls
    return bool(mallopt(_M_MMAP_THRESHOLD, _LIMIT)) and bool(mallopt(_M_TRIM_THRESHOLD, _LIMIT))


def give_back_freed_memory(trim_threshold: int, mmap_threshold: int = GLIBC_MMAP_THRESHOLD) -> bool:
    """Undo :func:`keep_freed_memory` where the thresholds were fixed (``MALLOC_TRIM_THRESHOLD_`` set):
    restore them and return the freed memory to the system now. Returns whether it was applied."""
    calls = _mallopt()
    if calls is None:
        return False
    mallopt, malloc_trim = calls
    done = bool(mallopt(_M_TRIM_THRESHOLD, int(trim_threshold))) and bool(mallopt(_M_MMAP_THRESHOLD, int(mmap_threshold)))
    malloc_trim(0)
    return done
