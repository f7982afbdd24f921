"""``size_probes``: the test inputs resized to n = 0, 1, 2 of every parameterized axis (and batch 1, 2
when the batch is free) give the output shapes the description promises, on the one loaded model."""

from __future__ import annotations

from itertools import product

from ...plumbing.errors import one_line
from ..model_session import ModelSession, sample_arrays, spatial_size
from ..result import CheckResult
from ..check_spec import Check, PackageContext


def check_size_probes(session: ModelSession, seen: list | None = None) -> CheckResult:
    """Run resized test inputs (n = 0, 1, 2; batch 1, 2 if free) and check the promised output shapes.

    ``seen`` (optional) receives ``(f"n={n}", outputs, (y, x) of the input)`` for every probe.
    """
    from bioimageio.core.digest_spec import get_test_input_sample
    from bioimageio.core.sample import Sample
    from bioimageio.spec.model import v0_5

    descr = session.descr
    if not isinstance(descr, v0_5.ModelDescr):
        return CheckResult("size_probes", "skipped", "model format 0.4 has no parameterized sizes to probe")
    param = [(t.id, a.id) for t in descr.inputs for a in t.axes if isinstance(a.size, v0_5.ParameterizedSize)]
    ns = (0, 1, 2) if param else (0,)
    given = {a.size for t in descr.inputs for a in t.axes if isinstance(a, v0_5.BatchAxis)}
    batches = ({g for g in given if g is not None} or {1, 2}) if given else {1}
    try:
        test_input = get_test_input_sample(descr)
    except Exception as e:
        return CheckResult("size_probes", "failed", f"cannot read the test inputs: {one_line(e, 200)}")
    tested, runs = set(), 0
    for batch, n in product(sorted(batches), ns):
        in_sizes, out_sizes = descr.get_axis_sizes(dict.fromkeys(param, n), batch_size=batch)
        key = tuple(sorted((str(k), v) for k, v in in_sizes.items()))
        if key in tested:
            continue
        tested.add(key)
        try:
            inputs = Sample(
                members={t.id: test_input.members[t.id].resize_to({a: s for (tid, a), s in in_sizes.items() if tid == t.id})
                         for t in descr.inputs},
                stat=test_input.stat, id=test_input.id,
            )
            result = session.pipeline.predict_sample_without_blocking(inputs, skip_input_padding=True, skip_output_cropping=True)
        except Exception as e:
            return CheckResult("size_probes", "failed", f"(batch {batch}, n={n}) the model raised: {type(e).__name__}: {one_line(e, 200)}")
        runs += 1
        if seen is not None:
            seen.append((f"n={n}" if len(batches) == 1 else f"batch {batch} n={n}", sample_arrays(result.members), spatial_size(inputs.members)))
        for t in descr.outputs:
            res = result.members.get(t.id)
            if res is None:
                return CheckResult("size_probes", "failed", f"(batch {batch}, n={n}) output {t.id!r} missing")
            for axis, size in res.sizes.items():
                exp = out_sizes.get((t.id, axis))
                if exp is None:
                    continue
                bad = size != exp if isinstance(exp, int) else (size < exp.min or (exp.max is not None and size > exp.max))
                if bad:
                    return CheckResult("size_probes", "failed", f"(batch {batch}, n={n}) output {t.id!r} axis {axis!r} has size {size}, the description promises {exp}")
    return CheckResult("size_probes", "passed", f"{runs} resized inputs (n = {', '.join(map(str, ns))}) gave the promised output shapes")


def run(ctx: PackageContext) -> CheckResult:
    return check_size_probes(ctx.session, ctx.seen)


CHECK = Check("size_probes", "any model", "loaded model", run)
