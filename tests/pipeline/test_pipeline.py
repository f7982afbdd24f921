"""`samzoo build --all` and `make demo`: the whole pipeline through the CLI in subprocesses."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from helpers.cli import REPO, run_cli
from helpers.http_server import FileServer

from samzoo.plumbing.hashing import file_hash
from samzoo.plumbing.sam_models import save_random_checkpoint

MODELS = ("vit_t_alpha", "vit_t_beta", "vit_t_gamma")
ONE_JOB_PER_WORKER = {"SAMZOO_JOBS_PER_WORKER": "1"}  # three models on two local workers (the runner's path under test)


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory, vit_t_checkpoint) -> Path:
    """Three different random vit_t checkpoints, named by model type."""
    folder = tmp_path_factory.mktemp("checkpoints")
    (folder / f"{MODELS[0]}.pt").write_bytes(vit_t_checkpoint.read_bytes())
    for seed, name in enumerate(MODELS[1:], start=1):
        save_random_checkpoint(folder / f"{name}.pt", "vit_t", seed=seed)
    return folder


def _register(checkpoints: Path, server: FileServer, user_catalog: Path) -> None:
    from samzoo.catalog.writer import add_model

    for name in MODELS:
        path = checkpoints / f"{name}.pt"
        url = server.add(f"/weights/{name}.pt", path)
        add_model(name, encoder="vit_t", weights=url, hash=file_hash(path, "sha256"), domain="light_microscopy",
                  description=f"Test model {name} (random weights).", authors=["samzoo test suite"], directory=user_catalog)


@pytest.mark.slow
def test_build_all_from_catalog_validates_indexes_and_skips_unchanged(tmp_path, monkeypatch, checkpoints):
    user_catalog = tmp_path / "catalog"
    monkeypatch.setenv("SAMZOO_CATALOG", str(user_catalog))
    out = tmp_path / "release"
    with FileServer() as server:
        _register(checkpoints, server, user_catalog)
        first = run_cli("build", "--all", "--models", *MODELS, "--from-catalog", "-o", str(out), "--validate", "--jobs", "2", "--json", env=ONE_JOB_PER_WORKER)
        assert first.returncode == 0, first.stderr
        assert all(server.gets[f"/weights/{m}.pt"] == 1 for m in MODELS), server.gets
        second = run_cli("build", "--all", "--models", *MODELS, "--from-catalog", "-o", str(out), "--validate", "--jobs", "2", "--json", env=ONE_JOB_PER_WORKER)
        assert second.returncode == 0, second.stderr
        assert all(server.gets[f"/weights/{m}.pt"] == 1 for m in MODELS), "the second run must use the cache"

    rows = json.loads(first.stdout)
    assert [r["model_type"] for r in rows] == list(MODELS)
    index = json.loads((out / "collection.json").read_text())
    assert index["type"] == "samzoo-collection"
    for entry in index["collection"]:
        assert entry["status"] == "passed", entry
        package = out / entry["package"]
        assert file_hash(package, "sha256") == f"sha256:{entry['sha256']}"
    for name in ("report.json", "report.md", "report.html"):
        assert (out / name).is_file()
    report = json.loads((out / "report.json").read_text())
    assert len(report["packages"]) == 3 and all(p["status"] == "passed" for p in report["packages"])

    again = json.loads(second.stdout)
    assert all(r["skipped"] for r in again), "nothing changed: every model must be skipped"
    assert [r["sha256"] for r in again] == [r["sha256"] for r in rows]

    # the index is a catalog source for the resolver
    fetched = run_cli("fetch", f"{out / 'collection.json'}#{MODELS[1]}", "--json", "--offline")
    assert fetched.returncode == 0, fetched.stderr
    info = json.loads(fetched.stdout)
    info = info[0] if isinstance(info, list) else info
    assert info["model_type"] == MODELS[1] and Path(info["encoder_path"]).is_file()


def test_build_all_from_folder_keeps_going_past_broken_models(tmp_path, monkeypatch, checkpoints):
    user_catalog = tmp_path / "catalog"
    monkeypatch.setenv("SAMZOO_CATALOG", str(user_catalog))
    with FileServer() as server:
        _register(checkpoints, server, user_catalog)
    folder = tmp_path / "ckpts"
    folder.mkdir()
    (folder / f"{MODELS[0]}.pt").write_bytes((checkpoints / f"{MODELS[0]}.pt").read_bytes())
    (folder / f"{MODELS[1]}.pt").write_bytes(b"not a checkpoint")
    out = tmp_path / "out"
    r = run_cli("build", "--all", "--models", *MODELS, "--checkpoints", str(folder), "-o", str(out), "--json")
    assert r.returncode == 1
    rows = {row["model_type"]: row for row in json.loads(r.stdout)}
    assert rows[MODELS[0]]["status"] == "built" and (out / rows[MODELS[0]]["package"]).is_file()
    assert rows[MODELS[1]]["status"] == "error" and "not a readable PyTorch checkpoint" in rows[MODELS[1]]["message"]
    assert rows[MODELS[2]]["status"] == "error" and "no checkpoint" in rows[MODELS[2]]["message"]
    assert "Traceback" not in r.stderr
    index = json.loads((out / "collection.json").read_text())
    assert len(index["collection"]) == 3
    assert not list(out.glob("*.tmp")) and not list(out.glob(".*.tmp"))


def test_build_all_builds_the_family_and_user_models_only_when_asked(tmp_path, monkeypatch, checkpoints):
    """Without --models, --all selects the family's current models and says which user models it leaves out."""
    from samzoo.catalog import is_builtin, load_catalog

    user_catalog = tmp_path / "catalog"
    monkeypatch.setenv("SAMZOO_CATALOG", str(user_catalog))
    with FileServer() as server:
        _register(checkpoints, server, user_catalog)
    family = [s.model_type for s in load_catalog().current() if is_builtin(s)]
    assert "vit_b_lm" in family and not set(MODELS) & set(family)
    empty = tmp_path / "none"
    empty.mkdir()  # no checkpoints: every selected model is an error entry, nothing is built
    r = run_cli("build", "--all", "--checkpoints", str(empty), "-o", str(tmp_path / "out"), "--json")
    assert r.returncode == 1
    assert [row["model_type"] for row in json.loads(r.stdout)] == family
    assert (f"samzoo: building the family's {len(family)} current models; your user catalog's 3 ({', '.join(MODELS)}) "
            "are left out: add --user-models, or name them with --models") in r.stderr
    r = run_cli("build", "--all", "--user-models", "--checkpoints", str(empty), "-o", str(tmp_path / "out2"), "--json")
    assert [row["model_type"] for row in json.loads(r.stdout)] == family + list(MODELS)
    assert f"and your user catalog's 3 ({', '.join(MODELS)}; --user-models)" in r.stderr
    r = run_cli("build", "--all", "--models", MODELS[0], "--checkpoints", str(empty), "-o", str(tmp_path / "out3"), "--json")
    assert [row["model_type"] for row in json.loads(r.stdout)] == [MODELS[0]]
    assert "building the 1 model(s) named by --models" in r.stderr
    r = run_cli("build", "vit_t_lm", "--checkpoint", str(checkpoints / f"{MODELS[0]}.pt"), "--user-models")
    assert r.returncode == 2 and "--user-models applies only to --all" in r.stderr


def test_build_all_usage_errors(tmp_path):
    r = run_cli("build", "--all", "-o", str(tmp_path))
    assert r.returncode == 2 and "--checkpoints" in r.stderr
    r = run_cli("build", "--all", "--models", "no-such-model", "--from-catalog", "-o", str(tmp_path))
    assert r.returncode == 2 and "did you mean" in r.stderr.lower()


@pytest.mark.slow
def test_make_demo_runs_the_whole_pipeline(tmp_path):
    import subprocess

    r = subprocess.run([sys.executable, str(REPO / "scripts" / "demo.py"), str(tmp_path / "demo")],
                       capture_output=True, text=True, timeout=600, cwd=REPO)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    out = r.stdout
    for word in ("package", "sha256", "validation: PASSED", "downloaded 1x", "overlay", "timings"):
        assert word in out, out
    assert (tmp_path / "demo" / "overlay.png").is_file()
    # one answer: the builder and the validator both say the weights are the ones registered (not "published")
    assert out.count("registered for vit_t_lm_demo") >= 2 and "not among the catalog's published weights" not in out, out
    assert (tmp_path / "demo" / "validation.html").is_file()
