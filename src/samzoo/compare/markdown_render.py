"""``samzoo diff --markdown``: for a review comment or ``$GITHUB_STEP_SUMMARY``."""

from __future__ import annotations

from .diff_result import PackageDiff
from .report_lines import sections, summary


def _code(text: str) -> str:
    return "`" + text.replace("`", "'") + "`"


def render_markdown(d: PackageDiff) -> str:
    lines = [f"### samzoo diff: {_code(d.a)} → {_code(d.b)}", "", f"**{summary(d)}**", ""]
    lines += [f"> {n}" for n in d.notes]
    for title, body in sections(d):
        lines += ["", f"#### {title.capitalize()}", ""]
        lines += [f"- {_code(x.strip())}" for x in body] if body else ["no change"]
    return "\n".join(lines) + "\n"
