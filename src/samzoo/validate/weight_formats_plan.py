"""Which of a package's declared weight formats can be tested here, and why each other one cannot.

A format can be tested when its runtime is installed and every file it needs (the weights, and the
architecture file of ``pytorch_state_dict``) is in the package, or remote and either fetchable (online)
or already in bioimageio.spec's download cache with the sha256 the rdf records. Offline
(``SAMZOO_OFFLINE=1``) a remote file that is not cached makes its format a skip that names it; the
other formats are still tested, and nothing opens a network connection.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from ..plumbing.offline import is_offline
from ..plumbing.runtimes import WEIGHT_FORMATS, runtime_missing


#: why a format is not tested offline (the words that tell this reason from a missing runtime)
REMOTE_OFFLINE = "remote and not in bioimageio's cache, and samzoo is offline (SAMZOO_OFFLINE=1)"


@dataclass(frozen=True)
class FormatPlan:
    """The declared formats that can be tested here (in bioimageio.core's order) and (format, why not) for the rest."""

    testable: tuple[str, ...]
    untestable: tuple[tuple[str, str], ...]

    def why_not(self, weight_format: str) -> str | None:
        return dict(self.untestable).get(weight_format)

    @property
    def only_offline_missing(self) -> bool:
        """Nothing is testable, and at least one format only because it is remote while offline (not the package's fault)."""
        return not self.testable and any(REMOTE_OFFLINE in why for _, why in self.untestable)


def remote_sources(entry: Any) -> list[tuple[str, str | None]]:
    """(URL, sha256) of every remote file a weights entry needs: its weights, and its architecture file."""
    found = []
    for part in (entry, getattr(entry, "architecture", None)):
        source = getattr(part, "source", None)
        if source is not None and str(source).startswith(("http://", "https://")):
            sha = getattr(part, "sha256", None)
            found.append((str(source), str(sha) if sha else None))
    return found


def is_cached(url: str, sha256: str | None) -> bool:
    """Whether bioimageio.spec's download cache holds ``url`` with content ``sha256`` (it fetches again without one)."""
    if not sha256:
        return False
    try:
        from bioimageio.spec._internal._settings import settings
        from genericache.digest import ContentDigest

        entry = settings.disk_cache.get_by_url(url=url)
    except Exception:  # no cache folder yet, or another cache layout: not cached
        return False
    if entry is None:
        return False
    with contextlib.suppress(Exception):  # the entry holds the cached file open
        entry._reader.close()
    return entry.content_digest == ContentDigest.parse(hexdigest=sha256)


def why_untestable(descr: Any, weight_format: str, offline: bool | None = None) -> str | None:
    """Why ``weight_format`` of ``descr`` cannot be tested here (None when it can)."""
    missing = runtime_missing(weight_format)
    if missing:
        return missing
    if not is_offline(offline):
        return None
    entry = getattr(descr.weights, weight_format, None)
    for url, sha in remote_sources(entry):
        if not is_cached(url, sha):
            return f"its file {url} is {REMOTE_OFFLINE}"
    return None


def declared_formats(descr: Any) -> list[str]:
    """The weight formats a description declares, in :data:`WEIGHT_FORMATS` order."""
    return [w for w in WEIGHT_FORMATS if getattr(descr.weights, w, None) is not None]


def formats_to_test(descr: Any, offline: bool | None = None) -> FormatPlan:
    """Every declared weight format of ``descr``, testable here or not (see :func:`why_untestable`)."""
    declared = declared_formats(descr)
    why = {w: why_untestable(descr, w, offline) for w in declared}
    return FormatPlan(tuple(w for w in declared if why[w] is None), tuple((w, r) for w, r in why.items() if r is not None))
