"""A package read by one ``bioimageio.spec`` release (by default the newest known) in that release's own cached
environment: its errors and warnings, one line each (:func:`check_with_spec`).

The environment holds only that release of ``bioimageio.spec`` and what it depends on (built by
:func:`.envs.ensure_env`, cached by its requirements); ``spec_release_script.py`` runs there with io checks
on, so the package's files are opened, hashed and read (sample tensors included) as the zoo's tools do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from ...plumbing.errors import ArgumentError, RunTimeFailure, one_line
from .env_script import EnvScriptError, run_env_script
from .envs import EnvBuildError, ensure_env
from .releases import PYDANTIC

#: the newest release of bioimageio.spec on the package index (2026-10)
NEWEST_SPEC = "0.5.14.3"
#: releases before this one break with pydantic >= 2.14 (see :mod:`.releases`); 0.5.14.3 works with 2.14
PYDANTIC_FIXED_IN = Version("0.5.14")
#: how long reading one package may take (a vit_b package: hashing ~400 MB; vit_t: ~4 s)
SPEC_TIMEOUT_S = 600
SCRIPT = Path(__file__).with_name("spec_release_script.py")


class SpecCheckError(RunTimeFailure):
    """The release could not read the package at all: its environment could not be built, or the reading
    process ran out of time or ended without a verdict (one line)."""


@dataclass(frozen=True)
class SpecVerdict:
    """What one bioimageio.spec release says of a package: each error and warning as ``location: message``."""

    spec_version: str
    status: str  # the validation summary's status: "valid-format" or "passed" when readable, else "failed"
    errors: tuple[str, ...]
    warnings: tuple[str, ...]

    @property
    def valid(self) -> bool:
        return not self.errors and self.status in ("valid-format", "passed")


def spec_requirements(spec_version: str) -> tuple[str, ...]:
    """The environment of one release: the release, and the pydantic cap older releases need."""
    parsed = _parse(spec_version)
    return (f"bioimageio.spec=={parsed}", *((PYDANTIC,) if parsed < PYDANTIC_FIXED_IN else ()))


def check_with_spec(package: str | Path, spec_version: str = NEWEST_SPEC, timeout_s: float = SPEC_TIMEOUT_S) -> SpecVerdict:
    """Read ``package`` (a zip, a folder or its rdf.yaml) with bioimageio.spec ``spec_version``, io checks on.

    Raises :class:`ArgumentError` for a missing package or a malformed version, :class:`SpecCheckError`
    when the release's environment cannot be built (e.g. offline with an empty cache) or gives no verdict.
    """
    path = Path(package)
    if not path.exists():
        raise ArgumentError("package", f"{path}: no such file or folder")
    requirements = spec_requirements(spec_version)
    version = str(_parse(spec_version))
    try:
        env = ensure_env(requirements)
    except EnvBuildError as e:
        raise SpecCheckError(f"bioimageio.spec {version}: its environment could not be built: {one_line(e, 260)}") from None
    try:
        data = run_env_script(env.python, SCRIPT, [str(path.resolve())], timeout_s)
    except EnvScriptError as e:
        raise SpecCheckError(f"bioimageio.spec {version} gave no verdict on {path.name}: {e}") from None
    if not _same_release(data.get("spec"), version):
        raise SpecCheckError(f"the environment for bioimageio.spec {version} has bioimageio.spec {data.get('spec')}; "
                             f"remove {env.path} to rebuild it")
    return _verdict(version, data)


def _same_release(installed: Any, wanted: str) -> bool:
    try:
        return Version(str(installed)) == Version(wanted)
    except InvalidVersion:
        return False


def _verdict(version: str, data: dict[str, Any]) -> SpecVerdict:
    status = str(data.get("status") or "failed")
    errors = tuple(_line(e) for e in data.get("errors") or [])
    if status not in ("valid-format", "passed") and not errors:
        errors = (f"rdf: bioimageio.spec {version} says {status!r} without an error",)
    return SpecVerdict(version, status, errors, tuple(_line(w) for w in data.get("warnings") or []))


def _line(entry: Any) -> str:
    """``location: message`` in one line (``rdf`` when the entry has no location)."""
    if not isinstance(entry, dict):
        return one_line(entry, 300)
    return one_line(f"{entry.get('loc') or 'rdf'}: {entry.get('msg')}", 300)


def _parse(spec_version: str) -> Version:
    try:
        parsed = Version(str(spec_version).strip())
    except InvalidVersion:
        raise ArgumentError("spec_version", f"{spec_version!r} is not a release number (e.g. {NEWEST_SPEC})") from None
    if parsed < Version("0.5"):
        raise ArgumentError("spec_version", f"{parsed}: releases before 0.5 cannot read format 0.5 packages; use 0.5.0 or later")
    return parsed
