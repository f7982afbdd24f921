"""`samzoo publish` against a real zoo upload server on 127.0.0.1 (hypha + moto S3, helpers/hypha_zoo.py).

What the server holds after each publish is read back as an admin: the draft's files byte for byte,
its manifest's status, its versions (never a commit by samzoo).
"""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers.cli import REPO, run_cli
from helpers.package_zip import members, with_rdf
from helpers.s3_proxy import Fault

pytestmark = pytest.mark.slow
COLLECTION = "bioimage-io/bioimage.io"
QUICK = ("--skip-validation", "validated by the builder tests", "--no-spec-check", "--json", "-q")


@pytest.fixture(scope="module")
def built(tmp_path_factory, vit_t_checkpoint) -> Path:
    from samzoo import build_package

    return build_package("vit_t_lm", vit_t_checkpoint, output=tmp_path_factory.mktemp("pub") / "vit_t_lm.zip").path


def _new_model(built: Path, tmp_path: Path, name: str) -> Path:
    """A package of a model not yet on the zoo (no id), named ``name`` so each test has its own draft."""
    return with_rdf(built, tmp_path / f"{name}.zip", id=None, id_emoji=None, name=name)


def _env(zoo, token: str | None = "alice", cache: Path | None = None) -> dict[str, str]:
    env = {"SAMZOO_ZOO_SERVER": zoo.url}
    if token is not None:
        env["BIOIMAGEIO_HYPHA_UPLOAD_TOKEN"] = zoo.tokens.get(token, token)
    if cache is not None:
        env["SAMZOO_CACHE_DIR"] = str(cache)
    return env


def _publish(zoo, pkg: Path, *extra: str, token: str | None = "alice", cache: Path | None = None):
    proc = run_cli("publish", str(pkg), *extra, env=_env(zoo, token, cache))
    for secret in zoo.tokens.values():
        assert secret not in proc.stdout + proc.stderr  # the token never appears
    return proc


def _ok(proc) -> dict:
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return json.loads(proc.stdout)["result"]


