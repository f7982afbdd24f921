"""The catalog package's own jobs: zoo-version ordering, zoo ids, and the spec writer's Python-API errors."""

from __future__ import annotations

import pytest
import yaml

from samzoo.catalog import (
    ModelRef,
    builtin_spec_dir,
    is_single_emoji,
    is_zoo_nickname,
    load_catalog,
    load_spec_file,
)
from samzoo.catalog.versions import newest, next_version, version_key
from samzoo.catalog.writer import add_model
from samzoo.plumbing.errors import ArgumentError, SpecError
from samzoo.plumbing.hashing import file_hash
from samzoo.catalog.recommend import recommend
from samzoo.validate.checks.identity import check_identity


@pytest.mark.parametrize("text, key", [("1", (1,)), ("1.2", (1, 2)), ("1.10", (1, 10)), ("0.0.3", (0, 0, 3))])
def test_version_key_orders_numerically(text, key):
    assert version_key(text) == key


@pytest.mark.parametrize("text", ["", "v1", "1.", ".1", "1..2", "1.2a", " 1", "+1", "1_0", "-1"])
def test_version_key_rejects_what_is_not_a_dotted_number(text):
    with pytest.raises(ValueError, match="dotted number"):
        version_key(text)


@pytest.mark.parametrize("published, expected_newest, expected_next", [
    ([], None, "1"), (["1"], "1", "1.1"), (["1", "1.1", "1.2"], "1.2", "1.3"),
    (["1.9", "1.10"], "1.10", "1.11"), (["2", "1.5"], "2", "2.1"),
])
def test_newest_and_next_version(published, expected_newest, expected_next):
    assert newest(published) == expected_newest
    assert next_version(published) == expected_next
    assert next_version(iter(published)) == expected_next  # any iterable, read once


def test_zoo_id_is_formed_by_the_ref_only():
    catalog = load_catalog(include_user=False)
    assert catalog.lookup("noisy-ox").zoo_id == "noisy-ox/1.2"
    assert catalog.lookup("noisy-ox/1.2").zoo_id == "noisy-ox/1.2"
    ref = catalog.lookup("vit_b_histopathology")  # no nickname
    assert ref.zoo_id is None and ModelRef(ref.spec, ref.version).zoo_id is None
    spec = catalog.lookup("vit_b_lm").spec
    unpublished = next(v for v in spec.versions if not v.zoo_version)  # v1: the preprint, never on the zoo
    assert ModelRef(spec, unpublished).zoo_id is None
    assert not hasattr(spec, "zoo_id") and not hasattr(ref, "is_current") and not hasattr(spec, "summary")


def test_spec_zoo_version_uses_the_one_definition(tmp_path):
    spec_text = (builtin_spec_dir() / "vit_b_lm.yaml").read_text(encoding="utf-8")
    assert "zoo_version: '1.2'" in spec_text
    bad = tmp_path / "vit_b_lm.yaml"
    bad.write_text(spec_text.replace("zoo_version: '1.2'", "zoo_version: '1.2a'"), encoding="utf-8")
    with pytest.raises(SpecError, match=r"zoo_version '1.2a' must be a dotted number"):
        load_spec_file(bad)


def test_identity_with_a_version_that_is_not_a_number_is_a_warning(tmp_path):
    """The validator orders with catalog.versions: '1.2a' is not compared (it used to raise TypeError)."""
    result = check_identity({"id": "noisy-ox", "version": "1.2a"}, tmp_path)
    assert result.status == "warning" and "does not record" in result.message, result
    newer = check_identity({"id": "noisy-ox", "version": "1.10"}, tmp_path)
    assert newer.status == "warning" and "new version" in newer.message, newer


def _err(call) -> ArgumentError:
    with pytest.raises(ArgumentError) as info:
        call()
    assert "--" not in str(info.value), "a library error must not name CLI flags"
    return info.value


