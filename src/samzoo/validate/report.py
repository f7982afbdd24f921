"""Validation reports: JSON for machines, Markdown for CI summaries, HTML (with the cover) for people.

Markdown and HTML open with an overview (one row per package: status, time, failed checks), then
the checks of each package; passed packages are collapsed in the Markdown. Both name the library
versions and the time they were written. The HTML page comes from the jinja2 template
``templates/report.html.j2``; colour marks the status cells only.

Every writer goes through :func:`write_report`, which writes to a temporary
name next to the target and renames it at the end (never a half-written file).
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Sequence
from functools import lru_cache
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Any

from ..plumbing.atomic import write_text_atomic
from ..plumbing.errors import ArgumentError, OutputError
from ..plumbing.rdf_files import RDF_NAMES as _RDF_NAMES
from .result import PackageReport

REPORT_SUFFIXES = (".json", ".md", ".html")
_ICON = {"passed": "✅", "failed": "❌", "warning": "⚠️", "skipped": "⏭️"}
#: the libraries whose versions a report names
VERSION_PACKAGES = ("samzoo", "bioimageio.core", "bioimageio.spec", "torch", "segment-anything", "segment-anything-py")


def summary_counts(reports: Sequence[PackageReport]) -> tuple[int, int]:
    """(packages passed, packages failed)."""
    passed = sum(r.passed for r in reports)
    return passed, len(reports) - passed


def library_versions() -> list[tuple[str, str]]:
    """(distribution, version) of samzoo and the libraries that decide a validation's outcome, as installed."""
    out = []
    for name in VERSION_PACKAGES:
        try:
            out.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            continue
    return out


