"""Reports people and tools read: HTML (overview first, colour on status cells, versions, spec warnings, cover),
Markdown (overview first, passed packages collapsed), bioimageio's ValidationSummary JSON.

The reports are rendered from real :class:`PackageReport` values with a real PNG cover; the HTML page is
also opened in a real headless Chromium (skipped, with the reason, where no Chromium is installed).
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import re
import subprocess
from html.parser import HTMLParser

import numpy as np
import pytest

from helpers.browser import SKIP_REASON, chromium
from samzoo.validate.bioimageio_summary import to_validation_summary, write_validation_summaries
from samzoo.validate.report import library_versions, to_html, to_json, to_markdown, write_report
from samzoo.validate.result import CheckResult, PackageReport

NOW = dt.datetime(2026, 11, 25, 14, 30, tzinfo=dt.timezone.utc)
SPEC_WARNINGS = ("inputs.0.sample_tensor: Needs to be filled for FAIR compliance",
                 "outputs.0.sample_tensor: Needs to be filled for FAIR compliance")


def _cover() -> str:
    from PIL import Image
    from skimage import data

    buf = io.BytesIO()
    Image.fromarray(data.cell()).convert("RGB").save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _report(name: str, failed: tuple[str, ...] = (), model_id: str | None = "humorous-crab") -> PackageReport:
    checks = []
    for check in ("source", "format", "files", "zoo", "inference", "sam_two_images"):
        if check in failed:
            checks.append(CheckResult(check, "failed", f"{check} is broken <b>here</b>", 1.5))
        elif check == "format":
            checks.append(CheckResult(check, "passed", "valid model description (2 warnings)", 0.3, SPEC_WARNINGS))
        elif check == "zoo":
            checks.append(CheckResult(check, "warning", "cover is 700 KB; keep it under 500 KB", 0.01))
        else:
            checks.append(CheckResult(check, "passed", "ok", 2.0))
    return PackageReport(source=f"/packages/{name}.zip", checks=tuple(checks), seconds=12.34, name=name,
                         model_id=model_id, version="1.2", rdf_type="model", format_version="0.5.12", cover=_cover())


@pytest.fixture(scope="module")
def reports() -> list[PackageReport]:
    return [_report("good one"), _report("bad one", failed=("inference", "sam_two_images")), _report("another good", model_id=None)]


class _Page(HTMLParser):
    """Collects the overview rows, the cells that carry a status class, and every element with a style or colour."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.overview_rows = 0
        self.status_cells: list[str] = []
        self.imgs: list[str] = []
        self.li: list[str] = []
        self.classes: list[tuple[str, str]] = []
        self.style_attrs = 0
        self._in_li = False
        self._text = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.classes.append((tag, attrs.get("class") or ""))
        self.style_attrs += "style" in attrs
        if tag == "table":
            self.stack.append(attrs.get("id") or "")
        if tag == "tr" and self.stack and self.stack[-1] == "overview" and "package-row" in (attrs.get("class") or ""):
            self.overview_rows += 1
        if tag == "td" and "status" in (attrs.get("class") or "").split():
            self.status_cells.append(attrs["class"])
        if tag == "img":
            self.imgs.append(attrs.get("src", ""))
        if tag == "li":
            self._in_li, self._text = True, ""

    def handle_endtag(self, tag):
        if tag == "table" and self.stack:
            self.stack.pop()
        if tag == "li":
            self._in_li = False
            self.li.append(self._text)

    def handle_data(self, data):
        if self._in_li:
            self._text += data


def _saturated(hex_colour: str) -> bool:
    """A colour, not a grey: its channels differ by more than 16 (of 255)."""
    h = hex_colour if len(hex_colour) == 6 else "".join(c * 2 for c in hex_colour)
    rgb = [int(h[i:i + 2], 16) for i in (0, 2, 4)]
    return max(rgb) - min(rgb) > 16


def test_html_overview_first_status_colour_versions_warnings_cover(reports):
    page = to_html(reports, now=NOW)
    parsed = _Page()
    parsed.feed(page)
    assert parsed.overview_rows == 3
    assert page.index('id="overview"') < page.index('class="package"')  # the overview table comes first
    assert "2026-11-25 14:30 UTC" in page
    for name, version in library_versions():
        assert f"{name} {version}" in page
    assert ("samzoo", __import__("samzoo").__version__) in library_versions()
    assert parsed.li.count(SPEC_WARNINGS[0]) == 3 and parsed.li.count(SPEC_WARNINGS[1]) == 3
    assert len(parsed.imgs) == 3 and all(src.startswith("data:image/png;base64,") for src in parsed.imgs)
    # overview: good / bad / good; every check row has one status cell
    assert parsed.status_cells[:3] == ["status passed", "status failed", "status passed"]
    assert len(parsed.status_cells) == 3 + 3 * 6
    # colour only on the status cells: no inline styles; the only coloured CSS rules are td.status.*
    assert parsed.style_attrs == 0
    css = re.search(r"<style>(.*?)</style>", page, re.S).group(1)
    coloured = [rule.split("{")[0].strip() for rule in css.split("}") if any(map(_saturated, re.findall(r"#([0-9a-f]{3,6})\b", rule)))]
    assert len(coloured) == 3 and all(sel.startswith("td.status.") for sel in coloured), coloured
    assert "failed</td>" in page and "<b>here</b>" not in page and "&lt;b&gt;here&lt;/b&gt;" in page  # escaped


