"""The packages the validator's tests share (session-scoped: a vit_t package costs seconds to build and validate).

Real micro-sam-style packages (random vit_t weights, scikit-image pictures), made by the same code as the broken
variants (tests/helpers/micro_sam_package.py).
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from helpers.micro_sam_package import write_micro_sam_package
from helpers.validate_packages import ZOO_FIELDS
from samzoo.validate import validate_package


@pytest.fixture(scope="session")
def pkg_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("packages")



@pytest.fixture(scope="session")
def good_zip(pkg_dir, vit_t_checkpoint) -> Path:
    """micro-sam 1.8.14's layout, including its architecture's embedding cache."""
    return write_micro_sam_package(pkg_dir / "good.zip", vit_t_checkpoint, "vit_t", extra=ZOO_FIELDS)



@pytest.fixture(scope="session")
def fixed_zip(pkg_dir, vit_t_checkpoint) -> Path:
    """The same, with an architecture that computes embeddings for every image."""
    return write_micro_sam_package(pkg_dir / "fixed.zip", vit_t_checkpoint, "vit_t", "fixed_cache", extra=ZOO_FIELDS)



@pytest.fixture(scope="session")
def good_folder(pkg_dir, good_zip) -> Path:
    folder = pkg_dir / "good_folder"
    with zipfile.ZipFile(good_zip) as zf:
        zf.extractall(folder)
    return folder



@pytest.fixture(scope="session")
def good_report(good_zip):
    return validate_package(good_zip)



@pytest.fixture(scope="session")
def fixed_report(fixed_zip):
    return validate_package(fixed_zip)



@pytest.fixture(scope="session")
def bad_inputs(pkg_dir, good_zip, good_folder) -> dict[str, Path]:
    """Every kind of bad input of the issue, made from the good package."""
    d = pkg_dir / "bad"
    d.mkdir()
    out: dict[str, Path] = {}
    out["not_a_zip"] = d / "not_a_zip.zip"
    out["not_a_zip"].write_text("this is not a zip file\n")
    data = good_zip.read_bytes()
    out["truncated"] = d / "truncated.zip"
    out["truncated"].write_bytes(data[: len(data) // 2])
    out["no_rdf"] = d / "no_rdf.zip"
    with zipfile.ZipFile(good_zip) as src, zipfile.ZipFile(out["no_rdf"], "w") as dst:
        for info in src.infolist():
            if info.filename != "rdf.yaml" and not info.filename.endswith(".pt"):
                dst.writestr(info, src.read(info))
    for name, entry in (("dotdot", "../evil.txt"), ("absolute", "/tmp/samzoo-evil.txt")):
        out[name] = d / f"{name}.zip"
        with zipfile.ZipFile(out[name], "w") as zf:
            zf.writestr("rdf.yaml", "type: model\n")
            zf.writestr(entry, "escaped")
    out["invalid_yaml"] = d / "invalid_yaml"
    shutil.copytree(good_folder, out["invalid_yaml"])
    (out["invalid_yaml"] / "rdf.yaml").write_text("name: [unclosed\ninputs: {\n")
    out["missing_weights"] = d / "missing_weights"
    shutil.copytree(good_folder, out["missing_weights"])
    next(out["missing_weights"].glob("*.pt")).unlink()
    return out


@pytest.fixture(scope="session")
def plain_folder(pkg_dir) -> Path:
    """A non-SAM package (a 3x3 convolution as TorchScript), as any zoo model."""
    from helpers.plain_package import write_plain_package

    return write_plain_package(pkg_dir / "plain")


@pytest.fixture(scope="session")
def unloadable_plain_folder(pkg_dir) -> Path:
    """The same, whose weight file is not TorchScript (its sha256 recorded): it cannot be loaded."""
    from helpers.plain_package import write_plain_package

    return write_plain_package(pkg_dir / "plain_unloadable", unloadable=True)
