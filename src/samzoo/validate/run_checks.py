"""Run the registry's checks (:data:`.checks.CHECKS`) of one package in order; :class:`Checks` collects the results.

A check that cannot run says why in one line: what it needs is missing ("the rdf could not be read (see
format)"), or it does not apply to the package ("not applicable: not a SAM package ..."). The checks that
run the model (:func:`run_model_checks`) run in the validator's process or in its model worker.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path

from ..plumbing.errors import one_line
from .check_spec import Check, PackageContext, not_applicable, not_applicable_result
from .checks import CHECK_NAMES, MODEL_CHECKS
from .result import CheckResult

QUICK = "skipped with --quick (needs an encoder pass)"
NOT_LOADED = "the model could not be loaded (see inference)"
NOT_OFFLINE = "not tested offline (see inference)"


class Checks:
    """Collects check results in order; runs each check guarded and timed."""

    def __init__(self, on_check: Callable[[str], None] | None = None) -> None:
        self.results: dict[str, CheckResult] = {}
        self.on_check = on_check

    def announce(self, name: str) -> None:
        """Tell the caller that check ``name`` starts (progress); a failing callback never stops the validation."""
        if self.on_check is not None:
            with contextlib.suppress(Exception):
                self.on_check(name)

    def run(self, name: str, fn: Callable[[], CheckResult]) -> None:
        self.announce(name)
        start = time.perf_counter()
        try:
            out = fn()
        except Exception as e:  # a check must never crash the validation
            out = CheckResult(name, "failed", f"unexpected error: {type(e).__name__}: {one_line(e, 200)}")
        self.results[name] = CheckResult(name, out.status, out.message, round(time.perf_counter() - start, 3), out.details)

    def skip(self, name: str, reason: str) -> None:
        self.results[name] = CheckResult(name, "skipped", reason)

    def skip_rest(self, reason: str) -> None:
        for name in CHECK_NAMES:
            self.results.setdefault(name, CheckResult(name, "skipped", reason))

    def ordered(self) -> tuple[CheckResult, ...]:
        return tuple(self.results[n] for n in CHECK_NAMES if n in self.results)


def missing_need(check: Check, ctx: PackageContext, results: dict[str, CheckResult]) -> str | None:
    """Why ``check`` cannot run: what it needs is missing (None when it can)."""
    if check.needs == "nothing":
        return None
    if ctx.package is None:
        return "the package could not be opened (see source)"
    if check.needs == "package":
        return None
    if ctx.rdf is None:
        return "the rdf could not be read (see format)"
    if check.needs != "loaded model":
        return None
    if ctx.descr is None:
        return "the description is invalid (see format)"
    files = results.get("files")
    if files is not None and files.status == "failed":
        return "package files are missing or corrupt (see files)"
    return None


def run_in_order(ctx: PackageContext, checks: Checks, selected: Sequence[Check]) -> None:
    """Run ``selected`` (checks that need no model) in order, each or the line saying why it cannot run."""
    for check in selected:
        reason = missing_need(check, ctx, checks.results)
        why_not = not_applicable(check, ctx.rdf) if reason is None and ctx.rdf is not None else None
        if reason is not None:
            checks.skip(check.name, reason)
        elif why_not is not None:
            checks.results[check.name] = not_applicable_result(check.name, why_not)
        else:
            checks.run(check.name, partial(check.run, ctx))


@contextlib.contextmanager
def temp_files_in(folder: Path) -> Iterator[None]:
    """Point ``tempfile`` (used by bioimageio.core for its copy of the architecture file) into ``folder``."""
    folder.mkdir()
    old = tempfile.tempdir
    tempfile.tempdir = str(folder)
    try:
        yield
    finally:
        tempfile.tempdir = old


def quiet_libraries() -> None:
    """Keep bioimageio's loguru output and third-party warnings off the user's terminal.

    Called inside ``warnings.catch_warnings()``: the caller's warning filters are restored afterwards."""
    try:
        from loguru import logger

        logger.disable("bioimageio")
    except ImportError:  # pragma: no cover
        pass
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=UserWarning)


def run_model_checks(ctx: PackageContext, checks: Checks) -> None:
    """The checks that run the package's model, on one loaded model, seeded as ``bioimageio test`` seeds."""
    from .model_session import seeded

    with seeded(ctx.options.device):
        _on_loaded_model(ctx, checks)


def _on_loaded_model(ctx: PackageContext, checks: Checks) -> None:
    """Load the model once (part of ``inference``); run every model check that applies on it."""
    from .model_session import ModelLoadError, ModelSession, NotTestableOffline

    start = time.perf_counter()
    checks.announce("inference")
    ctx.earlier = checks.results
    try:
        ctx.session = ModelSession(ctx.descr, ctx.options.device, ctx.options.weight_format)
    except Exception as e:
        msg = str(e) if isinstance(e, ModelLoadError) else f"could not load the model: {type(e).__name__}: {one_line(e, 200)}"
        offline = isinstance(e, NotTestableOffline)
        checks.results["inference"] = CheckResult("inference", "skipped" if offline else "failed", msg, round(time.perf_counter() - start, 3))
        skip_model_checks(ctx, checks, NOT_OFFLINE if offline else NOT_LOADED)
        return
    load_seconds = time.perf_counter() - start
    try:
        for check in MODEL_CHECKS:
            why_not = not_applicable(check, ctx.rdf or {})
            if why_not is not None:
                checks.results[check.name] = not_applicable_result(check.name, why_not)
            elif check.quick_skips and ctx.options.quick:
                checks.skip(check.name, QUICK)
            else:
                checks.run(check.name, partial(check.run, ctx))
        checks.results["inference"] = _plus(checks.results["inference"], load_seconds)
    finally:
        ctx.session.close()


def skip_model_checks(ctx: PackageContext, checks: Checks, reason: str) -> None:
    """Every model check not done yet: not applicable, or skipped for ``reason``."""
    for check in MODEL_CHECKS:
        why_not = not_applicable(check, ctx.rdf) if ctx.rdf is not None else None
        if check.name in checks.results:
            continue
        checks.results[check.name] = not_applicable_result(check.name, why_not) if why_not else CheckResult(check.name, "skipped", reason)


def _plus(result: CheckResult, seconds: float) -> CheckResult:
    return CheckResult(result.name, result.status, result.message, round(result.seconds + seconds, 3), result.details)
