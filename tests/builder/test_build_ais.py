"""``samzoo build --mode automatic``: AIS packages from a fine-tuning checkpoint, end to end (random vit_t + decoder)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from helpers.cli import run_cli
from samzoo.builder.ais_model import DEFAULT_PARAMS, random_ais_checkpoint
from samzoo.builder import build_package

BIOIMAGEIO = Path(sys.executable).with_name("bioimageio")
AIS_MODEL = "vit_t_em_organelles"


@pytest.fixture(scope="module")
def finetuned(tmp_path_factory) -> Path:
    """A micro-sam fine-tuning checkpoint: 'sam.'-prefixed model_state, decoder_state, optimizer state, epoch."""
    ck = random_ais_checkpoint("vit_t", 0)
    path = tmp_path_factory.mktemp("ft") / "best.pt"
    torch.save({"model_state": {f"sam.{k}": v for k, v in ck["model_state"].items()}, "decoder_state": ck["decoder_state"],
                "optimizer_state": {"state": {}, "param_groups": [{"lr": 1e-5, "params": [0, 1]}]}, "epoch": 7}, path)
    return path


@pytest.fixture(scope="module")
def ais_package(finetuned, tmp_path_factory) -> Path:
    """An EM model built in one command, automatic by default because the checkpoint has a decoder.

    Its default test image (scikit-image's coins, 303 x 303) has an odd size, which once made every EM
    AIS package an invalid description.
    """
    out = tmp_path_factory.mktemp("ais") / "ais.zip"
    proc = run_cli("build", AIS_MODEL, "--checkpoint", str(finetuned), "-o", str(out), timeout=1800)  # ~30 s idle; minutes under load
    assert proc.returncode == 0, proc.stderr
    assert "automatic" in proc.stdout
    return out


def _rdf(pkg: Path) -> dict:
    with zipfile.ZipFile(pkg) as zf:
        return yaml.safe_load(zf.read("rdf.yaml"))


@pytest.mark.slow
def test_ais_package_layout(ais_package):
    d = _rdf(ais_package)
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
                     "test_input_image.npy", "test_output_labels.npy", "vit_t.pt"]
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
def test_ais_package_passes_bioimageio_test(ais_package, tmp_path):
    summary = tmp_path / "summary.json"
    proc = subprocess.run([str(BIOIMAGEIO), "test", str(ais_package), "--summary", str(summary)],
                          capture_output=True, text=True, timeout=1200, cwd=tmp_path)
    assert summary.is_file(), proc.stdout[-2000:] + proc.stderr[-2000:]
    s = json.loads(summary.read_text())
    assert s["status"] == "passed", [e["msg"][:300] for d in s["details"] for e in d.get("errors", [])]


@pytest.mark.slow
@pytest.mark.parametrize("threads", [1, 3])
def test_ais_package_is_byte_reproducible_with_other_thread_counts(ais_package, finetuned, tmp_path, threads):
    from samzoo.plumbing.hashing import file_digest

    before = torch.get_num_threads()
    assert before != threads, "the fixture package must be built with another thread count"
    torch.set_num_threads(threads)
    try:
        again = build_package(AIS_MODEL, finetuned, output=tmp_path / "again.zip")
    finally:
        torch.set_num_threads(before)
    assert again.mode == "automatic"
    assert again.sha256 == file_digest(ais_package)


@pytest.mark.parametrize("args, words", [
    (["--ais-param", "min_size"], "--ais-param takes NAME=VALUE"),
    (["--ais-param", "min_sise=3"], "--ais-param: unknown parameter 'min_sise'"),
    (["--mode", "interactive", "--ais-param", "min_size=3"], "--ais-param: only apply to automatic"),
])
def test_bad_ais_arguments_exit_2(args, words, finetuned, tmp_path):
    proc = run_cli("build", "vit_t_lm", "--checkpoint", str(finetuned), "-o", str(tmp_path / "x.zip"), *args)
    assert proc.returncode == 2 and words in proc.stderr, proc.stderr
    assert not (tmp_path / "x.zip").exists()


def test_automatic_without_decoder_exits_2(vit_t_checkpoint, tmp_path):
    proc = run_cli("build", "vit_t_lm", "--checkpoint", str(vit_t_checkpoint), "--mode", "automatic", "-o", str(tmp_path / "x.zip"))
    assert proc.returncode == 2 and "--mode: automatic instance segmentation needs a decoder" in proc.stderr, proc.stderr


@pytest.mark.slow
def test_ais_package_test_image_is_the_odd_sized_em_default(ais_package):
    image = np.load(io.BytesIO(zipfile.ZipFile(ais_package).read("test_input_image.npy")))
    assert image.shape == (1, 3, 303, 303)
    axes = _rdf(ais_package)["inputs"][0]["axes"]
    assert [a["size"] for a in axes[2:]] == [{"min": 32, "step": 1}] * 2


def _sample(shape: tuple[int, int], path: Path) -> Path:
    """A crop (tiled when larger) of scikit-image's cell.png, written as PNG."""
    import imageio.v3 as iio
    import skimage.data

    cell = skimage.data.cell()
    image = np.tile(cell, (shape[0] // cell.shape[0] + 1, shape[1] // cell.shape[1] + 1))[:shape[0], :shape[1]]
    iio.imwrite(path, image)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("mode, shape", [
    ("automatic", (32, 47)),      # the documented minimum of an AIS package, odd, non-square (EM's 303 x 303: the fixture)
    ("interactive", (8, 8)),      # the documented minimum of an interactive package
    ("interactive", (303, 1101)),  # odd, non-square, longer than SAM's 1024
])
def test_any_image_size_builds_a_valid_package(mode, shape, finetuned, tmp_path):
    """Every size from the minimum up gives a description bioimageio.spec accepts (the build validates it with its
    file checks), or, where the model finds nothing on a tiny image, one line saying so: never an internal error."""
    image = _sample(shape, tmp_path / "image.png")
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


def test_ais_image_below_the_minimum_is_one_line(finetuned, tmp_path):
    image = _sample((31, 40), tmp_path / "small.png")
    proc = run_cli("build", "vit_t_lm", "--checkpoint", str(finetuned), "--image", str(image), "-o", str(tmp_path / "x.zip"))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines()[-1] == (f"samzoo: error: --image: {image} is 31 pixels on its shorter side; an automatic "
                                            "instance segmentation package takes images of at least 32 x 32")
    assert not (tmp_path / "x.zip").exists()


@pytest.mark.slow
def test_samzoo_validate_checks_the_ais_package(ais_package):
    from samzoo.validate import validate_package

    report = validate_package(ais_package, quick=True)
    checks = {c.name: c for c in report.checks}
    assert report.passed, [(c.name, c.message) for c in report.checks if c.status == "failed"]
    assert checks["ais"].status == "passed" and "test image" in checks["ais"].message and "n=2" in checks["ais"].message
    assert "ilastik yes" in checks["partner_gates"].message and "BiaPy yes" in checks["partner_gates"].message
    assert checks["sam_prompts"].status == "skipped" and "automatic instance segmentation" in checks["sam_prompts"].message
