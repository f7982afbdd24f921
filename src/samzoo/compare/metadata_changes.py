"""Every rdf field that differs between two packages, as readable paths (``inputs[image].axes[2].size``) old -> new."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: at most this many field changes are listed (a hostile rdf cannot make the report unbounded)
MAX_CHANGES = 500
_MISSING = object()
_KEYS = ("id", "name")


@dataclass(frozen=True)
class FieldChange:
    """One rdf field: ``old`` is None when B adds it, ``new`` is None when B removes it (``status`` says which)."""

    path: str
    status: str  # "changed" | "added" | "removed"
    old: Any = None
    new: Any = None


def rdf_changes(a: dict[str, Any], b: dict[str, Any]) -> list[FieldChange]:
    """The fields of ``b`` that differ from ``a`` (recursive; list items with an ``id``/``name`` matched by it)."""
    out: list[FieldChange] = []
    _walk("", a, b, out)
    return out[:MAX_CHANGES]


def _walk(path: str, a: Any, b: Any, out: list[FieldChange]) -> None:
    if len(out) >= MAX_CHANGES or a == b:
        return
    if a is _MISSING:
        out.append(FieldChange(path, "added", None, b))
    elif b is _MISSING:
        out.append(FieldChange(path, "removed", a, None))
    elif isinstance(a, dict) and isinstance(b, dict):
        for key in [*a, *(k for k in b if k not in a)]:
            _walk(f"{path}.{key}" if path else str(key), a.get(key, _MISSING), b.get(key, _MISSING), out)
    elif isinstance(a, list) and isinstance(b, list) and _keyed(a) and _keyed(b):
        ka, kb = _by_key(a), _by_key(b)
        for key in [*ka, *(k for k in kb if k not in ka)]:
            _walk(f"{path}[{key}]", ka.get(key, _MISSING), kb.get(key, _MISSING), out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and any(isinstance(x, (dict, list)) for x in a):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _walk(f"{path}[{i}]", x, y, out)
    else:
        out.append(FieldChange(path, "changed", a, b))


def _item_key(item: Any) -> str | None:
    if isinstance(item, dict):
        for k in _KEYS:
            if isinstance(item.get(k), (str, int)):
                return str(item[k])
    return None


def _keyed(items: list[Any]) -> bool:
    keys = [_item_key(x) for x in items]
    return bool(items) and None not in keys and len(set(keys)) == len(keys)


def _by_key(items: list[Any]) -> dict[str, Any]:
    return {str(_item_key(x)): x for x in items}
