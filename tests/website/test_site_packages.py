"""``samzoo site --packages``: a real vit_t build and its quick validation shown on the model's page."""

from __future__ import annotations

import json
import zipfile

import pytest

from helpers.cli import run_cli

pytestmark = pytest.mark.slow  # the package fixture builds and validates one vit_t package (~45 s)


def test_the_package_page_shows_cover_hashes_formats_and_validation(package_folder, tmp_path):
    from samzoo.catalog import load_catalog
    from samzoo.website.model_pages import site_pages
    from samzoo.website.package_shelf import read_shelf
    from samzoo.website.validation_json import read_validations

    [entry] = json.loads((package_folder / "collection.json").read_text())["collection"]
    shelf, notes = read_shelf(package_folder)
    validations, more = read_validations([package_folder / "report.json"])
    assert notes == more == []
    site = site_pages(load_catalog(include_user=False), shelf, validations, tmp_path / "site")
    m = next(m for m in site.models if m.model_type == "vit_t_lm")
    [p] = m.packages
    with zipfile.ZipFile(package_folder / entry["package"]) as zf:
        rdf = zf.read("rdf.yaml").decode()
    assert (p.file, p.zoo_id, p.sha256, p.mode) == (entry["package"], f"{entry['id']}/{entry['version']}", entry["sha256"], "interactive")
    assert [f.name for f in p.formats] == ["pytorch_state_dict"] and p.formats[0].sha256 in rdf
    assert p.validation is not None and p.validation.status == "passed" and p.validation.quick
    assert "ilastik no" in (p.validation.partner_gates or "")
    assert m.badge == "passed" and m.cover == p.cover
    assert any(s.code.startswith(f"bioimageio predict {entry['package']}") for s in m.snippets)


def test_the_command_writes_covers_from_the_packages(package_folder, tmp_path):
    out = tmp_path / "site"
    summaries = tmp_path / "summaries"
    summaries.mkdir()
    proc = run_cli("site", "-o", str(out), "--packages", str(package_folder), "--reports", str(summaries))
    assert proc.returncode == 0, proc.stderr
    assert "1 package(s), 1 with validation" in proc.stdout
    [entry] = json.loads((package_folder / "collection.json").read_text())["collection"]
    [cover] = (out / "covers").iterdir()
    with zipfile.ZipFile(package_folder / entry["package"]) as zf:
        assert cover.read_bytes() == zf.read("cover.png")
    page = (out / "models" / "vit_t_lm.html").read_text(encoding="utf-8")
    assert f'src="../covers/{cover.name}"' in page and entry["sha256"] in page
    assert 'class="badge passed"' in (out / "index.html").read_text(encoding="utf-8")
