"""``inference``: bioimageio.core's model test, on the one loaded model.

This is what ``bioimageio test`` does (``bioimageio.core._resource_tests``),
re-implemented on a shared :class:`~..model_session.ModelSession` so the model is
loaded once: the test inputs go through the pipeline (pre-processing, model,
post-processing) and every output must match its test output within the
package's ``config.bioimageio.reproducibility_tolerance`` (first matching
entry; the spec's defaults otherwise), judged by bioimageio.core's own
``evaluate_mismatched_elements``.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

import numpy as np

from ...plumbing.errors import one_line
from ..model_session import ModelSession, sample_arrays, spatial_size, tolerance
from ..result import CheckResult
from ..check_spec import Check, PackageContext
from ..implementations import explain


def _declared_types(tensor_descr: Any) -> set[str]:
    data = getattr(tensor_descr, "data", None)
    if data is None:  # format 0.4
        return {str(tensor_descr.data_type)} if getattr(tensor_descr, "data_type", None) else set()
    items = data if isinstance(data, (list, tuple)) else [data]
    return {str(d.type) for d in items if getattr(d, "type", None)}



def dtype_problems(descr: Any, inputs: Any, outputs: Any) -> list[str]:
    """Test tensors whose dtype is not the one the description declares (bioimageio.core never compares them)."""
    problems = []
    for kind, tensors, sample in (("input", descr.inputs, inputs), ("output", descr.outputs, outputs)):
        for t in tensors:
            tid = getattr(t, "id", None) or getattr(t, "name", None)
            member = sample.members.get(tid)
            declared = _declared_types(t)
            if member is None or not declared:
                continue
            got = str(member.data.dtype)
            if got not in declared:
                problems.append(f"test {kind} {str(tid)!r} is {got}, the description declares {' or '.join(sorted(declared))}")
    return problems



def nonfinite_problem(name: str, actual: np.ndarray, expected: np.ndarray) -> str | None:
    """NaN in a test output or a model output, or inf where the other has none: a mismatch.

    bioimageio.core's comparison (``|a - b| > atol + rtol * |b|``) is never true for NaN, so an
    all-NaN test output would match anything.
    """
    if not (np.issubdtype(expected.dtype, np.floating) or np.issubdtype(actual.dtype, np.floating)):
        return None
    exp_nan, act_nan = int(np.isnan(expected).sum()), int(np.isnan(actual).sum())
    if exp_nan:
        return f"the test output {name!r} has {exp_nan} NaN values of {expected.size}; test outputs must be numbers (re-export the package)"
    if act_nan:
        return f"output {name!r} has {act_nan} NaN values of {actual.size} on the test inputs (NaN weights?)"
    exp_inf, act_inf = np.isinf(expected), np.isinf(actual)
    if exp_inf.any() or act_inf.any():
        differ = int((exp_inf != act_inf).sum() + (exp_inf & act_inf & (np.sign(expected) != np.sign(actual))).sum())
        if differ:
            return f"output {name!r}: {differ} infinite values differ from the test output"
    return None



def _compare(session: ModelSession, seen: list | None = None) -> tuple[list[str], list[str], int]:
    """(problems, notes, number of outputs) of one run of the test inputs against the test outputs.

    ``seen`` (optional) receives ``("test image", outputs, (y, x) of the input)`` for later checks.
    """
    from bioimageio.core._resource_tests import evaluate_mismatched_elements
    from bioimageio.core.digest_spec import get_test_input_sample, get_test_output_sample

    descr, pp = session.descr, session.pipeline
    test_input = get_test_input_sample(descr)
    expected = get_test_output_sample(descr)
    pp.apply_preprocessing(test_input)
    raw = pp.predict_sample_without_blocking(
        test_input, skip_postprocessing=True, skip_preprocessing=True, skip_input_padding=True, skip_output_cropping=True
    )
    results = deepcopy(raw)
    pp.apply_postprocessing(results)
    if seen is not None:
        seen.append(("test image", sample_arrays(results.members), spatial_size(test_input.members)))
    if len(results.members) != len(expected.members):
        return [f"expected {len(expected.members)} outputs, the model returned {len(results.members)}"], [], len(expected.members)
    problems, notes = [], []
    for m, exp in expected.members.items():
        actual = results.members.get(m)
        if actual is None:
            problems.append(f"output {m!r} missing")
            continue
        if actual.dims != exp.dims or actual.tagged_shape != exp.tagged_shape:
            problems.append(f"output {m!r} has shape {dict(actual.tagged_shape)}, the test output {dict(exp.tagged_shape)}")
            continue
        nonfinite = nonfinite_problem(str(m), actual.data.to_numpy(), exp.data.to_numpy())
        if nonfinite:
            problems.append(nonfinite)
            continue
        rtol, atol, ppm_tol = tolerance(descr, session.weight_format, str(m))
        ppm, _msg, error = evaluate_mismatched_elements(actual, exp, rtol, atol, str(m))
        if error is not None:
            problems.append(one_line(error, 160))
        elif ppm > ppm_tol:
            pct = f"{ppm / 10_000:.2f}%" if ppm >= 1000 else f"{ppm:.1f} ppm"
            problems.append(f"output {m!r}: {pct} of elements differ from the test output (tolerance {ppm_tol:g} ppm, rtol {rtol:g}, atol {atol:g})")
        elif ppm > 0:
            notes.append(f"{m}: {ppm:.1f} ppm within tolerance")
    return problems, notes, len(expected.members)



def check_reproduction(session: ModelSession, seen: list | None = None) -> CheckResult:
    """Reproduce the package's test outputs from its test inputs within its tolerance.

    ``seen`` (optional) receives ``("test image", outputs, (y, x) of the input)`` for later checks.

    When they differ only because the test outputs were made under the other ``segment_anything``
    implementation (PyPI ``segment-anything`` vs the fork ``segment-anything-py``), the message says so.
    """
    from bioimageio.core.digest_spec import get_test_input_sample, get_test_output_sample

    try:
        declared = dtype_problems(session.descr, get_test_input_sample(session.descr), get_test_output_sample(session.descr))
        if declared:
            more = f" (+{len(declared) - 1} more)" if len(declared) > 1 else ""
            return CheckResult("inference", "failed", declared[0] + more + " — the test tensors do not match the description")
        problems, notes, n = _compare(session, seen)
    except Exception as e:
        return CheckResult("inference", "failed", f"the model raised on its test inputs: {type(e).__name__}: {one_line(e, 200)}")
    if problems:
        cause = explain(lambda: not _compare(session)[0])
        if cause is not None:
            return CheckResult(
                "inference", "failed",
                f"{cause.describe()}; the outputs match under {cause.made_under}. Pin it in environment.yaml, or "
                "resize in the architecture itself",
            )
        return CheckResult("inference", "failed", "; ".join(problems) + " — the package's test outputs do not match its model")
    extra = f" ({'; '.join(notes)})" if notes else ""
    return CheckResult("inference", "passed", f"{n} test outputs reproduced within tolerance on {session.device} ({session.weight_format}){extra}")


def run(ctx: PackageContext) -> CheckResult:
    return check_reproduction(ctx.session, ctx.seen)


CHECK = Check("inference", "any model", "loaded model", run)
