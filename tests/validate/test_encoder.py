"""``encoder``: the encoder's embeddings of the test image match the test embeddings."""

from __future__ import annotations



from helpers.validate_packages import variant
from samzoo.validate import validate_package


def test_swapped_encoder_weights_fail_only_the_encoder_check(pkg_dir, vit_t_checkpoint):
    report = validate_package(variant(pkg_dir, vit_t_checkpoint, "swapped_encoder"))
    assert [c.name for c in report.checks if c.status == "failed"] == ["encoder"], report.checks
    assert "encoder weights are not those the test outputs were made with" in report.check("encoder").message
    assert report.check("inference").status == "passed"  # what bioimageio test cannot see


def test_package_without_cache_passes_the_encoder_check(fixed_report):
    assert fixed_report.passed
    assert "stale" not in fixed_report.check("sam_image_only").message
    assert fixed_report.check("encoder").status == "passed"
