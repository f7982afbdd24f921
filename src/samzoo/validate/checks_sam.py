"""SAM-specific checks that ``bioimageio test`` misses, on the one loaded model.

The package convention is micro-sam's: inputs ``image`` and optional
``box_prompts``, ``point_prompts``, ``point_labels``, ``mask_prompts``,
``embeddings``; outputs ``masks``, ``scores``, ``embeddings``.

They run after ``inference`` and ``size_probes`` on the same model, and cost
one encoder pass in all:

* ``sam_prompts``: each prompt subset on its own (box; points; box + points;
  mask + box) on the test image, with the test embeddings passed in (decoder
  only, no encoder pass); masks binary, image-sized, one per prompted object;
  outputs finite; scores outside [0, 1] are a warning (SAM's IoU head is
  unbounded; random weights do that).
* ``sam_image_only``: the package's own test image alone, without prompts or
  embeddings: the one encoder pass. Its outputs must be well formed. An
  architecture that returns the embeddings passed in by the previous call
  keeps a stale embedding cache (warning: micro-sam's ``PredictorAdaptor``
  does, so a second image without embeddings gets the first one's masks); the
  pass then runs on a freshly loaded model instead.
* ``encoder``: that pass's embeddings must match the package's test
  ``embeddings`` within the package's tolerance for ``embeddings``
  (``bioimageio test`` feeds the test embeddings in and never runs the
  encoder, so a package whose encoder weights were swapped passes it). When
  they differ, the pass runs again under the other ``segment_anything``
  implementation (:mod:`.implementations`); when that reproduces them, the
  weights are not accused: a warning names the implementation.

``--quick`` skips the encoder pass (``sam_image_only``, ``encoder``).
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable

import numpy as np

from .result import CheckResult
from ..plumbing.errors import one_line
from ..plumbing.tolerance import Comparison, Tolerance, compare
from .implementations import ImplementationCause, under_other_implementation
from .sam_kind import NOT_SAM, is_interactive
from .session import ModelSession

PROMPT_SUBSETS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("box", ("box_prompts",)),
    ("points", ("point_prompts", "point_labels")),
    ("box+points", ("box_prompts", "point_prompts", "point_labels")),
    ("mask+box", ("mask_prompts", "box_prompts")),
)


@dataclass
class SamState:
    """What the SAM checks share: the test arrays, and the embeddings ``sam_prompts`` passed in (mutable on purpose)."""

    image: np.ndarray
    test_inputs: dict[str, np.ndarray]
    test_embeddings: np.ndarray | None
    fed_embeddings: np.ndarray | None = None


def sam_layout_problem(session: ModelSession) -> str | None:
    """Why the package is not a SAM package the SAM checks understand (None when it is)."""
    if not is_interactive(session.input_ids, session.output_ids):
        return NOT_SAM
    return None


def prepare(session: ModelSession) -> SamState:
    """Read the package's test inputs and outputs once, as numpy arrays."""
    from bioimageio.core.digest_spec import get_test_input_sample, get_test_output_sample

    inputs = {str(k): v.data.to_numpy() for k, v in get_test_input_sample(session.descr).members.items()}
    outputs = {str(k): v.data.to_numpy() for k, v in get_test_output_sample(session.descr).members.items()}
    return SamState(image=inputs["image"], test_inputs=inputs, test_embeddings=outputs.get("embeddings"))


def output_problems(out: dict[str, np.ndarray], image_hw: tuple[int, ...], n_objects: int | None) -> tuple[list[str], list[str]]:
    """(failures, warnings) about SAM outputs: masks binary and image-sized, scores finite and in [0, 1]."""
    failed, warned = [], []
    masks, scores = out.get("masks"), out.get("scores")
    if masks is None:
        return ["no 'masks' output"], warned
    if masks.ndim < 2 or tuple(masks.shape[-2:]) != tuple(image_hw):
        failed.append(f"masks have shape {masks.shape}, expected spatial size {tuple(image_hw)}")
    if masks.dtype != bool and not np.isin(np.unique(masks), (0, 1)).all():
        failed.append(f"masks are not binary (values {np.unique(masks)[:5].tolist()}…)")
    if n_objects is not None and masks.ndim == 5 and masks.shape[1] != n_objects:
        failed.append(f"{masks.shape[1]} masks for {n_objects} prompted objects")
    for name, arr in out.items():
        if np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
            failed.append(f"{name} contains NaN or inf")
    if scores is not None and np.isfinite(scores).all() and scores.size and (scores.min() < 0 or scores.max() > 1):
        warned.append(f"scores outside [0, 1] ({scores.min():.3g}..{scores.max():.3g}; untrained weights?)")
    return failed, warned


