"""The family's face: a static model-card site of the catalog and of built packages (`samzoo site`).

Modules: ``site_build`` (:func:`build_site`), ``model_pages`` (the pages' data from the catalog and packages),
``site_data`` (what a page shows, as frozen dataclasses), ``package_shelf`` (a folder of package zips, read as
untrusted), ``validation_json`` (samzoo reports and bioimageio summaries), ``bibtex_entries``, ``site_render``
(jinja2, autoescaped), ``site_write`` (one folder, atomically).
"""

from __future__ import annotations

from .site_build import SiteResult, build_site

__all__ = ["SiteResult", "build_site"]
