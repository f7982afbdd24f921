"""`samzoo list/info/recommend` through a real subprocess."""

from __future__ import annotations

import json

from helpers.cli import run_cli


def test_list_json_lists_the_14_current_models():
    r = run_cli("list", "--json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert len(rows) == 14
    by_type = {row["model_type"]: row for row in rows}
    assert by_type["vit_b_lm"]["nickname"] == "diplomatic-bug"
    assert by_type["vit_t_em_organelles"]["encoder"] == "vit_t"
    assert by_type["vit_b_histopathology"]["domain"] == "histopathology"
    for row in rows:
        assert {"model_type", "encoder", "domain", "nickname", "current_version", "versions"} <= row.keys()
        assert all({"version", "zoo_version"} <= v.keys() for v in row["versions"])
        assert row["current_version"] in [v["version"] for v in row["versions"]]


def test_list_domain_and_all_versions():
    em = json.loads(run_cli("list", "--domain", "electron_microscopy", "--json").stdout)
    assert {r["model_type"] for r in em} == {"vit_l_em_organelles", "vit_b_em_organelles", "vit_t_em_organelles"}
    everything = json.loads(run_cli("list", "--all-versions", "--json").stdout)
    names = {r["model_type"] for r in everything}
    assert {"vit_b_em_boundaries", "vit_h_em", "vit_h_lm", "vit_b_livecell"} <= names
    text = run_cli("list").stdout
    assert "noisy-ox" in text and "vit_b_em_boundaries" not in text


def test_info_nickname():
    r = run_cli("info", "noisy-ox", "--json")
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["model_type"] == "vit_b_em_organelles"
    assert info["zoo_id"] == "noisy-ox/1.2"
    assert info["weights"]["encoder"]["hash"] == "xxh128:f3bf2ed83d691456bae2c3f9a05fb438"


def test_info_old_version_names_its_zenodo_record():
    info = json.loads(run_cli("info", "vit_b_lm@v2", "--json").stdout)
    assert info["version"] == "v2" and info["record_id"] == "11103798"
    assert "11103798" in info["source"]


def test_info_unknown_exits_2_with_suggestions():
    r = run_cli("info", "no-such-model")
    assert r.returncode == 2
    assert r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1
    assert "did you mean" in r.stderr.lower()
    r = run_cli("info", "diplomatic-bugg")
    assert r.returncode == 2 and "diplomatic-bug" in r.stderr


def test_bad_user_spec_is_one_line_exit_2(tmp_path):
    user = tmp_path / "specs"
    user.mkdir()
    (user / "vit_b_mine.yaml").write_text("model_type: vit_b_mine\nencodr: vit_b\n")
    r = run_cli("list", env={"SAMZOO_CATALOG": str(user)})
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1
    assert "vit_b_mine.yaml" in r.stderr and "encodr" in r.stderr
    assert "Traceback" not in r.stderr


def test_recommend():
    r = run_cli("recommend", "--domain", "electron_microscopy", "--target", "mitochondria")
    assert r.returncode == 0 and r.stdout.splitlines()[0] == "vit_b_em_organelles"
    r = run_cli("recommend", "--domain", "light_microscopy", "--fast", "--json")
    assert json.loads(r.stdout)["model_type"] == "vit_t_lm"
    r = run_cli("recommend", "--domain", "astronomy")
    assert r.returncode == 2
