"""What runs inside a Dask worker process around each job.

Every job runs with the objects that existed before it frozen for the garbage collector
(``gc.freeze`` on entry, ``gc.unfreeze`` on exit): the modules earlier jobs imported live as long
as the worker, and the full collections a job triggers (bioimageio.core collects after each
model, which takes long in a worker that has imported torch) then skip them. Nothing of it outlives the
job, so it applies in any worker, also those of a cluster the caller brought (``scheduler=``).

In worker processes the runner started itself (its local cluster) it also sets, once per
process, what samzoo sets in its own processes: the allocator (:mod:`samzoo.plumbing.allocator`) and quiet
third-party warnings. Thread counts come from the environment the runner gave those workers.
In other workers whose nanny fixed glibc's trim threshold (``MALLOC_TRIM_THRESHOLD_``, Dask's
default), the allocator setting holds while samzoo's jobs run and the worker's own is restored
when the last one ends.
"""

from __future__ import annotations

import contextlib
import gc
import os
import threading
import warnings
from typing import Any
from collections.abc import Callable, Iterator

_prepared = False
_jobs_keeping_memory = 0
_lock = threading.Lock()


def call(fn: Callable[..., Any], args: tuple, owned: bool) -> Any:
    """``fn(*args)`` with older objects frozen, after preparing this worker process if the runner owns it."""
    if owned:
        _prepare_owned_worker()
    with older_objects_frozen(), contextlib.nullcontext() if owned else freed_memory_kept():
        return fn(*args)


def _fixed_trim_threshold() -> int | None:
    try:
        return int(os.environ["MALLOC_TRIM_THRESHOLD_"])
    except (KeyError, ValueError):
        return None


@contextlib.contextmanager
def freed_memory_kept() -> Iterator[None]:
    """samzoo's allocator setting while the block runs, where the worker's own can be restored after it.

    Only where ``MALLOC_TRIM_THRESHOLD_`` fixed glibc's thresholds: then restoring them is exact.
    With several jobs at once in one worker, the first one in applies it and the last one out restores it."""
    global _jobs_keeping_memory
    from ..allocator import give_back_freed_memory, keep_freed_memory

    threshold = _fixed_trim_threshold()
    if threshold is None:
        yield
        return
    with _lock:
        _jobs_keeping_memory += 1
        if _jobs_keeping_memory == 1:
            keep_freed_memory()
    try:
        yield
    finally:
        with _lock:
            _jobs_keeping_memory -= 1
            if _jobs_keeping_memory == 0:
                give_back_freed_memory(threshold)


@contextlib.contextmanager
def older_objects_frozen() -> Iterator[None]:
    """Collections inside the block skip every object that existed before it (undone on exit).

    Where the process had frozen objects already (its owner's choice), they stay frozen, and so do
    the ones this block froze."""
    had_frozen = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        yield
    finally:
        if not had_frozen:
            gc.unfreeze()


def _prepare_owned_worker() -> None:
    global _prepared
    if _prepared:
        return
    from ..allocator import keep_freed_memory

    keep_freed_memory()
    warnings.simplefilter("ignore", FutureWarning)
    warnings.simplefilter("ignore", UserWarning)
    warnings.simplefilter("ignore", DeprecationWarning)
    _prepared = True
