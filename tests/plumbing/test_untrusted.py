"""Caps on untrusted files (samzoo.plumbing.untrusted) and the validator's source/format checks on hostile packages.

Everything here is small and fast: real zips, real YAML, real files; no model is loaded.
"""

from __future__ import annotations

import os
import resource
import zipfile
from pathlib import Path

import pytest
import yaml

from samzoo.plumbing import untrusted
from samzoo.plumbing.untrusted import (
    InputLimitError,
    check_zip_sizes,
    parse_yaml,
    read_bytes_bounded,
    read_text_bounded,
)
from samzoo.validate import validate_package
from samzoo.validate.checks.files import check_files
from samzoo.validate.checks.format import read_rdf
from samzoo.validate.checks.zoo import check_zoo

BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=False)
)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_billion_laughs_is_refused_within_bounded_memory():
    before = _peak_rss_mb()
    with pytest.raises(InputLimitError, match="alias"):
        parse_yaml(BOMB, "rdf.yaml", "rdf")
    assert _peak_rss_mb() - before < 50


def test_recursive_alias_is_refused():
    with pytest.raises(InputLimitError, match="recursive"):
        parse_yaml("a: &a [1, *a]\n", "x.yaml")


def test_ordinary_aliases_still_load():
    assert parse_yaml("a: &a {k: 1}\nb: *a\n", "x.yaml") == {"a": {"k": 1}, "b": {"k": 1}}
    assert parse_yaml("", "x.yaml") is None


def test_python_tags_are_refused(tmp_path):
    marker = tmp_path / "ran"
    with pytest.raises(yaml.YAMLError):
        parse_yaml(f"!!python/object/apply:os.system ['touch {marker}']\n", "x.yaml")
    assert not marker.exists()


def test_size_cap_is_checked_before_reading(tmp_path, monkeypatch):
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * 2000)
    monkeypatch.setattr(untrusted, "MAX_TEXT_BYTES", 1000)
    with pytest.raises(InputLimitError, match="more than"):
        read_bytes_bounded(big, untrusted.MAX_TEXT_BYTES)
    assert read_bytes_bounded(big, 4000) == b"#" * 2000


def test_special_files_are_refused_without_blocking(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(InputLimitError, match="not a regular file"):
        read_bytes_bounded(fifo)
    with pytest.raises(InputLimitError, match="folder"):
        read_bytes_bounded(tmp_path)
    with pytest.raises(InputLimitError, match="not a regular file"):
        read_bytes_bounded("/dev/zero")


def test_non_utf8_is_one_line(tmp_path):
    f = tmp_path / "rdf.yaml"
    f.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputLimitError) as e:
        read_text_bounded(f, what="rdf")
    assert "not UTF-8" in str(e.value) and "0xe9" in str(e.value) and "\n" not in str(e.value)


def _zeros_zip(path: Path, inflated: int, rdf: bytes = b"type: model\n", member: str = "weights.pt") -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("rdf.yaml", rdf)
        with zf.open(member, "w", force_zip64=True) as f:
            block = b"\0" * (1 << 20)
            for _ in range(inflated >> 20):
                f.write(block)
    return path


def test_zip_bomb_is_refused_before_writing(tmp_path):
    bomb = _zeros_zip(tmp_path / "bomb.zip", 300 << 20)
    assert bomb.stat().st_size < 2 << 20
    with zipfile.ZipFile(bomb) as zf, pytest.raises(InputLimitError, match="zip bomb"):
        check_zip_sizes(zf, bomb.stat().st_size, bomb.name)
    report = validate_package(bomb)
    assert report.check("source").status == "failed" and "zip bomb" in report.check("source").message


def test_rdf_bomb_member_fails_without_unpacking(tmp_path, monkeypatch):
    monkeypatch.setattr(untrusted, "MAX_ZIP_FLOOR", 8 << 20)
    bomb = tmp_path / "rdf_bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("rdf.yaml", b"#" * (64 << 20))
    report = validate_package(bomb)
    assert "zip bomb" in report.check("source").message


