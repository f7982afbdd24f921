"""``build_package`` / ``samzoo build`` (builder/build.py): the checkpoint read, the package kind decided, bad inputs
refused in one line with exit 2 and nothing left behind."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers.cli import run_cli
from samzoo.builder import automatic, interactive
from samzoo.builder.build import KINDS


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory, vit_t_checkpoint):
    d = tmp_path_factory.mktemp("bad")
    (d / "text.pt").write_text("this is not a checkpoint\n")
    data = vit_t_checkpoint.read_bytes()
    (d / "truncated.pt").write_bytes(data[: len(data) // 2])
    state = torch.load(vit_t_checkpoint, weights_only=True)
    torch.save({k: v for k, v in state.items() if not k.startswith("mask_decoder.iou_prediction_head")}, d / "missing.pt")
    np.save(d / "stack.npy", np.zeros((3, 4, 64, 64), np.uint8))
    np.save(d / "img.npy", (np.arange(64 * 64) % 251).reshape(64, 64).astype(np.uint8))
    np.save(d / "empty.npy", np.zeros((64, 64), np.int32))
    return d


BAD = {
    "missing file": (["--checkpoint", "{d}/nope.pt"], "no such file"),
    "not a checkpoint": (["--checkpoint", "{d}/text.pt"], "not a readable PyTorch checkpoint"),
    "truncated": (["--checkpoint", "{d}/truncated.pt"], "not a readable PyTorch checkpoint"),
    "wrong architecture": (["--checkpoint", "{ckpt}", "--name", "vit_b_lm"], "holds vit_t weights but vit_b_lm is a vit_b model"),
    "missing keys": (["--checkpoint", "{d}/missing.pt"], "missing"),
    "image with wrong dims": (["--checkpoint", "{ckpt}", "--image", "{d}/stack.npy"], "--image: {d}/stack.npy has shape (3, 4, 64, 64); pass a 2D greyscale"),
    "labels without objects": (["--checkpoint", "{ckpt}", "--image", "{d}/img.npy", "--labels", "{d}/empty.npy"], "--labels: the label image has no objects"),
    "published version": (["--checkpoint", "{ckpt}", "--version", "1.1"], "--version: 1.1 of vit_t_lm is already published"),
    "unknown model": (["--checkpoint", "{ckpt}", "--name", "vit_q_lm"], "unknown model"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_one_line_and_exit_2(case, bad_inputs, vit_t_checkpoint, tmp_path):
    args, expected = BAD[case]
    args = [a.format(d=bad_inputs, ckpt=vit_t_checkpoint) for a in args]
    expected = expected.format(d=bad_inputs)
    name = "vit_t_lm"
    if "--name" in args:
        i = args.index("--name")
        name = args[i + 1]
        del args[i:i + 2]
    out = tmp_path / "out.zip"
    proc = run_cli("build", name, *args, "-o", str(out), cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    error_lines = [line for line in lines if line.startswith("samzoo: error:")]
    assert len(error_lines) == 1 and expected in error_lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []  # no package, no temporary files


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


def test_ais_image_below_the_minimum_is_one_line(finetuned, tmp_path, cell_png):
    image = cell_png((31, 40), tmp_path / "small.png")
    proc = run_cli("build", "vit_t_lm", "--checkpoint", str(finetuned), "--image", str(image), "-o", str(tmp_path / "x.zip"))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines()[-1] == (f"samzoo: error: --image: {image} is 31 pixels on its shorter side; an automatic "
                                            "instance segmentation package takes images of at least 32 x 32")
    assert not (tmp_path / "x.zip").exists()


def test_every_kind_has_the_same_named_stages_and_its_own_facts():
    """A newcomer finds each stage under the same name in every kind module; what differs is in its ``KIND``."""
    assert set(KINDS) == {"interactive", "automatic"}
    for name, module in KINDS.items():
        assert module.KIND.name == name
        assert all(callable(getattr(module, stage)) for stage in ("write_files", "run_model", "stage_files", "describe"))
    i, a = interactive.KIND, automatic.KIND
    assert (i.suffix, a.suffix) == ("", "-ais") and (i.architecture_file, a.architecture_file) == ("sam_adaptor.py", "sam_ais.py")
    assert i.test_tensor_files["image"] == a.test_tensor_files["image"] == "test_input_image.npy"
    assert set(a.test_tensor_files) == {"image", "labels"} and "masks" in i.test_tensor_files
    with pytest.raises(TypeError):
        a.test_tensor_files["labels"] = "other.npy"  # the facts are frozen
