"""`samzoo catalog add|list|remove`: the encoder from the name, weights checked against it, people and citations."""

from __future__ import annotations

import json

import pytest
import yaml

from helpers.cli import run_cli
from samzoo.catalog.people import person
from samzoo.catalog.writer import citation, encoder_of_name


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


@pytest.mark.parametrize("flag, value, words", [
    ("--author", "", "'' is empty"),
    ("--author", "unknown", "'unknown' is a placeholder"),
    ("--author", "Jane Doe @jane.doe", "'Jane Doe @jane.doe': '@jane.doe' is not a GitHub user name"),
    ("--maintainer", "Jane Doe", "'Jane Doe' has no GitHub user, and a BioImage.IO maintainer needs one"),
])
def test_people_the_zoo_would_fail_are_refused_when_added(tmp_path, vit_t_checkpoint, flag, value, words):
    env = {"SAMZOO_CATALOG": str(tmp_path / "cat")}
    extra = ["--author", "Jane Doe"] if flag == "--maintainer" else []
    proc = run_cli("catalog", "add", "vit_t_mylab", "--weights", str(vit_t_checkpoint), *extra, flag, value, env=env)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()] and f"{flag}: {words}" in proc.stderr
    assert '"Jane Doe @' in proc.stderr  # what to write instead
    assert not (tmp_path / "cat" / "vit_t_mylab.yaml").exists()


def test_a_hand_written_spec_with_a_placeholder_author_is_refused_before_building(tmp_path, vit_t_checkpoint):
    env = {"SAMZOO_CATALOG": str(tmp_path / "cat")}
    assert run_cli("catalog", "add", "vit_t_mylab", "--weights", str(vit_t_checkpoint), "--author", "Jane Doe", env=env).returncode == 0
    spec = tmp_path / "cat" / "vit_t_mylab.yaml"
    spec.write_text(spec.read_text().replace("name: Jane Doe", "name: unknown"))  # edited by hand
    proc = run_cli("build", "vit_t_mylab", "--checkpoint", str(vit_t_checkpoint), "-o", str(tmp_path / "out") + "/", env=env)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == (f"samzoo: error: {spec}: authors[0] is 'unknown', a placeholder, not a person (the zoo check "
                                   "fails it); write a person's name, e.g. \"Jane Doe\" or \"Jane Doe @janedoe\" (NAME @GITHUB_USER)")
    assert not (tmp_path / "out").exists()
