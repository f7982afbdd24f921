"""Every diagnosis checked for its cause, on real micro-sam 1.8.14 exports (random vit_t weights).

micro-sam declares the fork ``segment-anything-py``; this environment has PyPI ``segment-anything``.
The two resize differently (:mod:`samzoo.validate.implementations`), so the test outputs of micro-sam's
own exports are not reproduced here. Only ``inference`` may fail for that, naming the implementation;
``encoder`` must not accuse the weights unless they really were swapped.
"""

from __future__ import annotations

import pytest

from helpers.micro_sam_package import write_micro_sam_package
from samzoo.validate import validate_package
from samzoo.validate.implementations import explain, under_other_implementation
from samzoo.validate.sam_variants import FORK, PYPI, installed_behaviour

pytestmark = pytest.mark.skipif(installed_behaviour() != PYPI, reason="expects PyPI segment-anything to be installed")


@pytest.fixture(scope="module")
def made_under_fork(tmp_path_factory, vit_t_checkpoint):
    """micro-sam's export as micro-sam makes it: test outputs computed under segment-anything-py."""
    out = tmp_path_factory.mktemp("diagnoses") / "fork_outputs.zip"
    return validate_package(write_micro_sam_package(out, vit_t_checkpoint, "vit_t", "fork_outputs"))


def test_micro_sam_export_fails_only_inference_naming_the_implementation(made_under_fork):
    failed = [c.name for c in made_under_fork.checks if c.status == "failed"]
    assert failed == ["inference"], made_under_fork.checks
    inference = made_under_fork.check("inference").message
    assert "made under segment-anything-py" in inference and "segment-anything is installed here" in inference
    assert "apply_image_torch" in inference and "341 x 1024" in inference


def test_micro_sam_export_encoder_names_the_implementation_not_the_weights(made_under_fork):
    encoder = made_under_fork.check("encoder")
    assert encoder.status == "warning", encoder
    assert "weights are not those" not in encoder.message
    assert "the encoder weights are those the test outputs were made with" in encoder.message
    # under the fork the encoder pass reproduces the embeddings bit for bit; here it sees a 341 x 1024 picture
    assert "under segment-anything-py the image encoder reproduces the test embeddings (0.0 ppm differ, max |diff| 0)" in encoder.message
    assert "apply_image_torch" in encoder.message


def test_swapped_encoder_is_still_accused_when_the_implementation_also_differs(tmp_path, vit_t_checkpoint):
    package = write_micro_sam_package(tmp_path / "both.zip", vit_t_checkpoint, "vit_t", "fork_swapped_encoder")
    report = validate_package(package)
    assert [c.name for c in report.checks if c.status == "failed"] == ["inference", "encoder"], report.checks
    assert "made under segment-anything-py" in report.check("inference").message  # decoder-only: weights not involved
    encoder = report.check("encoder").message
    assert "the encoder weights are not those the test outputs were made with" in encoder, encoder
    assert "segment-anything-py" not in encoder


def test_the_analysis_runs_under_the_other_implementation_and_restores_the_installed_one():
    import segment_anything  # noqa: F401 - the analysis only applies when the package's code imported it

    seen = under_other_implementation(installed_behaviour)
    assert seen is not None
    cause, behaviour = seen
    assert behaviour == FORK and (cause.made_under, cause.installed) == (FORK, PYPI)
    assert installed_behaviour() == PYPI
    assert explain(lambda: False) is None
    assert explain(lambda: 1 / 0) is None  # a run that raises under the other implementation explains nothing
