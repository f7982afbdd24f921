"""Validate one package: :func:`validate_package`, the public entry (many packages: :mod:`.many_packages`)."""

from __future__ import annotations

import base64
import contextlib
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..plumbing.untrusted import InputLimitError, read_bytes_bounded
from .check_spec import PackageContext
from .checks import CHECKS
from .model_worker import ModelWorker
from .options import ValidationOptions
from .result import CheckResult, PackageReport
from .run_checks import Checks, missing_need, quiet_libraries, run_in_order, run_model_checks, temp_files_in

_COVER_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".svg": "image/svg+xml"}
_COVER_MAX = 2 * 1024 * 1024


def _cover_uri(rdf: dict, root: Path) -> str | None:
    """The first local cover as a ``data:`` URI (None when there is none, or it is not a small image file)."""
    covers = rdf.get("covers")
    for c in covers if isinstance(covers, list) else []:
        src = c.get("source") if isinstance(c, dict) else c
        if not isinstance(src, str) or "://" in src or ".." in src:
            continue
        path = root / src
        mime = _COVER_TYPES.get(path.suffix.lower())
        try:
            data = read_bytes_bounded(path, _COVER_MAX, "cover") if mime else None
        except (InputLimitError, ValueError):
            continue
        if data is not None:
            return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    return None


def _text(value: object) -> str | None:
    """A scalar rdf field as text for the report (None for missing or structured values)."""
    return str(value) if isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value) else None


def validate_package(
    source: str | Path, options: ValidationOptions | None = None, *, on_check: Callable[[str], None] | None = None,
    **keywords: Any,
) -> PackageReport:
    """Validate one package (zip, folder or rdf.yaml) and return its report; never raises for a bad package.

    Args:
        source: a package zip, an unpacked package folder, or its rdf.yaml.
        options: how to validate (:class:`ValidationOptions`); or give its fields as keywords
            (``validate_package("model.zip", device="cpu", quick=True)``), not both.
        on_check: called with each check's name as it starts (for progress displays).

    Returns:
        A :class:`PackageReport`: ``passed``, ``status``, ``checks`` (name, status, message, seconds, details).

    Raises:
        ArgumentError: a bad option (``device`` unknown, or cuda without a GPU, ...). A bad package never raises:
            it fails checks.

    Example::

        report = samzoo.validate_package("model.zip", quick=True)
        print(report.status, [c.name for c in report.checks if c.status == "failed"])
    """
    options = ValidationOptions.of(options, keywords)
    with ModelWorker() if options.isolate else contextlib.nullcontext() as worker:
        return validate_one(source, options, worker, on_check)


def validate_one(source: str | Path, options: ValidationOptions, worker: ModelWorker | None = None,
                 on_check: Callable[[str], None] | None = None) -> PackageReport:
    """:func:`validate_package` with checked ``options``, the model checks in ``worker`` (None: in this process).

    One worker serves the packages of a run in turn, so its imports are paid once."""
    start = time.perf_counter()
    if worker is not None:
        worker.start()  # its imports run while the package is unpacked and checked
    checks = Checks(on_check)
    with warnings.catch_warnings(), tempfile.TemporaryDirectory(prefix="samzoo-validate-") as tmp:
        quiet_libraries()
        with temp_files_in(Path(tmp) / "tmp"):
            ctx = PackageContext(options, str(source), Path(tmp))
            _run_checks(ctx, checks, worker)
            cores = _core_matrix(source, ctx)
            fields = _report_fields(ctx)
    return PackageReport(source=str(source), checks=checks.ordered(), seconds=round(time.perf_counter() - start, 3),
                         device=options.device, quick=options.quick, cores=cores, **fields)


def _run_checks(ctx: PackageContext, checks: Checks, worker: ModelWorker | None) -> None:
    """The registry's checks in order: the model ones here, or in ``worker`` (started beside the file checks)."""
    first, *files = [c for c in CHECKS if c.needs != "loaded model"]
    run_in_order(ctx, checks, [first])  # source: opens the package, reads the rdf
    if worker is not None and ctx.rdf is not None and ctx.package is not None:
        worker.submit(ctx.package.rdf, ctx.options, Path(str(ctx.workdir)) / "model")
    run_in_order(ctx, checks, files)
    model_check = next(c for c in CHECKS if c.needs == "loaded model")
    problem = missing_need(model_check, ctx, checks.results)
    if problem is not None:
        if worker is not None:
            worker.discard()
        checks.skip_rest(problem)
    elif worker is not None:
        checks.results.update(worker.collect(checks.announce))
        checks.skip_rest("not run")
    else:
        run_model_checks(ctx, checks)


def _core_matrix(source: str | Path, ctx: PackageContext) -> tuple:
    if not ctx.options.core_versions or ctx.package is None:
        return ()
    from .core_matrix import run_core_matrix

    return run_core_matrix(source, ctx.package, ctx.rdf, ctx.options.core_versions)


def _report_fields(ctx: PackageContext) -> dict[str, Any]:
    """The report's fields read from the rdf (name, id, version, cover, type, format_version)."""
    rdf = ctx.rdf
    if rdf is None or ctx.package is None:
        return {}
    return {
        "name": _text(rdf.get("name")), "model_id": _text(rdf.get("id")), "version": _text(rdf.get("version")),
        "cover": _cover_uri(rdf, ctx.package.root),
        "rdf_type": str(rdf["type"]) if rdf.get("type") else None,
        "format_version": str(rdf["format_version"]) if rdf.get("format_version") else None,
    }


def crashed_report(source: str, message: str, options: ValidationOptions) -> PackageReport:
    """The report of a package whose validation did not finish (e.g. its worker process died)."""
    checks = Checks()
    checks.results["source"] = CheckResult("source", "failed", message)
    checks.skip_rest("validation did not finish (see source)")
    return PackageReport(source=source, checks=checks.ordered(), device=options.device, quick=options.quick)
