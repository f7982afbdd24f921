"""Validation JSON, read as untrusted: samzoo's reports (``validate --json`` / ``--report x.json``, the ``report.json``
of ``build --all``) and bioimageio ``ValidationSummary`` files (``validate --summary DIR``, ``bioimageio test --summary``).

Each package's validation is keyed by the file name of its source (``vit_t_lm-1.2.zip``); a later file wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path, PurePath
from typing import Any

from ..plumbing.errors import ArgumentError, SamzooError, one_line
from ..plumbing.rdf_files import RDF_NAMES
from ..plumbing.untrusted import load_json_bounded
from .site_data import CheckRow, CoreRow, Validation

MAX_REPORT_FILES = 1000
MAX_ROWS = 200
_STATUSES = ("passed", "failed", "warning", "skipped")


def _text(value: Any, limit: int = 400) -> str:
    return one_line(value, limit) if isinstance(value, (str, int, float)) else ""


def _status(value: Any) -> str:
    text = _text(value, 20)
    return text if text in _STATUSES else ("failed" if text == "valid-format" else "unknown")


def source_key(source: str) -> str:
    """The file name a report's ``source`` names: the zip's, or a package folder's for an rdf path."""
    parts = PurePath(source.replace("\\", "/").rstrip("/")).parts
    if len(parts) >= 2 and parts[-1].lower() in RDF_NAMES:
        return parts[-2]
    return parts[-1] if parts else source


def _samzoo_package(data: dict, origin: str) -> tuple[str, Validation] | None:
    if not isinstance(data.get("source"), str) or not isinstance(data.get("checks"), list):
        return None
    checks = tuple(CheckRow(_text(c.get("name"), 60), _status(c.get("status")), _text(c.get("message")))
                   for c in data["checks"][:MAX_ROWS] if isinstance(c, dict))
    cores = data.get("cores") if isinstance(data.get("cores"), list) else []
    core_rows = tuple(CoreRow(_text(c.get("core"), 40), _status(c.get("status")), _text(c.get("message")))
                      for c in cores[:MAX_ROWS] if isinstance(c, dict))
    status = _status(data.get("status"))
    return source_key(data["source"]), Validation(status, origin, data.get("quick") is True, checks, core_rows)


def _summary_detail(d: dict) -> CheckRow:
    name = _text(d.get("name"), 400)
    m = re.match(r"samzoo (\w+)(?::\s*(.*))?$", name)
    errors = d.get("errors") if isinstance(d.get("errors"), list) else []
    message = (m.group(2) or "") if m else ""
    if errors and isinstance(errors[0], dict):
        message = _text(errors[0].get("msg"))
    return CheckRow(m.group(1) if m else name[:60], _status(d.get("status")), message)


def _summary(data: dict, origin: str) -> tuple[str, Validation] | None:
    if not isinstance(data.get("source_name"), str) or not isinstance(data.get("details"), list):
        return None
    checks = tuple(_summary_detail(d) for d in data["details"][:MAX_ROWS] if isinstance(d, dict))
    return source_key(data["source_name"]), Validation(_status(data.get("status")), origin, False, checks)


def parse_validation(data: Any, origin: str) -> list[tuple[str, Validation]]:
    """The (package file name, validation) pairs of one JSON document; empty when it is neither format."""
    if not isinstance(data, dict):
        return []
    if isinstance(data.get("packages"), list):
        found = [_samzoo_package(p, origin) for p in data["packages"] if isinstance(p, dict)]
    else:
        found = [_samzoo_package(data, origin) or _summary(data, origin)]
    return [f for f in found if f is not None]


def _files(paths: Iterable[str | Path]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(f for f in p.glob("*.json") if f.is_file())
        elif p.is_file():
            out.append(p)
        else:
            raise ArgumentError("reports", f"{p}: no such file or folder; give validation JSON files or a folder of them")
    return out[:MAX_REPORT_FILES]


def read_validations(paths: Iterable[str | Path]) -> tuple[dict[str, Validation], list[str]]:
    """Every package's validation in the JSON files (or folders of them) ``paths``, and a note per file left out."""
    found: dict[str, Validation] = {}
    notes: list[str] = []
    for path in _files(paths):
        try:
            data = load_json_bounded(path, what="validation JSON")
        except (SamzooError, ValueError) as e:
            notes.append(f"left out {path.name}: {one_line(e, 200)}")
            continue
        pairs = parse_validation(data, path.name)
        if not pairs and path.name != "collection.json":
            notes.append(f"left out {path.name}: neither a samzoo report nor a bioimageio validation summary")
        found.update(pairs)
    return found, notes
