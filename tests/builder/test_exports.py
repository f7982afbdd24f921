"""Other weight formats (builder/exports/): TorchScript weights and the ONNX prompt decoder, planned, built,
cross-checked and validated (random vit_t)."""

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

from helpers.cli import run_cli
from helpers.package_zip import read_rdf
from samzoo.builder import build_package
from samzoo.builder.exports.crosscheck import check_onnx_decoder, check_torchscript, onnx_decoder_feeds
from samzoo.builder.exports.plan import parse_weight_formats, plan_formats
from samzoo.plumbing.errors import ArgumentError
from samzoo.validate import validate_package


ALL = "pytorch_state_dict,torchscript,onnx"


def test_formats_parse_in_canonical_order_with_the_state_dict_always():
    assert parse_weight_formats(None) == ("pytorch_state_dict",)
    assert parse_weight_formats("onnx, torchscript") == ("pytorch_state_dict", "torchscript", "onnx")
    assert parse_weight_formats(["torchscript"]) == ("pytorch_state_dict", "torchscript")
    with pytest.raises(ArgumentError, match="unknown weight format 'keras'"):
        parse_weight_formats("pytorch_state_dict,keras")


def test_each_package_kind_gets_what_it_can_express_and_says_why_not():
    interactive = plan_formats("interactive", parse_weight_formats(ALL))
    assert interactive.torchscript and interactive.onnx_decoder
    assert len(interactive.notes) == 1 and "optional" in interactive.notes[0] and "attached instead" in interactive.notes[0]
    automatic = plan_formats("automatic", parse_weight_formats(ALL))
    assert not automatic.any
    assert [n.split(":")[0] for n in automatic.notes] == ["torchscript", "onnx"]
    assert all("watershed" in n for n in automatic.notes)
    assert plan_formats("interactive", ("pytorch_state_dict",)).notes == ()


@pytest.mark.slow
def test_scripted_adaptor_matches_the_eager_one_for_every_prompt_combination():
    """The traced decoder keeps the object and point counts dynamic; optional inputs stay optional."""
    from samzoo.architectures.sam_adaptor import SamAdaptor
    from samzoo.builder.torchscript import script_adaptor
    from samzoo.plumbing.sam_models import random_sam

    sam = random_sam("vit_t", seed=1)
    eager = SamAdaptor("vit_t", sam=sam).eval()
    image = torch.from_numpy(np.random.default_rng(0).integers(0, 255, (1, 3, 200, 300), dtype=np.uint8))
    with torch.no_grad():
        embeddings = eager.encode(image)
    scripted = script_adaptor("vit_t", sam, torch.zeros(1, 256, 64, 64))
    boxes = torch.tensor([[[10, 20, 100, 120], [50, 60, 200, 190], [5, 5, 30, 40], [0, 0, 299, 199]]])
    points = torch.tensor([[[[30, 40]], [[60, 70]], [[10, 12]], [[150, 100]]]])
    labels = torch.tensor([[[1], [0], [1], [1]]])
    masks_in = torch.from_numpy(np.random.default_rng(1).normal(size=(1, 4, 1, 256, 256)).astype(np.float32))
    cases = [
        (boxes, points, labels, masks_in, embeddings),  # four objects (traced with two), one point each
        (None, torch.tensor([[[[30, 40], [60, 70], [90, 100]]]]), torch.tensor([[[1, 0, -1]]]), None, embeddings),
        (boxes[:, :1], None, None, None, embeddings),
        (None, None, None, masks_in[:, :3], embeddings),
        (boxes[:, :2], None, None, None, None),  # no embeddings: the traced encoder runs
    ]
    for box, pts, lbl, msk, emb in cases:
        with torch.no_grad():
            want = eager(image, box, pts, lbl, msk, emb)
            got = scripted(image, box, pts, lbl, msk, emb)
        for w, g in zip(want, got, strict=True):
            assert w.shape == g.shape
            np.testing.assert_allclose(g.float().numpy(), w.float().numpy(), rtol=1e-5, atol=1e-5)


@pytest.fixture(scope="module")
def all_formats(vit_t_checkpoint, tmp_path_factory):
    """(package path, build notes) of a vit_t package built with every format."""
    out = tmp_path_factory.mktemp("formats") / "all.zip"
    notes: list[str] = []
    result = build_package("vit_t_lm", vit_t_checkpoint, output=out, weight_formats=ALL, on_message=notes.append)
    return result, notes


@pytest.mark.slow
def test_a_package_with_every_format_describes_each_and_says_what_was_added(all_formats):
    result, notes = all_formats
    rdf = read_rdf(result.path)
    assert list(rdf["weights"]) == ["pytorch_state_dict", "torchscript"]
    ts = rdf["weights"]["torchscript"]
    assert ts["source"] == "vit_t.torchscript.pt" and ts["parent"] == "pytorch_state_dict"
    assert {"vit_t_prompt_decoder.onnx"} <= {a["source"] for a in rdf["attachments"]}
    assert any(n.startswith("torchscript: added") for n in notes)
    assert any(n.startswith("onnx prompt decoder: added") for n in notes)
    assert any(n.startswith("onnx: no weights entry") for n in notes)
    with zipfile.ZipFile(result.path) as zf:
        docs = zf.read("documentation.md").decode()
    for name in ("point_coords", "point_labels", "has_mask_input", "orig_im_size", "iou_predictions", "low_res_masks"):
        assert f"`{name}`" in docs


