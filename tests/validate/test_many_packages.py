"""``validate_many``: many packages, local workers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from helpers.cli import run_cli


@pytest.mark.slow
def test_jobs_2_folder_with_good_and_broken(tmp_path, good_zip, bad_inputs):
    folder = tmp_path / "many"
    folder.mkdir()
    shutil.copy(good_zip, folder / "a_good.zip")
    shutil.copy(bad_inputs["truncated"], folder / "b_truncated.zip")
    shutil.copytree(bad_inputs["missing_weights"], folder / "c_missing")
    proc = run_cli("validate", "--jobs", "2", "--quick", "--report", str(tmp_path / "r.json"), str(folder),
                   env={"SAMZOO_JOBS_PER_WORKER": "1"})  # two local workers for three packages
    assert proc.returncode == 1, proc.stderr
    assert "validating in this process" not in proc.stderr
    data = json.loads((tmp_path / "r.json").read_text())
    assert [Path(p["source"]).name for p in data["packages"]] == ["a_good.zip", "b_truncated.zip", "c_missing"]
    assert [p["status"] for p in data["packages"]] == ["passed", "failed", "failed"]


def test_jobs_on_few_packages_run_in_this_process_and_say_so(tmp_path, bad_inputs):
    """--jobs 2 on fewer packages than two workers' worth (20) starts no worker: a small run is never slower."""
    proc = run_cli("validate", "--jobs", "2", "--quick", str(bad_inputs["truncated"]))
    assert proc.returncode == 1
    assert ("samzoo: 1 package(s): validating in this process; a worker's start pays off from 10 packages per worker "
            "(--jobs 2 from 20)") in proc.stderr
    proc = run_cli("validate", "--jobs", "2", str(bad_inputs["truncated"]), env={"SAMZOO_JOBS_PER_WORKER": "x"})
    assert proc.returncode == 2 and "SAMZOO_JOBS_PER_WORKER='x': give a whole number >= 1 (default 10)" in proc.stderr
