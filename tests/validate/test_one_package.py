"""``validate_package`` end to end on micro-sam-style packages: every check in its order, ``quick``, side effects."""

from __future__ import annotations


import numpy as np
import pytest

from samzoo.validate import CHECK_NAMES, ValidationOptions, validate_package


def test_micro_sam_package_passes_every_check(good_report):
    statuses = {c.name: c.status for c in good_report.checks}
    assert good_report.passed, [c for c in good_report.checks if c.status == "failed"]
    assert tuple(statuses) == CHECK_NAMES
    for name in ("source", "format", "files", "zoo", "inference", "size_probes"):
        assert statuses[name] == "passed", good_report.check(name)
    for name in ("sam_prompts", "sam_image_only"):  # random weights may score outside [0, 1]: a warning
        check = good_report.check(name)
        assert check.status == "passed" or (check.status == "warning" and "scores outside [0, 1]" in check.message), check
    assert statuses["identity"] == "skipped"  # testing-mouse is not a catalog model
    env = good_report.check("environment")  # micro-sam's environment.yaml pins nothing
    assert env.status == "warning" and "no lower bound for segment-anything, timm" in env.message, env
    assert statuses["encoder"] == "passed", good_report.check("encoder")
    assert good_report.cover and good_report.cover.startswith("data:image/jpeg;base64,")


def test_quick_skips_only_the_encoder_passes(good_folder):
    report = validate_package(good_folder, quick=True)
    assert report.passed and report.quick
    skipped = {c.name for c in report.checks if c.status == "skipped"}
    # ais: not an AIS package; weight_formats: one format, tested by inference
    assert skipped == {"identity", "ais", "weight_formats", "sam_image_only", "encoder"}
    assert report.check("inference").status == "passed"


def test_validation_leaves_the_callers_random_state_and_environment_alone(good_folder):
    """Seeds are set for the checks only (bioimageio.core's enable_determinism would leave them, and more, changed)."""
    import os

    import torch

    torch.manual_seed(123)
    np.random.seed(123)
    expected = torch.rand(3), np.random.rand(3)
    torch.manual_seed(123)
    np.random.seed(123)
    env, deterministic = dict(os.environ), torch.are_deterministic_algorithms_enabled()
    assert validate_package(good_folder, quick=True).passed
    assert torch.equal(torch.rand(3), expected[0]) and np.array_equal(np.random.rand(3), expected[1])
    assert dict(os.environ) == env and torch.are_deterministic_algorithms_enabled() == deterministic


def test_validator_never_imports_the_builder(bad_inputs):
    import subprocess
    import sys

    code = (
        "import sys\nfrom samzoo.validate import validate_package\n"
        f"r = validate_package({str(bad_inputs['invalid_yaml'])!r})\n"
        "assert not r.passed\n"
        "assert not [m for m in sys.modules if m.startswith('samzoo.builder')], 'samzoo.builder was imported'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.slow
def test_package_built_by_samzoo_validates(tmp_path, vit_t_checkpoint):
    """The builder's own package (random vit_t weights): every check passes or warns, none fails."""
    build = pytest.importorskip("samzoo.builder")
    result = build.build_package("vit_t_lm", vit_t_checkpoint, output=tmp_path / "vit_t_lm.zip")
    report = validate_package(result.path)
    assert report.passed, [c for c in report.checks if c.status == "failed"]
    assert report.check("inference").status == "passed"
    assert report.check("encoder").status == "passed", report.check("encoder")
    # random weights are not the published faithful-chicken weights: the builder gives them a new version
    identity = report.check("identity")
    assert identity.status == "warning" and "new version" in identity.message, identity


# --- packages of other tools ------------------------------------------------------------------------

SAM_ONLY = ("sam_prompts", "sam_image_only", "encoder")


def test_a_non_sam_package_is_tested_and_the_sam_checks_do_not_apply(plain_folder):
    report = validate_package(plain_folder, ValidationOptions())
    for name in ("source", "format", "files", "inference", "size_probes"):
        assert report.check(name).status == "passed", report.check(name)
    assert "(torchscript)" in report.check("inference").message
    for name in SAM_ONLY:
        check = report.check(name)
        assert check.status == "skipped" and check.message.startswith("not applicable: not a SAM package"), check
    assert report.check("ais").message.startswith("not applicable: not a SAM package")
    # the keyword form builds the same options
    again = validate_package(plain_folder, quick=True)
    assert [(c.name, c.status) for c in again.checks] == [(c.name, c.status) for c in report.checks]


@pytest.mark.parametrize("isolate", [False, True], ids=["in-process", "model-worker"])
def test_a_non_sam_package_that_cannot_be_loaded_is_not_a_sam_package(unloadable_plain_folder, isolate):
    """Not "the model could not be loaded" for checks that never applied; the model checks that did apply say so."""
    report = validate_package(unloadable_plain_folder, isolate=isolate)
    inference = report.check("inference")
    assert inference.status == "failed" and "could not load the model (torchscript)" in inference.message, inference
    assert [c.name for c in report.checks if c.status == "failed"] == ["zoo", "inference"]  # zoo: no cover, id, ...
    for name in SAM_ONLY:
        assert report.check(name).message.startswith("not applicable: not a SAM package"), report.check(name)
    for name in ("weight_formats", "size_probes"):
        assert report.check(name).message == "the model could not be loaded (see inference)", report.check(name)
