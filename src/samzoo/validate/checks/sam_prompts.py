"""``sam_prompts``: each prompt subset on its own, on the test image with its embeddings passed in (decoder only)."""

from __future__ import annotations

import numpy as np

from ...plumbing.errors import one_line
from ..model_session import ModelSession
from ..result import CheckResult
from ..sam_outputs import SamState, output_problems
from ..check_spec import Check, PackageContext
from ..sam_outputs import sam_state


PROMPT_SUBSETS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("box", ("box_prompts",)),
    ("points", ("point_prompts", "point_labels")),
    ("box+points", ("box_prompts", "point_prompts", "point_labels")),
    ("mask+box", ("mask_prompts", "box_prompts")),
)



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
            out = session.predict(inputs)
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


def run(ctx: PackageContext) -> CheckResult:
    state = sam_state(ctx)
    if isinstance(state, str):
        return CheckResult("sam_prompts", "skipped", state)
    return check_prompts(ctx.session, state)


CHECK = Check("sam_prompts", "SAM interactive", "loaded model", run)
