"""The model checks of a validation in a worker process of their own (:class:`ModelWorker`).

The checks that run the package's code (``inference`` to ``encoder``) run in a
fresh Python process, started when a validation begins:

* its imports (torch, bioimageio.core, segment_anything: several seconds) run
  while this process unpacks the package and checks its files, on the other core;
* the package's architecture code runs outside the validator: a crash (segfault,
  out of memory, ``os._exit``) fails that package's ``inference`` with one line
  instead of ending the validation, and its memory goes back to the system.

One worker serves the packages of a run in turn (its imports are paid once).
Protocol: one JSON request per line on the worker's stdin; on its stdout one
JSON event per line: ``{"check": name}`` as each check starts, then
``{"results": [...]}``. Whatever the package's code prints goes to stderr.

Run as ``python -m samzoo.validate.model_worker``; nothing else should start it.
"""

from __future__ import annotations

import base64
import contextlib
import gc
import json
import os
import pickle
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

from .result import CheckResult
from ..plumbing.errors import one_line
from .checks import MODEL_CHECK_NAMES

if TYPE_CHECKING:
    from .options import ValidationOptions

#: imported before the first request arrives, when installed (what SAM packages need)
_PRELOAD = ("torch", "bioimageio.core", "segment_anything")
_STDERR_TAIL = 2000


class ModelWorker:
    """A worker process for the model checks; started on first use, one request at a time."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen | None = None
        self._stderr: IO[bytes] | None = None
        self._stderr_mark = 0  # where the current request's stderr output starts

    def __enter__(self) -> ModelWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Start the process (its imports begin at once); a no-op while one is running."""
        if self._proc is not None and self._proc.poll() is None:
            return
        self.close()
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - the worker writes it; closed in close()
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "samzoo.validate.model_worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._stderr, start_new_session=True,  # Ctrl-C reaches the validator, which stops the worker
        )

    def submit(self, rdf: Path, options: ValidationOptions, scratch: Path) -> None:
        """Ask for the model checks of the (unpacked) package whose rdf is ``rdf``.

        ``scratch``: a folder the caller removes afterwards (the worker's temporary files go there,
        so that nothing is left behind when the worker is stopped or dies)."""
        self.start()
        with contextlib.suppress(OSError):
            self._stderr_mark = self._stderr.seek(0, os.SEEK_END)  # type: ignore[union-attr]
        # the options as checked here (unpickling makes no new check); only this process writes the worker's stdin
        request = {"rdf": str(rdf), "options": base64.b64encode(pickle.dumps(options)).decode("ascii"), "scratch": str(scratch)}
        try:
            self._proc.stdin.write(json.dumps(request).encode() + b"\n")  # type: ignore[union-attr]
            self._proc.stdin.flush()  # type: ignore[union-attr]
        except OSError:  # it died already: collect() says how
            pass

    def collect(self, on_check: Callable[[str], None] | None = None) -> dict[str, CheckResult]:
        """The results of the request submitted last; a worker that died gives a failed ``inference``."""
        assert self._proc is not None and self._proc.stdout is not None, "submit() first"
        for line in self._proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if "check" in event and on_check is not None:
                with contextlib.suppress(Exception):
                    on_check(str(event["check"]))
            if "results" in event:
                return {r["name"]: CheckResult(r["name"], r["status"], r["message"], r["seconds"], tuple(r["details"]))
                        for r in event["results"] if r.get("name") in MODEL_CHECK_NAMES}
        return self._died()

    def _died(self) -> dict[str, CheckResult]:
        code = self._proc.wait() if self._proc is not None else None
        self.discard()
        how = f"killed by {signal.Signals(-code).name}" if code is not None and code < 0 else f"exit code {code}"
        tail = self._stderr_tail()
        msg = f"the model process ended during the checks ({how}; out of memory, or the package's code crashed it)"
        if tail:
            msg += f": {tail}"
        return {r.name: r for r in _model_checks_failed(msg, "the model process ended (see inference)")}

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        with contextlib.suppress(OSError):
            end = self._stderr.seek(0, os.SEEK_END)
            self._stderr.seek(max(self._stderr_mark, end - _STDERR_TAIL))
            lines = [ln for ln in self._stderr.read().decode("utf-8", "replace").splitlines() if ln.strip()]
            return one_line(lines[-1], 200) if lines else ""
        return ""

    def discard(self) -> None:
        """Stop the worker whatever it is doing (its request's results are not wanted); the next use starts another."""
        proc, self._proc = self._proc, None
        if proc is not None:
            with contextlib.suppress(OSError):
                proc.kill()
            proc.wait()
            for pipe in (proc.stdin, proc.stdout):
                with contextlib.suppress(OSError):
                    pipe.close()  # type: ignore[union-attr]

    def close(self) -> None:
        """End the worker (it holds nothing between requests: stopping it loses nothing but its imports)."""
        self.discard()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None


# --- the worker process ------------------------------------------------------------------------

def _preload() -> None:
    import importlib

    for name in _PRELOAD:
        with contextlib.suppress(Exception):
            importlib.import_module(name)


def _handle(request: dict[str, Any], send: Callable[[dict], None]) -> None:
    from .check_spec import PackageContext
    from .checks.format import check_format, read_rdf
    from .run_checks import Checks, run_model_checks, temp_files_in

    checks = Checks(on_check=lambda name: send({"check": name}))
    rdf_path = Path(str(request["rdf"]))
    rdf, _ = read_rdf(rdf_path)  # the one parse of the rdf in this process
    descr = check_format(rdf_path, rdf)[0] if rdf is not None else None
    if rdf is None or descr is None:  # the validator's own format check reports why
        checks.results["inference"] = CheckResult("inference", "skipped", "the description is invalid (see format)")
    else:
        options = pickle.loads(base64.b64decode(str(request["options"])))  # written by the validator that started this process
        ctx = PackageContext(options, rdf=rdf, descr=descr)
        with temp_files_in(Path(str(request["scratch"]))):
            run_model_checks(ctx, checks)
    send({"results": [r.to_dict() for r in checks.results.values()]})


def _serve(line: str, send: Callable[[dict], None]) -> None:
    try:
        _handle(json.loads(line), send)
    except Exception as e:  # the checks guard themselves; this is the worker's own failure
        results = _model_checks_failed(f"the model process failed: {type(e).__name__}: {one_line(e, 200)}", "see inference")
        send({"results": [r.to_dict() for r in results]})


def _model_checks_failed(message: str, skipped: str) -> list[CheckResult]:
    """``inference`` failed with ``message``, every later model check skipped (saying ``skipped``)."""
    first, *rest = MODEL_CHECK_NAMES
    return [CheckResult(first, "failed", message), *(CheckResult(n, "skipped", skipped) for n in rest)]


def main() -> int:
    """Serve requests from stdin until it closes."""
    import warnings

    proto = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # anything the package's code prints goes to stderr, not into the protocol
    sys.stdout = sys.stderr

    def send(event: dict) -> None:
        proto.write(json.dumps(event) + "\n")
        proto.flush()

    from ..plumbing.allocator import keep_freed_memory

    keep_freed_memory()  # a process samzoo owns: SAM's encoder reuses its freed attention blocks
    try:
        with warnings.catch_warnings():
            from .run_checks import quiet_libraries

            quiet_libraries()
            _preload()
            gc.freeze()  # what the imports made lives as long as the worker: the collections the checks trigger skip it
            for line in sys.stdin:
                if line.strip():
                    _serve(line, send)
    except (KeyboardInterrupt, BrokenPipeError):
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
