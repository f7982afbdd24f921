"""``samzoo site`` from the catalog alone: the pages' data, BibTeX, escaping, determinism, atomic writing, the command."""

from __future__ import annotations

import os

import json
import re
import zipfile
from pathlib import Path

import pytest

from helpers.cli import run_cli
from samzoo.catalog import ENCODERS, load_catalog
from samzoo.website import build_site
from samzoo.website.bibtex_entries import bibtex, citation_key
from samzoo.website.model_pages import site_pages
from samzoo.website.package_shelf import read_shelf
from samzoo.website.site_write import MARKER, write_site
from samzoo.website.validation_json import parse_validation, read_validations

PAGE_LIMIT = 200_000


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(include_user=False)


@pytest.fixture(scope="module")
def site(catalog, tmp_path_factory):
    return site_pages(catalog, [], {}, tmp_path_factory.mktemp("site") / "out")


def _page(site, model_type):
    return next(m for m in site.models if m.model_type == model_type)


def test_every_catalog_model_has_one_page_in_its_matrix_cell(site, catalog):
    assert [m.model_type for m in site.models] == list(catalog.models)
    placed = {}
    for row in site.matrix:
        for encoder, cell in zip(site.encoders, row.cells, strict=True):
            for m in cell:
                placed[m.model_type] = (row.domain, encoder)
    assert placed == {s.model_type: (s.domain, s.encoder) for s in catalog.models.values()}
    assert set(site.encoders) == set(ENCODERS)


def test_a_published_model_page_has_its_versions_rules_usage_and_citations(site):
    m = _page(site, "vit_b_lm")
    current = next(v for v in m.versions if v.current)
    assert (current.label, current.zoo_id) == ("v4", "diplomatic-bug/1.2")
    assert [w.part for w in current.weights] == ["encoder", "decoder"]
    assert current.weights[0].hash == "xxh128:fe9252a29f3f4ea53c15a06de471e186"
    assert next(v for v in m.versions if v.label == "v2").doi == "10.5281/zenodo.11103798"
    assert m.modes == ("interactive", "automatic")
    assert m.badge == "catalog" and m.cover is None
    assert [r.model_type for r in m.rules if r.this] == ["vit_b_lm"]
    assert {r.model_type for r in m.rules} >= {"vit_l_lm", "vit_t_lm"}
    code = {s.title: s.code for s in m.snippets}
    assert 'samzoo.load_predictor("diplomatic-bug/1.2")' in code["samzoo (Python)"]
    assert code["bioimageio.core"].startswith("bioimageio predict diplomatic-bug/1.2")
    assert "-m vit_b_lm" in code["micro-sam / napari"]
    assert m.zoo_url == "https://bioimage.io/#/?id=diplomatic-bug"
    assert [c.doi for c in m.citations] == ["10.48550/arXiv.2304.02643", "10.1038/s41592-024-02580-4"]


def test_a_specialist_without_weights_gets_no_micro_sam_snippet_and_no_zoo_link(site):
    m = _page(site, "vit_b_cremi")
    assert m.status == "specialist" and m.zoo_url is None
    assert m.rules and not any(r.this for r in m.rules)  # the domain's rules: which model to use instead
    assert [s.title for s in m.snippets] == ["samzoo (command line)"]
    assert "samzoo catalog add" in m.snippets[0].code
    assert m.versions[0].weights == () and m.versions[0].doi == "10.5281/zenodo.11117314"


def test_bibtex_entries_have_unique_keys_and_escaped_fields():
    taken: set[str] = set()
    text = "Kirillov et al. Segment Anything. ICCV 2023."
    first, second = citation_key(text, taken), citation_key(text, taken)
    assert (first, second) == ("kirillov2023segment", "kirillov2023segmenta")
    entry = bibtex("Doe et al. A {braced} 100% model_x. arXiv 2025.", "10.1/a_b", None, "k")
    assert entry.splitlines()[0] == "@misc{k,"
    assert "title = {A braced 100\\% model\\_x}" in entry
    assert "doi = {10.1/a_b}" in entry and "url = {https://doi.org/10.1/a_b}" in entry
    assert entry.count("{") == entry.count("}")


def _spec_with(tmp_path: Path, text: str) -> Path:
    spec = (Path(__file__).resolve().parents[2] / "model_specs" / "vit_t_lm.yaml").read_text(encoding="utf-8")
    spec = re.sub(r"(?m)^(nickname|emoji):.*\n", "", spec).replace("model_type: vit_t_lm", "model_type: vit_t_odd")
    spec = re.sub(r"(?m)^display_name:.*$", f"display_name: '{text}'", spec)
    folder = tmp_path / "specs"
    folder.mkdir()
    (folder / "vit_t_odd.yaml").write_text(spec, encoding="utf-8")
    return folder


def test_untrusted_text_is_escaped_in_every_page(tmp_path):
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    catalog = load_catalog(_spec_with(tmp_path, evil), include_user=False)
    build_site(tmp_path / "out", catalog=catalog)
    html = (tmp_path / "out" / "models" / "vit_t_odd.html").read_text(encoding="utf-8")
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    for text in (html, index):
        assert "<script>alert" not in text and "<img src=x" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def _resources(html: str) -> list[str]:
    return re.findall(r'<(?:script|img|link)\b[^>]*?(?:src|href)="([^"]*)"', html)


