"""``samzoo site``: the static model-card site of the catalog (and of a folder of packages with their validation)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..catalog import Catalog, load_catalog
from .model_pages import cover_path, site_pages
from .package_shelf import read_shelf
from .site_render import render_site
from .site_write import check_target, write_site
from .validation_json import read_validations


@dataclass(frozen=True)
class SiteResult:
    """What :func:`build_site` wrote: the folder, its pages, packages shown, and a note per input left out."""

    path: Path
    pages: int
    packages: int
    validated: int
    notes: tuple[str, ...] = ()


def build_site(output: str | Path, packages: str | Path | None = None, *, reports: Sequence[str | Path] = (),
               catalog: Catalog | None = None) -> SiteResult:
    """Write the model-card site into the folder ``output`` (replaced as a whole; nothing half-written on failure).

    Args:
        output: the site's folder: new, empty, or a site written before.
        packages: a folder of package zips (``samzoo build --all -o DIR``, with its ``collection.json``): their covers,
            hashes, weight formats and, from its ``report.json`` when present, their validation.
        reports: more validation JSON: samzoo reports (``samzoo validate --json`` / ``--report x.json``) or bioimageio
            validation summaries (``samzoo validate --summary DIR``), files or folders of them; a later one wins.
        catalog: the catalog (default: :func:`samzoo.load_catalog`).

    Pages render from the catalog alone when no packages are given. Output is deterministic: the same inputs
    give the same bytes.
    """
    output = Path(output)
    check_target(output)
    catalog = catalog or load_catalog()
    shelf, notes = read_shelf(packages) if packages is not None else ([], [])
    report_paths = [*([Path(packages) / "report.json"] if packages is not None and (Path(packages) / "report.json").is_file() else []),
                    *map(Path, reports)]
    validations, more = read_validations(report_paths)
    site = site_pages(catalog, shelf, validations, output, str(packages) if packages is not None else None)
    files = render_site(site)
    for p in shelf:
        where = cover_path(p)
        if where and p.cover is not None:
            files[where] = p.cover
    write_site(output, files)
    rows = site.packages
    return SiteResult(output, len(site.models), len(rows), sum(r.validation is not None for r in rows), (*notes, *more))
