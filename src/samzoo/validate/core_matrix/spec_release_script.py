"""Run inside an isolated environment: one ``bioimageio.spec`` release reads one package, its verdict as JSON.

Executed as a script by the environment's own Python (``python spec_release_script.py SOURCE OUT.json``),
so it imports nothing from samzoo: only the ``bioimageio.spec`` installed there. It calls
``load_description(source, perform_io_checks=True)`` (files are opened, hashed and read, sample tensors
included) and writes ``{"spec", "status", "errors": [{"loc", "msg"}], "warnings": [{"loc", "msg"}]}``
from the description's validation summary.
"""

import json
import os
import sys


def _entries(items):
    return [{"loc": ".".join(str(x) for x in (getattr(e, "loc", None) or ())), "msg": str(getattr(e, "msg", e))} for e in items or []]


def main(argv):
    source, out_path = argv[1], argv[2]
    result = {"spec": None, "status": "crashed", "errors": [], "warnings": []}
    try:
        import bioimageio.spec
        from bioimageio.spec import load_description

        result["spec"] = getattr(bioimageio.spec, "__version__", None)
        summary = load_description(source, perform_io_checks=True).validation_summary
        result["status"] = str(summary.status)
        for detail in getattr(summary, "details", None) or []:
            result["errors"] += _entries(getattr(detail, "errors", None))
            result["warnings"] += _entries(getattr(detail, "warnings", None))
    except BaseException as e:  # report every failure of the run itself, including import errors
        result["errors"].append({"loc": "", "msg": f"{type(e).__name__}: {e}"})
    tmp = out_path + ".part"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(result, f)
    os.replace(tmp, out_path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
