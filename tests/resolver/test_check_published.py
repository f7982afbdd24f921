"""`samzoo check-published` against a real 127.0.0.1 server whose files the test replaces, truncates,
removes and redirects, plus a dead port; offline; micro-sam's registry (absent, and a stand-in module)."""

from __future__ import annotations

import json
import os
import sys
import types
from pathlib import Path

import yaml

from helpers.cli import run_cli
from helpers.http_server import FileServer, dead_url
from samzoo.plumbing.hashing import file_hash

KINDS = ("ok", "replaced", "truncated", "removed", "moved", "temporary", "nohead", "dead")


def _catalog(tmp_path: Path, srv: FileServer) -> tuple[Path, dict[str, bytes]]:
    """One model per kind of drift, each with its weights served and their size recorded in its spec."""
    from samzoo.catalog.writer import add_model

    folder, bodies = tmp_path / "catalog", {}
    for i, kind in enumerate(KINDS):
        body = os.urandom(1000 + i)
        (tmp_path / f"{kind}.pt").write_bytes(body)
        url = dead_url(f"/{kind}.pt") if kind == "dead" else srv.add(f"/{kind}.pt", body)
        spec = add_model(f"vit_t_cp_{kind}", weights=url, hash=file_hash(tmp_path / f"{kind}.pt", "sha256"),
                         authors=["samzoo test suite"], directory=folder)
        raw = yaml.safe_load(spec.read_text())
        raw["versions"][0]["weights"]["encoder"]["size"] = len(body)
        spec.write_text(yaml.safe_dump(raw, sort_keys=False))
        bodies[kind] = body
    return folder, bodies


def _drift(srv: FileServer, bodies: dict[str, bytes]) -> None:
    srv.add("/replaced.pt", bodies["replaced"], corrupt=True)            # same size, other bytes
    srv.add("/truncated.pt", bodies["truncated"][:500])
    srv.routes.pop("/removed.pt")
    srv.add("/elsewhere.pt", bodies["moved"])
    srv.add("/moved.pt", b"", status=301, location=srv.url("/elsewhere.pt"))
    srv.add("/storage.pt", bodies["temporary"])
    srv.add("/temporary.pt", b"", status=302, location="/storage.pt")   # a record pointing at its storage: no move
    srv.add("/nohead.pt", bodies["nohead"][:-1], head=False)            # HEAD refused: a ranged GET finds the size


def _statuses(report: dict) -> dict[str, str]:
    return {f["model"].split("@")[0].removeprefix("vit_t_cp_"): f["status"] for f in report["files"]}


def test_every_kind_of_drift_then_deep(tmp_path):
    with FileServer() as srv:
        folder, bodies = _catalog(tmp_path, srv)
        proc = run_cli("check-published", "--catalog", str(folder), "--json")
        assert proc.returncode == 1 and _statuses(json.loads(proc.stdout)) == dict.fromkeys(KINDS, "ok") | {"dead": "unreachable"}
        _drift(srv, bodies)
        shallow = json.loads(run_cli("check-published", "--catalog", str(folder), "--json").stdout)
        assert _statuses(shallow) == {"ok": "ok", "replaced": "ok", "truncated": "changed", "removed": "missing",
                                      "moved": "moved", "temporary": "ok", "nohead": "changed", "dead": "unreachable"}
        gets = [p for m, p in srv.requests if m == "GET"]
        assert gets == ["/nohead.pt"], gets  # without --deep only where HEAD is refused (one byte asked for)
        summary = tmp_path / "summary.md"
        proc = run_cli("check-published", "--catalog", str(folder), "--deep", "--markdown",
                       env={"GITHUB_STEP_SUMMARY": str(summary)})
        assert proc.returncode == 1, proc.stderr
        rows = {line.split("|")[2].strip().removeprefix("vit_t_cp_").split("@")[0]: line.split("|")[1].strip()
                for line in proc.stdout.splitlines() if line.startswith("| ") and "vit_t_cp_" in line}
        assert rows["replaced"] == "changed" and rows["ok"] == "ok" and rows["moved"] == "moved"
        assert "hash sha256:" in proc.stdout and summary.read_text() == proc.stdout
        only_ok = run_cli("check-published", "--catalog", str(folder), "--models", "vit_t_cp_ok", "--deep")
        assert only_ok.returncode == 0 and "1 file(s) (deep): 1 ok" in only_ok.stdout, only_ok.stdout + only_ok.stderr


def test_offline_is_one_line_per_file_and_strict(tmp_path):
    with FileServer() as srv:
        folder, _ = _catalog(tmp_path, srv)
        proc = run_cli("check-published", "--catalog", str(folder), env={"SAMZOO_OFFLINE": "1"})
        assert proc.returncode == 0 and proc.stdout.count("not checked (offline)") == len(KINDS)
        assert "warning: offline" in proc.stderr and srv.requests == []
        assert run_cli("check-published", "--catalog", str(folder), "--offline", "--strict").returncode == 1
        assert run_cli("check-published", "--catalog", str(folder), "--jobs", "0").returncode == 2


def test_micro_sams_registry_absent_and_disagreeing(tmp_path, monkeypatch):
    from samzoo import check_published
    from samzoo.catalog import Catalog

    with FileServer() as srv:
        folder, _ = _catalog(tmp_path, srv)
        specs = [s for s in Catalog.load(folder, include_user=False).all() if s.model_type.startswith("vit_t_cp_")]
        cat = Catalog(specs)
        report = check_published(["vit_t_cp_ok"], catalog=cat)
        assert report.registry == () and "micro-sam is not installed" in report.notes[0] and not report.drifted
        ok = cat.lookup("vit_t_cp_ok").version.weights.encoder
        util = types.SimpleNamespace(models=lambda: types.SimpleNamespace(
            registry={"vit_t_cp_ok": "xxh128:" + "0" * 32, "vit_t_cp_removed": cat.lookup("vit_t_cp_removed").version.weights.encoder.hash},
            urls={"vit_t_cp_ok": ok.url, "vit_t_cp_removed": "https://elsewhere.org/removed.pt"}))
        package = types.ModuleType("micro_sam")
        package.util, package.__version__ = util, "0-standin"
        monkeypatch.setitem(sys.modules, "micro_sam", package)
        report = check_published(catalog=cat)
        got = {(r.name, r.field) for r in report.registry}
        assert got == {("vit_t_cp_ok", "hash"), ("vit_t_cp_removed", "url")} and report.drifted
        assert "micro-sam 0-standin: 2 registry entries compared, 2 disagreement(s)" in report.notes
