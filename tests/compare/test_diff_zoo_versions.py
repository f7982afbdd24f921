"""`samzoo diff id/v0 id/v1`: two versions published to a real zoo server on 127.0.0.1, compared by zoo id."""

from __future__ import annotations

import json

import pytest
import torch
from helpers.cli import run_cli
from helpers.package_zip import with_rdf

import samzoo
from samzoo.plumbing.sam_models import save_random_checkpoint
from samzoo.publisher import UploadToken, publish_package

pytestmark = pytest.mark.slow
TUNED = "mask_decoder.output_upscaling.0.weight"


def test_two_published_versions_diff_by_id(hypha_zoo, tmp_path):
    zoo = hypha_zoo
    save_random_checkpoint(tmp_path / "a.pt", "vit_t", seed=2)
    state = torch.load(tmp_path / "a.pt", weights_only=True)
    state[TUNED] = state[TUNED] * 1.1  # "fine-tuned": one mask decoder tensor moved by 10 %
    torch.save(state, tmp_path / "b.pt")
    a = samzoo.build_package("vit_t_lm", tmp_path / "a.pt", output=tmp_path / "a.zip").path
    b = samzoo.build_package("vit_t_lm", tmp_path / "b.pt", output=tmp_path / "b.zip").path
    token = UploadToken(zoo.tokens["alice"], "test")
    first = publish_package(with_rdf(a, tmp_path / "a1.zip", id=None, id_emoji=None, name="Diff By Id"), server=zoo.url, token=token)
    zoo.call("commit", artifact_id=first.artifact_id)  # v0
    publish_package(with_rdf(b, tmp_path / "b2.zip", id=first.zoo_id, id_emoji=None, name="Diff By Id", version="2"),
                    server=zoo.url, token=token)
    zoo.call("commit", artifact_id=first.artifact_id)  # v1 (the staged intent is a new version)

    env = {"SAMZOO_ZOO_SERVER": zoo.url}
    r = run_cli("diff", f"{first.zoo_id}/v0", f"{first.zoo_id}/v1", "--json", "--exit-code", env=env)
    assert r.returncode == 1, r.stderr[-2000:]  # the masks differ
    data = json.loads(r.stdout)
    modules = {m["module"]: m for m in data["weights"]["modules"] if m["changed"]}
    assert list(modules) == ["mask_decoder"] and modules["mask_decoder"]["changed"] == 1
    assert any(o["iou"] < 1.0 for i in data["behaviour"]["inputs"] for o in i["objects"])
    assert {f["path"] for f in data["files"]} >= {"rdf.yaml", "vit_t.pt"}

    same = run_cli("diff", f"{first.zoo_id}/v1", f"{first.zoo_id}/v1", "--exit-code", env=env)
    assert same.returncode == 0, same.stderr[-2000:]
