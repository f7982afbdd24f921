"""``format`` and ``files``: the rdf is valid for ``bioimageio.spec``, and every file it names is there, intact.

bioimageio.spec runs with io checks off, so it never touches the network
(offline its id-map and GitHub-user look-ups fail or hang); the io checks it
would do on local files (presence, sha256) are done here instead.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any
from collections.abc import Iterator

import yaml

from ..plumbing.hashing import file_digest
from ..plumbing.untrusted import InputLimitError, parse_yaml, read_text_bounded
from .result import CheckResult
from ..plumbing.errors import one_line


def read_rdf(rdf: Path) -> tuple[dict[str, Any] | None, CheckResult | None]:
    """The rdf as a dict, or a failed ``format`` check saying why it cannot be read."""
    try:
        data = parse_yaml(read_text_bounded(rdf, what="rdf"), rdf.name, "rdf")
    except InputLimitError as e:
        return None, CheckResult("format", "failed", one_line(e, 300))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        return None, CheckResult("format", "failed", f"{rdf.name}:{where} invalid YAML ({getattr(e, 'problem', None) or one_line(e, 120)}); fix the syntax")
    except (OSError, UnicodeDecodeError) as e:
        return None, CheckResult("format", "failed", f"{rdf.name}: cannot read it ({one_line(e, 120)})")
    if not isinstance(data, dict):
        return None, CheckResult("format", "failed", f"{rdf.name}: not a YAML mapping of fields; is it an rdf.yaml?")
    return data, None


def check_format(rdf: Path) -> tuple[Any, CheckResult]:
    """Validate with bioimageio.spec (no network). Returns (the description or None, the check)."""
    from bioimageio.spec import InvalidDescr, ValidationContext, load_description

    try:
        with ValidationContext(perform_io_checks=False, raise_errors=False):
            descr = load_description(rdf, perform_io_checks=False)
    except Exception as e:  # bioimageio raises on some malformed input instead of returning InvalidDescr
        return None, CheckResult("format", "failed", f"bioimageio.spec could not read the rdf: {one_line(e, 200)}")
    summary = descr.validation_summary
    if isinstance(descr, InvalidDescr) or summary.status == "failed":
        errors = [e for d in summary.details for e in d.errors]
        first = errors[0] if errors else None
        where = ".".join(str(p) for p in first.loc) if first and first.loc else "rdf"
        msg = f"{where}: {one_line(first.msg, 200)}" if first else "invalid description"
        more = f" (+{len(errors) - 1} more errors)" if len(errors) > 1 else ""
        return None, CheckResult("format", "failed", f"bioimageio.spec: {msg}{more}")
    if getattr(descr, "type", None) != "model":
        return None, CheckResult("format", "failed", f"the rdf describes a {descr.type!r}, not a model")
    warnings = tuple(
        f"{'.'.join(map(str, w.loc)) or 'rdf'}: {one_line(w.msg, 200)}" for d in summary.details for w in d.warnings
    )
    fv = getattr(descr, "format_version", "?")
    raw, _ = read_rdf(rdf)
    declared = str((raw or {}).get("format_version") or fv)
    fmt = f"format {declared}, read as {fv}" if declared != str(fv) else f"format {fv}"
    return descr, CheckResult(
        "format", "passed", f"valid model description ({fmt}; {len(warnings)} warnings from bioimageio.spec)",
        details=warnings,
    )


def _file_refs(node: Any, loc: str = "") -> Iterator[tuple[str, str, str | None]]:
    """(location, source, sha256) of every ``{source: ..}`` entry of the rdf (plus architecture sources)."""
    if isinstance(node, dict):
        src = node.get("source")
        if isinstance(src, str):
            yield loc or "rdf", src, node.get("sha256")
        for k, v in node.items():
            if k in ("config",):
                continue
            yield from _file_refs(v, f"{loc}.{k}" if loc else str(k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _file_refs(v, f"{loc}.{i}")


def _inside(path: Path, root: Path) -> bool:
    """Whether ``path`` (links followed) stays inside ``root``."""
    real, base = path.resolve(), root.resolve()
    return base in real.parents


def _plain_paths(rdf: dict[str, Any]) -> Iterator[tuple[str, str, None]]:
    """Files named by a plain path, as formats before 0.5.12 write ``documentation`` and ``covers``."""
    if isinstance(rdf.get("documentation"), str):
        yield "documentation", rdf["documentation"], None
    covers = rdf.get("covers")
    for i, c in enumerate(covers if isinstance(covers, list) else []):
        if isinstance(c, str):
            yield f"covers.{i}", c, None


def check_files(rdf_data: dict[str, Any], root: Path) -> CheckResult:
    """Every local file the rdf names exists inside the package and matches its recorded sha256."""
    problems: list[str] = []
    remote = checked = 0
    for loc, src, sha in (*_file_refs(rdf_data), *_plain_paths(rdf_data)):
        if "://" in src:
            remote += 1
            continue
        rel = PurePosixPath(src.replace("\\", "/"))
        if rel.is_absolute() or ".." in rel.parts:
            problems.append(f"{loc}: {src!r} points outside the package; use a file name inside it")
            continue
        path = root / rel
        if not path.is_file():
            problems.append(f"{loc}: file {src!r} is missing from the package")
            continue
        if not _inside(path, root):
            problems.append(f"{loc}: {src!r} is a link to a file outside the package; put the file itself in the package")
            continue
        checked += 1
        if sha:
            got = file_digest(path)
            if got != str(sha).lower():
                problems.append(
                    f"{loc}: {src} has sha256 {got[:12]}…, the rdf records {str(sha)[:12]}… — the file was changed or "
                    "corrupted after export; re-export the package or restore the file"
                )
    if problems:
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        return CheckResult("files", "failed", problems[0] + more)
    note = f"; {remote} remote files not checked (offline)" if remote else ""
    if remote:
        return CheckResult("files", "warning", f"{checked} local files present and intact{note}")
    return CheckResult("files", "passed", f"{checked} files present, sha256 as recorded")
