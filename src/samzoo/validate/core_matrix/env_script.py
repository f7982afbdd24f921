"""Run one of samzoo's stand-alone scripts in an isolated environment's interpreter and read the JSON it writes.

The script is run as ``<env python> SCRIPT ARGS... OUT.json`` in a temporary working folder, with samzoo's
own ``PYTHONPATH``/``VIRTUAL_ENV`` removed, so it sees only what the environment has installed (never
``<env>/bin/<console script>``: their shebangs point at the folder the environment was built in).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ...plumbing.errors import one_line

#: the largest result file read back (the scripts write summaries of a few KiB)
MAX_RESULT_BYTES = 16 * 1024 * 1024


class EnvScriptError(Exception):
    """The script wrote no usable result: it ran out of time (``timed_out``) or ended without one (one-line message)."""

    def __init__(self, message: str, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


def run_env_script(python: Path, script: Path, args: Sequence[str], timeout_s: float) -> dict[str, Any]:
    """The JSON object the script wrote to the path given as its last argument; :class:`EnvScriptError` if none."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    with tempfile.TemporaryDirectory(prefix="samzoo-env-script-") as tmp:
        out = Path(tmp) / "result.json"
        try:
            proc = subprocess.run([str(python), str(script), *args, str(out)], cwd=tmp, env=env,
                                  capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise EnvScriptError(f"did not finish within {timeout_s:g} s", timed_out=True) from None
        except OSError as e:
            raise EnvScriptError(f"could not start {python}: {one_line(e, 160)}") from None
        if not out.is_file():
            tail = one_line((proc.stderr or proc.stdout or "no output")[-400:], 200)
            raise EnvScriptError(f"exited with code {proc.returncode} without a result: {tail}")
        if out.stat().st_size > MAX_RESULT_BYTES:
            raise EnvScriptError(f"wrote a result of {out.stat().st_size} bytes (at most {MAX_RESULT_BYTES})")
        try:
            data = json.loads(out.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            raise EnvScriptError(f"wrote a result that is not JSON: {one_line(e, 120)}") from None
    if not isinstance(data, dict):
        raise EnvScriptError(f"wrote a JSON {type(data).__name__}, not an object")
    return data
