"""``samzoo diff --html``: one self-contained page (no external URL), pictures as inline PNG data URIs."""

from __future__ import annotations

from .diff_result import PackageDiff
from .report_lines import sections, summary


def render_html(d: PackageDiff) -> str:
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("samzoo.compare", "templates"), autoescape=True)
    return env.get_template("diff.html.j2").render(d=d, summary=summary(d), sections=sections(d))
