"""Validate many packages through samzoo's job runner: in this process, local worker processes or a Dask cluster."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..plumbing.errors import SamzooError, describe_error
from ..plumbing.jobs import Outcome, Placement, run_jobs
from .model_worker import ModelWorker
from .one_package import crashed_report, validate_one
from .options import ValidationOptions
from .result import PackageReport


def validate_job(source: str, options: ValidationOptions, path: str | None = None,
                 on_check: Callable[[str], None] | None = None, model_worker: ModelWorker | None = None) -> PackageReport:
    """One package's report, on whatever worker runs it; never raises (a device it lacks is a failed package).

    ``path``: where the worker finds ``source`` when that differs (an absolute path for another machine).
    ``model_worker``: where the model checks run (None: in this process, e.g. a Dask worker)."""
    try:
        if options.scheduler is not None:  # on a cluster's worker: its own device
            options = replace(options, scheduler=None, resources=None)
        report = validate_one(path or source, options, model_worker, on_check)
        return replace(report, source=source) if path else report
    except SamzooError as e:
        return crashed_report(source, str(e), options)
    except Exception as e:  # defensive: validate_one reports problems as checks
        return crashed_report(source, f"validation crashed: {describe_error(e)}", options)


def validate_many(
    sources: Iterable[str | Path],
    options: ValidationOptions | None = None,
    *,
    on_done: Callable[[PackageReport, int, int], None] | None = None,
    on_check: Callable[[str, str], None] | None = None,
    model_worker: ModelWorker | None = None,
    **keywords: Any,
) -> list[PackageReport]:
    """Validate every source; reports come back in the order of ``sources``.

    ``options`` (or its fields as keywords) as for :func:`~samzoo.validate.validate_package`; its ``jobs`` > 1:
    that many local worker processes; ``scheduler``: the Dask cluster at that address (package paths must be
    valid on its workers: a shared file system); ``resources``: what each validation needs of a worker, e.g.
    ``{"GPU": 1}`` with ``device="cuda"``. With a scheduler the device is resolved on each worker. One broken
    package never stops the others; a worker that dies is a failed package whose ``source`` check says why.
    ``on_done(report, done, total)`` is called as each finishes; ``on_check(source, check)`` as each check
    starts (when the packages are validated in this process). In this process (``jobs=1``), the checks that
    run a package's code run in one worker process shared by all packages: a package that crashes it fails
    alone, and a new worker serves the next one. ``model_worker``: that worker, to start it early or share it
    between calls (the caller closes it); by default one is started and closed here.
    """
    options = ValidationOptions.of(options, keywords)
    placement = options.placement
    sources = [str(s) for s in sources]
    reports: list[PackageReport | None] = [None] * len(sources)

    def finished(outcome: Outcome) -> None:
        reports[outcome.index] = _report(outcome, sources[outcome.index], options)
        if on_done:
            on_done(reports[outcome.index], sum(r is not None for r in reports), len(sources))

    # in this process, the model checks run in one worker process of their own (crash isolation, overlapped imports);
    # a Dask worker runs them itself: it is a process of its own already
    here = placement.for_calls(len(sources)).in_process  # as run_jobs decides
    with ModelWorker() if here and model_worker is None else contextlib.nullcontext(model_worker if here else None) as worker:
        calls = [(s, options, os.path.abspath(s) if placement.scheduler else None, _per_check(on_check, s, placement), worker)
                 for s in sources]
        run_jobs(validate_job, calls, placement, on_done=finished)
    return reports  # type: ignore[return-value]


def _report(outcome: Outcome, source: str, options: ValidationOptions) -> PackageReport:
    if outcome.ok:
        return outcome.value
    return crashed_report(source, outcome.error or "the validation did not finish", options)


def _per_check(on_check: Callable[[str, str], None] | None, source: str, placement: Placement) -> Callable[[str], None] | None:
    """``on_check`` for one source, where the checks run in this process (a worker cannot call back)."""
    if on_check is None or not placement.in_process:
        return None
    return lambda name: on_check(source, name)
