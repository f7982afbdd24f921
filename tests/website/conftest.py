"""The website tests' shared fixture: one real vit_t build (``samzoo build --all``'s pipeline) and its quick validation."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def package_folder(tmp_path_factory, vit_t_checkpoint) -> Path:
    """A folder as ``samzoo build --all -o DIR`` writes it for vit_t_lm (random weights), with ``report.json`` of
    ``samzoo validate --quick`` written by the real report writer (~45 s: one build, one quick validation)."""
    from samzoo.pipeline import build_all
    from samzoo.validate import validate_package
    from samzoo.validate.report import write_report

    root = tmp_path_factory.mktemp("site_packages")
    checkpoints = root / "checkpoints"
    checkpoints.mkdir()
    shutil.copyfile(vit_t_checkpoint, checkpoints / "vit_t_lm.pt")
    out = root / "packages"
    [record] = build_all(out, models=["vit_t_lm"], checkpoints=checkpoints)
    assert record.status == "built", record.message
    report = validate_package(out / record.package, quick=True)
    write_report([report], out / "report.json")
    return out
