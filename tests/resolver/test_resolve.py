"""The resolver against a real HTTP server on 127.0.0.1: downloads, hashes, mirrors, retries, cache, micro-sam cache."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from helpers.http_server import FileServer, dead_url
from samzoo.plumbing.errors import SamzooError, UnknownModelError
from samzoo.plumbing.hashing import Digest, file_hash
from samzoo.resolver import resolve
from samzoo.resolver.store import WeightCache
from samzoo.resolver.fetch import DownloadError, OfflineError
from samzoo.plumbing.cache_root import cache_root
from samzoo.resolver.settings import mirrors
from samzoo.catalog.writer import add_model

NAME = "vit_t_test"


@pytest.fixture(scope="session")
def vit_t_hash(vit_t_checkpoint) -> str:
    return file_hash(vit_t_checkpoint, "xxh128")


@pytest.fixture(scope="session")
def decoder_file(tmp_path_factory) -> Path:
    import torch

    path = tmp_path_factory.mktemp("decoder") / "vit_t_decoder.pt"
    torch.manual_seed(1)
    torch.save({"decoder.weight": torch.randn(64, 32)}, path)
    return path


@pytest.fixture
def server():
    with FileServer() as srv:
        yield srv


@pytest.fixture
def user_catalog(tmp_path, monkeypatch) -> Path:
    d = tmp_path / "catalog"
    monkeypatch.setenv("SAMZOO_CATALOG", str(d))
    return d


def register(url: str, digest: str, decoder: tuple[str, str] | None = None, name: str = NAME) -> None:
    add_model(name, encoder="vit_t", weights=url, hash=digest,
              decoder=decoder[0] if decoder else None, decoder_hash=decoder[1] if decoder else None)


def cached_files() -> list[Path]:
    """Every file under the cache's weights/ (temporaries included)."""
    root = cache_root() / "weights"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_download_is_verified_cached_and_reused(server, user_catalog, vit_t_checkpoint, vit_t_hash, decoder_file):
    url = server.add("/files/vit_t.pt", vit_t_checkpoint)
    dec_hash = file_hash(decoder_file, "sha256")
    dec_url = server.add("/files/vit_t_decoder.pt", decoder_file)
    register(url, vit_t_hash, (dec_url, dec_hash))

    r = resolve(NAME)
    assert (r.model_type, r.version, r.encoder, r.origin, r.verified) == (NAME, "v1", "vit_t", "download", True)
    alg, hexd = vit_t_hash.split(":")
    assert r.encoder_path == cache_root() / "weights" / f"{alg}-{hexd}" / "vit_t.pt"
    assert file_hash(r.encoder_path, "xxh128") == vit_t_hash
    assert file_hash(r.decoder_path, "sha256") == dec_hash
    assert server.gets == {"/files/vit_t.pt": 1, "/files/vit_t_decoder.pt": 1}

    again = resolve(f"{NAME}@v1")
    assert again.origin == "cache" and again.encoder_path == r.encoder_path
    assert server.gets == {"/files/vit_t.pt": 1, "/files/vit_t_decoder.pt": 1}
    assert resolve(NAME, decoder=False).decoder_path is None
    by_url = resolve(url)  # the catalogued URL itself names the catalogued version (verified)
    assert (by_url.name, by_url.verified, by_url.origin) == (f"{NAME}@v1", True, "cache")


def test_hash_mismatch_keeps_nothing(server, user_catalog, vit_t_checkpoint, vit_t_hash):
    url = server.add("/files/vit_t.pt", vit_t_checkpoint, corrupt=True)
    register(url, vit_t_hash)
    with pytest.raises(DownloadError) as err:
        resolve(NAME)
    msg = str(err.value)
    assert "hash mismatch" in msg and f"expected {vit_t_hash}" in msg and "xxh128:" in msg.split("but", 1)[1]
    assert "\n" not in msg and "nothing was kept" in msg
    assert cached_files() == []
    assert server.gets["/files/vit_t.pt"] == 1


def test_dead_url_then_mirror(server, user_catalog, vit_t_checkpoint, vit_t_hash, monkeypatch):
    register(dead_url("/files/vit_t.pt"), vit_t_hash)
    alg, hexd = vit_t_hash.split(":")
    server.add(f"/mirror/{alg}-{hexd}/vit_t.pt", vit_t_checkpoint)
    server.add(f"/mirror2/{alg}-{hexd}/vit_t.pt", vit_t_checkpoint)
    monkeypatch.setenv("SAMZOO_MIRRORS", f"{server.url('/empty')} , {server.url('/mirror')} {server.url('/mirror2')}")
    r = resolve(NAME)
    assert r.origin == "download" and file_hash(r.encoder_path, "xxh128") == vit_t_hash
    # the 404 mirror was tried once (no retry for 404), the good one served it, the third was not needed
    assert server.gets == {f"/empty/{alg}-{hexd}/vit_t.pt": 1, f"/mirror/{alg}-{hexd}/vit_t.pt": 1}


