"""documentation.md (builder/docs.py): user models are not called published."""

from __future__ import annotations

import pytest

from samzoo.builder.docs import documentation
from samzoo.catalog import add_model, load_catalog


@pytest.fixture
def user_model(tmp_path, monkeypatch, vit_t_checkpoint):
    monkeypatch.setenv("SAMZOO_CATALOG", str(tmp_path / "catalog"))
    add_model("vit_t_mylab", encoder="vit_t", weights=str(vit_t_checkpoint), domain="light_microscopy")
    return load_catalog()


def test_user_model_documentation_makes_no_family_claims(user_model):
    spec = user_model.models["vit_t_mylab"]
    doc = documentation(spec, user_model, "1", test_source="cell.png", n_objects=2, has_decoder=False)
    assert "user model" in doc and "not one of the published" in doc
    assert "model of the Segment Anything for Microscopy family" not in doc and "model_type=" not in doc
    assert 'samzoo.load_predictor("vit_t_mylab")' in doc  # a usage snippet for this model
    rules = doc.split("## How to choose a model")[1].split("##")[0]
    assert "vit_b_lm" in rules and "vit_b_em_organelles" not in rules and "histopathology" not in rules.lower()
    published = documentation(user_model.models["vit_b_em_organelles"], user_model, "1.2", test_source="coins.png", n_objects=2,
                              has_decoder=False)
    assert 'model_type="vit_b_em_organelles"' in published and "vit_b_lm" not in published.split("## How to choose")[1].split("##")[0]
