"""Issue 12 outside the validator: downloads that never end, specs, indexes and packages that are not what they claim,
files that cannot be written, signals. Real servers, real files, real subprocesses; small inputs.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
import torch
from helpers.cli import run_cli
from helpers.http_server import FileServer

from samzoo.catalog import load_catalog
from samzoo.plumbing.sam_checkpoint import as_float32, nonfinite_problem
from samzoo.plumbing.collection_index import read_collection
from samzoo.plumbing.errors import OutputError, SamzooError, SpecError
from samzoo.resolver.store import HashingFile
from samzoo.resolver.transfer import TransferError, download

BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=False)
)


# --- downloads -------------------------------------------------------------------------------------


class _Trickle:
    """An HTTP server that promises 10 MB and sends 100 bytes every 50 ms (2 kB/s)."""

    def __enter__(self):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        stop = self.stop = threading.Event()
        self.gets = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                outer.gets += 1
                self.send_response(200)
                self.send_header("Content-Length", str(10_000_000))
                self.end_headers()
                try:
                    while not stop.wait(0.05):
                        self.wfile.write(b"x" * 100)
                        self.wfile.flush()
                except OSError:
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/w.pt"
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def test_a_trickling_server_ends_the_download(tmp_path, monkeypatch):
    """Each read gets bytes well within its time-out, so only the minimum rate can end it: in seconds, not hours."""
    monkeypatch.setenv("SAMZOO_HTTP_TIMEOUT", "1")
    monkeypatch.setenv("SAMZOO_MIN_RATE", "50000")
    with _Trickle() as srv, open(tmp_path / "out", "w+b") as f:
        start = time.monotonic()
        with pytest.raises(TransferError, match="too slow"):
            download(srv.url, HashingFile(f, ["sha256"]), backoff_s=0.01)
        assert time.monotonic() - start < 10
        assert srv.gets == 1  # too slow is not retried


def test_a_fast_enough_server_is_not_cut(tmp_path, monkeypatch):
    monkeypatch.setenv("SAMZOO_HTTP_TIMEOUT", "3")
    monkeypatch.setenv("SAMZOO_MIN_RATE", "1000")
    data = os.urandom(300_000)
    with FileServer() as srv, open(tmp_path / "out", "w+b") as f:
        url = srv.add("/ok.pt", data, delay_s=1.5)
        out = HashingFile(f, ["sha256"])
        download(url, out)
        assert out.size == len(data)


def test_a_silent_server_times_out_per_read(tmp_path, monkeypatch):
    import socket
    import threading

    monkeypatch.setenv("SAMZOO_HTTP_TIMEOUT", "1")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    held: list = []
    threading.Thread(target=lambda: [held.append(sock.accept()) for _ in range(3)], daemon=True).start()
    with open(tmp_path / "out", "w+b") as f:
        start = time.monotonic()
        with pytest.raises(TransferError, match="timed out"):
            download(f"http://127.0.0.1:{sock.getsockname()[1]}/w.pt", HashingFile(f, ["sha256"]), backoff_s=0.01)
    assert time.monotonic() - start < 10
    sock.close()


def test_bad_limit_settings_are_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("SAMZOO_MIN_RATE", "fast")
    with FileServer() as srv, open(tmp_path / "out", "w+b") as f:
        url = srv.add("/a.pt", b"x")
        with pytest.raises(SamzooError, match="SAMZOO_MIN_RATE"):
            download(url, HashingFile(f, ["sha256"]))


# --- specs, indexes, packages ------------------------------------------------------------------------


@pytest.mark.parametrize("data, words", [
    ("model_type: vit_b_x\ndescription: caf\xe9\n".encode("latin-1"), "not UTF-8"),
    (BOMB.encode(), "alias"),
    (b"!!python/object/apply:os.system ['true']\n", "invalid YAML"),
])
def test_bad_user_specs_are_spec_errors(tmp_path, monkeypatch, data, words):
    monkeypatch.setenv("SAMZOO_CATALOG", str(tmp_path))
    (tmp_path / "vit_b_x.yaml").write_bytes(data)
    with pytest.raises(SpecError, match=words):
        load_catalog()


def test_a_fifo_in_the_user_catalog_does_not_block(tmp_path, monkeypatch):
    monkeypatch.setenv("SAMZOO_CATALOG", str(tmp_path))
    os.mkfifo(tmp_path / "vit_b_x.yaml")
    with pytest.raises(SpecError, match="not a regular file"):
        load_catalog()


def test_a_user_catalog_that_is_a_file(tmp_path, monkeypatch):
    (tmp_path / "cat").write_text("x")
    monkeypatch.setenv("SAMZOO_CATALOG", str(tmp_path / "cat"))
    with pytest.raises(SpecError, match="not a folder"):
        load_catalog()


@pytest.mark.parametrize("data, words", [
    (json.dumps({"type": "samzoo-collection", "collection": [{"model_type": ["x"], "id": {}}]}).encode(), "not text"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ('{"type": "caf\xe9"}'.encode("latin-1"), "not UTF-8"),
])
def test_bad_collection_indexes(tmp_path, data, words):
    (tmp_path / "collection.json").write_bytes(data)
    with pytest.raises(SamzooError, match=words):
        read_collection(tmp_path / "collection.json")


def test_package_rdf_problems_are_package_errors(tmp_path):
    import zipfile

    from samzoo.resolver.package_weights import PackageError, read_package

    (tmp_path / "p1").mkdir()
    (tmp_path / "p1/rdf.yaml").write_text("weights: {pytorch_state_dict: {source: w.pt}}\nattachments: 5\n")
    with pytest.raises(PackageError, match="attachments is a int"):
        read_package(tmp_path / "p1")
    (tmp_path / "p2").mkdir()
    (tmp_path / "p2/rdf.yaml").write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(PackageError, match="not UTF-8"):
        read_package(tmp_path / "p2")
    with zipfile.ZipFile(tmp_path / "p3.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("rdf.yaml", b"#" * (8 << 20))
    with pytest.raises(PackageError, match="more than"):
        read_package(tmp_path / "p3.zip")


def test_a_malformed_url_is_an_argument_error():
    from samzoo.plumbing.errors import ArgumentError
    from samzoo.resolver import resolve

    with pytest.raises(ArgumentError, match="not a valid URL"):
        resolve("http://[::1/w.pt", hash="sha256:" + "0" * 64)


# --- checkpoints ----------------------------------------------------------------------------------------


def test_float64_weights_become_float32_and_nan_is_named(tmp_path):
    state = {"a.weight": torch.ones(3, dtype=torch.float64), "b.weight": torch.ones(2), "n": torch.tensor([1, 2])}
    out = as_float32(state)
    assert out["a.weight"].dtype == torch.float32 and out["b.weight"] is state["b.weight"] and out["n"].dtype == torch.int64
    assert nonfinite_problem(out, tmp_path / "c.pt") is None
    out["b.weight"] = torch.tensor([1.0, float("nan")])
    msg = nonfinite_problem(out, tmp_path / "c.pt")
    assert "1 of 3 weights tensors hold NaN or inf" in msg and "b.weight" in msg


# --- writes ------------------------------------------------------------------------------------------------


def test_atomic_write_failures_are_output_errors(tmp_path):
    from samzoo.plumbing.atomic import write_text_atomic

    (tmp_path / "dir").mkdir()
    with pytest.raises(OutputError, match="cannot write"):
        write_text_atomic(tmp_path / "dir", "x")
    with pytest.raises(OutputError, match="cannot write"):
        write_text_atomic(Path("/proc/samzoo-test"), "x")
    assert [p.name for p in tmp_path.iterdir()] == ["dir"]


@pytest.mark.parametrize("args, env, code, words", [
    (["--report", "{tmp}"], {}, 2, "is a folder"),
    (["--report", "/proc/r.json"], {}, 1, "cannot write"),
    ([], {"GITHUB_STEP_SUMMARY": "{tmp}"}, 1, "GITHUB_STEP_SUMMARY"),
])
def test_report_destinations_that_fail(tmp_path, args, env, code, words):
    (tmp_path / "p.zip").write_text("not a zip")
    def fill(s):
        return s.replace("{tmp}", str(tmp_path / "x.json" if s == "{tmp}" and args else tmp_path))
    if args:
        (tmp_path / "x.json").mkdir()
    proc = run_cli("validate", str(tmp_path / "p.zip"), *[fill(a) for a in args], env={k: fill(v) for k, v in env.items()})
    assert proc.returncode == code, proc.stderr
    assert words in proc.stderr and "Traceback" not in proc.stderr


# --- the store ----------------------------------------------------------------------------------------------


def _torch_bytes(seed: int = 0) -> bytes:
    import io

    buf = io.BytesIO()
    torch.manual_seed(seed)
    torch.save({"w": torch.randn(1000)}, buf)
    return buf.getvalue()


class _Opens:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_malicious_pickle_with_the_right_hash_is_not_stored(tmp_path):
    import hashlib
    import pickle

    from samzoo.resolver import resolve
    from samzoo.resolver.store import UnsafeWeightsError

    marker = tmp_path / "ran"
    evil = pickle.dumps({"w": _Opens(marker)}, protocol=2)
    with FileServer() as srv:
        url = srv.add("/evil.pt", evil)
        with pytest.raises(UnsafeWeightsError, match="not a PyTorch weights file that loads safely"):
            resolve(url, hash="sha256:" + hashlib.sha256(evil).hexdigest())
    assert not marker.exists()
    cache = Path(os.environ["SAMZOO_CACHE_DIR"])
    assert not [p for p in cache.rglob("*") if p.is_file() and p.suffix != ".lock"]


def test_a_cached_file_rewritten_with_size_and_mtime_kept_is_rehashed(tmp_path):
    """The trade-off: a warm lookup stats the file only; ctime (which utime cannot restore) triggers one re-hash."""
    import hashlib

    from samzoo.plumbing.hashing import Digest
    from samzoo.resolver import resolve
    from samzoo.resolver.store import WeightCache

    data = _torch_bytes()
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    with FileServer() as srv:
        url = srv.add("/w.pt", data)
        path = Path(resolve(url, hash=digest, infer=False).encoder_path)
        st = path.stat()
        time.sleep(0.05)
        tampered = bytearray(path.read_bytes())
        tampered[-100] ^= 0xFF
        path.write_bytes(bytes(tampered))
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
        assert (path.stat().st_size, path.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)
        assert WeightCache(os.environ["SAMZOO_CACHE_DIR"]).lookup(Digest.parse(digest)) is None  # not trusted any more
        again = Path(resolve(url, hash=digest, infer=False).encoder_path)
        assert again.read_bytes() == data and srv.gets["/w.pt"] == 2  # re-hashed, found bad, fetched again
        Path(resolve(url, hash=digest, infer=False).encoder_path)
        assert srv.gets["/w.pt"] == 2  # and trusted by its new stamp afterwards


# --- builds: signals, stale staging, bad weights ------------------------------------------------------------


def test_stale_staging_of_dead_builds_is_removed(tmp_path):
    import subprocess
    import sys

    from samzoo.builder.staging import _owner, clean_stale_staging

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    host = _owner().rpartition("-")[0]
    stale = tmp_path / f".p.zip.{host}-{dead.pid}.k2j3.build"
    stale_zip = tmp_path / f".p.zip.{host}-{dead.pid}.tmp"
    mine = tmp_path / f".p.zip.{_owner()}.x1.build"
    other_host = tmp_path / f".p.zip.elsewhere-{dead.pid}.x2.build"
    other_pkg = tmp_path / f".q.zip.{host}-{dead.pid}.x3.build"
    for d in (stale, mine, other_host, other_pkg):
        d.mkdir()
    stale_zip.write_bytes(b"x")
    assert sorted(clean_stale_staging(tmp_path, "p.zip")) == sorted([stale, stale_zip])
    assert mine.exists() and other_host.exists() and other_pkg.exists()


def test_nan_weights_are_named_before_any_work(tmp_path, vit_t_checkpoint):
    from samzoo.builder import build_package
    from samzoo.plumbing.sam_checkpoint import CheckpointError

    state = torch.load(vit_t_checkpoint, weights_only=True)
    key = sorted(k for k, v in state.items() if v.is_floating_point())[3]
    state[key] = torch.full_like(state[key], float("nan"))
    torch.save(state, tmp_path / "nan.pt")
    start = time.monotonic()
    with pytest.raises(CheckpointError, match=f"NaN or inf values .*first: {key}"):
        build_package("vit_t_lm", tmp_path / "nan.pt", output=tmp_path / "out.zip")
    assert time.monotonic() - start < 60
    assert [p.name for p in tmp_path.iterdir()] == ["nan.pt"]


@pytest.mark.slow
def test_sigterm_during_a_build_is_an_interrupt(tmp_path, vit_t_checkpoint):
    import signal
    import subprocess
    import sys

    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "samzoo", "build", "vit_t_lm", "--checkpoint", str(vit_t_checkpoint), "-o", str(out / "p.zip")],
        stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 300
    while not list(out.glob(".p.zip.*.build")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "terminated" in err and "Traceback" not in err
    assert list(out.iterdir()) == []
