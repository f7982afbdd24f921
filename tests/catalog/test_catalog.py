"""The catalog: every spec loads, every name resolves, the seed page's facts are in it, bad specs fail in one line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from samzoo.catalog import CATEGORIES, DOMAINS, ENCODERS, builtin_spec_dir, load_catalog, load_spec_file
from samzoo.plumbing.errors import SpecError, UnknownModelError
from samzoo.catalog.recommend import recommend, targets

SPEC_FILES = sorted(p for p in builtin_spec_dir().glob("*.yaml") if not p.name.startswith("_"))
CATALOG = load_catalog(include_user=False)

# The seed page (finetuned_models.md) and published_weights.tsv, restated independently of model_specs/.
SEED_CURRENT = {
    "vit_h": ("vit_h", "natural", None),
    "vit_l": ("vit_l", "natural", None),
    "vit_b": ("vit_b", "natural", None),
    "vit_t": ("vit_t", "natural", None),
    "vit_l_lm": ("vit_l", "light_microscopy", "idealistic-rat"),
    "vit_b_lm": ("vit_b", "light_microscopy", "diplomatic-bug"),
    "vit_t_lm": ("vit_t", "light_microscopy", "faithful-chicken"),
    "vit_l_em_organelles": ("vit_l", "electron_microscopy", "humorous-crab"),
    "vit_b_em_organelles": ("vit_b", "electron_microscopy", "noisy-ox"),
    "vit_t_em_organelles": ("vit_t", "electron_microscopy", "greedy-whale"),
    "vit_b_medical_imaging": ("vit_b", "medical_imaging", None),
    "vit_h_histopathology": ("vit_h", "histopathology", None),
    "vit_l_histopathology": ("vit_l", "histopathology", None),
    "vit_b_histopathology": ("vit_b", "histopathology", None),
}
PUBLISHED = Path(__file__).resolve().parents[3] / "shared" / "reference" / "published_weights.tsv"


@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: p.stem)
def test_every_spec_file_loads(path):
    spec = load_spec_file(path)
    assert spec.model_type == path.stem
    assert spec.encoder in ENCODERS and spec.domain in DOMAINS
    assert spec.category == CATEGORIES[spec.domain]
    assert spec.citations, "every model is cited"
    assert any("Segment Anything" in c.text for c in spec.citations)


def test_current_models_match_the_seed_page():
    got = {s.model_type: (s.encoder, s.domain, s.nickname) for s in CATALOG.current()}
    assert got == SEED_CURRENT


@pytest.mark.parametrize("spec", CATALOG.current(), ids=lambda s: s.model_type)
def test_every_current_model_has_hashed_weights(spec):
    weights = spec.current.weights
    assert weights is not None and weights.encoder.url.startswith("https://")
    alg, _, digest = weights.encoder.hash.partition(":")
    assert alg in ("xxh128", "sha256") and digest


@pytest.mark.parametrize("spec", CATALOG.current(), ids=lambda s: s.model_type)
def test_current_models_cite_their_papers(spec):
    dois = {c.doi for c in spec.citations}
    if spec.domain != "natural":
        assert "10.1038/s41592-024-02580-4" in dois
    if spec.encoder == "vit_t":
        assert any("2306.14289" in (c.doi or "") for c in spec.citations)
    if spec.domain == "medical_imaging":
        assert any("2501.11734" in (c.doi or "") for c in spec.citations)
    if spec.domain == "histopathology":
        assert any("2502.00408" in (c.doi or "") for c in spec.citations)


@pytest.mark.skipif(not PUBLISHED.is_file(), reason="shared/reference not beside the checkout")
def test_weights_match_published_weights_tsv():
    rows = [line.split("\t") for line in PUBLISHED.read_text().splitlines()[1:] if line.strip()]
    assert len(rows) == 24
    for name, kind, url, digest in rows:
        model_type = name.removesuffix("_decoder")
        weights = CATALOG.models[model_type].current.weights
        entry = weights.decoder if kind == "decoder" else weights.encoder
        assert entry is not None, name
        assert (entry.url, entry.hash) == (url, f"xxh128:{digest}"), name


@pytest.mark.parametrize("name", CATALOG.names())
def test_every_name_resolves(name):
    ref = CATALOG.lookup(name)
    assert name.split("@")[0].split("/")[0] in (ref.spec.model_type, ref.spec.nickname)


def test_nicknames_are_unique_and_have_emoji():
    nicknames = [s.nickname for s in CATALOG.all() if s.nickname]
    assert len(nicknames) == len(set(nicknames)) == 6
    assert all(s.emoji for s in CATALOG.all() if s.nickname)


@pytest.mark.parametrize(
    "name, model_type, version, zoo_version",
    [
        ("vit_b_lm", "vit_b_lm", "v4", "1.2"),
        ("vit_b_lm@v2", "vit_b_lm", "v2", "1"),
        ("vit_b_lm@1.1", "vit_b_lm", "v3", "1.1"),
        ("diplomatic-bug", "vit_b_lm", "v4", "1.2"),
        ("diplomatic-bug/1.2", "vit_b_lm", "v4", "1.2"),
        ("diplomatic-bug/1", "vit_b_lm", "v2", "1"),
        ("noisy-ox", "vit_b_em_organelles", "v4", "1.2"),
        ("faithful-chicken", "vit_t_lm", "v3", "1.1"),
        ("greedy-whale/1", "vit_t_em_organelles", "v2", "1"),
        ("10.5281/zenodo.11103798", "vit_b_lm", "v2", "1"),
        ("doi:10.5281/zenodo.11111293", "vit_b_em_organelles", "v2", "1"),
        ("https://zenodo.org/records/10524894", "vit_b_em_boundaries", "v1", None),
        ("https://doi.org/10.5281/zenodo.11117559", "vit_h_lm", "v2", None),
        ("vit_h_lm@v1", "vit_h_lm", "v1", None),
    ],
)
def test_lookup(name, model_type, version, zoo_version):
    ref = CATALOG.lookup(name)
    assert (ref.model_type, ref.version.version, ref.version.zoo_version) == (model_type, version, zoo_version)


def test_versions_named_on_the_seed_page():
    assert CATALOG.lookup("vit_b_lm@v2").version.record_id == "11103798"
    assert CATALOG.lookup("vit_b_lm@v1").version.record_id == "10524791"
    assert CATALOG.lookup("vit_t_lm@v2").version.record_id == "11111329"
    assert CATALOG.lookup("vit_t_em_organelles@v2").version.record_id == "11110950"
    assert CATALOG.lookup("vit_h_em@v1").version.record_id == "8250291"
    for record in ["11115426", "11115998", "11116407", "11115827", "11116603", "11117314", "11117144", "11117495", "11117615"]:
        ref = CATALOG.lookup(f"10.5281/zenodo.{record}")
        assert ref.spec.status in ("specialist", "legacy")


@pytest.mark.parametrize("name", ["no-such-model", "vit_b_lm@v9", "diplomatic-bug/7", "10.5281/zenodo.1"])
def test_unknown_names_suggest(name):
    with pytest.raises(UnknownModelError) as e:
        CATALOG.lookup(name)
    assert "\n" not in str(e.value)


def test_close_names_are_suggested():
    with pytest.raises(UnknownModelError) as e:
        CATALOG.lookup("nosy-ox")
    assert "noisy-ox" in e.value.suggestions


def _user_catalog(tmp_path: Path, model_type: str, text_edit) -> Path:
    user = tmp_path / "user_specs"
    user.mkdir()
    text = (builtin_spec_dir() / "vit_b_lm.yaml").read_text(encoding="utf-8")
    text = text.replace("model_type: vit_b_lm", f"model_type: {model_type}")
    text = text.replace("nickname: diplomatic-bug", "nickname: clever-otter")
    (user / f"{model_type}.yaml").write_text(text_edit(text), encoding="utf-8")
    return user


def test_user_spec_extends_catalog(tmp_path, monkeypatch):
    monkeypatch.setenv("SAMZOO_CATALOG", str(_user_catalog(tmp_path, "vit_b_mylab", lambda t: t)))
    catalog = load_catalog()
    assert catalog.lookup("clever-otter").model_type == "vit_b_mylab"


@pytest.mark.parametrize(
    "edit, field",
    [
        (lambda t: t.replace("encoder: vit_b", "encodr: vit_b"), "encodr"),
        (lambda t: t.replace("    encoder:\n      url:", "    encoder:\n      ulr:"), "ulr"),
        (lambda t: t.replace("hash: xxh128:fe92", "hash: xxh999:fe92"), "hash"),
        (lambda t: t.replace("domain: light_microscopy", "domain: light"), "domain"),
        (lambda t: t.replace("current_version: v4", "current_version: v9"), "current_version"),
        (lambda t: t.replace("- micro_sam", "- microsam"), "citations"),
    ],
)
def test_bad_spec_fails_in_one_line_naming_file_and_field(tmp_path, monkeypatch, edit, field):
    user = _user_catalog(tmp_path, "vit_b_mylab", edit)
    monkeypatch.setenv("SAMZOO_CATALOG", str(user))
    with pytest.raises(SpecError) as e:
        load_catalog()
    msg = str(e.value)
    assert "\n" not in msg
    assert "vit_b_mylab.yaml" in msg and field in msg


def test_typo_gets_did_you_mean(tmp_path, monkeypatch):
    user = _user_catalog(tmp_path, "vit_b_mylab", lambda t: t.replace("encoder: vit_b", "encodr: vit_b"))
    monkeypatch.setenv("SAMZOO_CATALOG", str(user))
    with pytest.raises(SpecError, match="did you mean 'encoder'"):
        load_catalog()


def test_duplicate_nickname_is_refused(tmp_path, monkeypatch):
    user = _user_catalog(tmp_path, "vit_b_mylab", lambda t: t.replace("clever-otter", "noisy-ox"))
    monkeypatch.setenv("SAMZOO_CATALOG", str(user))
    with pytest.raises(SpecError, match="noisy-ox"):
        load_catalog()


def test_invalid_yaml_names_file_and_line(tmp_path, monkeypatch):
    user = tmp_path / "user_specs"
    user.mkdir()
    (user / "vit_b_broken.yaml").write_text("model_type: vit_b_broken\nencoder: [vit_b\n")
    monkeypatch.setenv("SAMZOO_CATALOG", str(user))
    with pytest.raises(SpecError, match=r"vit_b_broken\.yaml.*line"):
        load_catalog()


def test_file_name_must_match_model_type(tmp_path, monkeypatch):
    user = tmp_path / "user_specs"
    user.mkdir()
    shutil.copy(builtin_spec_dir() / "vit_b.yaml", user / "vit_b_other.yaml")
    monkeypatch.setenv("SAMZOO_CATALOG", str(user))
    with pytest.raises(SpecError, match="vit_b_other.yaml"):
        load_catalog()


# --- recommendations: the seed page's "Choosing a Model" -------------------------------------------
@pytest.mark.parametrize(
    "domain, target, fast, quality, expected",
    [
        ("light_microscopy", "cells", False, False, "vit_b_lm"),
        ("light_microscopy", "nuclei", False, True, "vit_l_lm"),
        ("light_microscopy", None, True, False, "vit_t_lm"),
        ("electron_microscopy", "mitochondria", False, False, "vit_b_em_organelles"),
        ("electron_microscopy", "nuclei", True, False, "vit_t_em_organelles"),
        ("electron_microscopy", "neurites", False, False, "vit_b"),
        ("medical_imaging", "ct", False, False, "vit_b_medical_imaging"),
        ("histopathology", "nuclei", False, False, "vit_b_histopathology"),
        ("histopathology", None, False, True, "vit_l_histopathology"),
        ("natural", None, False, False, "vit_b"),
        ("natural", None, True, False, "vit_t"),
    ],
)
def test_recommend(domain, target, fast, quality, expected):
    choice = recommend(domain, target, fast=fast, quality=quality, catalog=CATALOG)
    assert choice.model_type == expected
    assert choice.reason


@pytest.mark.parametrize("domain", DOMAINS)
def test_vit_h_is_never_recommended(domain):
    for target in [None, *targets(CATALOG, domain), "anything"]:
        for fast, quality in [(False, False), (True, False), (False, True)]:
            assert not recommend(domain, target, fast=fast, quality=quality, catalog=CATALOG).model_type.startswith("vit_h")
