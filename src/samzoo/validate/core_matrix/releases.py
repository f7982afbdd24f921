"""The ``bioimageio.core`` releases a package can be tested against, and what each one needs beside it.

Every release pins ``bioimageio.spec`` exactly (read from each release's
metadata on PyPI); those specs break with ``pydantic`` >= 2.14 (their serializers fail on file references), so
every environment also gets ``pydantic<2.14``. A release not in the table is
still accepted: its own metadata brings its spec, and pydantic is capped the same.
"""

from __future__ import annotations

from packaging.version import InvalidVersion, Version

from ...plumbing.errors import ArgumentError

#: core release -> the bioimageio.spec it requires (its ``Requires-Dist``) -> the format version it writes
KNOWN_RELEASES: dict[str, str] = {
    "0.10.0": "0.5.9.0",
    "0.10.1": "0.5.9.1",
    "0.10.2": "0.5.9.1",
    "0.10.3": "0.5.10.1",
    "0.10.4": "0.5.10.2",
    "0.11.0": "0.5.12.0",
}
#: pydantic releases that the specs above work with
PYDANTIC = "pydantic<2.14"


def check_core_versions(core_versions) -> tuple[str, ...]:
    """Normalised, de-duplicated release strings (``0.10.4``); :class:`ArgumentError` for a non-version."""
    if isinstance(core_versions, str):
        core_versions = [core_versions]
    out: list[str] = []
    for v in core_versions or ():
        try:
            parsed = Version(str(v).strip())
        except InvalidVersion:
            raise ArgumentError("core_versions", f"{v!r} is not a release number (e.g. 0.10.4 or 0.11.0)") from None
        if parsed.release[:2] < (0, 6):
            raise ArgumentError("core_versions", f"{v}: releases before 0.6 have no test_description; use 0.6 or later")
        if str(parsed) not in out:
            out.append(str(parsed))
    return tuple(out)


def core_requirements(core: str) -> tuple[str, ...]:
    """What an environment for ``core`` gets beside the package's own dependencies."""
    spec = KNOWN_RELEASES.get(core)
    return (f"bioimageio.core=={core}", *((f"bioimageio.spec=={spec}",) if spec else ()), PYDANTIC)
