"""The model-card site in a real headless Chromium (playwright): pages load without console errors, nothing is
fetched from outside the folder, links and images resolve, the filter narrows the index, BibTeX copies, and a
390 px wide phone shows no horizontal scrolling. Screenshots of the index and one model page go to test_artifacts/."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from helpers.browser import launch
from helpers.cli import REPO

pytestmark = pytest.mark.slow  # the package fixture builds and validates one vit_t package (~45 s)


def _artifacts() -> Path:
    folder = Path(os.environ.get("SAMZOO_TEST_ARTIFACTS") or REPO / "test_artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def site(package_folder, tmp_path_factory):
    from samzoo.website import build_site

    out = tmp_path_factory.mktemp("browser") / "site"
    result = build_site(out, package_folder)
    assert result.validated == 1
    return out


@pytest.fixture(scope="module")
def browser():
    yield from launch()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    fetched_outside: list[str] = []

    def refuse(route):  # an outbound URL must never be fetched by the site itself
        fetched_outside.append(route.request.url)
        route.abort()

    ctx.route("http*://**/*", refuse)
    ctx.fetched_outside = fetched_outside
    yield ctx
    ctx.close()


def _open(ctx, path: Path, width: int = 1200):
    page = ctx.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri(), wait_until="load")
    page.errors, page.requests = errors, requests
    return page


def _links(page) -> list[dict]:
    return page.eval_on_selector_all("a[href]", "els => els.map(a => ({href: a.href, cls: a.className}))")


def test_every_page_loads_cleanly_and_every_link_and_image_resolves(context, site, package_folder):
    pages = [site / "index.html", *sorted((site / "models").glob("*.html"))]
    assert len(pages) > 20
    for path in pages:
        page = _open(context, path)
        page.evaluate("document.querySelectorAll('img[loading=lazy]').forEach(i => i.loading = 'eager')")
        page.wait_for_load_state("load")
        assert page.errors == [], (path.name, page.errors)
        for url in page.requests:
            assert url.startswith(("file://", "data:")), (path.name, url)
            if url.startswith("file://"):
                assert Path(unquote(urlsplit(url).path)).resolve().is_relative_to(site.resolve()), (path.name, url)
        for link in _links(page):
            href = link["href"]
            if href.startswith("file://"):
                target = Path(unquote(urlsplit(href).path))
                assert target.is_file(), (path.name, href)
                inside = target.resolve().is_relative_to(site.resolve())
                assert inside or (target.resolve().parent == package_folder.resolve() and "download" in link["cls"]), (path.name, href)
            else:
                assert href.startswith("https://") and "out" in link["cls"], (path.name, href)
        broken = page.eval_on_selector_all("img", "els => els.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")
        assert broken == [], (path.name, broken)
        page.close()
    assert context.fetched_outside == []


def test_the_filter_narrows_the_index(context, site):
    page = _open(context, site / "index.html")
    visible = "els => els.filter(e => e.offsetParent !== null).length"
    total = page.eval_on_selector_all("a.card", visible)
    page.fill("#filter", "vit_t")
    assert page.eval_on_selector_all("a.card", visible) == 3
    assert page.inner_text("#count") == f"3 of {total} models"
    page.fill("#filter", "nuclei passed")  # words narrow together: the validated package's model only
    assert page.eval_on_selector_all("a.card", "els => els.filter(e => e.offsetParent !== null).map(e => e.href.split('/').pop())") == ["vit_t_lm.html"]
    page.fill("#filter", "")
    page.check("#only-automatic")
    automatic = page.eval_on_selector_all("a.card", visible)
    assert 0 < automatic < total
    page.fill("#filter", "no-such-model")
    assert page.eval_on_selector_all("a.card", visible) == 0 and page.is_visible("#nothing")


def test_bibtex_copies_to_the_clipboard(context, site):
    page = _open(context, site / "models" / "vit_t_lm.html")
    expected = page.inner_text("#bibtex-1")
    assert expected.startswith("@misc{kirillov2023segment,")
    page.click("button[data-copy=bibtex-1]")
    page.wait_for_function("document.querySelector('button[data-copy=bibtex-1]').textContent === 'Copied'")
    assert page.evaluate("navigator.clipboard.readText()") == expected


def test_a_phone_wide_viewport_does_not_scroll_sideways_and_screenshots_are_kept(context, site):
    shots = _artifacts()
    for path, name in ((site / "index.html", "site-index"), (site / "models" / "vit_t_lm.html", "site-model-vit_t_lm")):
        page = _open(context, path)
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 390, name
        page.screenshot(path=str(shots / f"{name}-390px.png"))
    model = _open(context, site / "models" / "vit_t_lm.html")
    assert model.eval_on_selector("div.cover img", "i => i.naturalWidth") > 0  # the package's cover, not a placeholder
