"""``encoder``: the image encoder's embeddings of the test image match the package's test ``embeddings``.

``bioimageio test`` feeds the test embeddings in and never runs the encoder, so a package whose encoder
weights were swapped passes it; this check compares the embeddings of ``sam_image_only``'s encoder pass.
When they differ, the pass runs again under the other ``segment_anything`` implementation
(:mod:`..implementations`): when that reproduces them, the weights are not accused: a warning names the
implementation (``inference`` fails for it).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ...plumbing.tolerance import Comparison, Tolerance, compare
from ..check_spec import Check, PackageContext
from ..implementations import ImplementationCause, under_other_implementation
from ..model_session import ModelSession, tolerance
from ..result import CheckResult
from ..sam_outputs import SamState, sam_state


def compare_embeddings(live: np.ndarray | None, expected: np.ndarray | None, tolerance: tuple[float, float, float],
                       rerun: Callable[[], np.ndarray | None] | None = None) -> CheckResult:
    """``encoder``: the embeddings ``live`` match ``expected`` within ``tolerance`` (rtol, atol, ppm).

    Judged as bioimageio.core judges outputs (:func:`samzoo.plumbing.tolerance.compare`). When they
    differ, ``rerun`` (the encoder pass again, on a freshly loaded model) runs under the other
    ``segment_anything`` implementation.
    """
    if live is None:
        return CheckResult("encoder", "skipped", "the model has no 'embeddings' output to compare")
    if expected is None:
        return CheckResult("encoder", "skipped", "the package has no test 'embeddings' output to compare with")
    if live.shape != expected.shape:
        return CheckResult("encoder", "failed", f"the encoder's embeddings have shape {live.shape}, the test embeddings {expected.shape}")
    tol = Tolerance(*tolerance)
    here = compare(expected, live, tol)
    if here.within:
        return CheckResult("encoder", "passed", f"the image encoder reproduces the test embeddings ({here.ppm:.1f} ppm differ, "
                                                f"max |diff| {here.max_diff:.3g}; {tol.describe()})")
    explained = _explained_by_implementation(expected, tol, rerun)
    if explained is not None:
        cause, there = explained
        return CheckResult(
            "encoder", "warning",
            f"the encoder weights are those the test outputs were made with: under {cause.made_under} the image encoder "
            f"reproduces the test embeddings ({there.describe_ppm()} differ, max |diff| {there.max_diff:.3g}), under "
            f"{cause.installed} {here.describe_ppm()} differ (max |diff| {here.max_diff:.3g}; {tol.describe()}), because "
            f"{cause.describe()} (see inference)",
        )
    return CheckResult(
        "encoder", "failed",
        f"the image encoder's embeddings of the test image differ from the package's test embeddings in "
        f"{here.describe_ppm()} of elements (max |diff| {here.max_diff:.3g}; {tol.describe()}): the encoder weights are not "
        "those the test outputs were made with",
    )


def _explained_by_implementation(expected: np.ndarray, tol: Tolerance, rerun: Callable[[], np.ndarray | None] | None
                                 ) -> tuple[ImplementationCause, Comparison] | None:
    """(cause, comparison) when the encoder pass under the other ``segment_anything`` reproduces ``expected``."""
    def again() -> Comparison | None:
        live = rerun() if rerun is not None else None
        return compare(expected, live, tol) if live is not None and live.shape == expected.shape else None

    got = under_other_implementation(again) if rerun is not None else None
    if got is None or got[1] is None or not got[1].within:
        return None
    return got[0], got[1]


def _fresh_pass(ctx: PackageContext, state: SamState) -> np.ndarray | None:
    """The embeddings of the test image alone, on a freshly loaded model (no cache from an earlier call)."""
    fresh = ModelSession(ctx.descr, ctx.options.device, ctx.session.weight_format)
    try:
        return fresh.predict({"image": state.image}).get("embeddings")
    finally:
        fresh.close()


def run(ctx: PackageContext) -> CheckResult:
    state = sam_state(ctx)
    if isinstance(state, str):
        return CheckResult("encoder", "skipped", state)
    if ctx.image_only is None:
        return CheckResult("encoder", "skipped", "see sam_image_only")
    tol = tolerance(ctx.descr, ctx.session.weight_format, "embeddings")
    return compare_embeddings(ctx.image_only.get("embeddings"), state.test_embeddings, tol, lambda: _fresh_pass(ctx, state))


CHECK = Check("encoder", "SAM interactive", "loaded model", run, quick_skips=True)
