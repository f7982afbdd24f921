"""Bad input to `samzoo publish` before any server is reached: one line, the right exit code, nothing written."""

from __future__ import annotations

import zipfile

import pytest

from helpers.cli import run_cli
from samzoo.publisher import draft_journal
from samzoo.publisher.package_members import BadPackageError, open_package
from samzoo.publisher.zoo_server import NoTokenError, read_token, server_url
from samzoo.plumbing.errors import ArgumentError

RDF = "type: model\nname: Tiny\nformat_version: 0.5.4\n"


def _zip(path, files: dict[str, bytes]):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


@pytest.mark.parametrize("files, says", [
    ({"rdf.yaml": RDF.encode(), "../evil.txt": b"x"}, "not a plain relative path"),
    ({"rdf.yaml": RDF.encode(), "/abs.txt": b"x"}, "not a plain relative path"),
    ({"weights.pt": b"x"}, "no rdf.yaml or bioimageio.yaml"),
    ({"rdf.yaml": b"type: dataset\nname: x\n"}, "not a model description"),
    ({"rdf.yaml": b"type: model\nname: x\nid: [1, 2]\n"}, "`id` must be the zoo id"),
    ({"rdf.yaml": b"\xff\xfe not utf-8"}, "UTF-8"),
])
def test_bad_packages_are_refused(tmp_path, files, says):
    with pytest.raises(BadPackageError if "UTF-8" not in says else Exception, match=says.replace("[", r"\[")):
        open_package(_zip(tmp_path / "p.zip", files))


def test_not_a_zip_and_missing_file(tmp_path):
    (tmp_path / "x.zip").write_bytes(b"not a zip")
    with pytest.raises(BadPackageError, match="not a zip file"):
        open_package(tmp_path / "x.zip")
    with pytest.raises(ArgumentError, match="no such file"):
        open_package(tmp_path / "missing.zip")


def test_tokens_from_file_and_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("BIOIMAGEIO_HYPHA_UPLOAD_TOKEN", raising=False)
    with pytest.raises(NoTokenError, match="BIOIMAGEIO_HYPHA_UPLOAD_TOKEN"):
        read_token()
    f = tmp_path / "token"
    f.write_text("  abc.def-ghi\n")
    assert read_token(f).value == "abc.def-ghi"
    f.write_text("two words")
    with pytest.raises(NoTokenError, match="does not hold a token") as e:
        read_token(f)
    assert "two words" not in str(e.value)  # a token file's content is never echoed
    with pytest.raises(ArgumentError, match="no such file"):
        read_token(tmp_path / "none")


def test_server_urls():
    assert server_url("http://127.0.0.1:9000/") == "http://127.0.0.1:9000"
    for bad in ("ftp://x", "localhost:9000", "http://x/?a=1"):
        with pytest.raises(ArgumentError, match="not a server URL"):
            server_url(bad)


def test_a_garbage_draft_record_is_ignored(tmp_path):
    record = draft_journal.DraftRecord("http://s", "k" * 64, "bioimage-io/a-b", "uploading")
    draft_journal.remember(record)
    assert draft_journal.recall("http://s", "k" * 64) == record
    path = next((tmp_path / "samzoo-cache" / "publish").glob("*.json"))
    for garbage in (b"{", b"[]", b'{"server": "http://s"}', b"\x00" * 10):
        path.write_bytes(garbage)
        assert draft_journal.recall("http://s", "k" * 64) is None


def test_cli_usage_errors_exit_2(tmp_path):
    proc = run_cli("publish")
    assert proc.returncode == 2 and "give a package to publish, or --status ID" in proc.stderr
    proc = run_cli("publish", str(tmp_path / "missing.zip"), "--token-file", str(tmp_path / "none"))
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    proc = run_cli("publish", str(tmp_path / "missing.zip"), "--server", "ftp://x", env={"BIOIMAGEIO_HYPHA_UPLOAD_TOKEN": "abc"})
    assert proc.returncode == 2 and "--server" in proc.stderr, proc.stderr


def test_an_automatic_package_with_its_models_id_is_refused(tmp_path):
    pkg = tmp_path / "ais"
    pkg.mkdir()
    (pkg / "rdf.yaml").write_text(RDF + "id: diplomatic-bug\nconfig:\n  samzoo:\n    mode: automatic\n")
    proc = run_cli("publish", str(pkg), env={"BIOIMAGEIO_HYPHA_UPLOAD_TOKEN": "abc", "SAMZOO_ZOO_SERVER": "http://127.0.0.1:9"})
    assert proc.returncode == 1 and "automatic (AIS) package" in proc.stderr and len(proc.stderr.splitlines()) == 1, proc.stderr