def forge_declared_size(path: Path, member: str, declared: int) -> None:
    """Rewrite the uncompressed size a zip's headers declare for ``member`` (local and central)."""
    import struct

    data = bytearray(path.read_bytes())
    name = member.encode()
    for sig, size_at, name_len_at, name_at in ((b"PK\x03\x04", 22, 26, 30), (b"PK\x01\x02", 24, 28, 46)):
        pos = data.find(sig)
        while pos >= 0:
            n = struct.unpack_from("<H", data, pos + name_len_at)[0]
            if bytes(data[pos + name_at:pos + name_at + n]) == name:
                struct.pack_into("<I", data, pos + size_at, declared)
            pos = data.find(sig, pos + 4)
    path.write_bytes(bytes(data))


def test_forged_member_size_is_cut_off(tmp_path):
    """Headers that declare 100 bytes for a member that inflates to 4 MiB: never more than 100 bytes are written."""
    path = tmp_path / "forged.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("rdf.yaml", "type: model\n")
        zf.writestr("test.npy", b"\0" * (4 << 20))
    forge_declared_size(path, "test.npy", 100)
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo("test.npy").file_size == 100
    report = validate_package(path)
    src = report.check("source")
    assert src.status == "failed" and "not a readable zip" in src.message, src


def test_too_many_members(tmp_path, monkeypatch):
    monkeypatch.setattr(untrusted, "MAX_ZIP_MEMBERS", 50)
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("rdf.yaml", "type: model\n")
        for i in range(60):
            zf.writestr(f"f{i}.txt", "")
    assert "61 members" in validate_package(path).check("source").message


@pytest.mark.parametrize(
    "text, words",
    [
        (BOMB, "alias"),
        ("a: &a [1, *a]\n", "recursive"),
        ("- 1\n- 2\n", "not a YAML mapping"),
        ("", "not a YAML mapping"),
        ("name: [unclosed\n", "invalid YAML"),
    ],
)
def test_rdf_text_problems_fail_format(tmp_path, text, words):
    rdf = tmp_path / "rdf.yaml"
    rdf.write_text(text)
    data, error = read_rdf(rdf)
    assert data is None and error.status == "failed" and words in error.message, error


def test_non_utf8_rdf_fails_format(tmp_path):
    rdf = tmp_path / "rdf.yaml"
    rdf.write_bytes("\ufeffname: x\n".encode("utf-16"))
    report = validate_package(rdf)
    assert "not UTF-8" in report.check("format").message


@pytest.mark.parametrize("field, value", [
    ("covers", 5), ("attachments", 5), ("documentation", 7), ("weights", "w.pt"), ("covers", [{"source": 3}]),
    ("inputs", {"a": 1}), ("id", ["x"]), ("version", {"a": 1}), ("name", [1, 2]), ("cite", "x"),
])
def test_wrong_typed_fields_are_failed_checks(tmp_path, field, value):
    rdf = {"type": "model", "format_version": "0.5.12", "name": "x", "license": "MIT", "cite": [{"text": "a", "doi": "10.1/x"}],
           "authors": [{"name": "a"}], "documentation": "doc.md", "covers": ["c.png"], field: value}
    (tmp_path / "rdf.yaml").write_text(yaml.safe_dump(rdf))
    report = validate_package(tmp_path)
    assert report.check("format").status == "failed"
    assert not report.passed
    for c in report.checks:
        assert "unexpected error" not in c.message and "\n" not in c.message, c


def test_symlink_out_of_the_package_fails_files(tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "weights.pt").symlink_to(outside)
    result = check_files({"weights": {"pytorch_state_dict": {"source": "weights.pt"}}}, pkg)
    assert result.status == "failed" and "outside the package" in result.message


def test_huge_documentation_is_a_warning_not_a_read(tmp_path, monkeypatch):
    from samzoo.validate.checks import zoo as checks_zoo

    monkeypatch.setattr(checks_zoo, "DOC_MAX_BYTES", 1000)
    (tmp_path / "doc.md").write_text("# Validation\n" + "x" * 5000)
    rdf = {"license": "MIT", "cite": [1], "authors": [1], "documentation": "doc.md", "covers": ["c.png"], "id": "noisy-ox",
           "id_emoji": "🐂", "version": "1"}
    result = check_zoo(rdf, tmp_path)
    assert result.status == "warning" and "more than" in result.message