def _one_line_error(proc, code: int = 1) -> str:
    assert proc.returncode == code, proc.stdout[-2000:] + proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("samzoo: error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


def _drafts(zoo) -> list[str]:
    return sorted(a["id"] for a in zoo.call("list", parent_id=COLLECTION, stage="all"))


def _assert_draft_is(zoo, aid: str, pkg: Path, status: str | None = "request-review") -> dict:
    art = zoo.call("read", artifact_id=aid, stage=True)
    assert art["staging"] is not None, art
    assert art["manifest"].get("status") == status, art["manifest"].get("status")
    files = members(pkg)
    listed = {f["name"]: f["size"] for f in zoo.call("list_files", artifact_id=aid, stage=True)}
    assert listed == {n: len(b) for n, b in files.items()}
    if status == "request-review":
        for name, data in files.items():
            assert zoo.download(aid, name) == data, name  # byte-identical, not a multipart envelope
    return art


def test_new_model_then_again_then_new_version_then_status(hypha_zoo, built, tmp_path):
    zoo, pkg = hypha_zoo, _new_model(built, tmp_path, "Publish Flow")
    before = _drafts(zoo)
    first = _ok(_publish(zoo, pkg, *QUICK))
    aid = first["artifact_id"]
    assert first["created"] and first["kind"] == "new model" and first["status"] == "request-review"
    assert aid.startswith("bioimage-io/") and first["zoo_id"].count("-") == 1  # {adjective}-{animal}
    assert all(f["sent"] for f in first["files"])
    art = _assert_draft_is(zoo, aid, pkg)
    assert art["versions"] == []  # never committed: that is the curators' step
    for f in first["files"]:
        assert f["sha256"] == hashlib.sha256(members(pkg)[f["path"]]).hexdigest()
    assert _drafts(zoo) == sorted([*before, aid])

    again = _ok(_publish(zoo, pkg, *QUICK))  # idempotent: the same draft, nothing sent, no second draft
    assert again["artifact_id"] == aid and not again["created"] and not any(f["sent"] for f in again["files"])
    assert _drafts(zoo) == sorted([*before, aid])

    zoo.call("commit", artifact_id=aid)  # the curators accept it
    v2 = with_rdf(pkg, tmp_path / "v2.zip", id=first["zoo_id"], version="2")
    second = _ok(_publish(zoo, v2, *QUICK))
    assert second["artifact_id"] == aid and second["kind"] == "new version" and not second["created"]
    art = _assert_draft_is(zoo, aid, v2)
    assert [v["version"] for v in art["versions"]] == ["v0"]  # a staged new version, not a commit
    assert _drafts(zoo) == sorted([*before, aid])  # never a second model

    status = run_cli("publish", "--status", first["zoo_id"], "--json", env=_env(zoo))
    assert status.returncode == 0, status.stderr
    got = json.loads(status.stdout)
    assert got["staged"] and got["status"] == "request-review" and got["versions"] == ["v0"]
    assert {f["path"]: f["sha256"] for f in got["files"]} == {n: hashlib.sha256(b).hexdigest() for n, b in members(v2).items()}
    text = run_cli("publish", "--status", first["zoo_id"], env=_env(zoo))
    assert "status request-review" in text.stdout and "rdf.yaml" in text.stdout


def test_dry_run_prints_the_plan_and_writes_nothing(hypha_zoo, built, tmp_path):
    zoo, pkg = hypha_zoo, _new_model(built, tmp_path, "Dry Run")
    before = _drafts(zoo)
    proc = _publish(zoo, pkg, "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "target: a new model" in proc.stdout and "dry run: nothing was written" in proc.stdout
    assert _drafts(zoo) == before
    proc = _publish(zoo, with_rdf(built, tmp_path / "v.zip", id="no-such-model"), "--dry-run")
    assert "'no-such-model' is not a model on" in _one_line_error(proc)


@pytest.mark.parametrize("token, says", [
    (None, "BIOIMAGEIO_HYPHA_UPLOAD_TOKEN"),
    ("garbage-token", "the upload token was refused"),
    ("expired", "token has expired"),
    ("wrong_signature", "Signature verification failed"),
])
def test_bad_tokens_fail_with_one_line(hypha_zoo, built, tmp_path, token, says):
    zoo, pkg = hypha_zoo, _new_model(built, tmp_path, f"Token {token}")
    before = _drafts(zoo)
    line = _one_line_error(_publish(zoo, pkg, *QUICK, token=token))
    assert says in line
    assert _drafts(zoo) == before


def test_someone_elses_model_is_refused(hypha_zoo, built, tmp_path):
    zoo = hypha_zoo
    mine = _ok(_publish(zoo, _new_model(built, tmp_path, "Alices Model"), *QUICK))
    theirs = with_rdf(built, tmp_path / "bob.zip", id=mine["zoo_id"], version="9")
    line = _one_line_error(_publish(zoo, theirs, *QUICK, token="bob"))
    assert "belongs to other maintainers" in line
    assert zoo.call("read", artifact_id=mine["artifact_id"], stage=True)["manifest"]["version"] != "9"
    _ok(_publish(zoo, theirs, *QUICK))  # alice stages that very package herself
    line = _one_line_error(_publish(zoo, theirs, *QUICK, token="bob"))  # nothing to send: still not bob's draft
    assert "belongs to other maintainers" in line


def test_read_back_mismatch_is_resent_once_then_refused(hypha_zoo, built, tmp_path):
    zoo, pkg = hypha_zoo, _new_model(built, tmp_path, "Corrupting Store")
    zoo.proxy.faults.append(Fault("documentation.md", corrupt=True, times=1))
    before = zoo.proxy.puts["documentation.md"]
    result = _ok(_publish(zoo, pkg, *QUICK))
    assert zoo.proxy.puts["documentation.md"] - before == 2  # sent, read back different, sent again
    _assert_draft_is(zoo, result["artifact_id"], pkg)

    pkg2 = _new_model(built, tmp_path, "Always Corrupting")
    zoo.proxy.faults.append(Fault("documentation.md", corrupt=True, times=-1))
    try:
        line = _one_line_error(_publish(zoo, pkg2, *QUICK))
    finally:
        zoo.proxy.faults.clear()
    assert "documentation.md: the zoo stored different bytes twice" in line
    aid = _drafts_of(zoo, "Always Corrupting")
    assert zoo.call("read", artifact_id=aid, stage=True)["manifest"].get("status") != "request-review"
    result = _ok(_publish(zoo, pkg2, *QUICK))  # the same command continues the same draft
    assert result["artifact_id"] == aid
    _assert_draft_is(zoo, aid, pkg2)


def _drafts_of(zoo, name: str) -> str:
    found = [a["id"] for a in zoo.call("list", parent_id=COLLECTION, stage="all") if a["manifest"].get("name") == name]
    assert len(found) == 1, found
    return found[0]


def test_server_dying_mid_upload_leaves_a_resumable_draft(hypha_zoo, built, tmp_path):
    zoo, pkg = hypha_zoo, _new_model(built, tmp_path, "Dropped Upload")
    weights = "vit_t.pt"
    size = len(members(pkg)[weights])
    before = dict(zoo.proxy.puts)
    zoo.proxy.faults.append(Fault(weights, drop_after=size // 2))
    line = _one_line_error(_publish(zoo, pkg, *QUICK))
    assert "run the same command again" in line
    aid = _drafts_of(zoo, "Dropped Upload")
    assert zoo.call("read", artifact_id=aid, stage=True)["manifest"].get("status") != "request-review"
    put_in_run_1 = {n for n, c in zoo.proxy.puts.items() if c > before.get(n, 0)} - {weights}
    result = _ok(_publish(zoo, pkg, *QUICK))
    sent = {f["path"] for f in result["files"] if f["sent"]}
    assert weights in sent and not sent & put_in_run_1  # files verified before the drop are not sent again
    assert result["artifact_id"] == aid
    _assert_draft_is(zoo, aid, pkg)


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupt_mid_upload_then_resume(hypha_zoo, built, tmp_path, sig, code):
    zoo, pkg = hypha_zoo, _new_model(built, tmp_path, f"Interrupted {sig.name}")
    weights = "vit_t.pt"
    tmp = tmp_path / "tmpdir"
    tmp.mkdir()
    cache = tmp_path / "cache"
    zoo.proxy.faults.append(Fault(weights, bytes_per_s=2e6))  # ~20 s for 40 MB: time to interrupt it
    base = zoo.proxy.puts[weights]
    proc = subprocess.Popen([sys.executable, "-m", "samzoo", "publish", str(pkg), *QUICK], cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**_full_env(zoo, cache), "TMPDIR": str(tmp)})
    deadline = time.monotonic() + 120
    while zoo.proxy.puts[weights] == base and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    time.sleep(1.0)
    proc.send_signal(sig)
    _out, err = proc.communicate(timeout=60)
    zoo.proxy.faults.clear()
    assert proc.returncode == code, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert list(tmp.iterdir()) == []
    aid = _drafts_of(zoo, f"Interrupted {sig.name}")
    assert zoo.call("read", artifact_id=aid, stage=True)["manifest"].get("status") != "request-review"
    result = _ok(_publish(zoo, pkg, *QUICK, cache=cache))
    assert result["artifact_id"] == aid and weights in {f["path"] for f in result["files"] if f["sent"]}
    _assert_draft_is(zoo, aid, pkg)


def _full_env(zoo, cache: Path) -> dict[str, str]:
    import os

    return {**os.environ, **_env(zoo, cache=cache)}


def test_a_package_failing_validation_is_not_uploaded(hypha_zoo, built, tmp_path):
    import zipfile

    zoo = hypha_zoo
    src = _new_model(built, tmp_path, "Broken Weights")
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(broken, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info, data[:-64] + bytes(64) if info.filename == "vit_t.pt" else data)  # same size, other bytes
    before = _drafts(zoo)
    line = _one_line_error(_publish(zoo, broken, "--no-spec-check"))
    assert "fails `samzoo validate`" in line
    assert _drafts(zoo) == before
