"""Any zoo id through the resolver: ``id``, ``id/v0`` and the staged draft, fetched as a package into the cache.

The fast tests serve a tiny package from a real 127.0.0.1 server laid out as the zoo's URLs; the slow one
publishes two versions and a draft to a real zoo server (hypha + moto, helpers/hypha_zoo.py).
"""

from __future__ import annotations

import hashlib
import json

import pytest
import yaml

from helpers.cli import run_cli
from helpers.http_server import FileServer
from helpers.package_zip import with_rdf
from samzoo.plumbing.errors import RunTimeFailure, SamzooError
from samzoo.resolver.zoo_package import fetch_zoo_package, parse_zoo_id, referenced_files


def _one_line(proc, code: int) -> str:
    assert proc.returncode == code, proc.stdout[-2000:] + proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("samzoo: error: ") and "Traceback" not in proc.stderr, proc.stderr
    return lines[0]


def test_zoo_id_forms():
    assert parse_zoo_id("affable-otter") == parse_zoo_id("bioimage-io/affable-otter")
    assert parse_zoo_id("affable-otter/v1").version == "v1"
    assert parse_zoo_id("affable-otter", stage=True).stage
    assert parse_zoo_id("affable-otter/v1", stage=True) is None  # a draft has no version
    for text in ("vit_b_lm", "affable", "../x-y", "x-y/../../etc", "Affable-Otter"):
        assert parse_zoo_id(text) is None, text


def test_referenced_files_and_hostile_paths():
    sha = "ab" * 32
    rdf = {"documentation": "README.md", "covers": ["c.png"], "weights": {"pytorch_state_dict": {"source": "w.pt", "sha256": sha}},
           "inputs": [{"test_tensor": {"source": "in.npy", "sha256": sha}}], "cite": [{"url": "https://x.org/a.pdf"}],
           "attachments": [{"source": "https://elsewhere.org/f.bin"}]}
    files = {f.path: f for f in referenced_files(rdf)}
    assert sorted(files) == ["README.md", "c.png", "in.npy", "w.pt"]
    assert files["w.pt"].weights and not files["in.npy"].weights and str(files["in.npy"].sha256) == f"sha256:{sha}"
    for bad in ("../x.npy", "/etc/passwd", "a/../../b", "C:\\x", ".hidden"):
        with pytest.raises(RunTimeFailure, match="not a path inside the package"):
            referenced_files({"documentation": bad})
    with pytest.raises(RunTimeFailure, match="64 hex"):
        referenced_files({"inputs": [{"test_tensor": {"source": "a.npy", "sha256": "nope"}}]})


def _serve_package(srv: FileServer, alias: str, files: dict[str, bytes], version: str | None = None) -> None:
    rdf = {"format_version": "0.5.4", "type": "model", "documentation": "README.md",
           "inputs": [{"test_tensor": {"source": n, "sha256": hashlib.sha256(b).hexdigest()}} for n, b in files.items()
                      if n.endswith(".npy")]}
    srv.add(f"/bioimage-io/artifacts/{alias}/files/rdf.yaml", yaml.safe_dump(rdf).encode())
    srv.add(f"/bioimage-io/artifacts/{alias}/files/README.md", b"# readme\n")
    for name, body in files.items():
        srv.add(f"/bioimage-io/artifacts/{alias}/files/{name}", body)


def test_a_served_package_is_fetched_verified_and_cached(tmp_path, monkeypatch):
    with FileServer() as srv:
        monkeypatch.setenv("SAMZOO_ZOO_SERVER", srv.base_url)
        _serve_package(srv, "tiny-fox", {"x.npy": b"\x93NUMPY" + bytes(100)})
        folder = fetch_zoo_package("tiny-fox/v0")
        assert (folder / "x.npy").read_bytes() == b"\x93NUMPY" + bytes(100) and (folder / "README.md").is_file()
        assert json.loads((folder.parent / ".samzoo-zoo.json").read_text())["version"] == "v0"
        assert sorted(p.name for p in folder.iterdir()) == ["README.md", "rdf.yaml", "x.npy"]  # only the package's files
        before = len(srv.requests)
        assert fetch_zoo_package("tiny-fox/v0") == folder and len(srv.requests) == before  # a version is immutable
        assert fetch_zoo_package("tiny-fox/v0", offline=True) == folder
        with pytest.raises(SamzooError, match="offline"):
            fetch_zoo_package("tiny-fox", offline=True)  # the latest was never fetched
        latest = fetch_zoo_package("tiny-fox")
        readme = "/bioimage-io/artifacts/tiny-fox/files/README.md"
        gets = srv.gets[readme]
        assert fetch_zoo_package("tiny-fox") == latest and srv.gets[readme] == gets  # same rdf: the folder is kept
        # a server holding a file that is not what the rdf says: refused, nothing kept
        _serve_package(srv, "bad-fox", {"x.npy": b"\x93NUMPY" + bytes(200)})
        srv.add("/bioimage-io/artifacts/bad-fox/files/x.npy", b"\x93NUMPY" + bytes(200), corrupt=True)
        with pytest.raises(RunTimeFailure, match="nothing was kept"):
            fetch_zoo_package("bad-fox")
        assert not list((tmp_path / "samzoo-cache" / "zoo").glob("*/bad-fox/latest"))


