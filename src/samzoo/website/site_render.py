"""The site's HTML from its data: jinja2 templates with autoescape on (package text is untrusted); same data, same bytes."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from ..catalog.recommend import VIT_H_ADVICE
from .site_data import ModelPage, Site

#: the static files every page links to (package data in ``templates/``), written under ``assets/``
ASSETS = ("site.css", "site.js")


@lru_cache(maxsize=1)
def _env():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("samzoo.website", "templates"), autoescape=True,
        trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
    )
    env.filters["code_spans"] = code_spans
    env.globals["vit_h_advice"] = VIT_H_ADVICE
    return env


def code_spans(text: str):
    """Escaped text whose Markdown `code spans` become ``<code>`` (the catalog's rule texts are Markdown)."""
    from markupsafe import Markup, escape

    parts = str(text).split("`")
    return Markup("".join(f"<code>{escape(p)}</code>" if i % 2 else str(escape(p)) for i, p in enumerate(parts)))


def _made_from(site: Site) -> str:
    return "the samzoo catalog" + (f" and {len(site.packages)} package(s)" if site.packages else "")


def render_index(site: Site) -> str:
    """``index.html``: the encoder x domain matrix with its filter."""
    return _env().get_template("index.html.j2").render(site=site, root="", made_from=_made_from(site))


def render_model(site: Site, page: ModelPage) -> str:
    """``models/<slug>.html``: one model's card."""
    return _env().get_template("model.html.j2").render(m=page, root="../", made_from=_made_from(site))


def asset_bytes(name: str) -> bytes:
    """A static file of the site (``site.css``, ``site.js``)."""
    return resources.files("samzoo.website").joinpath("templates", name).read_bytes()


def render_site(site: Site) -> dict[str, bytes]:
    """Every file of the site but the covers: relative path -> bytes."""
    files = {"index.html": render_index(site).encode()}
    for page in site.models:
        files[f"models/{page.slug}.html"] = render_model(site, page).encode()
    for name in ASSETS:
        files[f"assets/{name}"] = asset_bytes(name)
    return files
