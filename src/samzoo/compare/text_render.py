"""``samzoo diff`` as plain text."""

from __future__ import annotations

from .diff_result import PackageDiff
from .report_lines import sections, summary


def render_text(d: PackageDiff) -> str:
    lines = [f"A: {d.a}  ({d.kind_a or 'not SAM'})", f"B: {d.b}  ({d.kind_b or 'not SAM'})", summary(d), *d.notes]
    for title, body in sections(d):
        lines += ["", f"{title}:", *(f"  {x}" for x in body or ["no change"])]
    return "\n".join(lines) + "\n"
