"""What the SAM checks (``sam_prompts``, ``sam_image_only``, ``encoder``) share, on the one loaded model.

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
  encoder, so a package whose encoder weights were swapped passes it).

``--quick`` skips the encoder pass (``sam_image_only``, ``encoder``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..plumbing.errors import one_line
from .model_session import ModelSession

if TYPE_CHECKING:
    from .check_spec import PackageContext


@dataclass
class SamState:
    """What the SAM checks share: the test arrays, and the embeddings ``sam_prompts`` passed in (mutable on purpose)."""

    image: np.ndarray
    test_inputs: dict[str, np.ndarray]
    test_embeddings: np.ndarray | None
    fed_embeddings: np.ndarray | None = None



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


def sam_state(ctx: PackageContext) -> SamState | str:
    """The test arrays the SAM checks share, read once per package; or why they cannot be read."""
    if ctx.sam is None and ctx.sam_problem is None:
        try:
            ctx.sam = prepare(ctx.session)
        except Exception as e:
            ctx.sam_problem = f"cannot read the test tensors: {one_line(e, 160)}"
    return ctx.sam if ctx.sam is not None else str(ctx.sam_problem)
