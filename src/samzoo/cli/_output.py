"""Small printing helpers shared by the CLI commands."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any


def print_json(obj: Any) -> None:
    """Print ``obj`` as indented JSON (UTF-8, emoji kept) on stdout."""
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")


def table(rows: list[list[str]], header: list[str]) -> str:
    """A plain left-aligned text table."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def print_listing(rows: list[dict[str, Any]], as_json: bool, title: str, empty: str,
                  header: list[str], cells: Callable[[dict[str, Any]], list[str]]) -> None:
    """A listing command's output: the rows as JSON, or ``title``, then a table of ``cells(row)`` (``empty`` when none)."""
    if as_json:
        print_json(rows)
        return
    print(title)
    print(table([cells(r) for r in rows], header) if rows else empty)
