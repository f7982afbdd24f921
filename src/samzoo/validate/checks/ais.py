"""``ais``: instance-label outputs of automatic instance segmentation packages.

``ais`` applies to packages whose only output is an integer label image (automatic
instance segmentation): on every output the inference check and the size probes
produced (no extra forward pass), the labels must be integers, of the input's spatial
size, non-negative (0 = background) and canonical (objects 1..n numbered by the raster
position of their first pixel), and the test image must hold at least one object.
"""

from __future__ import annotations

import numpy as np

from ..result import CheckResult
from ..check_spec import Check, PackageContext
from ...plumbing.sam_kind import label_output


def label_problem(labels: np.ndarray, spatial: tuple[int, int]) -> str | None:
    """Why an output is not a canonical instance label image of ``spatial`` size (None when it is)."""
    if not np.issubdtype(labels.dtype, np.integer):
        return f"labels have dtype {labels.dtype}, not an integer type"
    if tuple(labels.shape[-2:]) != tuple(spatial):
        return f"labels are {labels.shape[-2]} x {labels.shape[-1]}, the input {spatial[0]} x {spatial[1]}"
    if labels.size and labels.min() < 0:
        return f"negative label {int(labels.min())} (0 must be the background)"
    flat = labels.ravel()
    ids, first = np.unique(flat, return_index=True)
    ids, first = ids[ids != 0], first[ids != 0]
    order = ids[np.argsort(first, kind="stable")]
    if not np.array_equal(order, np.arange(1, ids.size + 1)):
        return "ids are not canonical (objects 1..n in the raster order of their first pixel)"
    return None



def check_ais(rdf: dict, seen: list[tuple[str, dict[str, np.ndarray], tuple[int, int]]]) -> CheckResult:
    """Every label output seen (test image and size probes): integers, input size, 0 background, canonical ids."""
    out_id = label_output(rdf)
    if out_id is None:
        return CheckResult("ais", "skipped", "not an automatic instance segmentation package (needs one integer label output)")
    if not seen:
        return CheckResult("ais", "skipped", "no outputs to check (the inference check did not run)")
    counts = {}
    for what, outputs, spatial in seen:
        labels = outputs.get(out_id)
        if labels is None:
            return CheckResult("ais", "failed", f"{what}: output {out_id!r} missing")
        labels = np.asarray(labels)
        problem = label_problem(labels, spatial)
        if problem is not None:
            return CheckResult("ais", "failed", f"{what}: {problem}")
        counts[what] = int(labels.max()) if labels.size else 0
    if counts.get("test image", 1) == 0:
        return CheckResult("ais", "failed", "no object found in the test image; the test output should show the model at work")
    listing = ", ".join(f"{what} {n}" for what, n in counts.items())
    return CheckResult("ais", "passed", f"canonical label images of the input's size; objects: {listing}")


def run(ctx: PackageContext) -> CheckResult:
    return check_ais(ctx.rdf, ctx.seen)


CHECK = Check("ais", "SAM automatic", "loaded model", run)
