"""The builder's shared fixtures: one package of each kind, built once per session (builds are expensive)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from helpers.cli import run_cli
from samzoo.builder import build_package
from samzoo.builder.ais_model import random_ais_checkpoint

#: the automatic package's model: an EM model, whose default test image (coins, 303 x 303) has an odd size
AIS_MODEL = "vit_t_em_organelles"


@pytest.fixture(scope="session")
def vit_t_package(tmp_path_factory, vit_t_checkpoint):
    """A package of the random vit_t checkpoint as faithful-chicken (vit_t_lm), built in-process once."""
    out = tmp_path_factory.mktemp("pkg") / "chicken.zip"
    return build_package("faithful-chicken", vit_t_checkpoint, output=out)


@pytest.fixture(scope="session")
def finetuned(tmp_path_factory) -> Path:
    """A micro-sam fine-tuning checkpoint: 'sam.'-prefixed model_state, decoder_state, optimizer state, epoch."""
    ck = random_ais_checkpoint("vit_t", 0)
    path = tmp_path_factory.mktemp("ft") / "best.pt"
    torch.save({"model_state": {f"sam.{k}": v for k, v in ck["model_state"].items()}, "decoder_state": ck["decoder_state"],
                "optimizer_state": {"state": {}, "param_groups": [{"lr": 1e-5, "params": [0, 1]}]}, "epoch": 7}, path)
    return path


@pytest.fixture(scope="session")
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


@pytest.fixture
def cell_png():
    """``cell_png(shape, path)``: a crop (tiled when larger) of scikit-image's cell.png, written as PNG."""
    import imageio.v3 as iio
    import numpy as np
    import skimage.data

    def make(shape: tuple[int, int], path: Path) -> Path:
        cell = skimage.data.cell()
        image = np.tile(cell, (shape[0] // cell.shape[0] + 1, shape[1] // cell.shape[1] + 1))[:shape[0], :shape[1]]
        iio.imwrite(path, image)
        return path

    return make
