"""``files``: every file the rdf names is in the package, intact (the io checks bioimageio.spec would do)."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any
from collections.abc import Iterator

from ...plumbing.hashing import file_digest
from ..result import CheckResult
from ..check_spec import Check, PackageContext


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
    note = f"; {remote} remote files not downloaded here (a weight format's file is checked when it is tested)" if remote else ""
    if remote:
        return CheckResult("files", "warning", f"{checked} local files present and intact{note}")
    return CheckResult("files", "passed", f"{checked} files present, sha256 as recorded")


def run(ctx: PackageContext) -> CheckResult:
    return check_files(ctx.rdf, ctx.package.root)


CHECK = Check("files", "any model", "rdf", run)