def timestamp(now: _dt.datetime | None = None) -> str:
    """``now`` (default: the current time) as ``YYYY-MM-DD HH:MM UTC``."""
    now = now or _dt.datetime.now(_dt.timezone.utc)
    return now.astimezone(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def to_json(reports: Sequence[PackageReport]) -> str:
    passed, failed = summary_counts(reports)
    data = {"passed": failed == 0, "packages_passed": passed, "packages_failed": failed,
            "versions": dict(library_versions()), "packages": [r.to_dict() for r in reports]}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _title(r: PackageReport) -> str:
    return r.name or _file(r)


def _file(r: PackageReport) -> str:
    """The package's file name (``pkg/rdf.yaml`` for a folder's rdf): what tells two builds of one model apart."""
    p = PurePosixPath(str(r.source).replace("\\", "/"))
    return f"{p.parent.name}/{p.name}" if p.name.lower() in _RDF_NAMES and p.parent.name else p.name


def _file_shown(r: PackageReport) -> str:
    """:func:`_file` where the title is the rdf name and does not already say it, else empty."""
    file = _file(r)
    return "" if not r.name or r.name in (file, PurePosixPath(file).stem) else file


def _ident(r: PackageReport) -> str:
    return f"{r.model_id}/{r.version}" if r.model_id else ""


def _failed(r: PackageReport) -> list[str]:
    return [c.name for c in r.checks if c.status == "failed"]


def _md_label(r: PackageReport) -> str:
    """Title, zoo id and file name of a package, as Markdown."""
    ident = f" `{_ident(r)}`" if r.model_id else ""
    file = f" · `{_md_cell(_file_shown(r))}`" if _file_shown(r) else ""
    return f"{_md_cell(_title(r))}{ident}{file}"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _env_note(c) -> str:
    where = (("installed" if c.installed else "cached") + f" `{c.env[:12]}`") if c.env else "not built"
    return where + (f"; not mapped: {', '.join(c.unmapped)}" if c.unmapped else "")



def _md_checks(r: PackageReport) -> list[str]:
    lines = [
        f"`{_md_cell(r.source)}` · {r.device}{' · quick' if r.quick else ''} · {r.seconds:.1f} s",
        "",
        "| check | status | seconds | message |",
        "|---|---|---:|---|",
    ]
    for c in r.checks:
        more = "<br>" + "<br>".join(f"· {_md_cell(d)}" for d in c.details) if c.details else ""
        lines.append(f"| {c.name} | {_ICON[c.status]} {c.status} | {c.seconds:.2f} | {_md_cell(c.message)}{more} |")
    lines.append("")
    if r.cores:
        lines += ["| bioimageio.core | status | test s | install s | environment | message |", "|---|---|---:|---:|---|---|"]
        lines += [f"| {c.core} | {_ICON[c.status]} {c.status} | {c.seconds:.1f} | {c.install_seconds:.1f} | "
                  f"{_env_note(c)} | {_md_cell(c.message)} |" for c in r.cores]
        lines.append("")
    return lines


def to_markdown(reports: Sequence[PackageReport], now: _dt.datetime | None = None) -> str:
    """Overview table first; then every failed package's checks, then the passed ones inside ``<details>``."""
    passed, failed = summary_counts(reports)
    versions = " · ".join(f"{n} {v}" for n, v in library_versions())
    lines = [f"## samzoo validate: {passed} passed, {failed} failed", "",
             "| package | status | time | failed checks |", "|---|---|---:|---|"]
    lines.extend(f"| {_md_label(r)} | {_ICON[r.status]} **{r.status}** | {r.seconds:.1f} s | {', '.join(_failed(r)) or '-'} |"
                 for r in reports)
    lines.append("")
    for r in reports:
        if not r.passed:
            lines += [f"### ❌ FAILED: {_md_label(r)}", "", *_md_checks(r)]
    for r in reports:
        if r.passed:
            file = f" · {_md_cell(_file_shown(r))}" if _file_shown(r) else ""
            summary = f"✅ {_md_cell(_title(r))}{' ' + _ident(r) if r.model_id else ''}{file}: passed ({r.seconds:.1f} s)"
            lines += ["<details>", f"<summary>{summary}</summary>", "", *_md_checks(r), "</details>", ""]
    lines += [f"<sub>{timestamp(now)} · {versions}</sub>", ""]
    return "\n".join(lines)


@lru_cache(maxsize=1)
def _template():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("samzoo.validate", "templates"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
    )
    return env.get_template("report.html.j2")


def _html_package(r: PackageReport) -> dict[str, Any]:
    return {
        "title": _title(r), "ident": _ident(r), "file": _file_shown(r), "status": r.status, "seconds": r.seconds, "failed": _failed(r),
        "cover": r.cover if r.cover and r.cover.startswith("data:image/") else None,
        "source": r.source, "device": r.device, "quick": r.quick, "format_version": r.format_version,
        "checks": r.checks,
        "cores": [{"core": c.core, "status": c.status, "seconds": c.seconds, "install_seconds": c.install_seconds,
                   "env_note": _env_note(c), "message": c.message} for c in r.cores],
    }


def to_html(reports: Sequence[PackageReport], now: _dt.datetime | None = None) -> str:
    """One self-contained page: overview table, then each package's checks and cover."""
    from .. import __version__

    passed, failed = summary_counts(reports)
    return _template().render(
        passed=passed, failed=failed, generated=timestamp(now), versions=library_versions(),
        samzoo_version=__version__, packages=[_html_package(r) for r in reports],
    )


def check_report_path(path: str | Path) -> Path:
    """``path`` if its suffix names a report format; an :class:`ArgumentError` for ``report`` otherwise."""
    path = Path(path)
    if path.suffix.lower() not in REPORT_SUFFIXES:
        raise ArgumentError("report", f"{path}: unknown report format; the file name must end in {', '.join(REPORT_SUFFIXES)}")
    if not path.parent.is_dir():
        raise ArgumentError("report", f"{path}: folder {path.parent} does not exist; create it first")
    if path.is_dir():
        raise ArgumentError("report", f"{path}: is a folder; name a file in it, e.g. {path / ('report' + path.suffix)}")
    return path


def write_report(reports: Sequence[PackageReport], path: str | Path) -> Path:
    """Write the report in the format its suffix names (.json, .md or .html)."""
    path = check_report_path(path)
    render = {".json": to_json, ".md": to_markdown, ".html": to_html}[path.suffix.lower()]
    write_text_atomic(path, render(reports))
    return path


def append_step_summary(reports: Sequence[PackageReport], path: str | Path) -> None:
    """Append the Markdown report to a GitHub Actions step summary file (``$GITHUB_STEP_SUMMARY``).

    Raises :class:`~samzoo.plumbing.errors.OutputError` when the file cannot be appended to.
    """
    try:
        with open(path, "a", encoding="utf-8") as f:
            f.write(to_markdown(reports) + "\n")
    except OSError as e:
        raise OutputError(f"{path}: cannot append the job summary to it ({e.strerror or type(e).__name__})") from None
