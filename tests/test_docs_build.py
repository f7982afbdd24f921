"""The documentation builds with warnings as errors, its CLI reference covers the parser, and README stays a first page.

``mkdocs build --strict`` runs once (module fixture) into a temporary folder, as ``make docs`` does: a broken
link or anchor, a docstring mkdocstrings cannot read or a page missing from the nav fails it. The CLI page is
generated from ``samzoo.cli.build_parser()`` by ``docs/hooks/cli_reference.py``; these tests check the built page
against the parser, and README's command table against the built pages.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.cli import REPO

DATE = re.compile(r"\b20\d\d-\d\d-\d\d\b")
LINK = re.compile(r"\]\((docs/[^)#\s]+\.md)(?:#([^)\s]+))?\)")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("docs") / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(REPO / "mkdocs.yml"), "-d", str(out)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    assert "WARNING" not in proc.stderr, proc.stderr[-5000:]
    return out


def _ids(page: Path) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', page.read_text(encoding="utf-8")))


def _commands(parser: argparse.ArgumentParser, prefix: str = "samzoo"):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield f"{prefix} {name}", sub
                yield from _commands(sub, f"{prefix} {name}")


def test_cli_page_has_every_command_and_option_of_the_parser(site):
    from samzoo.cli import build_parser

    page = site / "reference" / "cli.html"
    text, ids = html.unescape(page.read_text(encoding="utf-8")), _ids(page)
    commands = list(_commands(build_parser()))
    assert len(commands) >= 15, [c for c, _ in commands]
    for command, parser in commands:
        anchor = command.replace(" ", "-")
        assert anchor in ids, f"{command}: no section on the CLI page"
        section = text[text.index(f'id="{anchor}"'):].split("<h2", 1)[0]
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction) or action.help == argparse.SUPPRESS:
                continue
            for flag in action.option_strings:
                assert f"<code>{flag}" in section or f", {flag}" in section, f"{command} {flag} is not on the CLI page"


def test_python_api_page_documents_every_exported_name(site):
    import samzoo

    ids = _ids(site / "python-api.html")
    for name in samzoo.__all__:
        if name != "__version__":
            assert any(i.endswith(f".{name}") for i in ids), f"samzoo.{name} is not on the Python API page"


def _readme() -> str:
    return (REPO / "README.md").read_text(encoding="utf-8")


def _command_table(readme: str) -> list[str]:
    section = readme.split("\n## Commands\n", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| `samzoo")]


def test_readme_command_table_covers_the_parser_and_links_to_built_pages(site):
    from samzoo.cli import build_parser

    rows = _command_table(_readme())
    listed = {re.match(r"\| `samzoo ([\w-]+)", row).group(1) for row in rows}
    top = {c.split()[1] for c, _ in _commands(build_parser())}
    assert top <= listed, f"commands missing from README's table: {sorted(top - listed)}"
    for row in rows:
        links = LINK.findall(row)
        assert links, f"no reference link in README's row {row}"
        for path, anchor in links:
            built = site / Path(path).relative_to("docs").with_suffix(".html")
            assert built.is_file(), f"{path}: not built"
            assert not anchor or anchor in _ids(built), f"{path}#{anchor}: no such anchor"


def test_every_readme_link_into_docs_resolves(site):
    links = LINK.findall(_readme())
    assert len(links) >= 20, links
    for path, anchor in links:
        built = site / Path(path).relative_to("docs").with_suffix(".html")
        assert built.is_file(), f"README links to {path}, which is not built"
        assert not anchor or anchor in _ids(built), f"README links to {path}#{anchor}: no such anchor"


def test_readme_is_a_first_page_without_dated_figures():
    readme = _readme()
    assert len(readme.splitlines()) <= 260
    assert not DATE.findall(readme), DATE.findall(readme)
    head = "\n".join(readme.splitlines()[:60])  # the first screen: product, install, the start of the quickstarts
    assert "## Install" in head and "## Quickstarts" in head


def test_dated_figures_live_only_on_the_benchmarks_page():
    for page in sorted((REPO / "docs").rglob("*.md")):
        if page.name != "benchmarks.md":
            found = DATE.findall(page.read_text(encoding="utf-8"))
            assert not found, f"{page.relative_to(REPO)}: dated figures {found} belong on docs/benchmarks.md"


def test_the_site_loads_nothing_from_elsewhere(site):
    external = re.compile(r'<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)="(?:https?:)?//', re.I)
    for page in site.rglob("*.html"):
        assert not external.search(page.read_text(encoding="utf-8")), f"{page.name} loads a script, style or font from another site"


@pytest.fixture(scope="module")
def browser():
    from helpers.browser import launch

    yield from launch()


def test_every_page_opens_from_disk_in_chromium_without_an_error(site, browser):
    """As a reader opens the built folder: no console error, no failed load, nothing fetched from another site."""
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url} ({r.failure})")
            if r.failure != "net::ERR_ABORTED" else None)  # aborted: a late load (the favicon) cut by the next goto
    page.route("http*://**/*", lambda route: (problems.append(f"outside: {route.request.url}"), route.abort()))
    pages = sorted(p for p in site.rglob("*.html") if p.name != "404.html")  # 404.html: a server's, links from /
    for html_file in pages:
        page.goto(html_file.as_uri(), wait_until="load")
        assert not problems, f"{html_file.relative_to(site)}: {problems}"
    assert len(pages) > 15