@pytest.mark.slow
def test_each_format_reproduces_the_state_dicts_test_outputs(all_formats, tmp_path):
    """The files in the package, checked again here on the package's own test tensors."""
    result, _ = all_formats
    with zipfile.ZipFile(result.path) as zf:
        zf.extractall(tmp_path)
    arrays = {k: np.load(tmp_path / f) for k, f in (
        ("image", "test_input_image.npy"), ("box_prompts", "test_input_box_prompts.npy"),
        ("point_prompts", "test_input_point_prompts.npy"), ("point_labels", "test_input_point_labels.npy"),
        ("mask_prompts", "test_input_mask_prompts.npy"), ("embeddings", "test_embeddings.npy"),
        ("masks", "test_output_masks.npy"), ("scores", "test_output_scores.npy"))}
    outputs = {k: arrays[k] for k in ("masks", "scores", "embeddings")}
    assert check_torchscript(tmp_path / "vit_t.torchscript.pt", arrays, outputs) is None
    assert check_onnx_decoder(tmp_path / "vit_t_prompt_decoder.onnx", arrays, outputs) is None
    # the check can fail: other scores are a mismatch
    assert "scores" in check_onnx_decoder(tmp_path / "vit_t_prompt_decoder.onnx", arrays, {**outputs, "scores": outputs["scores"] + 0.5})
    feeds = onnx_decoder_feeds(arrays, 0)
    assert feeds["point_coords"].shape == (1, arrays["point_prompts"].shape[2] + 2, 2)


