"""The hash-checked store's one writer, Digest parsing, caller-chosen progress and the mirror server (real files, real HTTP)."""

from __future__ import annotations

import hashlib
import os
import urllib.request
from pathlib import Path

import pytest

from samzoo.plumbing.errors import ArgumentError
from samzoo.plumbing.hashing import Digest, HashMismatchError, file_hash
from samzoo.resolver import resolve
from samzoo.resolver.mirror_server import MirrorServer
from samzoo.resolver.store import Target, WeightCache
from samzoo.resolver.transfer import download

def _weights_bytes() -> bytes:
    """A real (random) state dict as torch writes it: the store accepts only files that load with weights_only=True."""
    import io

    import torch

    buf = io.BytesIO()
    torch.save({"w": torch.from_numpy(__import__("numpy").frombuffer(os.urandom(300_000), dtype="uint8").copy())}, buf)
    return buf.getvalue()


DATA = _weights_bytes()
SHA = Digest("sha256", hashlib.sha256(DATA).hexdigest())


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix != ".lock")


def test_digest_parses_once_and_prints_both_ways():
    d = Digest.parse(" SHA256:" + SHA.hex.upper())
    assert (d.alg, d.hex, str(d), d.key) == ("sha256", SHA.hex, f"sha256:{SHA.hex}", f"sha256-{SHA.hex}")
    assert Digest.parse(d) is d and d == SHA
    for bad in ("sha256:abc", "crc32:" + "0" * 8, SHA.hex):
        with pytest.raises(ValueError):
            Digest.parse(bad)


def test_writer_commits_a_match_and_reuses_an_equal_file(tmp_path):
    cache = WeightCache(tmp_path)
    with cache.writer(Target(SHA, "a.pt")) as out:
        out.write(DATA)
    assert out.path == tmp_path / "weights" / SHA.key / "a.pt" and out.path.read_bytes() == DATA
    assert cache.lookup(SHA) == out.path
    with cache.writer(Target(SHA, "b.pt")) as again:  # an equal file is already there: the new copy is dropped
        again.write(DATA)
    assert again.path == out.path
    assert files_under(tmp_path / "weights") == sorted([out.path, out.path.parent / ".verified.json"])


def test_writer_keeps_nothing_on_mismatch_error_or_interrupt(tmp_path):
    cache = WeightCache(tmp_path)
    with pytest.raises(HashMismatchError, match=f"expected {SHA}"), cache.writer(Target(SHA, "a.pt")) as out:
        out.write(DATA[:-1])
    with pytest.raises(KeyboardInterrupt), cache.writer(Target(SHA, "a.pt")) as out:
        out.write(DATA[:1000])
        raise KeyboardInterrupt
    assert files_under(tmp_path) == [] and cache.lookup(SHA) is None


def test_writer_picks_the_candidate_the_bytes_hash_to(tmp_path):
    cache = WeightCache(tmp_path)
    xxh = Digest.parse(file_hash_of(tmp_path, DATA, "xxh128"))
    other = Digest("sha256", "0" * 64)
    with cache.writer([Target(other, "enc.pt"), Target(xxh, "dec.pt")]) as out:
        out.write(DATA)
    assert out.path == tmp_path / "weights" / xxh.key / "dec.pt" and cache.lookup(other) is None
    with cache.writer(Target(None, "any.pt")) as anon:  # no expected hash: stored under its sha256
        anon.write(DATA)
    assert anon.path == tmp_path / "weights" / SHA.key / "any.pt"


def file_hash_of(tmp_path: Path, data: bytes, alg: str) -> str:
    p = tmp_path / "ref.bin"
    p.write_bytes(data)
    try:
        return file_hash(p, alg)
    finally:
        p.unlink()


class Bars:
    """A progress factory as a caller passes it: records what each bar saw."""

    def __init__(self) -> None:
        self.bars: list[Bars.Bar] = []

    class Bar:
        def __init__(self, label: str) -> None:
            self.label, self.total, self.done, self.closed = label, None, 0, False

        def update(self, n: int) -> None:
            self.done += n

        def reset(self) -> None:
            self.done = 0

        def close(self) -> None:
            self.closed = True

    def __call__(self, label: str) -> Bars.Bar:
        self.bars.append(Bars.Bar(label))
        return self.bars[-1]


def test_mirror_server_serves_a_cache_and_progress_is_the_callers(tmp_path):
    source = WeightCache(tmp_path / "a")
    with source.writer(Target(SHA, "w.pt")) as out:
        out.write(DATA)
    bars = Bars()
    target = WeightCache(tmp_path / "b")
    with MirrorServer(source.root / "weights") as mirror:
        url = mirror.url(f"/{SHA.key}/w.pt")
        with target.writer(Target(SHA, "w.pt")) as got:
            download(url, got, progress=bars)
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(mirror.url("/nothing-here"))
    assert got.path.read_bytes() == DATA and mirror.sent == [f"/{SHA.key}/w.pt", "/nothing-here"]
    (bar,) = bars.bars
    assert (bar.label, bar.total, bar.closed) == ("w.pt", len(DATA), True) and bar.done >= len(DATA)
    with target.writer(Target(SHA, "w.pt")) as copied:  # file:// goes through the same bar protocol
        download((tmp_path / "a" / "weights" / SHA.key / "w.pt").as_uri(), copied, progress=bars)
    assert bars.bars[-1].done == len(DATA) and bars.bars[-1].closed


def test_a_malformed_hash_names_the_python_argument(tmp_path):
    f = tmp_path / "w.pt"
    f.write_bytes(DATA)
    with pytest.raises(ArgumentError) as e:
        resolve(f, hash="sha256:xyz")
    assert e.value.argument == "hash" and "--" not in str(e.value)
    assert file_hash(f, "sha256") == str(SHA)
