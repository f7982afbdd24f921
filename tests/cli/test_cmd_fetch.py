"""The resolver's CLI and multi-process behaviour, in real subprocesses: fetch, cache, catalog add, offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from helpers.cli import REPO, run_cli
from helpers.http_server import FileServer
from samzoo.plumbing.hashing import file_hash

NAME = "vit_t_test"


@pytest.fixture(scope="session")
def vit_t_hash(vit_t_checkpoint) -> str:
    return file_hash(vit_t_checkpoint, "xxh128")


@pytest.fixture
def server():
    with FileServer() as srv:
        yield srv


@pytest.fixture
def registered(server, tmp_path, monkeypatch, vit_t_checkpoint, vit_t_hash) -> str:
    """vit_t_test in a user catalog, served by the test server; returns the URL path."""
    monkeypatch.setenv("SAMZOO_CATALOG", str(tmp_path / "catalog"))
    url = server.add("/files/vit_t.pt", vit_t_checkpoint)
    out = run_cli("catalog", "add", NAME, "--encoder", "vit_t", "--weights", url, "--hash", vit_t_hash)
    assert out.returncode == 0, out.stderr
    return "/files/vit_t.pt"


@pytest.fixture
def socket_guard(tmp_path) -> tuple[dict, Path]:
    """env for a subprocess whose every outgoing connection is logged to a file and refused (sitecustomize)."""
    site, log = tmp_path / "guard", tmp_path / "connections.log"
    site.mkdir()
    (site / "sitecustomize.py").write_text(textwrap.dedent(f"""
        import socket
        _LOG = {str(log)!r}
        def _refuse(self, address, *a, **k):
            with open(_LOG, "a") as f:
                f.write(repr(address) + "\\n")
            raise ConnectionRefusedError("network disabled by the test")
        socket.socket.connect = _refuse
        socket.socket.connect_ex = _refuse
    """))
    env = {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    return env, log


def test_offline_opens_no_socket(registered, server, socket_guard):
    env, log = socket_guard
    out = run_cli("fetch", NAME, "--offline", env=env)
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "offline" in lines[0] and f"samzoo cache import FILE --as {NAME}@v1" in lines[0]
    out = run_cli("fetch", NAME, env={**env, "SAMZOO_OFFLINE": "1"})
    assert out.returncode == 1 and "offline" in out.stderr
    assert not log.exists() and server.requests == []
    # control: the guard does see a connection when samzoo is allowed online
    out = run_cli("fetch", NAME, env=env)
    assert out.returncode == 1 and "cannot connect" in out.stderr
    assert "127.0.0.1" in log.read_text() and server.requests == []


def test_hand_imported_file_works_offline(registered, server, vit_t_checkpoint, vit_t_hash, tmp_path):
    wrong = tmp_path / "wrong.pt"
    wrong.write_bytes(vit_t_checkpoint.read_bytes()[:-10])
    out = run_cli("cache", "import", str(wrong), "--as", NAME)
    assert out.returncode == 1 and "nothing was imported" in out.stderr and vit_t_hash in out.stderr
    out = run_cli("cache", "import", str(vit_t_checkpoint), "--as", NAME)
    assert out.returncode == 0, out.stderr
    assert f"{NAME}@v1 encoder" in out.stdout
    out = run_cli("fetch", NAME, "--offline", "--json")
    assert out.returncode == 0, out.stderr
    [info] = json.loads(out.stdout)
    assert info["origin"] == "cache" and info["verified"] and info["model_type"] == NAME and info["version"] == "v1"
    assert file_hash(info["encoder_path"], "xxh128") == vit_t_hash and info["decoder_path"] is None
    assert server.requests == []
    listing = run_cli("cache", "list", "--json")
    [entry] = json.loads(listing.stdout)
    assert entry["model"] == f"{NAME}@v1 encoder" and entry["stamped"] is True


def test_four_processes_download_once(registered, server, vit_t_checkpoint, vit_t_hash, tmp_path):
    server.routes[registered].delay_s = 1.5  # the one download takes ~1.5 s
    gate = tmp_path / "gate"
    gate.mkdir()
    # each process imports samzoo, says it is ready, waits for "go", then resolves: all four ask at once
    code = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from samzoo.resolver import resolve
        gate = Path({str(gate)!r})
        (gate / f"ready-{{sys.argv[1]}}").touch()
        while not (gate / "go").exists():
            time.sleep(0.01)
        t = time.time()
        print(t, resolve({NAME!r}).encoder_path)
    """)
    procs = [subprocess.Popen([sys.executable, "-c", code, str(i)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, cwd=REPO, env=dict(os.environ)) for i in range(4)]
    deadline = time.time() + 120
    while len(list(gate.glob("ready-*"))) < 4 and time.time() < deadline:
        time.sleep(0.05)
    (gate / "go").touch()
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [o[1] for o in outs]
    starts = [float(o[0].split()[0]) for o in outs]
    paths = {o[0].split()[1] for o in outs}
    assert len(paths) == 1 and file_hash(paths.pop(), "xxh128") == vit_t_hash
    assert server.gets[registered] == 1
    assert max(starts) < server.finished[registered]  # all four asked while the one download was running
    leftovers = list(Path(os.environ["SAMZOO_CACHE_DIR"]).rglob("*.part"))
    assert leftovers == []


def test_catalog_add_local_file_then_every_command_knows_it(tmp_path, monkeypatch, vit_t_checkpoint, vit_t_hash):
    monkeypatch.setenv("SAMZOO_CATALOG", str(tmp_path / "catalog"))
    out = run_cli("catalog", "add", "vit_t_mylab", "--encoder", "vit_t", "--weights", str(vit_t_checkpoint),
                  "--nickname", "tiny-lab", "--emoji", "🧪", "--domain", "light_microscopy")
    assert out.returncode == 0, out.stderr
    spec = (tmp_path / "catalog" / "vit_t_mylab.yaml").read_text()
    assert vit_t_checkpoint.resolve().as_uri() in spec and vit_t_hash in spec  # hash computed for a local file
    info = json.loads(run_cli("info", "tiny-lab", "--json").stdout)
    assert info["model_type"] == "vit_t_mylab" and info["weights"]["encoder"]["hash"] == vit_t_hash
    out = run_cli("fetch", "vit_t_mylab", "--json")
    [r] = json.loads(out.stdout)
    assert r["origin"] == "download" and r["verified"] and file_hash(r["encoder_path"], "xxh128") == vit_t_hash
    # a name taken, a wrong hash, a URL without hash, a name without its encoder: one line each, nothing written
    for args, needle in [
        (["vit_t_mylab", "--encoder", "vit_t", "--weights", str(vit_t_checkpoint)], "already defined"),
        (["vit_t_other", "--encoder", "vit_t", "--weights", str(vit_t_checkpoint), "--hash", "xxh128:" + "0" * 32], "hashes to"),
        (["vit_t_other", "--encoder", "vit_t", "--weights", "https://example.org/w.pt"], "--hash: is required"),
        (["mylab", "--encoder", "vit_t", "--weights", str(vit_t_checkpoint)], "must start with its encoder"),
        (["vit_t_other", "--encoder", "vit_t", "--weights", str(vit_t_checkpoint), "--nickname", "tiny-lab", "--emoji", "x"], "already used"),
    ]:
        out = run_cli("catalog", "add", *args)
        assert out.returncode == 2 and needle in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert sorted(p.name for p in (tmp_path / "catalog").iterdir()) == ["vit_t_mylab.yaml"]


def test_fetch_unknown_name_and_cache_clear(registered, server):
    out = run_cli("fetch", "vit_t_tset")
    assert out.returncode == 2 and "unknown model" in out.stderr and "Traceback" not in out.stderr
    assert run_cli("fetch", NAME).returncode == 0
    out = run_cli("cache", "clear")
    assert out.returncode == 2 and "--yes" in out.stderr
    out = run_cli("cache", "clear", "--yes")
    assert out.returncode == 0 and "MB freed" in out.stdout
    assert json.loads(run_cli("cache", "list", "--json").stdout) == []
