"""Run inside an isolated environment: the zoo's compatibility call on one package, summary as JSON.

Executed as a script by the environment's own Python (``python zoo_test_script.py SOURCE SHA256|- OUT.json``),
so it imports nothing from samzoo: only the ``bioimageio.core`` release installed there. It calls
``test_description(source, sha256=..., determinism="full")`` (with only the keywords that release
accepts) and writes ``{"core", "spec", "status", "details": [{"name", "status", "errors"}]}``.
The environment itself is the one the package describes, so the test runs in the active interpreter.
"""

import inspect
import json
import os
import sys
import traceback


def _is_exception_line(line):
    text = line.strip(" `│")
    head = text.split(":", 1)[0]
    return ":" in text and " " not in head and (head.endswith(("Error", "Exception")) or head in ("KeyboardInterrupt",))


def _details(summary):
    out = []
    for d in getattr(summary, "details", None) or []:
        errors = []
        for e in getattr(d, "errors", None) or []:
            loc = ".".join(str(x) for x in (getattr(e, "loc", None) or ()))
            tb = str(getattr(e, "traceback_md", "") or "")
            causes = [ln.strip(" `│") for ln in tb.splitlines() if _is_exception_line(ln)]
            errors.append({"loc": loc, "msg": str(getattr(e, "msg", e)), "causes": causes[-4:]})
        out.append({"name": str(getattr(d, "name", "")), "status": str(getattr(d, "status", "")), "errors": errors})
    return out


def main(argv):
    source, sha256, out_path = argv[1], argv[2], argv[3]
    result = {"core": None, "spec": None, "status": "crashed", "details": []}
    try:
        import bioimageio.core
        import bioimageio.spec
        from bioimageio.core import test_description

        result["core"] = getattr(bioimageio.core, "__version__", None)
        result["spec"] = getattr(bioimageio.spec, "__version__", None)
        accepted = inspect.signature(test_description).parameters
        wanted = {"sha256": None if sha256 == "-" else sha256, "determinism": "full", "runtime_env": "currently-active"}
        kwargs = {k: v for k, v in wanted.items() if k in accepted and v is not None}
        summary = test_description(source, **kwargs)
        result["status"] = str(summary.status)
        result["details"] = _details(summary)
    except BaseException as e:  # report every failure of the run itself, including import errors
        result["details"].append({"name": "run test_description", "status": "failed", "errors": [
            {"loc": "", "msg": f"{type(e).__name__}: {e}", "causes": traceback.format_exc().splitlines()[-3:]}]})
    tmp = out_path + ".part"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(result, f)
    os.replace(tmp, out_path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
