"""The site's data from the catalog and the packages: one :class:`ModelPage` per model, the encoder x domain matrix."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..catalog import CATEGORIES, DOMAINS, ENCODERS, Catalog, ModelRef, ModelSpec, is_builtin, version_key, zoo_id
from ..catalog.recommend import domain_rules
from .bibtex_entries import bibtex, citation_key
from .package_shelf import ShelfPackage, slug
from .site_data import (
    CitationEntry, MatrixRow, ModelPage, PackageRow, Rule, Site, Snippet, Validation, VersionRow, WeightFormat, WeightLink,
)

_ENCODER_COLUMNS = ("vit_t", "vit_b", "vit_l", "vit_h")
ZOO_PAGE = "https://bioimage.io/#/?id={}"


def _doi(source: str | None) -> str | None:
    m = re.search(r"\b(10\.\d{4,9}/[^\s\"<>]+)", source or "")
    return m.group(1) if m else None


def _citations(items: Sequence[tuple[str, str | None, str | None]]) -> tuple[CitationEntry, ...]:
    taken: set[str] = set()
    return tuple(CitationEntry(t, d, u, bibtex(t, d, u, citation_key(t, taken))) for t, d, u in items)


def _rules(spec: ModelSpec, catalog: Catalog) -> tuple[Rule, ...]:
    """The "Choosing a model" rules of the spec's domain (the catalog's :func:`domain_rules`)."""
    return tuple(Rule(s.recommend.role, s.model_type, tuple(s.recommend.targets), s.recommend.reason, s is spec)
                 for s in domain_rules(spec, catalog))


def _versions(spec: ModelSpec) -> tuple[VersionRow, ...]:
    rows = []
    for v in spec.versions:
        ref = ModelRef(spec, v)
        weights = ()
        if v.weights is not None:
            weights = tuple(WeightLink(part, w.url, w.hash) for part, w in (("encoder", v.weights.encoder), ("decoder", v.weights.decoder)) if w)
        rows.append(VersionRow(v.version, ref.zoo_id, v.version == spec.current_version, v.source, _doi(v.source), v.notes, weights))
    return tuple(rows)


def _snippets(model_type: str, name: str, *, micro_sam: bool, package: str | None, automatic: bool,
              weights: bool = True) -> tuple[Snippet, ...]:
    """Usage: samzoo by name, ``bioimageio predict`` (the zoo id or a package), micro-sam and napari (the family's models)."""
    if not weights and package is None:
        return (Snippet("samzoo (command line)", "shell",
                        f"samzoo info {name}  # where the weights are\n# the catalog records no weight file for this version: download it "
                        "from the record,\n# then register it: samzoo catalog add (or samzoo cache import)"),)
    out = [Snippet("samzoo (Python)", "python",
                   f'import samzoo\npredictor = samzoo.load_predictor("{name}")  # fetched once, verified, cached\n'
                   'predictor.set_image(image)  # H x W x 3 uint8\nmasks, scores, _ = predictor.predict(box=box)  # x0, y0, x1, y1'),
           Snippet("samzoo (command line)", "shell", f"samzoo info {name}\nsamzoo fetch {name}")]
    target = package or (name if "/" in name else None)
    if target:
        out.append(Snippet("bioimageio.core", "shell", f"bioimageio predict {target} --example  # runs the package on its sample inputs"))
    if micro_sam:
        ais = "\n# automatic instance segmentation: Annotator 2d > Automatic segmentation" if automatic else ""
        out.append(Snippet("micro-sam / napari", "shell",
                           f"micro_sam.annotator_2d -i image.tif -m {model_type}\n"
                           f"# or in napari: Plugins > Segment Anything for Microscopy > Annotator 2d, model {model_type}{ais}"))
    return tuple(out)


def cover_path(p: ShelfPackage) -> str | None:
    """Where the package's cover goes inside the site (None without a cover)."""
    return f"covers/{slug(p.file)}{p.cover_suffix}" if p.cover and p.cover_suffix else None


def _package_row(p: ShelfPackage, href: str, validation: Validation | None) -> PackageRow:
    return PackageRow(p.file, href, p.model_type, zoo_id(p.rdf_id, p.version), p.version, p.mode, p.sha256, p.size,
                      tuple(WeightFormat(n, s) for n, s in p.formats), p.build_status, validation, cover_path(p))


def _newest_first(p: ShelfPackage) -> tuple:
    try:
        key = version_key(p.version or "")
    except ValueError:
        key = ()
    return (tuple(-k for k in key), p.mode != "interactive", p.file)


def _modes(spec: ModelSpec | None, packages: Sequence[ShelfPackage]) -> tuple[str, ...]:
    modes = {p.mode for p in packages}
    if spec is not None:
        modes.add("interactive")
        current = spec.current.weights
        if current is not None and current.decoder is not None:
            modes.add("automatic")
    return tuple(m for m in ("interactive", "automatic") if m in modes) + tuple(sorted(modes - {"interactive", "automatic"}))


def catalog_page(spec: ModelSpec, catalog: Catalog, packages: Sequence[PackageRow], shelf: Sequence[ShelfPackage]) -> ModelPage:
    """The page of a catalog model, with the packages built of it (newest first)."""
    name = zoo_id(spec.nickname, spec.current.zoo_version) or spec.model_type
    package = packages[0].file if packages else None
    modes = _modes(spec, shelf)
    return ModelPage(
        slug=slug(spec.model_type), model_type=spec.model_type, display_name=spec.display_name, nickname=spec.nickname,
        emoji=spec.emoji, encoder=spec.encoder, domain=spec.domain, category=spec.category, status=spec.status,
        description=spec.description, license=spec.license, authors=tuple(a.name for a in spec.authors), tags=tuple(spec.tags),
        modes=modes, rules=_rules(spec, catalog), versions=_versions(spec), packages=tuple(packages),
        citations=_citations([(c.text, c.doi, c.url) for c in spec.citations]),
        snippets=_snippets(spec.model_type, name, micro_sam=is_builtin(spec) and spec.status == "current", package=package,
                           automatic="automatic" in modes, weights=spec.current.weights is not None),
        zoo_url=ZOO_PAGE.format(spec.nickname) if spec.nickname and any(v.zoo_version for v in spec.versions) else None,
    )


def package_page(model_type: str, packages: Sequence[PackageRow], shelf: Sequence[ShelfPackage]) -> ModelPage:
    """The page of a model the catalog does not know, from its newest package's rdf alone."""
    p = shelf[0]
    encoder = p.encoder if p.encoder in ENCODERS else "other"
    domain = p.domain if p.domain in DOMAINS else "other"
    return ModelPage(
        slug=slug(model_type), model_type=model_type, display_name=p.name, nickname=p.rdf_id, emoji=None, encoder=encoder,
        domain=domain, category=CATEGORIES.get(domain, "Other"), status="package", description=p.description,
        license=p.license or "unknown", authors=p.authors, tags=(), modes=_modes(None, shelf), rules=(), versions=(),
        packages=tuple(packages), citations=_citations(p.cite),
        snippets=_snippets(model_type, p.file, micro_sam=False, package=p.file, automatic=False), zoo_url=None, in_catalog=False,
    )


def _href(path: Path, site_dir: Path) -> str:
    """The package's link from a model page (``models/x.html``): relative to the site, so the pair can move together."""
    rel = os.path.relpath(path.resolve(), (site_dir / "models").resolve())
    return Path(rel).as_posix()


def site_pages(catalog: Catalog, shelf: Sequence[ShelfPackage], validations: Mapping[str, Validation], site_dir: Path,
               packages_source: str | None = None) -> Site:
    """Every page: the catalog's models (with their packages), then models known only from packages."""
    by_model: dict[str, list[ShelfPackage]] = {}
    for p in sorted(shelf, key=_newest_first):
        by_model.setdefault(p.model_type, []).append(p)
    pages = []
    for model_type, spec in catalog.models.items():
        mine = by_model.pop(model_type, [])
        rows = [_package_row(p, _href(p.path, site_dir), validations.get(p.file)) for p in mine]
        pages.append(catalog_page(spec, catalog, rows, mine))
    for model_type, mine in sorted(by_model.items()):
        rows = [_package_row(p, _href(p.path, site_dir), validations.get(p.file)) for p in mine]
        pages.append(package_page(model_type, rows, mine))
    return Site(tuple(pages), _ENCODER_COLUMNS, _matrix(pages), packages_source)


def _matrix(pages: Sequence[ModelPage]) -> tuple[MatrixRow, ...]:
    domains = [*DOMAINS, *(["other"] if any(p.domain == "other" for p in pages) else [])]
    rows = []
    for domain in domains:
        cells = tuple(tuple(p for p in pages if p.domain == domain and p.encoder == enc) for enc in _ENCODER_COLUMNS)
        others = tuple(p for p in pages if p.domain == domain and p.encoder not in _ENCODER_COLUMNS)
        if others:
            cells = (*cells[:-1], cells[-1] + others)
        rows.append(MatrixRow(domain, CATEGORIES.get(domain, "Other"), cells))
    return tuple(rows)
