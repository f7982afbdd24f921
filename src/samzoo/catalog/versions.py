"""Zoo versions (``1``, ``1.1``, ``1.2``): what one is, how they order, and which comes next.

The one home of zoo-version ordering; the spec schema, the builder and the validator use it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_DOTTED = re.compile(r"\d+(\.\d+)*")


def version_key(v: str) -> tuple[int, ...]:
    """Sort key of a zoo version: ``"1.10"`` -> ``(1, 10)``; ValueError unless a dotted number."""
    text = str(v)
    if not _DOTTED.fullmatch(text):
        raise ValueError(f"zoo version {text!r} must be a dotted number such as '1.2'")
    return tuple(int(p) for p in text.split("."))


def newest(published: Iterable[str]) -> str | None:
    """The highest of ``published`` zoo versions, or None when there is none."""
    versions = list(published)
    return max(versions, key=version_key) if versions else None


def next_version(published: Iterable[str]) -> str:
    """The release after the newest published zoo version: 1 -> 1.1, 1.2 -> 1.3; none -> 1."""
    latest = newest(published)
    if latest is None:
        return "1"
    parts = list(version_key(latest))
    if len(parts) == 1:
        parts.append(1)
    else:
        parts[-1] += 1
    return ".".join(map(str, parts))
