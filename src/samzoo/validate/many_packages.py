"""Validate many packages through samzoo's job runner: in this process, local worker processes or a Dask cluster."""

from __future__ import annotations

import contextlib
import os
from dataclasses import replace
from pathlib import Path
from collections.abc import Callable, Iterable, Mapping, Sequence

from ..plumbing.errors import SamzooError
from ..plumbing.errors import describe_error
from ..plumbing.jobs import Outcome, Placement, run_jobs
from .result import PackageReport
from .core_matrix.releases import check_core_versions
from .model_worker import ModelWorker
from .one_package import check_catalog_dir, check_weight_format, crashed_report, validate_with
from .model_session import resolve_device


def validate_job(source: str, device: str, quick: bool, path: str | None = None, core_versions: Sequence[str] = (),
                 catalog: str | None = None, on_check: Callable[[str], None] | None = None,
                 weight_format: str | None = None, model_worker: ModelWorker | None = None) -> PackageReport:
    """One package's report, on whatever worker runs it; never raises (a device it lacks is a failed package).

    ``path``: where the worker finds ``source`` when that differs (an absolute path for another machine).
    ``model_worker``: where the model checks run (None: in this process, e.g. a Dask worker)."""
    try:
        report = validate_with(model_worker, path or source, device=device, quick=quick, core_versions=core_versions,
                               catalog=catalog, on_check=on_check, weight_format=weight_format)
        return replace(report, source=source) if path else report
    except SamzooError as e:
        return crashed_report(source, str(e), device, quick)
    except Exception as e:  # defensive: validate_package reports problems as checks
        return crashed_report(source, f"validation crashed: {describe_error(e)}", device, quick)


def validate_many(
    sources: Iterable[str | Path],
    device: str = "cpu",
    quick: bool = False,
    jobs: int = 1,
    on_done: Callable[[PackageReport, int, int], None] | None = None,
    *,
    scheduler: str | None = None,
    resources: Mapping[str, float] | None = None,
    core_versions: Sequence[str] = (),
    catalog: str | Path | None = None,
    on_check: Callable[[str, str], None] | None = None,
    weight_format: str | None = None,
    model_worker: ModelWorker | None = None,
) -> list[PackageReport]:
    """Validate every source; reports come back in the order of ``sources``.

    ``jobs`` > 1: that many local worker processes; ``scheduler``: the Dask cluster at that address
    (package paths must be valid on its workers: a shared file system); ``resources``: what each
    validation needs of a worker, e.g. ``{"GPU": 1}`` with ``device="cuda"``. With a scheduler the
    device is resolved on each worker. One broken package never stops the others; a worker that
    dies is a failed package whose ``source`` check says why. ``on_done(report, done, total)`` is
    called as each finishes. ``core_versions`` and ``catalog`` as for :func:`validate_package`.
    ``on_check(source, check)`` is called as each check starts (when the packages are validated in this process).
    ``weight_format``: test only this format of each package (as for :func:`validate_package`).
    In this process (``jobs=1``), the checks that run a package's code run in one worker process
    shared by all packages (``isolate=True`` of :func:`validate_package`): a package that crashes it
    fails alone, and a new worker serves the next one. ``model_worker``: that worker, to start it early
    or share it between calls (the caller closes it); by default one is started and closed here.
    """
    placement = Placement.of(jobs, scheduler, resources)
    cores = check_core_versions(core_versions)
    catalog_dir = check_catalog_dir(catalog)
    check_weight_format(weight_format)
    sources = [str(s) for s in sources]
    if placement.scheduler is None:
        device = resolve_device(device)
    reports: list[PackageReport | None] = [None] * len(sources)

    def finished(outcome: Outcome) -> None:
        reports[outcome.index] = _report(outcome, sources[outcome.index], device, quick)
        if on_done:
            on_done(reports[outcome.index], sum(r is not None for r in reports), len(sources))

    # a cluster's workers run in other folders, maybe on other machines: they get absolute paths
    extra = (cores, str(catalog_dir.resolve()) if catalog_dir else None)
    # in this process, the model checks run in one worker process of their own (crash isolation, overlapped imports);
    # a Dask worker runs them itself: it is a process of its own already
    here = placement.for_calls(len(sources)).in_process  # as run_jobs decides
    with ModelWorker() if here and model_worker is None else contextlib.nullcontext(model_worker if here else None) as worker:
        calls = [(s, device, quick, os.path.abspath(s) if placement.scheduler else None, *extra, _per_check(on_check, s, placement),
                  weight_format, worker) for s in sources]
        run_jobs(validate_job, calls, placement, on_done=finished)
    return reports  # type: ignore[return-value]


def _report(outcome: Outcome, source: str, device: str, quick: bool) -> PackageReport:
    if outcome.ok:
        return outcome.value
    return crashed_report(source, outcome.error or "the validation did not finish", device, quick)


def _per_check(on_check: Callable[[str, str], None] | None, source: str, placement: Placement) -> Callable[[str], None] | None:
    """``on_check`` for one source, where the checks run in this process (a worker cannot call back)."""
    if on_check is None or not placement.in_process:
        return None
    return lambda name: on_check(source, name)