@pytest.mark.slow
def test_the_onnx_decoder_follows_the_image_size_of_each_call(all_formats, tmp_path):
    """Not frozen to the export's example size: a non-square image gives the PyTorch decoder's masks."""
    import onnxruntime as rt

    from samzoo.architectures.sam_adaptor import SamAdaptor
    from samzoo.plumbing.sam_checkpoint import load_checkpoint
    from samzoo.plumbing.sam_models import build_sam

    result, _ = all_formats
    with zipfile.ZipFile(result.path) as zf:
        zf.extractall(tmp_path)
    adaptor = SamAdaptor("vit_t", sam=build_sam("vit_t", load_checkpoint(tmp_path / "vit_t.pt").state_dict)).eval()
    session = rt.InferenceSession(str(tmp_path / "vit_t_prompt_decoder.onnx"), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(3)
    for h, w in ((300, 400), (437, 211)):
        inputs = {
            "image": np.zeros((1, 3, h, w), np.uint8), "embeddings": np.load(tmp_path / "test_embeddings.npy"),
            "box_prompts": np.array([[[10, 20, w // 2, h // 2]]]), "point_prompts": np.array([[[[w // 3, h // 3], [5, 5]]]]),
            "point_labels": np.array([[[1, 0]]]), "mask_prompts": rng.normal(size=(1, 1, 1, 256, 256)).astype(np.float32),
        }
        with torch.no_grad():
            masks, scores = adaptor.decode(torch.from_numpy(inputs["embeddings"]), (h, w),
                                           *[torch.from_numpy(inputs[k]) for k in ("box_prompts", "point_prompts", "point_labels", "mask_prompts")])
        logits, iou, _ = session.run(None, onnx_decoder_feeds(inputs, 0))
        assert logits.shape[-2:] == (h, w)
        assert ((logits[0, 0] > 0) != masks[0, 0, 0].numpy().astype(bool)).mean() < 1e-3
        np.testing.assert_allclose(iou[0], scores[0, 0].numpy(), rtol=1e-3, atol=1e-4)


@pytest.mark.slow
def test_the_validator_tests_every_declared_format_by_name(all_formats):
    result, _ = all_formats
    report = validate_package(result.path, quick=True)
    checks = {c.name: c for c in report.checks}
    assert report.passed, [(c.name, c.message) for c in report.checks if c.status == "failed"]
    assert checks["inference"].status == "passed" and "(pytorch_state_dict)" in checks["inference"].message
    assert checks["weight_formats"].status == "passed"
    assert "torchscript" in checks["weight_formats"].message
    assert any(d.startswith("torchscript: passed") for d in checks["weight_formats"].details)
    only = validate_package(result.path, quick=True, weight_format="torchscript")
    only_checks = {c.name: c for c in only.checks}
    assert only.passed and "(torchscript)" in only_checks["inference"].message
    assert only_checks["weight_formats"].status == "skipped" and "only torchscript" in only_checks["weight_formats"].message


@pytest.mark.slow
def test_a_format_the_package_lacks_is_a_failed_package_not_a_crash(all_formats):
    result, _ = all_formats
    report = validate_package(result.path, quick=True, weight_format="onnx")
    inference = next(c for c in report.checks if c.name == "inference")
    assert not report.passed and inference.status == "failed"
    assert "no onnx weights" in inference.message and "torchscript" in inference.message


@pytest.mark.slow
def test_bioimageio_test_passes_every_format(all_formats, tmp_path):
    result, _ = all_formats
    summary = tmp_path / "summary.json"
    proc = subprocess.run([str(Path(sys.executable).with_name("bioimageio")), "test", str(result.path), "--summary", str(summary)],
                          capture_output=True, text=True, timeout=1200)
    data = json.loads(summary.read_text())
    assert proc.returncode == 0 and data["status"] == "passed"
    names = [d["name"] for d in data["details"]]
    assert any("(torchscript)" in n for n in names) and any("(pytorch_state_dict)" in n for n in names)


@pytest.mark.slow
def test_the_build_with_formats_is_byte_reproducible_across_processes(all_formats, vit_t_checkpoint, tmp_path):
    """A second build, from the CLI in a fresh process, gives the same zip as the in-process build."""
    result, _ = all_formats
    out = tmp_path / "again.zip"
    proc = run_cli("build", "vit_t_lm", "--checkpoint", str(vit_t_checkpoint), "-o", str(out), "--weight-format", ALL, timeout=1800)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes() == result.path.read_bytes()


def test_unknown_formats_are_usage_errors_naming_the_flag(tmp_path, vit_t_checkpoint):
    proc = run_cli("build", "vit_t_lm", "--checkpoint", str(vit_t_checkpoint), "-o", str(tmp_path / "x.zip"), "--weight-format", "tflite")
    assert proc.returncode == 2 and "--weight-format" in proc.stderr and "tflite" in proc.stderr
    assert not (tmp_path / "x.zip").exists()
    proc = run_cli("validate", str(tmp_path / "x.zip"), "--weight-format", "tflite")
    assert proc.returncode == 2 and "--weight-format" in proc.stderr


def test_missing_onnxruntime_is_a_skip_with_the_install_command():
    """In a process where onnxruntime cannot be imported, the runtime check says so (never raises)."""
    code = ("import sys; sys.modules['onnxruntime'] = None\n"
            "from samzoo.plumbing.runtimes import runtime_missing\n"
            "print(runtime_missing('onnx')); print(runtime_missing('onnx') is not None); print(runtime_missing('torchscript'))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    lines = proc.stdout.splitlines()
    assert proc.returncode == 0, proc.stderr
    assert "onnxruntime is not installed" in lines[0] and "samzoo[onnx]" in lines[0]
    assert lines[1:] == ["True", "None"]


def test_the_worker_strips_debug_records_and_keeps_a_loadable_archive(tmp_path):
    """copy_without_debug_records rewrites with torch's own writer: loadable, no source paths."""
    from samzoo.builder.exports.export_worker import copy_without_debug_records

    module = torch.jit.script(torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU()))
    module.save(str(tmp_path / "full.pt"))
    copy_without_debug_records(tmp_path / "full.pt", tmp_path / "stripped.pt")
    stripped = (tmp_path / "stripped.pt").read_bytes()
    assert b".debug_pkl" in (tmp_path / "full.pt").read_bytes() and b".debug_pkl" not in stripped
    loaded = torch.jit.load(io.BytesIO(stripped))
    x = torch.randn(4, 3)
    assert torch.equal(loaded(x), module(x))


def test_build_all_rebuilds_when_the_formats_change_and_keeps_old_indexes_valid(tmp_path):
    """The --all index fingerprint covers the extra formats; the state dict alone hashes as before formats existed."""
    import hashlib

    from samzoo import __version__
    from samzoo.pipeline import fingerprint

    ckpt = tmp_path / "m.pt"
    ckpt.write_bytes(b"x")
    plain = fingerprint("spec", str(ckpt), None, False, "cpu")
    stat = [str(ckpt), ckpt.stat().st_size, ckpt.stat().st_mtime_ns]
    old_style = "sha256:" + hashlib.sha256(json.dumps(["spec", stat, None, False, "cpu", __version__]).encode()).hexdigest()
    assert plain == fingerprint("spec", str(ckpt), None, False, "cpu", ()) == old_style
    assert fingerprint("spec", str(ckpt), None, False, "cpu", ("torchscript",)) != plain


def test_a_failed_build_leaves_no_export_folder_and_no_worker(tmp_path, vit_t_checkpoint):
    """The worker starts before the checkpoint is read; a build that then fails stops it and removes its folder."""
    out = tmp_path / "out"
    out.mkdir()
    proc = run_cli("build", "vit_b_lm", "--checkpoint", str(vit_t_checkpoint), "-o", str(out / "x.zip"), "--weight-format", ALL)
    assert proc.returncode in (1, 2) and "vit_t" in proc.stderr
    assert list(out.iterdir()) == []
    workers = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if b"samzoo.builder.exports.export_worker" in cmdline.read_bytes():
                workers.append(cmdline.parent.name)
        except OSError:
            continue  # the process ended meanwhile
    assert workers == []
