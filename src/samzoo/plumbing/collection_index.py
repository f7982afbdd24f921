"""``collection.json``: the index of a folder of packages written by ``samzoo build --all``.

Format::

    {"type": "samzoo-collection", "format_version": 1,
     "collection": [{"id": "faithful-chicken", "version": "1.2", "model_type": "vit_t_lm",
                     "package": "faithful-chicken-1.2.zip", "sha256": "...", "status": "passed",
                     "mode": "interactive", ...}]}

``mode`` is the package kind: ``interactive`` (prompts) or ``automatic`` (instance segmentation,
``<id>-<version>-ais.zip``).

The resolver reads it as a catalog source: ``samzoo fetch out/collection.json#faithful-chicken``
(the key may be an ``id``, ``id/version`` or ``model_type``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import SamzooError
from .untrusted import InputLimitError, load_json_bounded

_TEXT_FIELDS = ("model_type", "id", "version", "package", "sha256", "status", "mode", "message")

INDEX_NAME = "collection.json"
INDEX_TYPE = "samzoo-collection"


def read_collection(path: str | Path) -> list[dict[str, Any]]:
    """The entries of a ``collection.json``; one-line :class:`SamzooError` if it is not one."""
    path = Path(path)
    try:
        data = load_json_bounded(path, what="collection index")
    except InputLimitError as e:
        raise SamzooError(str(e)) from None
    except ValueError as e:
        raise SamzooError(f"{path}: not valid JSON ({e}); rebuild it with `samzoo build --all`") from None
    if not isinstance(data, dict) or data.get("type") != INDEX_TYPE or not isinstance(data.get("collection"), list):
        raise SamzooError(f"{path}: not a samzoo collection index (expected type {INDEX_TYPE!r} and a 'collection' list)")
    entries = [e for e in data["collection"] if isinstance(e, dict) and "model_type" in e]
    for e in entries:
        wrong = [k for k in _TEXT_FIELDS if e.get(k) is not None and not isinstance(e[k], (str, int, float))]
        if wrong:
            raise SamzooError(f"{path}: entry {str(e.get('model_type'))[:60]!r} has a {type(e[wrong[0]]).__name__} "
                              f"as {wrong[0]!r}, not text; rebuild the index with `samzoo build --all`")
    return entries


def find_entry(entries: list[dict[str, Any]], key: str, source: str = "collection") -> dict[str, Any]:
    """The entry whose ``id``, ``id/version`` or ``model_type`` is ``key`` (a built package only)."""
    for e in entries:
        names = {e.get("model_type"), e.get("id"), f"{e.get('id')}/{e.get('version')}"}
        if key in names:
            if not e.get("package") or not e.get("sha256"):
                raise SamzooError(f"{source}: {key} has no package ({e.get('status')}: {e.get('message', '')}); rebuild it")
            return e
    known = ", ".join(sorted(str(e.get("id") or e["model_type"]) for e in entries)) or "none"
    raise SamzooError(f"{source}: no entry {key!r}; it has: {known}")