def test_every_source_dead_is_one_line(user_catalog, vit_t_hash):
    register(dead_url("/files/vit_t.pt"), vit_t_hash)
    with pytest.raises(DownloadError) as err:
        resolve(NAME)
    msg = str(err.value)
    assert "cannot connect" in msg and "SAMZOO_MIRRORS" in msg and f"samzoo cache import FILE --as {NAME}@v1" in msg
    assert cached_files() == []


def test_dropped_connection_is_retried(server, user_catalog, vit_t_checkpoint, vit_t_hash):
    url = server.add("/files/vit_t.pt", vit_t_checkpoint, drop_after=1 << 20, drops=1)
    register(url, vit_t_hash)
    r = resolve(NAME)
    assert file_hash(r.encoder_path, "xxh128") == vit_t_hash
    assert server.gets["/files/vit_t.pt"] == 2  # dropped once, then complete


def test_connection_always_dropped_fails_cleanly(server, user_catalog, vit_t_checkpoint, vit_t_hash):
    url = server.add("/files/vit_t.pt", vit_t_checkpoint, drop_after=1 << 20, drops=-1)
    register(url, vit_t_hash)
    with pytest.raises(DownloadError, match="connection dropped during the transfer"):
        resolve(NAME)
    assert server.gets["/files/vit_t.pt"] == 3  # first attempt + 2 retries
    assert cached_files() == []


def test_warm_resolve_trusts_the_stamp_and_verify_catches_tampering(server, user_catalog, vit_t_checkpoint, vit_t_hash):
    from helpers.cli import run_cli

    url = server.add("/files/vit_t.pt", vit_t_checkpoint)
    register(url, vit_t_hash)
    path = resolve(NAME).encoder_path
    # same size and mtime, different bytes: a warm resolve reads nothing, but the write changed the
    # inode's ctime (which utime cannot restore), so the file is re-hashed, found bad and fetched again
    st = path.stat()
    with open(path, "r+b") as f:
        f.seek(1000)
        f.write(b"\x00" * 64)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    r = resolve(NAME)
    assert r.origin == "download" and file_hash(r.encoder_path, "xxh128") == vit_t_hash
    assert server.gets["/files/vit_t.pt"] == 2
    assert resolve(NAME).origin == "cache"  # and trusted by its new stamp
    ok = run_cli("cache", "verify")
    assert ok.returncode == 0 and "0 bad" in ok.stdout

    # what a stat cannot see (bytes changed under an unchanged inode, e.g. bit rot) is cache verify's job:
    # here the stamp is made to vouch for the damaged file as it is now
    import json

    with open(r.encoder_path, "r+b") as f:
        f.seek(1000)
        f.write(b"\x00" * 64)
    stamp_path = r.encoder_path.parent / ".verified.json"
    stamp = json.loads(stamp_path.read_text())
    now = r.encoder_path.stat()
    stamp.update(size=now.st_size, mtime_ns=now.st_mtime_ns, ctime_ns=now.st_ctime_ns)
    stamp_path.write_text(json.dumps(stamp))
    assert resolve(NAME).origin == "cache"
    out = run_cli("cache", "verify")
    assert out.returncode == 1 and "MISMATCH" in out.stdout and "1 bad" in out.stdout
    assert not r.encoder_path.exists()


def test_touched_file_is_rehashed_once(server, user_catalog, vit_t_checkpoint, vit_t_hash):
    url = server.add("/files/vit_t.pt", vit_t_checkpoint)
    register(url, vit_t_hash)
    path = resolve(NAME).encoder_path
    os.utime(path, ns=(0, 10**18))  # stamp no longer matches: re-hashed, still good, re-stamped
    assert resolve(NAME).origin == "cache"
    assert WeightCache(cache_root()).lookup(Digest.parse(vit_t_hash)) == path
    assert server.gets["/files/vit_t.pt"] == 1


def test_microsam_cache_hit(server, user_catalog, vit_t_checkpoint, vit_t_hash):
    url = server.add("/files/vit_t.pt", vit_t_checkpoint)
    register(url, vit_t_hash)
    models = Path(os.environ["MICROSAM_CACHEDIR"]) / "models"
    models.mkdir(parents=True)
    shutil.copy(vit_t_checkpoint, models / NAME)  # micro-sam names its files by model type
    r = resolve(NAME)
    assert r.origin == "microsam-cache" and r.encoder_path == models / NAME
    assert resolve(NAME).origin == "microsam-cache"
    assert server.gets == {}


