"""The automatic (AIS) package (builder/automatic.py) end to end from a fine-tuning checkpoint (random vit_t + decoder)."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest
import torch

from helpers.cli import run_cli
from helpers.package_zip import bioimageio_test, read_rdf, summary_errors
from samzoo.builder import build_package
from samzoo.builder.ais_model import DEFAULT_PARAMS


@pytest.mark.slow
def test_ais_package_layout(ais_package):
    d = read_rdf(ais_package)
    assert [t["id"] for t in d["inputs"]] == ["image"] and [t["id"] for t in d["outputs"]] == ["labels"]
    assert d["outputs"][0]["data"]["type"] == "int32" and "attachments" not in d
    w = d["weights"]["pytorch_state_dict"]
    assert w["architecture"]["source"] == "sam_ais.py" and w["architecture"]["callable"] == "SamAIS"
    assert w["architecture"]["kwargs"] == {"model_type": "vit_t", "transposed_decoder": False, **DEFAULT_PARAMS}
    assert d["config"]["samzoo"]["mode"] == "automatic" and d["config"]["samzoo"]["ais_params"] == DEFAULT_PARAMS
    with zipfile.ZipFile(ais_package) as zf:
        names = sorted(zf.namelist())
        weights = torch.load(io.BytesIO(zf.read("vit_t.pt")), weights_only=True)
        labels = np.load(io.BytesIO(zf.read("test_output_labels.npy")))
        image = np.load(io.BytesIO(zf.read("test_input_image.npy")))
        env = zf.read("environment.yaml").decode()
    assert names == ["cover.png", "documentation.md", "environment.yaml", "rdf.yaml", "sam_ais.py",
                     "sample_input_image.png", "sample_output_labels.png", "test_input_image.npy", "test_output_labels.npy",
                     "vit_t.pt"]
    # the decoder is stored once, in micro-sam's combined format
    assert set(weights) == {"model_state", "decoder_state"} and len(weights["decoder_state"]) == 66
    assert not any(k.startswith("sam.") for k in weights["model_state"])
    assert "bioimage-cpp==0.10.0" in env and "mobilesam-mirror" in env
    assert labels.shape == (1, 1, *image.shape[-2:]) and labels.dtype == np.int32
    ids = labels[labels > 0]
    assert ids.size and labels.max() == len(np.unique(ids))  # 1..n, no gaps
    first_ids = [labels.ravel()[np.argmax(labels.ravel() == i)] for i in (1,)]
    assert first_ids == [1] and labels.ravel()[np.argmax(labels.ravel() > 0)] == 1  # canonical


@pytest.mark.slow
def test_ais_package_passesbioimageio_test(ais_package, tmp_path):
    summary = bioimageio_test(ais_package, tmp_path)
    assert summary["status"] == "passed", summary_errors(summary)


@pytest.mark.slow
@pytest.mark.parametrize("threads", [1, 3])
def test_ais_package_is_byte_reproducible_with_other_thread_counts(ais_package, finetuned, tmp_path, threads):
    from samzoo.plumbing.hashing import file_digest

    before = torch.get_num_threads()
    assert before != threads, "the fixture package must be built with another thread count"
    torch.set_num_threads(threads)
    try:
        again = build_package(read_rdf(ais_package)["config"]["samzoo"]["model_type"], finetuned, output=tmp_path / "again.zip")
    finally:
        torch.set_num_threads(before)
    assert again.mode == "automatic"
    assert again.sha256 == file_digest(ais_package)


@pytest.mark.slow
def test_ais_package_test_image_is_the_odd_sized_em_default(ais_package):
    image = np.load(io.BytesIO(zipfile.ZipFile(ais_package).read("test_input_image.npy")))
    assert image.shape == (1, 3, 303, 303)
    axes = read_rdf(ais_package)["inputs"][0]["axes"]
    assert [a["size"] for a in axes[2:]] == [{"min": 32, "step": 1}] * 2


@pytest.mark.slow
@pytest.mark.parametrize("mode, shape", [
    ("automatic", (32, 47)),      # the documented minimum of an AIS package, odd, non-square (EM's 303 x 303: the fixture)
    ("interactive", (8, 8)),      # the documented minimum of an interactive package
    ("interactive", (303, 1101)),  # odd, non-square, longer than SAM's 1024
])


def test_any_image_size_builds_a_valid_package(mode, shape, finetuned, tmp_path, cell_png):
    """Every size from the minimum up gives a description bioimageio.spec accepts (the build validates it with its
    file checks), or, where the model finds nothing on a tiny image, one line saying so: never an internal error."""
    image = cell_png(shape, tmp_path / "image.png")
    labels_args = []
    if shape == (8, 8):
        import imageio.v3 as iio

        labels = np.zeros(shape, np.uint8)
        labels[2:6, 2:6] = 1
        iio.imwrite(tmp_path / "labels.png", labels)
        labels_args = ["--labels", str(tmp_path / "labels.png")]
    proc = run_cli("build", "vit_t_lm", "--checkpoint", str(finetuned), "--mode", mode, "--image", str(image), *labels_args,
                   "-o", str(tmp_path / "out") + "/", "--json", timeout=1200)
    if proc.returncode == 2 and shape == (8, 8):
        assert "test output 'masks' is all zero on the test image" in proc.stderr, proc.stderr
        return
    assert proc.returncode == 0, proc.stderr
    # the two kinds of one model have distinct default names: one never replaces the other
    name = "faithful-chicken-1.2-ais.zip" if mode == "automatic" else "faithful-chicken-1.2.zip"
    assert [p.name for p in (tmp_path / "out").iterdir()] == [name]
    assert json.loads(proc.stdout)["mode"] == mode
    image_tensor = np.load(io.BytesIO(zipfile.ZipFile(tmp_path / "out" / name).read("test_input_image.npy")))
    assert image_tensor.shape == (1, 3, *shape)


@pytest.mark.slow
def test_samzoo_validate_checks_the_ais_package(ais_package):
    from samzoo.validate import validate_package

    report = validate_package(ais_package, quick=True)
    checks = {c.name: c for c in report.checks}
    assert report.passed, [(c.name, c.message) for c in report.checks if c.status == "failed"]
    assert checks["ais"].status == "passed" and "test image" in checks["ais"].message and "n=2" in checks["ais"].message
    assert "ilastik yes" in checks["partner_gates"].message and "BiaPy yes" in checks["partner_gates"].message
    assert checks["sam_prompts"].status == "skipped" and "automatic instance segmentation" in checks["sam_prompts"].message


@pytest.mark.slow
def test_ais_documentation_says_what_the_package_does(ais_package):
    # sam_ais.py segments with its decoder and a watershed: no threshold, no labels; the docs and rdf say only that
    doc = zipfile.ZipFile(ais_package).read("documentation.md").decode()
    assert "Otsu" not in doc and "labels:" not in doc, doc.split("## Validation")[1]
    assert "objects found in skimage.data.coins()" in doc and "by this package itself" in doc
    assert "Otsu" not in read_rdf(ais_package)["config"]["samzoo"]["test_image"]
