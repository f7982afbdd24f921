"""``partner_gates``: the partner tools' static gates, for any package.

It reports the static gates the zoo's compatibility check applies: deepImageJ (a single
input and a weight format it runs: TorchScript or TensorFlow), ilastik (a single input
and a single output), BiaPy (a single input). It is informational: it never fails a package.
"""

from __future__ import annotations

from ..result import CheckResult
from ..check_spec import Check, PackageContext


_DEEPIMAGEJ_FORMATS = ("torchscript", "tensorflow_saved_model_bundle")



def _count(rdf: dict, key: str) -> int:
    items = rdf.get(key)
    return len(items) if isinstance(items, list) else 0



def check_partner_gates(rdf: dict) -> CheckResult:
    """Which partner tools' static gates the package meets (informational)."""
    n_in, n_out = _count(rdf, "inputs"), _count(rdf, "outputs")
    weights = rdf.get("weights") if isinstance(rdf.get("weights"), dict) else {}
    formats = [f for f in _DEEPIMAGEJ_FORMATS if weights.get(f)]
    gates = {
        "deepImageJ": [why for ok, why in ((n_in == 1, f"{n_in} inputs"), (bool(formats), "no TorchScript or TensorFlow weights")) if not ok],
        "ilastik": [why for ok, why in ((n_in == 1, f"{n_in} inputs"), (n_out == 1, f"{n_out} outputs")) if not ok],
        "BiaPy": [f"{n_in} inputs"] if n_in != 1 else [],
    }
    parts = [f"{tool} {'yes' if not why else 'no (' + ', '.join(why) + ')'}" for tool, why in gates.items()]
    return CheckResult("partner_gates", "passed", "informational: " + "; ".join(parts))


def run(ctx: PackageContext) -> CheckResult:
    return check_partner_gates(ctx.rdf)


CHECK = Check("partner_gates", "any model", "rdf", run)