def test_wrong_file_in_microsam_cache_is_not_used(server, user_catalog, vit_t_checkpoint, vit_t_hash, decoder_file):
    url = server.add("/files/vit_t.pt", vit_t_checkpoint)
    register(url, vit_t_hash)
    models = Path(os.environ["MICROSAM_CACHEDIR"]) / "models"
    models.mkdir(parents=True)
    shutil.copy(decoder_file, models / NAME)
    r = resolve(NAME)
    assert r.origin == "download" and file_hash(r.encoder_path, "xxh128") == vit_t_hash
    assert server.gets["/files/vit_t.pt"] == 1


def test_offline_with_empty_cache_is_one_line(server, user_catalog, vit_t_checkpoint, vit_t_hash, monkeypatch):
    url = server.add("/files/vit_t.pt", vit_t_checkpoint)
    register(url, vit_t_hash)
    with pytest.raises(OfflineError) as err:
        resolve(NAME, offline=True)
    assert f"samzoo cache import FILE --as {NAME}@v1" in str(err.value) and "vit_t.pt" in str(err.value)
    monkeypatch.setenv("SAMZOO_OFFLINE", "1")
    with pytest.raises(OfflineError):
        resolve(NAME)
    assert server.gets == {} and server.requests == []
    assert resolve(NAME, offline=False).origin == "download"  # the argument wins over the environment


def test_unverified_url_is_kept_apart(server, vit_t_checkpoint):
    url = server.add("/x/model.pt", vit_t_checkpoint)
    r = resolve(url)
    assert r.verified is False and r.encoder == "vit_t" and r.origin == "url"
    assert cache_root() / "unverified" in r.encoder_path.parents
    assert cached_files() == []  # never where verified files live
    assert resolve(url).origin == "cache" and server.gets["/x/model.pt"] == 1


def test_url_with_hash_is_verified(server, vit_t_checkpoint, vit_t_hash):
    url = server.add("/x/model.pt", vit_t_checkpoint)
    r = resolve(url, hash=vit_t_hash)
    assert r.verified and WeightCache(cache_root()).lookup(Digest.parse(vit_t_hash)) == r.encoder_path
    with pytest.raises(DownloadError, match="hash mismatch"):
        resolve(server.add("/x/other.pt", vit_t_checkpoint, corrupt=True), hash="sha256:" + "0" * 64)


def test_names_without_weights_and_unknown_names():
    with pytest.raises(SamzooError, match="has no weights URL and hash"):
        resolve("vit_b_lm@v2")
    with pytest.raises(UnknownModelError, match="vit_b_lm"):
        resolve("vit_b_lmm")
    with pytest.raises(SamzooError, match="no such file"):
        resolve("./missing/model.pt")
    with pytest.raises(SamzooError, match=r"vit_b_lm@v2 has no weights URL"):
        resolve("https://doi.org/10.5281/zenodo.11103798")  # a DOI resolves through the catalog
    with pytest.raises(OfflineError, match=r"vit_b_lm@v4 encoder \(vit_b.pt, xxh128:fe9252a2"):
        resolve("https://bioimage.io/#/?id=diplomatic-bug", offline=True)
    with pytest.raises(OfflineError, match=r"vit_b_lm@v4 encoder"):
        resolve("diplomatic-bug/1.2", offline=True)


def test_mirror_list_format(monkeypatch):
    monkeypatch.setenv("SAMZOO_MIRRORS", " https://a.example/w/, file:///srv/mirror\nhttps://b.example ")
    assert mirrors() == ["https://a.example/w", "file:///srv/mirror", "https://b.example"]


def test_offline_uses_a_file_mirror(server, user_catalog, vit_t_checkpoint, vit_t_hash, tmp_path, monkeypatch):
    url = server.add("/files/vit_t.pt", vit_t_checkpoint)
    register(url, vit_t_hash)
    alg, hexd = vit_t_hash.split(":")
    shared = tmp_path / "shared-drive"
    (shared / f"{alg}-{hexd}").mkdir(parents=True)
    shutil.copy(vit_t_checkpoint, shared / f"{alg}-{hexd}" / "vit_t.pt")
    monkeypatch.setenv("SAMZOO_MIRRORS", shared.as_uri())
    r = resolve(NAME, offline=True)
    assert r.origin == "download" and file_hash(r.encoder_path, "xxh128") == vit_t_hash
    assert server.requests == []
