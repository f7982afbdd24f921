"""``inference``: bioimageio.core's model test on the loaded model, each diagnosis named."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import yaml

from helpers.validate_packages import replace_tensor, variant
from samzoo.validate import validate_package


def test_broken_test_output_fails_inference(pkg_dir, vit_t_checkpoint):
    report = validate_package(variant(pkg_dir, vit_t_checkpoint, "broken_test_output"), quick=True)
    assert not report.passed
    failed = [c.name for c in report.checks if c.status == "failed"]
    assert failed == ["inference"]
    assert "'masks'" in report.check("inference").message and "differ" in report.check("inference").message


def test_adaptor_without_strict_names_the_cause(pkg_dir, vit_t_checkpoint):
    report = validate_package(variant(pkg_dir, vit_t_checkpoint, "no_strict"), quick=True)
    check = report.check("inference")
    assert check.status == "failed" and "load_state_dict() does not accept 'strict'" in check.message, check


def test_outputs_made_under_the_fork_are_named(pkg_dir, vit_t_checkpoint):
    from samzoo.validate.sam_variants import PYPI, installed_behaviour

    if installed_behaviour() != PYPI:
        pytest.skip("this test expects PyPI segment-anything to be installed")
    report = validate_package(variant(pkg_dir, vit_t_checkpoint, "fork_outputs"), quick=True)
    check = report.check("inference")
    assert check.status == "failed" and "made under segment-anything-py" in check.message, check
    assert "do not match its model" not in check.message


def test_architecture_that_raises_fails_inference(pkg_dir, vit_t_checkpoint):
    report = validate_package(variant(pkg_dir, vit_t_checkpoint, "raises"))
    check = report.check("inference")
    assert check.status == "failed"
    assert "broken on purpose" in check.message and "\n" not in check.message
    assert all(report.check(n).status == "skipped" for n in ("sam_prompts", "encoder"))


def test_test_input_of_another_dtype_fails_inference(good_folder, tmp_path):
    folder = tmp_path / "pkg"
    shutil.copytree(good_folder, folder)
    image = np.load(folder / yaml.safe_load((folder / "rdf.yaml").read_text())["inputs"][0]["test_tensor"]["source"])
    replace_tensor(folder, "image", "inputs", image.astype("int16"))
    check = validate_package(folder, quick=True).check("inference")
    assert check.status == "failed" and "'image' is int16, the description declares uint8" in check.message, check


def test_all_nan_test_output_fails_inference(good_folder, tmp_path):
    folder = tmp_path / "pkg"
    shutil.copytree(good_folder, folder)
    rdf = yaml.safe_load((folder / "rdf.yaml").read_text())
    scores = np.load(folder / next(t for t in rdf["outputs"] if t["id"] == "scores")["test_tensor"]["source"])
    replace_tensor(folder, "scores", "outputs", np.full_like(scores, np.nan))
    report = validate_package(folder, quick=True)
    check = report.check("inference")
    assert check.status == "failed" and "'scores' has" in check.message and "NaN" in check.message, check
    assert not report.passed
