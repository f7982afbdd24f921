"""`samzoo release`: publish the built models whose package changed, against a real zoo server on 127.0.0.1."""

from __future__ import annotations

import json
import zipfile
import hashlib

import pytest

from helpers.cli import run_cli

pytestmark = pytest.mark.slow
COLLECTION = "bioimage-io/bioimage.io"


def _published_model(zoo, alias: str, owner: str) -> str:
    """A model already on the zoo (created and committed by the curators), maintained by ``owner``."""
    art = zoo.call("create", parent_id=COLLECTION, alias=alias, type="model", manifest={"name": alias, "status": "accepted"},
                   config={"permissions": {owner: "*"}}, stage=True)
    zoo.call("commit", artifact_id=art["id"])
    return art["id"]


def test_release_publishes_what_changed_and_records_it(hypha_zoo, tmp_path, monkeypatch, vit_t_checkpoint):
    from samzoo.pipeline import build_all, release
    from samzoo.publisher import UploadToken

    zoo = hypha_zoo
    ckpts = tmp_path / "ckpts"
    ckpts.mkdir()
    for name in ("vit_t_lm", "vit_t_em_organelles"):
        (ckpts / f"{name}.pt").symlink_to(vit_t_checkpoint)
    out = tmp_path / "release"
    built = build_all(out, models=["vit_t_lm", "vit_t_em_organelles"], checkpoints=ckpts)
    assert [e.status for e in built] == ["built", "built"], built
    aid = _published_model(zoo, "faithful-chicken", "alice")  # vit_t_lm's id; greedy-whale (vit_t_em_organelles) is not on this zoo
    token = UploadToken(zoo.tokens["alice"], "test")

    records = {r.model_type: r for r in release(out, server=zoo.url, token=token, skip_validation="built by the test", check_spec=False)}
    assert records["vit_t_lm"].action == "published" and records["vit_t_lm"].artifact_id == aid, records
    assert records["vit_t_em_organelles"].action == "error" and "'greedy-whale' is not a model on" in records["vit_t_em_organelles"].message
    art = zoo.call("read", artifact_id=aid, stage=True)
    assert art["manifest"]["status"] == "request-review" and [v["version"] for v in art["versions"]] == ["v0"]

    index = {e["model_type"]: e for e in json.loads((out / "collection.json").read_text())["collection"]}
    rec = index["vit_t_lm"]["published"]
    with zipfile.ZipFile(out / index["vit_t_lm"]["package"]) as zf:
        assert rec["files"] == {i.filename: hashlib.sha256(zf.read(i)).hexdigest() for i in zf.infolist()}
    assert rec["artifact_id"] == aid and rec["status"] == "request-review" and rec["kind"] == "new version"
    assert "last_error" in index["vit_t_em_organelles"]["published"]

    again = run_cli("release", str(out), "--skip-validation", "test", "--no-spec-check", "--json",
                    env={"SAMZOO_ZOO_SERVER": zoo.url, "BIOIMAGEIO_HYPHA_UPLOAD_TOKEN": zoo.tokens["alice"]})
    assert again.returncode == 1, again.stderr  # greedy-whale still fails
    actions = {r["model_type"]: r["action"] for r in json.loads(again.stdout)}
    assert actions == {"vit_t_lm": "unchanged", "vit_t_em_organelles": "error"}
    drafts = [a["id"] for a in zoo.call("list", parent_id=COLLECTION, stage="all") if a["alias"] == "faithful-chicken"]
    assert drafts == [aid]  # one draft per model, never a second one

    rebuilt = build_all(out, models=["vit_t_lm"], checkpoints=ckpts)  # a rebuild keeps the record of the release
    assert rebuilt[0].published["artifact_id"] == aid

    zoo.call("commit", artifact_id=aid)  # the curators accept it; a fresh build folder has no record of the release
    fresh = tmp_path / "fresh"
    build_all(fresh, models=["vit_t_lm"], checkpoints=ckpts)
    [record] = release(fresh, server=zoo.url, token=token, skip_validation="built by the test", check_spec=False)
    assert record.action == "unchanged" and "the zoo holds this package" in record.message, record

    changed = tmp_path / "changed"  # new weights: a new version, with its diff against what the zoo holds
    (changed / "ckpts").mkdir(parents=True)
    from samzoo.plumbing.sam_models import save_random_checkpoint

    save_random_checkpoint(changed / "ckpts" / "vit_t_lm.pt", "vit_t", seed=5)
    build_all(changed / "out", models=["vit_t_lm"], checkpoints=changed / "ckpts")
    [record] = release(changed / "out", server=zoo.url, token=token, skip_validation="built by the test", check_spec=False)
    assert record.action == "published" and "against faithful-chicken on the zoo" in record.message, record
    assert "weight tensors changed" in record.message
    [diff_file] = (changed / "out").glob("*.diff.md")
    assert "vit_t.pt" in diff_file.read_text()
