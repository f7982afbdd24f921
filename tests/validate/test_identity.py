"""``identity``: a claimed id and version carry the published weights."""

from __future__ import annotations

import json


from helpers.cli import run_cli
from helpers.validate_packages import rdf_of
from samzoo.validate.checks.identity import check_identity


def test_identity_published_new_and_unknown(good_folder):
    rdf = rdf_of(good_folder)
    wrong = check_identity({**rdf, "id": "noisy-ox", "version": "1.2"}, good_folder)
    assert wrong.status == "failed" and "xxh128:" in wrong.message and "vit_b_em_organelles" in wrong.message
    new = check_identity({**rdf, "id": "noisy-ox", "version": "9.9"}, good_folder)
    assert new.status == "warning" and "new version" in new.message
    assert check_identity(rdf, good_folder).status == "skipped"


def test_identity_passes_for_the_published_weights(good_folder, tmp_path, monkeypatch):
    """A user catalog recording this package's weights: the claim holds."""
    from samzoo.catalog import builtin_spec_dir, dump_spec, load_spec_file
    from samzoo.plumbing.hashing import file_hash

    weights = next(good_folder.glob("*.pt"))
    spec = load_spec_file(builtin_spec_dir() / "vit_t_lm.yaml")
    cur = spec.current
    wf = cur.weights.encoder.model_copy(update={"url": f"file://{weights}", "hash": file_hash(weights, "xxh128")})
    version = cur.model_copy(update={"weights": cur.weights.model_copy(update={"encoder": wf})})
    user = spec.model_copy(update={
        "model_type": "vit_t_mine", "nickname": "testing-mouse", "emoji": "🐭",
        "versions": (version.model_copy(update={"zoo_version": "1.0"}),),
        "current_version": cur.version, "recommend": None,
    })
    (tmp_path / "vit_t_mine.yaml").write_text(dump_spec(user))
    result = check_identity(rdf_of(good_folder), good_folder, tmp_path)
    assert result.status == "passed" and "vit_t_mine" in result.message
    # hermetic: the user's own catalog never changes a verdict; only an explicit catalog folder does
    monkeypatch.setenv("SAMZOO_CATALOG", str(tmp_path))
    assert check_identity(rdf_of(good_folder), good_folder).status == "skipped"
    proc = run_cli("validate", "--quick", "--json", str(good_folder), env={"SAMZOO_CATALOG": str(tmp_path)})
    assert {c["name"]: c["status"] for c in json.loads(proc.stdout)["packages"][0]["checks"]}["identity"] == "skipped"
    proc = run_cli("validate", "--quick", "--json", "--catalog", str(tmp_path), str(good_folder))
    assert {c["name"]: c["status"] for c in json.loads(proc.stdout)["packages"][0]["checks"]}["identity"] == "passed"
