"""Which samzoo modules one ``validate_package`` call runs functions of, in this process and in its model worker.

Usage: ``python scripts/trace_validate.py PACKAGE.zip`` (a vit_t package: ``samzoo build vit_t_lm ...``).
Prints the modules of (1) an in-process call (``isolate=False``), (2) an isolated call's own process and
(3) its model worker process (traced through a ``sitecustomize`` put on the worker's ``PYTHONPATH``).
Code run on import (module bodies, dataclass-generated methods) is not counted: only functions called.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

#: what decides whether a call counts: not code that runs while a module is imported (module and class bodies,
#: dataclass-generated methods), only functions the validation calls; the same in this process and in the worker
_COUNTED = '''
def _counted(frame):
    if frame.f_code.co_name in ("<module>", "__create_fn__"):
        return False
    f = frame.f_back
    while f is not None:
        if "importlib._bootstrap" in f.f_code.co_filename:
            return False
        f = f.f_back
    return True
'''
exec(_COUNTED)
_SITE = _COUNTED + '''
import os, sys
_out, _seen = os.environ["SAMZOO_TRACE_OUT"], set()
def _prof(frame, event, arg):
    if event == "call":
        name = frame.f_globals.get("__name__") or ""
        if name.startswith("samzoo") and name not in _seen and _counted(frame):
            _seen.add(name)
            with open(_out, "a") as f:
                f.write(name + "\\n")
sys.setprofile(_prof)
import threading; threading.setprofile(_prof)
'''


def _traced(fn) -> set[str]:
    """The samzoo modules whose functions run while ``fn()`` runs (this thread and threads it starts)."""
    seen: set[str] = set()

    def prof(frame, event, arg):
        if event == "call":
            name = frame.f_globals.get("__name__") or ""
            if name.startswith("samzoo") and name not in seen and _counted(frame):  # noqa: F821 - defined by exec above
                seen.add(name)

    import threading

    sys.setprofile(prof)
    threading.setprofile(prof)
    try:
        fn()
    finally:
        sys.setprofile(None)
        threading.setprofile(None)
    return seen


def _show(title: str, modules: set[str]) -> None:
    print(f"{title}: {len(modules)} modules")
    for m in sorted(modules):
        print(f"  {m}")


def main(package: str) -> int:
    from samzoo.validate import validate_package

    validate_package(package, quick=True)  # warm-up: imports and lazy caches are not what is measured
    in_process = _traced(lambda: validate_package(package))
    _show("validate_package(isolate=False)", in_process)
    with tempfile.TemporaryDirectory() as tmp:
        site, out = Path(tmp) / "site", Path(tmp) / "worker.txt"
        site.mkdir()
        (site / "sitecustomize.py").write_text(_SITE)
        old = dict(os.environ)
        os.environ["SAMZOO_TRACE_OUT"] = str(out)
        os.environ["PYTHONPATH"] = os.pathsep.join([str(site), *filter(None, [old.get("PYTHONPATH")])])
        try:
            parent = _traced(lambda: validate_package(package, isolate=True))
        finally:
            os.environ.clear()
            os.environ.update(old)
        worker = set(out.read_text().split()) if out.exists() else set()
    _show("validate_package(isolate=True), this process", parent)
    _show("its model worker process", worker)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: trace_validate.py PACKAGE", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
