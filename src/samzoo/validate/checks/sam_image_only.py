"""``sam_image_only``: the package's own test image alone, without prompts or embeddings (the one encoder pass)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ...plumbing.errors import one_line
from ..model_session import ModelSession
from ..result import CheckResult
from ..sam_outputs import SamState, output_problems
from ..check_spec import Check, PackageContext
from ..sam_outputs import sam_state


def _stale(live: np.ndarray | None, state: SamState) -> bool:
    fed = state.fed_embeddings
    return live is not None and fed is not None and live.shape == fed.shape and bool(np.array_equal(live, fed))



def image_only_pass(session: ModelSession, state: SamState, reload: Callable[[], ModelSession]) -> tuple[dict, str | None]:
    """The one encoder pass: the test image alone (no prompts, no embeddings) -> (outputs, stale-cache note).

    An architecture that returns the embeddings passed in by the previous call keeps a stale
    cache (micro-sam's ``PredictorAdaptor``); then the pass runs again on a freshly loaded model,
    whose cache is empty, so that its encoder is still checked.
    """
    out = session.predict({"image": state.image})
    if not _stale(out.get("embeddings"), state):
        return out, None
    note = ("stale embedding cache: the image without embeddings got back the embeddings passed in by the previous "
            "call, not its own (the architecture keeps them while no 'embeddings' input is given, as micro-sam's "
            "PredictorAdaptor does); callers must pass embeddings, or load the model once per image")
    fresh = reload()
    try:
        return fresh.predict({"image": state.image}), note
    finally:
        fresh.close()



def check_image_only(session: ModelSession, state: SamState, reload: Callable[[], ModelSession]) -> tuple[CheckResult, dict | None]:
    """``sam_image_only`` and the outputs of its encoder pass on the package's own test image (None if it raised)."""
    try:
        out, stale = image_only_pass(session, state, reload)
    except Exception as e:
        msg = f"the test image without prompts or embeddings raised {type(e).__name__}: {one_line(e, 200)}"
        return CheckResult("sam_image_only", "failed", msg), None
    failed, warned = output_problems(out, state.image.shape[-2:], None)
    if stale:
        warned.insert(0, stale)
    if failed:
        only = CheckResult("sam_image_only", "failed", "image only: " + "; ".join(failed))
    else:
        n = out["masks"].shape[1] if out["masks"].ndim == 5 else "?"
        msg = f"test image only (no prompts, no embeddings): {n} masks, well formed" + (f"; {'; '.join(warned)}" if warned else "")
        only = CheckResult("sam_image_only", "warning" if warned else "passed", msg)
    return only, out


def run(ctx: PackageContext) -> CheckResult:
    state = sam_state(ctx)
    if isinstance(state, str):
        return CheckResult("sam_image_only", "skipped", state)
    result, ctx.image_only = check_image_only(ctx.session, state, lambda: ModelSession(ctx.descr, ctx.options.device))
    return result


CHECK = Check("sam_image_only", "SAM interactive", "loaded model", run, quick_skips=True)