def _run(session: ModelSession, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return session.predict(inputs)


def check_prompts(session: ModelSession, state: SamState) -> CheckResult:
    """Each prompt subset on its own, on the test image with its embeddings passed in (decoder only)."""
    available = [(label, ids) for label, ids in PROMPT_SUBSETS if all(i in session.input_ids and i in state.test_inputs for i in ids)]
    if not available:
        return CheckResult("sam_prompts", "skipped", "the package declares none of the prompt inputs (box_prompts, point_prompts, mask_prompts)")
    base: dict[str, np.ndarray] = {"image": state.image}
    if "embeddings" in session.input_ids and state.test_embeddings is not None:
        fed = state.test_embeddings.copy()
        fed.flat[0] += np.float32(1e-3)  # marks what was passed in, to recognise a stale cache later
        state.fed_embeddings = fed
        base["embeddings"] = fed
    failed, warned, done = [], [], []
    for label, ids in available:
        inputs = {**base, **{i: state.test_inputs[i] for i in ids}}
        n_objects = int(state.test_inputs[ids[0]].shape[1]) if state.test_inputs[ids[0]].ndim > 1 else None
        try:
            out = _run(session, inputs)
        except Exception as e:
            failed.append(f"{label}: raised {type(e).__name__}: {one_line(e, 120)}")
            continue
        f, w = output_problems(out, state.image.shape[-2:], n_objects)
        failed.extend(f"{label}: {x}" for x in f)
        warned.extend(f"{label}: {x}" for x in w)
        done.append(label)
    if failed:
        return CheckResult("sam_prompts", "failed", "; ".join(failed))
    msg = f"{', '.join(done)}: masks binary and image-sized, one per object, outputs finite"
    if warned:
        return CheckResult("sam_prompts", "warning", f"{msg}; but {'; '.join(warned[:2])}")
    return CheckResult("sam_prompts", "passed", msg)


def _stale(live: np.ndarray | None, state: SamState) -> bool:
    fed = state.fed_embeddings
    return live is not None and fed is not None and live.shape == fed.shape and bool(np.array_equal(live, fed))


def image_only_pass(session: ModelSession, state: SamState, reload: Callable[[], ModelSession]) -> tuple[dict, str | None]:
    """The one encoder pass: the test image alone (no prompts, no embeddings) -> (outputs, stale-cache note).

    An architecture that returns the embeddings passed in by the previous call keeps a stale
    cache (micro-sam's ``PredictorAdaptor``); then the pass runs again on a freshly loaded model,
    whose cache is empty, so that its encoder is still checked.
    """
    out = _run(session, {"image": state.image})
    if not _stale(out.get("embeddings"), state):
        return out, None
    note = ("stale embedding cache: the image without embeddings got back the embeddings passed in by the previous "
            "call, not its own (the architecture keeps them while no 'embeddings' input is given, as micro-sam's "
            "PredictorAdaptor does); callers must pass embeddings, or load the model once per image")
    fresh = reload()
    try:
        return _run(fresh, {"image": state.image}), note
    finally:
        fresh.close()


def _fresh_pass(reload: Callable[[], ModelSession], state: SamState) -> np.ndarray | None:
    """The embeddings of the test image alone, on a freshly loaded model (no cache from an earlier call)."""
    fresh = reload()
    try:
        return _run(fresh, {"image": state.image}).get("embeddings")
    finally:
        fresh.close()


def check_image_only(session: ModelSession, state: SamState, reload: Callable[[], ModelSession],
                     tolerance: tuple[float, float, float]) -> tuple[CheckResult, CheckResult]:
    """``sam_image_only`` and ``encoder`` from the one encoder pass on the package's own test image."""
    try:
        out, stale = image_only_pass(session, state, reload)
    except Exception as e:
        msg = f"the test image without prompts or embeddings raised {type(e).__name__}: {one_line(e, 200)}"
        return CheckResult("sam_image_only", "failed", msg), CheckResult("encoder", "skipped", "see sam_image_only")
    failed, warned = output_problems(out, state.image.shape[-2:], None)
    if stale:
        warned.insert(0, stale)
    if failed:
        only = CheckResult("sam_image_only", "failed", "image only: " + "; ".join(failed))
    else:
        n = out["masks"].shape[1] if out["masks"].ndim == 5 else "?"
        msg = f"test image only (no prompts, no embeddings): {n} masks, well formed" + (f"; {'; '.join(warned)}" if warned else "")
        only = CheckResult("sam_image_only", "warning" if warned else "passed", msg)
    return only, compare_embeddings(out.get("embeddings"), state.test_embeddings, tolerance, lambda: _fresh_pass(reload, state))


def compare_embeddings(live: np.ndarray | None, expected: np.ndarray | None, tolerance: tuple[float, float, float],
                       rerun: Callable[[], np.ndarray | None] | None = None) -> CheckResult:
    """``encoder``: the image encoder's embeddings of the test image match the test ``embeddings`` within tolerance.

    Judged as bioimageio.core judges outputs (:func:`samzoo.plumbing.tolerance.compare`). When they
    differ, ``rerun`` (the encoder pass again, on a freshly loaded model) runs under the other
    ``segment_anything`` implementation (:mod:`.implementations`): when that reproduces them, the
    weights are those the test outputs were made with and the implementation is named instead (a
    warning; ``inference`` fails for it).
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
