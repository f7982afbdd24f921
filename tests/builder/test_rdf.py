"""The rdf's common parts (builder/rdf.py): environment.yaml, metadata notes."""

from __future__ import annotations

import pytest

from samzoo.builder import rdf
from samzoo.builder.rdf import metadata_notes
from samzoo.catalog import add_model, load_catalog


def test_environment_lists_what_the_architecture_needs():
    assert "segment-anything" in rdf.environment_yaml("vit_b") and "mobile" not in rdf.environment_yaml("vit_b")
    env_t = rdf.environment_yaml("vit_t")
    assert "mobilesam-mirror" in env_t and "timm" in env_t and "segment-anything" not in env_t


@pytest.fixture
def user_model(tmp_path, monkeypatch, vit_t_checkpoint):
    monkeypatch.setenv("SAMZOO_CATALOG", str(tmp_path / "catalog"))
    add_model("vit_t_mylab", encoder="vit_t", weights=str(vit_t_checkpoint), domain="light_microscopy")
    return load_catalog()


def test_missing_authors_and_unknown_github_users_are_said(user_model):
    notes = metadata_notes(user_model.models["vit_t_mylab"])
    assert any("no authors" in n and "zoo check fails" in n for n in notes), notes
    lm = user_model.models["vit_b_lm"]
    author = lm.authors[0].model_copy(update={"github_user": "no-such-user-samzoo-1234"})
    spec = lm.model_copy(update={"authors": [author, *lm.authors[1:]]})
    assert any("'no-such-user-samzoo-1234' is left out of the rdf" in n for n in metadata_notes(spec))


def test_a_maintainer_left_out_of_the_rdf_is_said(user_model):
    # a hand-written spec may name a maintainer without a GitHub user: format 0.5 cannot hold them, the build says so
    lm = user_model.models["vit_b_lm"]
    spec = lm.model_copy(update={"maintainers": [lm.maintainers[0].model_copy(update={"github_user": None})]})
    notes = metadata_notes(spec)
    assert any(f"maintainer {lm.maintainers[0].name} is left out of the rdf: a BioImage.IO maintainer needs a GitHub user" in n
               for n in notes), notes
    assert "maintainers" not in rdf.metadata_rdf(spec, "1.2")
