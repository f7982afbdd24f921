"""One job runner for samzoo's parallel work: ``samzoo validate`` and ``samzoo build --all``.

``run_jobs(fn, calls, placement)`` calls ``fn(*args)`` for every ``args`` of ``calls`` and returns
one :class:`Outcome` per call, in the order of ``calls``:

* ``Placement(jobs=1)``: one after the other in the calling process;
* ``Placement(jobs=N)``: on a local Dask cluster of up to N single-threaded worker processes, torch's
  thread count split between them (:mod:`samzoo.plumbing.jobs.cluster`); one worker for every
  :func:`jobs_per_worker` calls, since a worker's start costs more than it wins on fewer (fewer
  calls than two workers' worth run in the calling process);
* ``Placement(scheduler="tcp://host:8786")``: on a running Dask cluster (``dask scheduler`` and
  ``dask worker`` on other machines, or a Kubernetes/SLURM deployment of Dask).

A job whose worker process dies (killed, out of memory, a crash in native code) is an outcome with
``error`` saying so; every other job still runs. ``fn`` must be a module-level function that the
workers can import, and its arguments and result must pickle. The runner imports nothing else of
samzoo but :mod:`samzoo.plumbing.errors` and :mod:`samzoo.plumbing.allocator`; validate and pipeline import it.
Process-wide settings (warning filters, thread counts, the allocator) are changed only in worker
processes that the runner starts itself, never in the caller's process.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass
from typing import Any
from collections.abc import Callable, Mapping, Sequence

from ..errors import ArgumentError, SamzooError, describe_error


#: calls per local worker process below which a worker is not started: its start (imports of torch and
#: bioimageio.core on every core) costs more than it wins on fewer calls (docs/scaling.md; measured by
#: scripts/bench_scale.py).
JOBS_PER_WORKER = 10
JOBS_PER_WORKER_VARIABLE = "SAMZOO_JOBS_PER_WORKER"


def jobs_per_worker() -> int:
    """:data:`JOBS_PER_WORKER`, or the whole number >= 1 in ``$SAMZOO_JOBS_PER_WORKER`` (read at each call)."""
    text = os.environ.get(JOBS_PER_WORKER_VARIABLE, "").strip()
    if not text:
        return JOBS_PER_WORKER
    if not text.isdigit() or int(text) < 1:
        raise SamzooError(f"{JOBS_PER_WORKER_VARIABLE}={text[:40]!r}: give a whole number >= 1 (default {JOBS_PER_WORKER})")
    return int(text)


class JobsError(SamzooError):
    """The cluster could not run the jobs at all (no scheduler there, no worker with the resources)."""

    exit_code = 1


@dataclass(frozen=True)
class Outcome:
    """What became of one call: its return value, or ``error``, one line on why it did not finish."""

    index: int
    value: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class Placement:
    """Where jobs run: ``jobs`` local processes, or the Dask cluster at ``scheduler``.

    ``resources`` (e.g. ``{"GPU": 1}``) is what each job needs of a worker: Dask starts it only on
    a worker that offers them (``dask worker --resources GPU=1``); local workers offer them all.
    """

    jobs: int = 1
    scheduler: str | None = None
    resources: tuple[tuple[str, float], ...] = ()

    @classmethod
    def of(cls, jobs: int = 1, scheduler: str | None = None, resources: Mapping[str, float] | None = None) -> Placement:
        """Check the arguments (:class:`~samzoo.plumbing.errors.ArgumentError` names the bad one)."""
        if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
            raise ArgumentError("jobs", f"{jobs!r} is not a number of worker processes: use 1 or more")
        if scheduler is not None and not str(scheduler).strip():
            raise ArgumentError("scheduler", "empty address: give the Dask scheduler's address, e.g. tcp://10.0.0.5:8786")
        if scheduler is not None and jobs != 1:
            raise ArgumentError("jobs", "give either a number of local worker processes or a scheduler address, not both")
        pairs = []
        for name, amount in (resources or {}).items():
            if not str(name).strip() or not isinstance(amount, (int, float)) or not math.isfinite(amount) or amount <= 0:
                raise ArgumentError("resources", f"{name}={amount}: give a resource name and a positive amount, e.g. GPU=1")
            pairs.append((str(name), float(amount)))
        return cls(jobs, str(scheduler).strip() if scheduler else None, tuple(sorted(pairs)))

    @property
    def in_process(self) -> bool:
        return self.scheduler is None and self.jobs == 1

    def for_calls(self, calls: int) -> Placement:
        """This placement for ``calls`` jobs: a local one starts one worker for every :func:`jobs_per_worker` calls,
        at most ``jobs`` (fewer than two workers' worth: the calls run in this process); a cluster's is kept."""
        if self.scheduler is not None or self.jobs <= 1:
            return self
        return Placement(max(1, min(self.jobs, calls // jobs_per_worker())), None, self.resources)


def run_jobs(
    fn: Callable[..., Any],
    calls: Sequence[tuple],
    placement: Placement = Placement(),
    *,
    on_start: Callable[[int], None] | None = None,
    on_done: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Run ``fn(*args)`` for each ``args`` in ``calls``; one :class:`Outcome` per call, in order.

    ``on_start(index)`` is called when a call is handed to a worker, ``on_done(outcome)`` as each
    finishes (in the calling thread). A local placement starts a worker for every :func:`jobs_per_worker`
    calls (:meth:`Placement.for_calls`); with fewer, or ``jobs=1``, the calls run in this process.
    """
    calls = [tuple(c) for c in calls]
    placement = placement.for_calls(len(calls))
    if not calls:
        return []
    if placement.in_process:
        return _run_here(fn, calls, on_start, on_done)
    from .cluster import run_on_dask

    return run_on_dask(fn, calls, placement, on_start, on_done)


def _run_here(fn, calls, on_start, on_done) -> list[Outcome]:
    """Each call in turn in this process; the warning filters are restored after each."""
    outcomes = []
    for i, args in enumerate(calls):
        if on_start:
            on_start(i)
        with warnings.catch_warnings():
            try:
                outcome = Outcome(i, value=fn(*args))
            except Exception as e:  # a job must never stop the others
                outcome = Outcome(i, error=describe_error(e))
        outcomes.append(outcome)
        if on_done:
            on_done(outcome)
    return outcomes
