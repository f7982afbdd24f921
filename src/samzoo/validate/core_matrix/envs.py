"""Isolated Python environments for the core-version matrix, built with ``uv`` and cached by their requirements.

An environment is a virtualenv made by ``uv venv`` + ``uv pip install`` from
the package registries. Its key is the sha256 of the resolved request: the
Python interpreter's version, the sorted requirement list and the index
options. It lives in ``<cache>/envs/<key>/`` (``SAMZOO_CACHE_DIR`` or the user
cache dir), is built in a temporary folder beside it and renamed into place
only when the install succeeded, with a marker file written last, so a reader
never sees a half-built environment; a second request for the same key installs
nothing. Concurrent builds of one key are serialised by a file lock.

Package sources: uv's own configuration (``UV_INDEX_URL``, ``uv.toml``, ...)
plus the indexes, find-links and constraints pip is configured with on this
machine (``pip config list``), so an environment builds wherever
``pip install`` works.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Sequence

MARKER = "samzoo-env.json"
#: how long one environment may take to install
INSTALL_TIMEOUT_S = 1800


class EnvBuildError(Exception):
    """The environment could not be built (one-line message: what failed, the installer's last words)."""


@dataclass(frozen=True)
class Env:
    """A ready environment: its interpreter, cache key, and whether this call installed it."""

    path: Path
    key: str
    requirements: tuple[str, ...]
    installed: bool
    seconds: float

    @property
    def python(self) -> Path:
        return self.path / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def cache_dir() -> Path:
    """``<cache root>/envs`` (``SAMZOO_CACHE_DIR`` or the user cache dir, as the resolver's weights)."""
    from ...plumbing.cache_root import cache_root

    return cache_root() / "envs"


def uv_binary() -> str:
    """The ``uv`` executable (the ``uv`` package's, else one on PATH)."""
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if found is None:
            raise EnvBuildError("uv is not installed; pip install uv") from None
        return found


def pip_index_options() -> tuple[str, ...]:
    """uv options for the indexes, find-links and constraints pip is configured with here."""
    try:
        proc = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return ()
    options: list[str] = []
    flags = {"index-url": "--index-url", "extra-index-url": "--extra-index-url", "find-links": "--find-links", "constraint": "--constraint"}
    seen: set[tuple[str, str]] = set()
    for line in proc.stdout.splitlines():
        key, sep, value = line.partition("=")
        name = key.split(".", 1)[-1].strip()
        if not sep or name not in flags:
            continue
        for item in value.strip().strip("'\"").split():
            if (name, item) not in seen and (name != "constraint" or Path(item).is_file()):
                seen.add((name, item))
                options += [flags[name], item]
    if any(o == "--extra-index-url" for o in options):
        options += ["--index-strategy", "unsafe-best-match"]  # pip's behaviour: the best version from any index
    return tuple(options)


def env_key(requirements: Sequence[str], python: str, options: Sequence[str]) -> str:
    """The cache key of an environment: sha256 of what decides its contents."""
    blob = json.dumps({"python": python, "platform": platform.machine(), "requirements": sorted(requirements),
                       "options": list(options)}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def _last_words(text: str) -> str:
    """The installer's error in one line: its first ``error:`` line, its first cause (the one naming the packages) and its last."""
    lines = [" ".join(ln.split()) for ln in text.splitlines() if ln.strip()]
    first = next((ln for ln in lines if ln.lower().startswith(("error", "×"))), None)
    causes = [ln for ln in lines if ln != first
              and any(w in ln.lower() for w in ("fatal:", "cause:", "not found", "because", "no solution", "unsatisfiable"))]
    picked = [p for p in dict.fromkeys([first, *causes[:1], *causes[-1:]]) if p] or lines[-2:] or ["no output"]
    return " / ".join(picked)[:300]


def _run(cmd: list[str], what: str) -> None:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise EnvBuildError(f"{what} took longer than {INSTALL_TIMEOUT_S} s") from None
    if proc.returncode != 0:
        raise EnvBuildError(f"{what} failed: {_last_words(proc.stderr + proc.stdout)}")


def ensure_env(requirements: Sequence[str], python: str | None = None, options: Sequence[str] | None = None) -> Env:
    """The environment with exactly these requirements: from the cache, or built now (atomically).

    ``python``: the interpreter to base it on (default: the one running samzoo).
    Raises :class:`EnvBuildError` when it cannot be built.
    """
    start = time.perf_counter()
    python = python or sys.executable
    options = tuple(pip_index_options() if options is None else options)
    version = ".".join(map(str, sys.version_info[:3])) if python == sys.executable else python
    reqs = tuple(sorted(set(requirements)))
    key = env_key(reqs, version, options)
    root = cache_dir()
    final = root / key
    if (final / MARKER).is_file():
        return Env(final, key, reqs, False, time.perf_counter() - start)
    root.mkdir(parents=True, exist_ok=True)
    from filelock import FileLock

    with FileLock(str(root / f".{key}.lock")):
        if (final / MARKER).is_file():  # built by another process meanwhile
            return Env(final, key, reqs, False, time.perf_counter() - start)
        _build(final, reqs, python, options)
    return Env(final, key, reqs, True, time.perf_counter() - start)


def _build(final: Path, reqs: tuple[str, ...], python: str, options: tuple[str, ...]) -> None:
    """Build into a temporary folder next to ``final``, then rename it into place."""
    uv = uv_binary()
    tmp = final.with_name(f".build-{final.name}-{os.getpid()}-{uuid.uuid4().hex[:6]}")
    try:
        _run([uv, "venv", "--quiet", "--python", python, "--no-python-downloads", str(tmp)], "creating the virtualenv")
        tmp_python = tmp / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
        req_file = tmp / "requirements.txt"
        req_file.write_text("\n".join(reqs) + "\n", encoding="utf-8")
        _run([uv, "pip", "install", "--quiet", "--python", str(tmp_python), *options, "-r", str(req_file)],
             f"installing its {len(reqs)} requirements")
        (tmp / MARKER).write_text(json.dumps({"requirements": list(reqs), "options": list(options)}), encoding="utf-8")
        if final.exists():  # a leftover without marker (an older, interrupted layout): replace it
            shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
