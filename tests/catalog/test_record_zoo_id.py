"""A new model's zoo id, recorded in its user catalog entry after `samzoo publish`."""

from __future__ import annotations

import pytest

from samzoo.catalog import add_model, load_catalog, record_zoo_id
from samzoo.plumbing.errors import SamzooError


def test_the_id_goes_into_the_user_entry_once(tmp_path, monkeypatch, vit_t_checkpoint):
    monkeypatch.setenv("SAMZOO_CATALOG", str(tmp_path / "cat"))
    add_model("vit_t_mylab", weights=str(vit_t_checkpoint), authors=["Jane Doe"])
    path = record_zoo_id("vit_t_mylab", "affable-otter")
    assert path is not None and "nickname: affable-otter" in path.read_text()
    assert path.read_text().startswith("# vit_t_mylab: user model")
    assert load_catalog().lookup("affable-otter").spec.model_type == "vit_t_mylab"
    assert record_zoo_id("vit_t_mylab", "witty-lynx") is None  # the first id stays
    assert record_zoo_id("vit_b_lm", "witty-lynx") is None  # not a user model


def test_an_id_the_catalog_already_uses_is_refused(tmp_path, monkeypatch, vit_t_checkpoint):
    monkeypatch.setenv("SAMZOO_CATALOG", str(tmp_path / "cat"))
    add_model("vit_t_mylab", weights=str(vit_t_checkpoint), authors=["Jane Doe"])
    before = (tmp_path / "cat" / "vit_t_mylab.yaml").read_text()
    with pytest.raises(SamzooError, match="already the nickname of vit_b_lm"):
        record_zoo_id("vit_t_mylab", "diplomatic-bug")
    assert (tmp_path / "cat" / "vit_t_mylab.yaml").read_text() == before
