"""What runs inside a Dask worker process before each job.

In worker processes the runner started itself (its local cluster) it sets, once per process, what
samzoo sets in its own processes: the allocator (:mod:`samzoo.allocator`) and quiet third-party
warnings; after the first job it freezes what exists for the garbage collector (``gc.freeze``: the
modules that job imported live as long as the worker, and the full collections later jobs trigger,
e.g. bioimageio.core's after each model, then skip them). Thread counts come from the environment
the runner gave those workers. In the workers of a cluster the caller brought (``scheduler=``) it
changes nothing.
"""

from __future__ import annotations

import gc
import warnings
from typing import Any
from collections.abc import Callable

_prepared = False
_frozen = False


def call(fn: Callable[..., Any], args: tuple, owned: bool) -> Any:
    """``fn(*args)``, after preparing this worker process if the runner owns it."""
    if owned:
        _prepare_owned_worker()
    try:
        return fn(*args)
    finally:
        if owned:
            _freeze_after_first_job()


def _freeze_after_first_job() -> None:
    global _frozen
    if not _frozen:
        gc.collect()  # the first job's garbage goes first: frozen objects are never collected
        gc.freeze()
        _frozen = True


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
