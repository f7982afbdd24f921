"""``encoder``: the image encoder's embeddings of the test image match the package's test ``embeddings``."""

from __future__ import annotations

import numpy as np

from ..result import CheckResult
from ..check_spec import Check, PackageContext
from ..model_session import tolerance
from ..sam_outputs import sam_state


def compare_embeddings(live: np.ndarray | None, expected: np.ndarray | None, tolerance: tuple[float, float, float]) -> CheckResult:
    """``encoder``: the image encoder's embeddings of the test image match the test ``embeddings`` within tolerance.

    Judged as bioimageio.core judges outputs: an element mismatches when
    ``|live - expected| > atol + rtol * |expected|``; at most ``ppm`` mismatches per million.
    """
    if live is None:
        return CheckResult("encoder", "skipped", "the model has no 'embeddings' output to compare")
    if expected is None:
        return CheckResult("encoder", "skipped", "the package has no test 'embeddings' output to compare with")
    rtol, atol, ppm_tol = tolerance
    if live.shape != expected.shape:
        return CheckResult("encoder", "failed", f"the encoder's embeddings have shape {live.shape}, the test embeddings {expected.shape}")
    live64, exp64 = live.astype("float64"), expected.astype("float64")
    diff = np.abs(live64 - exp64)
    ppm = float((diff > atol + rtol * np.abs(exp64)).sum()) / max(1, exp64.size) * 1e6
    limits = f"tolerance {ppm_tol:g} ppm, rtol {rtol:g}, atol {atol:g}"
    if ppm > ppm_tol:
        return CheckResult(
            "encoder", "failed",
            f"the image encoder's embeddings of the test image differ from the package's test embeddings in "
            f"{ppm / 1e4:.2f}% of elements (max |diff| {diff.max():.3g}; {limits}): the encoder weights are not "
            "those the test outputs were made with",
        )
    return CheckResult("encoder", "passed", f"the image encoder reproduces the test embeddings ({ppm:.1f} ppm differ, max |diff| {diff.max():.3g}; {limits})")


def run(ctx: PackageContext) -> CheckResult:
    state = sam_state(ctx)
    if isinstance(state, str):
        return CheckResult("encoder", "skipped", state)
    if ctx.image_only is None:
        return CheckResult("encoder", "skipped", "see sam_image_only")
    tol = tolerance(ctx.descr, ctx.session.weight_format, "embeddings")
    return compare_embeddings(ctx.image_only.get("embeddings"), state.test_embeddings, tol)


CHECK = Check("encoder", "SAM interactive", "loaded model", run, quick_skips=True)
