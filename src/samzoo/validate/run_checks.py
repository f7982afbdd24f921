"""The checks that run a package's model (``inference`` to ``encoder``), on one loaded model.

They run in the validator's process or in its model worker (:mod:`.model_worker`);
:class:`Checks` collects the results of a validation in order.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

from .checks.ais import ais_output, check_ais
from .checks.weight_formats import check_weight_formats
from .result import CHECK_NAMES, CheckResult
from ..plumbing.errors import one_line


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

    def run(self, name: str, fn: Callable[[], CheckResult | tuple[CheckResult, ...]]) -> None:
        self.announce(name)
        start = time.perf_counter()
        try:
            out = fn()
        except Exception as e:  # a check must never crash the validation
            out = CheckResult(name, "failed", f"unexpected error: {type(e).__name__}: {one_line(e, 200)}")
        results = out if isinstance(out, tuple) else (out,)
        seconds = time.perf_counter() - start
        for i, r in enumerate(results):  # checks sharing one computation: its time goes to the first
            self.results[r.name] = CheckResult(r.name, r.status, r.message, round(seconds if i == 0 else 0.0, 3), r.details)

    def skip_rest(self, reason: str) -> None:
        for name in CHECK_NAMES:
            self.results.setdefault(name, CheckResult(name, "skipped", reason))

    def ordered(self) -> tuple[CheckResult, ...]:
        return tuple(self.results[n] for n in CHECK_NAMES if n in self.results)


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


def run_model_checks(descr, rdf: dict, device: str, quick: bool, checks: Checks, weight_format: str | None = None) -> None:
    """The checks that run the package's model (``inference`` to ``encoder``), seeded as ``bioimageio test`` seeds."""
    from .model_session import seeded

    with seeded(device):
        _run_inference(descr, rdf, device, quick, checks, weight_format)


def _run_inference(descr, rdf: dict, device: str, quick: bool, checks: Checks, weight_format: str | None = None) -> None:
    """Load the model once; run inference, size probes and the SAM checks on it."""
    from . import sam_outputs as sam
    from .checks.inference import check_reproduction
    from .checks.sam_image_only import check_image_only
    from .checks.sam_prompts import check_prompts
    from .checks.size_probes import check_size_probes
    from .model_session import ModelLoadError, ModelSession, tolerance

    start = time.perf_counter()
    checks.announce("inference")  # loading the model is part of it
    try:
        session = ModelSession(descr, device, weight_format)
    except Exception as e:
        msg = str(e) if isinstance(e, ModelLoadError) else f"could not load the model: {type(e).__name__}: {one_line(e, 200)}"
        checks.results["inference"] = CheckResult("inference", "failed", msg, round(time.perf_counter() - start, 3))
        checks.skip_rest("the model could not be loaded (see inference)")
        return
    load_seconds = time.perf_counter() - start
    try:
        problem = sam.sam_layout_problem(session)
        state = None
        if problem is None:
            try:
                state = sam.prepare(session)
            except Exception as e:
                problem = f"cannot read the test tensors: {one_line(e, 160)}"
        seen: list = []  # the outputs of the test image and of every size probe, for the AIS check
        checks.run("inference", lambda: check_reproduction(session, seen))
        checks.results["inference"] = _plus(checks.results["inference"], load_seconds)
        checks.run("weight_formats", lambda: check_weight_formats(descr, device, session.weight_format, weight_format is not None))
        checks.run("size_probes", lambda: check_size_probes(session, seen))
        checks.run("ais", lambda: check_ais(rdf, seen))
        if state is None:
            if ais_output(rdf) is not None:
                problem = "an automatic instance segmentation package: no prompts to check (see ais)"
            checks.skip_rest(problem or "not a SAM package")
            return
        checks.run("sam_prompts", lambda: check_prompts(session, state))
        if quick:
            checks.skip_rest("skipped with --quick (needs an encoder pass)")
            return
        tol = tolerance(descr, session.weight_format, "embeddings")
        checks.run("sam_image_only", lambda: check_image_only(session, state, lambda: ModelSession(descr, device), tol))
        checks.skip_rest("see sam_image_only")
    finally:
        session.close()


def _plus(result: CheckResult, seconds: float) -> CheckResult:
    return CheckResult(result.name, result.status, result.message, round(result.seconds + seconds, 3), result.details)