def test_a_missing_id_is_one_line_exit_2(tmp_path):
    with FileServer() as srv:
        srv.add("/bioimage-io/artifacts/tiny-fox", b"{}", status=404)
        env = {"SAMZOO_ZOO_SERVER": srv.base_url}
        line = _one_line(run_cli("fetch", "tiny-fox", env=env), 2)
        assert "not in the catalog and not on the zoo" in line
        assert "did you mean: diplomatic-bug" in _one_line(run_cli("fetch", "diplomatic-bugg", env=env), 2)  # a typo
        assert "--stage applies to zoo ids" in _one_line(run_cli("validate", "nope_x", "--stage", env=env), 2)
        assert "--stage" in _one_line(run_cli("fetch", "vit_b_lm/v1", "--stage", env=env), 2)


# --- a real zoo ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def published(hypha_zoo, vit_t_checkpoint, tmp_path_factory):
    """One model on the zoo: v0 and v1 committed, and a staged draft; returns (zoo, alias)."""
    from samzoo import build_package
    from samzoo.publisher import UploadToken, publish_package

    work = tmp_path_factory.mktemp("zoo_ids")
    built = build_package("vit_t_lm", vit_t_checkpoint, output=work / "b.zip").path
    token = UploadToken(hypha_zoo.tokens["alice"], "test")
    first = publish_package(with_rdf(built, work / "p0.zip", id=None, id_emoji=None, name="Zoo Ids", description="first"),
                            server=hypha_zoo.url, token=token)
    aid = first.artifact_id
    hypha_zoo.call("commit", artifact_id=aid)
    alias = aid.split("/", 1)[1]
    for n, description in ((1, "second"), (2, "draft")):
        publish_package(with_rdf(built, work / f"p{n}.zip", id=alias, name="Zoo Ids", description=description),
                        server=hypha_zoo.url, token=token)
        if n == 1:
            hypha_zoo.call("commit", artifact_id=aid)
    return hypha_zoo, alias


@pytest.mark.slow
def test_versions_and_the_draft_of_a_published_model(published, tmp_path):
    zoo, alias = published
    env = {"SAMZOO_ZOO_SERVER": zoo.url, "SAMZOO_CACHE_DIR": str(tmp_path / "cache")}

    def fetched(*args: str) -> dict:
        proc = run_cli("fetch", *args, "--json", env=env)
        assert proc.returncode == 0, proc.stderr[-2000:]
        got = json.loads(proc.stdout)[0]
        rdf = yaml.safe_load((tmp_path / got["source"] / "rdf.yaml").read_text())
        return {**got, "description": rdf["description"]}

    assert fetched(alias)["description"] == "second"
    v0 = fetched(f"{alias}/v0")
    assert (v0["description"], v0["version"], v0["origin"], v0["encoder"]) == ("first", "v0", "zoo", "vit_t")
    assert fetched(alias, "--stage")["description"] == "draft"
    assert "no version 'v9'" in _one_line(run_cli("fetch", f"{alias}/v9", env=env), 2)
    assert "not on the zoo" in _one_line(run_cli("fetch", "unheard-of", env=env), 2)
    assert "offline" in _one_line(run_cli("fetch", f"{alias}/v1", "--offline", env=env), 1)
    proc = run_cli("validate", f"{alias}/v0", "--quick", "-q", "--offline", env=env)  # from the cache, no network
    assert proc.returncode == 0 and "PASSED" in proc.stdout, proc.stdout[-3000:] + proc.stderr[-2000:]