def test_the_whole_catalog_is_deterministic_small_and_self_contained(tmp_path):
    a, b = build_site(tmp_path / "a"), build_site(tmp_path / "b")
    files_a = sorted(p.relative_to(a.path) for p in a.path.rglob("*") if p.is_file())
    assert files_a == sorted(p.relative_to(b.path) for p in b.path.rglob("*") if p.is_file())
    assert all((a.path / f).read_bytes() == (b.path / f).read_bytes() for f in files_a)
    pages = [f for f in files_a if f.suffix == ".html"]
    assert len(pages) == a.pages + 1 == len(load_catalog(include_user=False).models) + 1
    for f in pages:
        data = (a.path / f).read_bytes()
        assert len(data) < PAGE_LIMIT, f
        for ref in _resources(data.decode()):
            assert not re.match(r"[a-z]+:", ref) or ref == "data:,", (f, ref)  # nothing loaded from outside the folder


def test_a_folder_that_is_no_site_is_refused_and_kept(tmp_path):
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    proc = run_cli("site", "-o", str(target))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert "not a samzoo site" in proc.stderr
    assert [p.name for p in target.iterdir()] == ["notes.txt"]


def test_a_site_is_replaced_as_a_whole_and_a_failed_write_leaves_nothing(tmp_path):
    target = tmp_path / "site"
    write_site(target, {"index.html": b"one", "old.html": b"x"})
    write_site(target, {"index.html": b"two"})
    assert sorted(p.name for p in target.iterdir()) == [MARKER, "index.html"]
    assert (target / "index.html").read_bytes() == b"two"
    with pytest.raises(ValueError, match="unsafe"):
        write_site(target, {"a.html": b"a", "../escape.html": b"b"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no temporary folder left, the site kept
    assert (target / "index.html").read_bytes() == b"two" and not (tmp_path / "escape.html").exists()


def test_an_interrupt_between_the_two_renames_brings_the_previous_site_back(tmp_path, monkeypatch):
    import samzoo.website.site_write as site_write

    target = tmp_path / "site"
    write_site(target, {"index.html": b"one"})
    real_replace, calls = os.replace, []

    def replace(src, dst):  # the first rename (old site aside) happens; Ctrl-C arrives before the second
        calls.append(dst)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(site_write.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        write_site(target, {"index.html": b"two"})
    monkeypatch.undo()
    assert (target / "index.html").read_bytes() == b"one"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_the_command_writes_the_site_and_reports_bad_folders_in_one_line(tmp_path):
    proc = run_cli("site", "-o", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert "model pages" in proc.stdout and (tmp_path / "out" / "index.html").is_file()
    proc = run_cli("site", "-o", str(tmp_path / "other"), "--packages", str(tmp_path / "missing"))
    assert proc.returncode == 2 and proc.stderr.strip().count("\n") == 0, proc.stderr
    assert "--packages" in proc.stderr and not (tmp_path / "other").exists()


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_untrusted_packages_are_read_within_bounds(tmp_path):
    folder = tmp_path / "packages"
    folder.mkdir()
    (folder / "broken.zip").write_bytes(b"not a zip")
    _zip(folder / "norfd.zip", {"a.txt": b"x"})
    rdf = ("name: '<b>odd</b>'\nid: odd-one\nversion: '2'\ndescription: d\ncovers: [cover.png]\n"
           "weights: {pytorch_state_dict: {source: w.pt, sha256: nothex}}\nconfig: {samzoo: {model_type: Odd-Model}}\n")
    _zip(folder / "odd.zip", {"rdf.yaml": rdf.encode(), "cover.png": b"<svg onload=alert(1)>"})
    shelf, notes = read_shelf(folder)
    assert [p.file for p in shelf] == ["odd.zip"]
    assert len(notes) == 2 and all(n.startswith("left out ") for n in notes)
    odd = shelf[0]
    assert odd.cover is None  # not an image by its first bytes
    assert odd.model_type == "odd-model".replace("-", "_") and odd.formats == (("pytorch_state_dict", None),)
    result = build_site(tmp_path / "out", folder)
    assert result.packages == 1 and len(result.notes) == 2
    page = (tmp_path / "out" / "models" / "odd_model.html").read_text(encoding="utf-8")
    assert "&lt;b&gt;odd&lt;/b&gt;" in page and "<b>odd" not in page
    assert 'href="../../packages/odd.zip"' in page
    assert not (tmp_path / "out" / "covers").exists()


def test_validation_json_of_either_format_is_read_and_garbage_is_left_out(tmp_path):
    samzoo_report = {"packages": [{"source": "/x/a-1.zip", "status": "passed", "quick": True,
                                   "checks": [{"name": "partner_gates", "status": "passed", "message": "informational: ilastik yes"}],
                                   "cores": [{"core": "0.9.5", "status": "failed", "message": "boom"}]}]}
    summary = {"source_name": "/y/b-2/rdf.yaml", "status": "valid-format",
               "details": [{"name": "samzoo inference", "status": "failed", "errors": [{"msg": "off by one"}]},
                           {"name": "samzoo files: 3 files", "status": "passed"}]}
    [(key, v)] = parse_validation(samzoo_report, "r.json")
    assert key == "a-1.zip" and v.partner_gates == "ilastik yes" and v.cores[0].status == "failed" and v.quick
    [(key, v)] = parse_validation(summary, "s.json")
    assert key == "b-2" and v.status == "failed"
    assert [(c.name, c.status, c.message) for c in v.checks] == [("inference", "failed", "off by one"), ("files", "passed", "3 files")]
    (tmp_path / "r.json").write_text(json.dumps(samzoo_report))
    (tmp_path / "bad.json").write_bytes(b"\xff\xfe")
    (tmp_path / "other.json").write_text("[1, 2]")
    found, notes = read_validations([tmp_path])
    assert list(found) == ["a-1.zip"] and len(notes) == 2