def test_writer_errors_name_python_arguments(tmp_path, vit_t_checkpoint):
    cat = tmp_path / "catalog"
    w = str(vit_t_checkpoint)
    cases = [
        (lambda: add_model("vit_t_x", encoder="vit_q", weights=w, directory=cat), "encoder", "choose one of"),
        (lambda: add_model("mylab", encoder="vit_t", weights=w, directory=cat), "name", "must start with its encoder"),
        (lambda: add_model("Vit_t", encoder="vit_t", weights=w, directory=cat), "name", "lower-case"),
        (lambda: add_model("vit_t_x", encoder="vit_t", weights="https://example.org/w.pt", directory=cat), "hash", "is required for a URL"),
        (lambda: add_model("vit_t_x", encoder="vit_t", weights=w, hash="md5:00", directory=cat), "hash", ""),
        (lambda: add_model("vit_t_x", encoder="vit_t", weights=w, hash="xxh128:" + "0" * 32, directory=cat), "hash", "hashes to"),
        (lambda: add_model("vit_t_x", encoder="vit_t", weights=str(tmp_path / "nope.pt"), directory=cat), "weights", "no such file"),
        (lambda: add_model("vit_t_x", encoder="vit_t", weights=w, decoder="https://example.org/d.pt", directory=cat),
         "decoder_hash", "is required for a URL"),
        (lambda: add_model("vit_t_x", encoder="vit_t", weights=w, nickname="noisy-ox", emoji="🐂", directory=cat),
         "nickname", "already used by vit_b_em_organelles"),
        (lambda: add_model("vit_b_lm", encoder="vit_b", weights=w, directory=cat, replace=True), "name", "already defined"),
    ]
    for call, argument, needle in cases:
        err = _err(call)
        assert err.argument == argument and needle in err.problem, (argument, str(err))
    assert not cat.exists()  # nothing written by a refused call


def test_writer_replace_own_spec(tmp_path, monkeypatch, vit_t_checkpoint):
    cat = tmp_path / "catalog"
    monkeypatch.setenv("SAMZOO_CATALOG", str(cat))
    path = add_model("vit_t_mine", encoder="vit_t", weights=str(vit_t_checkpoint))
    assert path == cat / "vit_t_mine.yaml"
    err = _err(lambda: add_model("vit_t_mine", encoder="vit_t", weights=str(vit_t_checkpoint), description="again"))
    assert err.argument == "replace" and "already defined" in err.problem
    add_model("vit_t_mine", encoder="vit_t", weights=str(vit_t_checkpoint), description="again", replace=True)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["description"] == "again"
    assert data["versions"][0]["weights"]["encoder"]["hash"] == file_hash(vit_t_checkpoint, "xxh128")
    assert sorted(p.name for p in cat.iterdir()) == ["vit_t_mine.yaml"]  # no temporary file left
    assert load_catalog().lookup("vit_t_mine").spec.description == "again"


def test_recommend_argument_errors():
    catalog = load_catalog(include_user=False)
    err = _err(lambda: recommend("light_microscopy", fast=True, quality=True, catalog=catalog))
    assert err.argument == "fast" and "quality" in err.problem
    err = _err(lambda: recommend("astronomy", catalog=catalog))
    assert err.argument == "domain" and "light_microscopy" in err.problem


@pytest.mark.parametrize("text, ok", [("noisy-ox", True), ("diplomatic-bug", True), ("Noisy-ox", False), ("noisy_ox", False),
                                      ("noisy-ox/1.2", False), ("noisy", False), ("a-b-c", False)])
def test_zoo_nickname(text, ok):
    assert is_zoo_nickname(text) is ok


@pytest.mark.parametrize("text, ok", [("🐂", True), ("🦀", True), ("👍🏽", True), ("❤️", True), ("x", False), ("", False),
                                      ("🐂🐂🐂🐂🐂", False), ("ox", False)])
def test_single_emoji(text, ok):
    assert is_single_emoji(text) is ok