def test_markdown_overview_then_failures_then_passed_collapsed(reports):
    md = to_markdown(reports, now=NOW)
    lines = md.splitlines()
    assert lines[0] == "## samzoo validate: 2 passed, 1 failed"
    assert lines[2] == "| package | status | time | failed checks |"
    assert lines[4].startswith("| good one `humorous-crab/1.2` | ✅ **passed** | 12.3 s | - |")
    assert lines[5].startswith("| bad one `humorous-crab/1.2` | ❌ **failed** | 12.3 s | inference, sam_two_images |")
    assert lines[6].startswith("| another good | ✅ **passed** |")
    failed_at = md.index("### ❌ FAILED: bad one")
    assert md.count("<details>") == 2 and md.count("</details>") == 2 and failed_at < md.index("<details>")
    assert "<summary>✅ good one humorous-crab/1.2: passed (12.3 s)</summary>" in md
    assert "· " + SPEC_WARNINGS[0] in md and "2026-11-25 14:30 UTC" in md
    # GitHub renders a table inside <details> only after a blank line
    assert "</summary>\n\n`/packages/good one.zip`" in md


def test_json_names_versions_and_details(reports):
    data = json.loads(to_json(reports))
    assert data["packages_failed"] == 1 and data["versions"]["samzoo"]
    fmt = data["packages"][0]["checks"][1]
    assert fmt["name"] == "format" and fmt["details"] == list(SPEC_WARNINGS)
    assert PackageReport.from_dict(data["packages"][0] | {"cover": None}).check("format").details == SPEC_WARNINGS


def test_validation_summary_is_read_by_bioimageio(tmp_path, reports):
    from bioimageio.spec.summary import ValidationSummary

    paths = write_validation_summaries(reports, tmp_path / "summaries")
    assert [p.name for p in paths] == ["good one.json", "bad one.json", "another good.json"]
    good, bad = (ValidationSummary.load_json(p) for p in paths[:2])
    assert (good.status, bad.status) == ("passed", "valid-format")
    assert good.id == "humorous-crab" and str(good.version) == "1.2" and good.format_version == "0.5.12"
    assert [d.status for d in bad.details].count("failed") == 2
    assert any(e.msg == "inference is broken <b>here</b>" for d in bad.details for e in d.errors)
    assert {w.msg for d in good.details for w in d.warnings} >= set(SPEC_WARNINGS)
    assert {p.name for p in good.env} >= {"samzoo", "bioimageio.spec", "bioimageio.core"}
    assert "samzoo validate" in good.format_md()  # bioimageio's own renderer reads it
    broken_rdf = _report("x", failed=("format",))
    assert to_validation_summary(broken_rdf).status == "failed"
    one = write_validation_summaries(reports[:1], tmp_path / "one.json")
    assert ValidationSummary.load_json(one[0]).status == "passed"


def test_summary_target_errors_name_the_argument(tmp_path, reports):
    from samzoo.plumbing.errors import ArgumentError

    with pytest.raises(ArgumentError) as e:
        write_validation_summaries(reports, tmp_path / "all.json")
    assert e.value.argument == "summary" and "3 packages need a folder" in str(e.value)


@pytest.mark.skipif(chromium() is None, reason=SKIP_REASON)
def test_html_report_renders_in_headless_chromium(tmp_path, reports):
    """The page opens in a real browser: its DOM has the overview with one row per package, and it paints."""
    page = write_report(reports, tmp_path / "report.html")
    flags = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             f"--user-data-dir={tmp_path / 'profile'}", "--no-first-run", "--window-size=1200,900"]
    dom = subprocess.run([*flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=180)
    assert dom.returncode == 0, dom.stderr[-2000:]
    parsed = _Page()
    parsed.feed(dom.stdout)
    assert parsed.overview_rows == len(reports)
    assert "samzoo validate: 2 passed, 1 failed" in dom.stdout
    shot = tmp_path / "shot.png"
    proc = subprocess.run([*flags, f"--screenshot={shot}", page.as_uri()], capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0 and shot.is_file(), proc.stderr[-2000:]
    from PIL import Image

    pixels = np.asarray(Image.open(shot).convert("RGB")).reshape(-1, 3)
    assert Image.open(shot).size == (1200, 900)
    red = np.all(pixels == (0xFB, 0xDA, 0xDA), axis=1).sum()
    green = np.all(pixels == (0xDC, 0xF5, 0xDC), axis=1).sum()
    assert red > 100 and green > 100  # the status cells are painted in their colours


def test_two_builds_of_one_model_are_told_apart_by_their_file_names():
    # the rdf name is the same in every build of a model: the rows also name the package file
    one, two = (PackageReport(source=f"release/{f}", checks=(CheckResult("source", "passed", "ok", 0.1),), seconds=1.0,
                              name="vit_t_mylab (user model)", version=v) for f, v in (("vit_t_mylab-1.zip", "1"),
                                                                                       ("v2/vit_t_mylab-2.zip", "2")))
    folder = PackageReport(source="pkgs/mylab/rdf.yaml", checks=one.checks, name="vit_t_mylab (user model)")
    md = to_markdown([one, two, folder], now=NOW)
    assert "| vit_t_mylab (user model) · `vit_t_mylab-1.zip` | ✅ **passed** |" in md
    assert "| vit_t_mylab (user model) · `vit_t_mylab-2.zip` | ✅ **passed** |" in md
    assert "| vit_t_mylab (user model) · `mylab/rdf.yaml` |" in md
    assert "<summary>✅ vit_t_mylab (user model) · vit_t_mylab-2.zip: passed (1.0 s)</summary>" in md
    page = to_html([one, two], now=NOW)
    assert page.count('&middot; <code class="file">vit_t_mylab-1.zip</code>') == 2  # overview row and heading
    assert page.count('&middot; <code class="file">vit_t_mylab-2.zip</code>') == 2
