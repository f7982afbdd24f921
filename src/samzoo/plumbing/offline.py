"""Whether samzoo may use the network: ``SAMZOO_OFFLINE`` (``1``/``true``/``yes``/``on``), read at call time."""

from __future__ import annotations

import os

_TRUE = {"1", "true", "yes", "on"}


def is_offline(offline: bool | None = None) -> bool:
    """``offline`` if given, else whether ``SAMZOO_OFFLINE`` is set to a true value."""
    if offline is not None:
        return bool(offline)
    return os.environ.get("SAMZOO_OFFLINE", "").strip().lower() in _TRUE
