"""Zoo versions (builder/versioning.py): a rebuild keeps the published version, other weights are the next release."""

from __future__ import annotations

import pytest

from samzoo.builder import versioning
from samzoo.catalog import add_model, load_catalog
from samzoo.plumbing.errors import ArgumentError, SamzooError


@pytest.mark.parametrize("published, expected", [([], "1"), (["1"], "1.1"), (["1", "1.1", "1.2"], "1.3"), (["1.9", "1.10"], "1.11")])
def test_next_version(published, expected):
    assert versioning.next_version(published) == expected


def _hash_of(value):
    return lambda alg: f"{alg}:{value}"


def test_published_weights_give_the_published_zoo_version():
    ref = load_catalog().lookup("vit_b_lm")
    published = ref.spec.current.weights.encoder.hash.split(":")[1]
    d = versioning.decide_version(ref, _hash_of(published))
    assert (d.version, d.rebuild, d.matched.version) == ("1.2", True, "v4")


def test_other_weights_are_the_next_release():
    ref = load_catalog().lookup("noisy-ox")
    d = versioning.decide_version(ref, _hash_of("0" * 32))
    assert (d.version, d.rebuild) == ("1.3", False)
    assert "1.3" in d.message and "1.2" in d.message


def test_explicit_version_and_refusal_of_a_published_one():
    ref = load_catalog().lookup("vit_b_lm")
    assert versioning.decide_version(ref, _hash_of("0" * 32), "2.0").version == "2.0"
    with pytest.raises(ArgumentError, match="already published.*unless forced.*1.3") as refused:
        versioning.decide_version(ref, _hash_of("0" * 32), "1.1")
    assert refused.value.argument == "version" and "--" not in str(refused.value)  # Python terms, no CLI flags
    forced = versioning.decide_version(ref, _hash_of("0" * 32), "1.1", force=True)
    assert forced.version == "1.1" and not forced.rebuild and "--" not in forced.message
    with pytest.raises(ArgumentError, match="dotted number") as bad:
        versioning.decide_version(ref, _hash_of("0" * 32), "v2")
    assert bad.value.argument == "version" and "--" not in str(bad.value)


def test_rebuild_of_weights_a_user_catalog_publishes(tmp_path, monkeypatch, vit_t_checkpoint):
    """The checkpoint file's real xxh128 equals a catalog hash: the build is that zoo version."""
    from samzoo.plumbing.hashing import file_hash

    digest = file_hash(vit_t_checkpoint, "xxh128")
    (tmp_path / "vit_t_mine.yaml").write_text(f"""
model_type: vit_t_mine
encoder: vit_t
domain: light_microscopy
display_name: My tiny model
nickname: brave-mole
emoji: "🐀"
description: A test model.
citations: [micro_sam]
current_version: v2
versions:
  - version: v2
    zoo_version: "3.1"
    weights: {{encoder: {{url: "https://example.org/vit_t.pt", hash: "{digest}"}}}}
  - version: v1
    zoo_version: "3"
""")
    monkeypatch.setenv("SAMZOO_CATALOG", str(tmp_path))
    ref = load_catalog().lookup("brave-mole/3")  # any version of the name: the weights decide
    d = versioning.decide_version(ref, lambda alg: file_hash(vit_t_checkpoint, alg))
    assert (d.version, d.rebuild, d.matched.version) == ("3.1", True, "v2")
    with pytest.raises(SamzooError, match="already published"):
        versioning.decide_version(ref, lambda alg: file_hash(vit_t_checkpoint, alg), "3")
    assert versioning.decide_version(ref, lambda alg: f"{alg}:{'0' * 32}").version == "3.2"


def test_model_without_zoo_version_starts_at_1():
    ref = load_catalog().lookup("vit_b_histopathology")
    assert versioning.decide_version(ref, _hash_of("0" * 32)).version == "1"


@pytest.fixture
def user_model(tmp_path, monkeypatch, vit_t_checkpoint):
    monkeypatch.setenv("SAMZOO_CATALOG", str(tmp_path / "catalog"))
    add_model("vit_t_mylab", encoder="vit_t", weights=str(vit_t_checkpoint), domain="light_microscopy")
    return load_catalog()


def test_registered_user_weights_are_not_a_published_rebuild(user_model, vit_t_checkpoint):
    from samzoo.plumbing.hashing import file_hash

    ref = user_model.lookup("vit_t_mylab")
    d = versioning.decide_version(ref, lambda alg: file_hash(vit_t_checkpoint, alg))
    assert (d.version, d.rebuild, d.matched.version) == ("1", False, "v1")
    assert "registered" in d.message and "published" not in d.message
