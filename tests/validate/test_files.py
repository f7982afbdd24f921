"""``files``: every file the rdf names is there, with its recorded sha256."""

from __future__ import annotations



from helpers.validate_packages import variant
from samzoo.validate import validate_package


def test_wrong_hash_weights_fail_files(pkg_dir, vit_t_checkpoint):
    report = validate_package(variant(pkg_dir, vit_t_checkpoint, "wrong_hash"))
    assert [c.name for c in report.checks if c.status == "failed"] == ["files"]
    assert "sha256" in report.check("files").message and ".pt" in report.check("files").message
    assert report.check("inference").status == "skipped"
