"""``weight_formats``: every weight format a package declares reproduces the test outputs, each reported by name.

``inference`` tests one format (the first the package declares that can run here, or the one asked
for with ``weight_format``); this check loads each other declared format on its own and runs the same
reproduction test on it (bioimageio.core's model test, on the package's test inputs). A format
whose runtime is not installed (``onnxruntime`` for ONNX) is a skip, named with the install command,
never a failure; so is, offline, a format whose file is remote and not cached (:mod:`.weight_formats_plan`).
"""

from __future__ import annotations

from typing import Any

from .inference import check_reproduction
from ..result import CheckResult
from ...plumbing.errors import one_line
from ..model_session import ModelLoadError, ModelSession
from ..check_spec import Check, PackageContext
from ..weight_formats_plan import declared_formats, why_untestable


def check_weight_formats(descr: Any, device: str, tested: str, only: bool, *, tested_status: str = "passed") -> CheckResult:
    """Each declared format but ``tested`` (checked by ``inference``, with ``tested_status``): loaded and run on the test inputs."""
    declared = declared_formats(descr)
    others = [f for f in declared if f != tested]
    if only:
        rest = f"; not tested: {', '.join(others)}" if others else ""
        return CheckResult("weight_formats", "skipped", f"only {tested} tested (as asked){rest}")
    if not others:
        return CheckResult("weight_formats", "skipped", f"the package declares one weight format ({tested}), tested by inference")
    lines = [f"{tested}: {tested_status} (see inference)"]
    failed, skipped = [], []
    for fmt in others:
        status, message = _one_format(descr, device, fmt)
        lines.append(f"{fmt}: {status}: {message}")
        (failed if status == "failed" else skipped if status == "skipped" else []).append(f"{fmt} ({message})")
    if failed:
        return CheckResult("weight_formats", "failed", f"{len(failed)} of {len(declared)} weight formats fail: " + "; ".join(failed), details=tuple(lines))
    passed = [tested] * (tested_status == "passed") + [f for f in others if not any(s.startswith(f + " ") for s in skipped)]
    message = f"{', '.join(passed)} reproduce the test outputs"
    if skipped:
        message += "; skipped: " + "; ".join(skipped)
    return CheckResult("weight_formats", "passed", message, details=tuple(lines))


def _one_format(descr: Any, device: str, fmt: str) -> tuple[str, str]:
    """(status, one line) of the reproduction test of one weight format."""
    missing = why_untestable(descr, fmt)
    if missing:
        return "skipped", missing
    try:
        session = ModelSession(descr, device, fmt)
    except ModelLoadError as e:
        return "failed", str(e)
    except Exception as e:
        return "failed", f"could not load it: {type(e).__name__}: {one_line(e, 160)}"
    try:
        result = check_reproduction(session)
    finally:
        session.close()
    return result.status, result.message


def run(ctx: PackageContext) -> CheckResult:
    only = ctx.options.weight_format is not None
    inference = ctx.earlier.get("inference")
    return check_weight_formats(ctx.descr, ctx.options.device, ctx.session.weight_format, only,
                                tested_status=inference.status if inference is not None else "passed")


CHECK = Check("weight_formats", "any model", "loaded model", run)
