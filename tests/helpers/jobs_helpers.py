"""Job functions for the runner's tests: module-level, so that Dask worker processes can import them."""

from __future__ import annotations

import os
import warnings


def fails_or_warns(i: int) -> int:
    """Raises for 1; warns and changes the warning filters otherwise (what validation does)."""
    warnings.simplefilter("ignore")
    if i == 1:
        raise RuntimeError("job 1 is broken on purpose\nsecond line")
    return i * 10


def worker_identity() -> tuple[int, str | None]:
    """The worker process's pid and the name of the Dask worker running this job."""
    from distributed import get_worker

    return os.getpid(), get_worker().name


def frozen_objects() -> int:
    """How many objects the garbage collector skips during this job."""
    import gc

    return gc.get_freeze_count()


def dask_settings(*keys: str) -> list:
    """The Dask configuration values this worker runs with."""
    import dask

    return [dask.config.get(k) for k in keys]


def memory_returned_on_free() -> float:
    """MB the process gives back to the system when it frees a touched 16 MB block (glibc keeps it, or returns it).

    16 MB: a Dask task runs in a thread, whose glibc arena serves blocks under 64 MB from its heap."""
    import psutil

    me = psutil.Process()
    block = bytearray(16 * 2**20)  # zero-filled: every page touched
    with_block = me.memory_info().rss
    del block
    return (with_block - me.memory_info().rss) / 2**20
