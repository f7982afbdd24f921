"""`samzoo catalog add|list|remove`: the encoder from the name, weights checked against it, people and citations."""

from __future__ import annotations

import json

import yaml

from helpers.cli import run_cli
from samzoo.catalog.writer import citation, encoder_of_name, person


def test_add_infers_the_encoder_and_writes_people_and_citations(tmp_path, vit_t_checkpoint):
    env = {"SAMZOO_CATALOG": str(tmp_path / "cat")}
    proc = run_cli("catalog", "add", "vit_t_mylab", "--weights", str(vit_t_checkpoint), "--author", "Jane Doe @janedoe",
                   "--author", "John Roe", "--maintainer", "Jane Doe @janedoe", "--cite", "10.1234/mylab.2026", env=env)
    assert proc.returncode == 0, proc.stderr
    spec = yaml.safe_load((tmp_path / "cat" / "vit_t_mylab.yaml").read_text())
    assert spec["encoder"] == "vit_t"
    assert spec["authors"] == [{"name": "Jane Doe", "github_user": "janedoe"}, {"name": "John Roe"}]
    assert spec["maintainers"] == [{"name": "Jane Doe", "github_user": "janedoe"}]
    assert {"text": "doi:10.1234/mylab.2026", "doi": "10.1234/mylab.2026"} in spec["citations"]
    listed = run_cli("catalog", "list", "--json", env=env)
    assert [m["model_type"] for m in json.loads(listed.stdout)] == ["vit_t_mylab"]
    assert json.loads(listed.stdout)[0]["authors"] == ["Jane Doe", "John Roe"]
    removed = run_cli("catalog", "remove", "vit_t_mylab", env=env)
    assert removed.returncode == 0 and not (tmp_path / "cat" / "vit_t_mylab.yaml").exists()
    assert "(empty" in run_cli("catalog", "list", env=env).stdout
    again = run_cli("catalog", "remove", "vit_t_mylab", env=env)
    assert again.returncode == 2 and "not in your catalog" in again.stderr


def test_weights_that_are_not_the_declared_encoder_are_refused(tmp_path, vit_t_checkpoint):
    env = {"SAMZOO_CATALOG": str(tmp_path / "cat")}
    proc = run_cli("catalog", "add", "vit_b_x", "--weights", str(vit_t_checkpoint), env=env)
    assert proc.returncode == 2, proc.stderr
    assert "--weights" in proc.stderr and "holds vit_t weights but vit_b_x is declared vit_b" in proc.stderr
    assert not (tmp_path / "cat" / "vit_b_x.yaml").exists()
    no_authors = run_cli("catalog", "add", "vit_t_x", "--weights", str(vit_t_checkpoint), env=env)
    assert no_authors.returncode == 0 and "has no authors" in no_authors.stderr


def test_parsing_helpers():
    assert encoder_of_name("vit_b_mylab") == "vit_b" and encoder_of_name("mylab") is None
    assert person("@janedoe") == {"name": "janedoe", "github_user": "janedoe"}
    assert citation("https://example.org/paper") == {"text": "https://example.org/paper", "url": "https://example.org/paper"}
    assert citation("Doe et al. 2026") == {"text": "Doe et al. 2026"}
