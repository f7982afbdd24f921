"""Validation reports: JSON for machines, Markdown for CI summaries, HTML (with the cover) for people.

Every writer goes through :func:`write_report`, which writes to a temporary
name next to the target and renames it at the end (never a half-written file).
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from collections.abc import Sequence

from ..atomic import write_text_atomic
from ..errors import SamzooError
from .result import PackageReport

REPORT_SUFFIXES = (".json", ".md", ".html")
_ICON = {"passed": "✅", "failed": "❌", "warning": "⚠️", "skipped": "⏭️"}


def summary_counts(reports: Sequence[PackageReport]) -> tuple[int, int]:
    """(packages passed, packages failed)."""
    passed = sum(r.passed for r in reports)
    return passed, len(reports) - passed


def to_json(reports: Sequence[PackageReport]) -> str:
    passed, failed = summary_counts(reports)
    data = {"passed": failed == 0, "packages_passed": passed, "packages_failed": failed,
            "packages": [r.to_dict() for r in reports]}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _env_note(c) -> str:
    where = (("installed" if c.installed else "cached") + f" `{c.env[:12]}`") if c.env else "not built"
    return where + (f"; not mapped: {', '.join(c.unmapped)}" if c.unmapped else "")


def to_markdown(reports: Sequence[PackageReport]) -> str:
    passed, failed = summary_counts(reports)
    lines = [f"## samzoo validate: {passed} passed, {failed} failed", ""]
    for r in reports:
        title = r.name or Path(r.source).name
        ident = f" `{r.model_id}/{r.version}`" if r.model_id else ""
        lines += [
            f"### {_ICON[r.status]} {_md_cell(title)}{ident}",
            "",
            f"`{_md_cell(r.source)}` · {r.device}{' · quick' if r.quick else ''} · {r.seconds:.1f} s",
            "",
            "| check | status | seconds | message |",
            "|---|---|---:|---|",
        ]
        lines += [f"| {c.name} | {_ICON[c.status]} {c.status} | {c.seconds:.2f} | {_md_cell(c.message)} |" for c in r.checks]
        lines.append("")
        if r.cores:
            lines += ["| bioimageio.core | status | test s | install s | environment | message |", "|---|---|---:|---:|---|---|"]
            lines += [f"| {c.core} | {_ICON[c.status]} {c.status} | {c.seconds:.1f} | {c.install_seconds:.1f} | "
                      f"{_env_note(c)} | {_md_cell(c.message)} |" for c in r.cores]
            lines.append("")
    return "\n".join(lines)


_CSS = """body{font-family:system-ui,sans-serif;margin:2em;max-width:70em;color:#222}
h1{font-size:1.5em}section{border:1px solid #ddd;border-radius:8px;padding:1em;margin:1em 0}
section.failed{border-color:#d33}section.passed{border-color:#3a3}
.head{display:flex;gap:1em;align-items:flex-start}.head img{max-width:240px;max-height:160px;border-radius:4px}
table{border-collapse:collapse;width:100%;margin-top:.5em}td,th{border-bottom:1px solid #eee;padding:.3em .5em;text-align:left;vertical-align:top}
.passed{color:#2a2}.failed{color:#c22}.warning{color:#b80}.skipped{color:#888}.num{text-align:right;white-space:nowrap}
code{background:#f4f4f4;padding:0 .2em}"""


def to_html(reports: Sequence[PackageReport]) -> str:
    passed, failed = summary_counts(reports)
    e = html.escape
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>samzoo validate: {passed} passed, {failed} failed</title>", f"<style>{_CSS}</style></head><body>",
        f"<h1>samzoo validate: {passed} passed, {failed} failed</h1>",
    ]
    for r in reports:
        cover = f'<img alt="cover" src="{e(r.cover)}">' if r.cover else ""
        ident = f" <code>{e(r.model_id)}/{e(str(r.version))}</code>" if r.model_id else ""
        parts += [
            f'<section class="{r.status}"><div class="head">{cover}<div>',
            f"<h2>{_ICON[r.status]} {e(r.name or Path(r.source).name)}{ident}</h2>",
            f"<p><code>{e(r.source)}</code> · {e(r.device)}{' · quick' if r.quick else ''} · {r.seconds:.1f} s · "
            f'<strong class="{r.status}">{r.status}</strong></p></div></div>',
            "<table><tr><th>check</th><th>status</th><th class=num>seconds</th><th>message</th></tr>",
        ]
        parts += [
            f'<tr><td>{e(c.name)}</td><td class="{c.status}">{_ICON[c.status]} {c.status}</td>'
            f"<td class=num>{c.seconds:.2f}</td><td>{e(c.message)}</td></tr>"
            for c in r.checks
        ]
        parts.append("</table>")
        if r.cores:
            parts.append("<table><tr><th>bioimageio.core</th><th>status</th><th class=num>test s</th>"
                         "<th class=num>install s</th><th>environment</th><th>message</th></tr>")
            parts += [
                f'<tr><td>{e(c.core)}</td><td class="{c.status}">{_ICON[c.status]} {c.status}</td>'
                f"<td class=num>{c.seconds:.1f}</td><td class=num>{c.install_seconds:.1f}</td>"
                f"<td>{e(_env_note(c))}</td><td>{e(c.message)}</td></tr>"
                for c in r.cores
            ]
            parts.append("</table>")
        parts.append("</section>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def check_report_path(path: str | Path) -> Path:
    """``path`` if its suffix names a report format; a usage error otherwise."""
    path = Path(path)
    if path.suffix.lower() not in REPORT_SUFFIXES:
        raise SamzooError(f"--report {path}: unknown report format; the file name must end in {', '.join(REPORT_SUFFIXES)}")
    if not path.parent.is_dir():
        raise SamzooError(f"--report {path}: folder {path.parent} does not exist; create it first")
    return path


def write_report(reports: Sequence[PackageReport], path: str | Path) -> Path:
    """Write the report in the format its suffix names (.json, .md or .html)."""
    path = check_report_path(path)
    render = {".json": to_json, ".md": to_markdown, ".html": to_html}[path.suffix.lower()]
    write_text_atomic(path, render(reports))
    return path


def append_step_summary(reports: Sequence[PackageReport], path: str | Path) -> None:
    """Append the Markdown report to a GitHub Actions step summary file (``$GITHUB_STEP_SUMMARY``)."""
    with open(path, "a", encoding="utf-8") as f:
        f.write(to_markdown(reports) + "\n")
